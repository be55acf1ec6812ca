"""Customer pole displays: Epson-compatible 2x20 (ESC/POS display command set) on serial.

Bytes sent: on open ``ESC @`` (initialise), ``ESC t n`` (code table; 17 = PC866 on Epson
and compatibles, so Cyrillic shows) and ``US MD1`` (overwrite mode: no scrolling); each
``show`` positions the cursor explicitly (``US $ 1 1``, ``US $ 1 2``) and writes exactly
20 characters per row, so nothing wraps or scrolls whatever the firmware's habits;
``clear`` is ``FF``. A display is a courtesy to the customer: callers should catch
``DisplayError`` and carry on selling. After an error the port is reopened (and the
display re-initialised) on the next call, so a replugged display recovers by itself.

URL: a pyserial port with ``?baudrate=`` (default 9600), optional ``codepage=cp866``
and ``codepage_table=17``; or ``dummy:``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod

import serial

from drivers.formatting import clean, encode_text, fit, format_money, format_qty, justify
from drivers.urls import parse_serial_port_url

__all__ = ["CustomerDisplay", "DisplayError", "DummyDisplay", "EpsonDisplay", "open_display"]

COLUMNS = 20
INIT, CLEAR, OVERWRITE = b"\x1b@", b"\x0c", b"\x1f\x01"
LABELS = {
    "ru": {"due": "К ОПЛАТЕ", "total": "ИТОГО", "paid": "Оплачено", "change": "Сдача",
           "kg": "кг"},
    "en": {"due": "TOTAL DUE", "total": "TOTAL", "paid": "Paid", "change": "Change",
           "kg": "kg"},
}


def _cursor(column: int, row: int) -> bytes:
    return b"\x1f$" + bytes([column, row])


class DisplayError(Exception):
    """The display could not be driven; the message names the port and the cause."""

    # the core's device-failure contract (agent.ports.DeviceFailure): the next line shown
    # simply tries again
    needs_person = False
    retry_safe = True

    def message(self, lang: str) -> str:
        return str(self)


class CustomerDisplay(ABC):
    """Two rows of 20 characters facing the customer."""

    def __init__(self, lang: str = "ru") -> None:
        if lang not in LABELS:
            raise ValueError(f"lang must be one of {sorted(LABELS)}, not {lang!r}")
        self.labels = LABELS[lang]

    @abstractmethod
    def show(self, line1: str, line2: str = "") -> None:
        """Show two rows (each cut or padded to 20 characters)."""

    @abstractmethod
    def clear(self) -> None:
        """Blank the display."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the port."""

    def show_item(self, name: str, qty: object, amount: int, total: int,
                  unit: str = "pcs") -> None:
        """The line just scanned with its amount, and the running total."""
        qty_text = format_qty(qty, unit)
        if unit == "kg":
            name = f"{qty_text} {self.labels['kg']} {name}"
        elif qty_text != "1":
            name = f"{qty_text}x {name}"
        self.show(justify(clean(name), format_money(amount), COLUMNS),
                  justify(self.labels["total"], format_money(total), COLUMNS))

    def show_total(self, total: int) -> None:
        self.show(self.labels["due"], format_money(total).rjust(COLUMNS))

    def show_change(self, paid: int, change: int) -> None:
        self.show(justify(self.labels["paid"], format_money(paid), COLUMNS),
                  justify(self.labels["change"], format_money(change), COLUMNS))


class EpsonDisplay(CustomerDisplay):
    """An ESC/POS pole display on a pyserial port (path, socket://, rfc2217://, pty)."""

    def __init__(self, port: str, settings: dict | None = None, codepage: str = "cp866",
                 codepage_table: int = 17, lang: str = "ru") -> None:
        super().__init__(lang)
        self.port_url = port
        self.settings = settings or {"baudrate": 9600}
        self.codepage, self.codepage_table = codepage, codepage_table
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()

    def _write(self, data: bytes) -> None:
        with self._lock:
            try:
                if self._port is None:
                    self._port = serial.serial_for_url(self.port_url, timeout=1.0,
                                                       write_timeout=2.0, **self.settings)
                    self._port.write(INIT + b"\x1bt" + bytes([self.codepage_table])
                                     + OVERWRITE)
                self._port.write(data)
                self._port.flush()
            except (ValueError, OSError) as exc:  # SerialException is an OSError
                self._drop()
                raise DisplayError(f"Customer display on {self.port_url} failed: {exc}") \
                    from exc

    def show(self, line1: str, line2: str = "") -> None:
        rows = [encode_text(fit(clean(text), COLUMNS), self.codepage) for text in (line1, line2)]
        self._write(_cursor(1, 1) + rows[0] + _cursor(1, 2) + rows[1])

    def clear(self) -> None:
        self._write(CLEAR)

    def _drop(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except OSError:
                pass
            self._port = None

    def close(self) -> None:
        with self._lock:
            self._drop()


class DummyDisplay(CustomerDisplay):
    """``dummy:``: remembers what would be shown (demo without hardware)."""

    def __init__(self, lang: str = "ru") -> None:
        super().__init__(lang)
        self.lines = ("", "")

    def show(self, line1: str, line2: str = "") -> None:
        self.lines = (fit(clean(line1), COLUMNS), fit(clean(line2), COLUMNS))

    def clear(self) -> None:
        self.lines = ("", "")


def open_display(url: str, lang: str = "ru") -> CustomerDisplay | None:
    """The display for a URL; ``None`` for an empty URL. The port opens on first use."""
    spec = parse_serial_port_url(url, device_keys=("codepage", "codepage_table"))
    if spec is None:
        return None
    if spec.dummy:
        return DummyDisplay(lang)
    codepage = spec.options.get("codepage", "cp866")
    try:
        "".encode(codepage)
        table = int(spec.options.get("codepage_table", "17"))
    except (LookupError, ValueError):
        raise ValueError(f"bad codepage or codepage_table in device URL {url!r}") from None
    return EpsonDisplay(spec.port, spec.serial.as_kwargs(), codepage, table, lang)
