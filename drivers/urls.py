"""Device URLs from the configuration, parsed and checked once at start-up.

A wrong URL must stop the agent with one message naming the URL, not fail at the first
sale, so every parser here raises ``ValueError("... in device URL '...'")``. An empty
string means "no such device" and parses to ``None``.

Receipt printers::

    escpos+tcp://HOST[:PORT]                 network printer, raw port (default 9100)
    escpos+serial:PORT?baudrate=19200&...    serial printer (PORT rule below)
    escpos+usb://VID:PID                     USB printer, hex ids, e.g. 04b8:0202
    escpos+file:///dev/usb/lp0               a device file (usblp, parallel port)
    file:///var/spool/receipts               no printer: each receipt becomes files in DIR
    dummy:                                   no printer: jobs kept in memory

Serial PORT rule for ``escpos+serial:``: drop the ``escpos+serial:`` prefix; if what is
left starts with ``//``, drop those two slashes as well (the ``file:///path`` habit). What
remains is handed to pyserial's ``serial_for_url`` unchanged, so it is a device path or
any pyserial URL::

    escpos+serial:///dev/ttyUSB0?baudrate=19200  -> /dev/ttyUSB0
    escpos+serial://COM3                         -> COM3
    escpos+serial:socket://10.0.0.7:4001         -> socket://10.0.0.7:4001
    escpos+serial:rfc2217://10.0.0.7:2217        -> rfc2217://10.0.0.7:2217

Query parameters we know (below) are taken out; any other parameter stays on the pyserial
URL (``socket://h:p?logging=debug``). On non-serial printers an unknown parameter is an
error, so a typo never passes silently.

Printer parameters: ``profile`` (python-escpos profile, e.g. TM-T88V), ``columns``
(32, 42 or 48; default from the profile's font A), ``codepage`` (Python codec, default
cp866), ``codepage_table`` (the ESC t number; default: the profile's table for that code
page, 17 for CP866 on Epson), ``timeout`` (seconds to connect and write, default 5),
``status_timeout`` (seconds to wait for a real-time status byte, default 1),
``drawer_pin`` (2 or 5, default 2); USB only: ``in_ep``, ``out_ep``.

Serial parameters (``escpos+serial:``, displays, scales): ``baudrate`` (default 9600),
``bytesize`` (5-8), ``parity`` (N, E, O, M, S), ``stopbits`` (1, 1.5, 2), ``xonxoff``,
``rtscts`` (0/1).

Customer displays and scales take a pyserial port directly: ``/dev/ttyUSB1?baudrate=9600``,
``socket://host:port``, ``rfc2217://host:port``, ``loop://``, or ``dummy:``. Cash drawers
take ``printer:`` (kicked through the receipt printer, the usual wiring) or ``dummy:``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from escpos.capabilities import CAPABILITIES, get_profile

__all__ = [
    "PrinterURL",
    "SerialPortURL",
    "SerialSettings",
    "parse_drawer_url",
    "parse_printer_url",
    "parse_serial_port_url",
]

COLUMNS = (32, 42, 48)
_SERIAL_KEYS = {"baudrate", "bytesize", "parity", "stopbits", "xonxoff", "rtscts"}
_PRINTER_KEYS = {"profile", "columns", "codepage", "codepage_table", "timeout",
                 "status_timeout", "drawer_pin"}
_USB_KEYS = {"in_ep", "out_ep"}
_PYSERIAL_SCHEMES = {"socket", "rfc2217", "loop", "spy", "hwgrep", "alt", "cp2110"}


@dataclass(frozen=True)
class SerialSettings:
    """Line settings for ``serial.serial_for_url``."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    xonxoff: bool = False
    rtscts: bool = False

    def as_kwargs(self) -> dict:
        """Keyword arguments for ``serial.serial_for_url``."""
        stopbits = int(self.stopbits) if self.stopbits in (1, 2) else self.stopbits
        return {"baudrate": self.baudrate, "bytesize": self.bytesize, "parity": self.parity,
                "stopbits": stopbits, "xonxoff": self.xonxoff, "rtscts": self.rtscts}


@dataclass(frozen=True)
class PrinterURL:
    """A parsed printer URL; ``transport`` picks the class in ``drivers.printer``."""

    url: str
    transport: str  # "tcp" | "serial" | "usb" | "file" | "dir" | "dummy"
    host: str | None = None
    port: int | None = None
    device: str | None = None  # serial port / device file / spool directory
    vendor_id: int | None = None
    product_id: int | None = None
    in_ep: int = 0x82
    out_ep: int = 0x01
    serial: SerialSettings | None = None
    profile: str | None = None
    columns: int = 42
    codepage: str = "cp866"
    codepage_table: int = 17
    timeout: float = 5.0
    status_timeout: float = 1.0
    drawer_pin: int = 2

    @property
    def where(self) -> str:
        """How a message names this printer to a person."""
        if self.transport == "tcp":
            return f"{self.host}:{self.port}"
        if self.transport == "usb":
            return f"{self.vendor_id:04x}:{self.product_id:04x}"
        return self.device or self.transport


@dataclass(frozen=True)
class SerialPortURL:
    """A parsed display/scale URL: a pyserial port (or ``dummy``) and line settings."""

    url: str
    port: str | None  # None for dummy
    serial: SerialSettings
    options: dict[str, str] = field(default_factory=dict)  # device keys asked for

    @property
    def dummy(self) -> bool:
        return self.port is None


def _bad(url: str, why: str) -> ValueError:
    return ValueError(f"{why} in device URL {url!r}")


def _split_query(url: str, rest: str) -> tuple[str, list[tuple[str, str, str]]]:
    """Split ``rest`` at the first ``?`` into (base, [(key, value, raw segment)])."""
    base, _, query = rest.partition("?")
    items = []
    for segment in filter(None, query.split("&")):
        key, _, value = segment.partition("=")
        items.append((unquote(key), unquote(value), segment))
    return base, items


def _flag(url: str, key: str, value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise _bad(url, f"{key}={value!r} is not 0/1")


def _number(url: str, key: str, value: str, kind=int, lo=None, hi=None):
    try:
        if kind is int and value.lower().startswith("0x"):
            number = int(value, 16)
        else:
            number = kind(value)
    except ValueError:
        raise _bad(url, f"{key}={value!r} is not a number") from None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise _bad(url, f"{key}={value!r} is out of range")
    return number


def _serial_settings(url: str, params: dict[str, str], default_baud: int) -> SerialSettings:
    parity = params.get("parity", "N").upper()
    if parity not in ("N", "E", "O", "M", "S"):
        raise _bad(url, f"parity={parity!r} is not one of N, E, O, M, S")
    stopbits = _number(url, "stopbits", params.get("stopbits", "1"), float)
    if stopbits not in (1, 1.5, 2):
        raise _bad(url, f"stopbits={params['stopbits']!r} is not 1, 1.5 or 2")
    return SerialSettings(
        baudrate=_number(url, "baudrate", params.get("baudrate", str(default_baud)), int, 50),
        bytesize=_number(url, "bytesize", params.get("bytesize", "8"), int, 5, 8),
        parity=parity,
        stopbits=stopbits,
        xonxoff=_flag(url, "xonxoff", params.get("xonxoff", "0")),
        rtscts=_flag(url, "rtscts", params.get("rtscts", "0")),
    )


def _check_port(url: str, port: str) -> None:
    """A pyserial port must be a known pyserial URL scheme or a device name/path."""
    if not port:
        raise _bad(url, "no serial port given")
    scheme = port.split("://", 1)[0].lower() if "://" in port else None
    if scheme is not None and scheme not in _PYSERIAL_SCHEMES:
        raise _bad(url, f"{scheme}:// is not a pyserial URL scheme "
                        f"(use a device path or one of {', '.join(sorted(_PYSERIAL_SCHEMES))})")


def parse_serial_port_url(url: str, default_baudrate: int = 9600,
                          device_keys: tuple[str, ...] = ()) -> SerialPortURL | None:
    """Parse a display/scale URL; ``""`` gives ``None`` (no device). ``device_keys`` are
    extra query keys the device understands (returned in ``options``, not sent to pyserial).
    """
    url = (url or "").strip()
    if not url:
        return None
    base, items = _split_query(url, url)
    ours = {k: v for k, v, _ in items if k in _SERIAL_KEYS}
    settings = _serial_settings(url, ours, default_baudrate)
    options = {k: v for k, v, _ in items if k in device_keys}
    if base.lower() in ("dummy:", "dummy://"):
        return SerialPortURL(url=url, port=None, serial=settings, options=options)
    _check_port(url, base)
    taken = _SERIAL_KEYS | set(device_keys)
    passthrough = "&".join(seg for k, _, seg in items if k not in taken)
    return SerialPortURL(url=url, port=base + (f"?{passthrough}" if passthrough else ""),
                         serial=settings, options=options)


def parse_drawer_url(url: str) -> str | None:
    """Parse a cash-drawer URL to ``"printer"``, ``"dummy"`` or ``None`` (no drawer)."""
    url = (url or "").strip()
    if not url:
        return None
    kind = url.rstrip("/").rstrip(":").lower()
    if kind in ("printer", "dummy"):
        return kind
    raise _bad(url, "a cash drawer URL must be 'printer:' or 'dummy:'")


def _profile_table(url: str, profile: str | None, codepage: str) -> int:
    """The ESC t table number the profile uses for ``codepage`` (lowest if several)."""
    wanted = codecs.lookup(codepage).name
    tables = []
    for number, name in get_profile(profile).codePages.items():
        enc = CAPABILITIES["encodings"].get(name, {}).get("python_encode") or name
        try:
            if codecs.lookup(enc).name == wanted:
                tables.append(int(number))
        except LookupError:
            continue
    if not tables:
        raise _bad(url, f"profile {profile or 'default'!r} has no code table for {codepage}; "
                        f"give codepage_table=N")
    return min(tables)


def _printer_options(url: str, params: dict[str, str]) -> dict:
    profile = params.get("profile") or None
    if profile is not None and profile not in CAPABILITIES["profiles"]:
        raise _bad(url, f"unknown printer profile {profile!r}")
    codepage = params.get("codepage", "cp866").lower()
    try:
        codecs.lookup(codepage)
    except LookupError:
        raise _bad(url, f"unknown code page {codepage!r}") from None
    if "codepage_table" in params:
        table = _number(url, "codepage_table", params["codepage_table"], int, 0, 255)
    else:
        table = _profile_table(url, profile, codepage)
    if "columns" in params:
        columns = _number(url, "columns", params["columns"], int)
        if columns not in COLUMNS:
            raise _bad(url, f"columns={columns} is not one of 32, 42, 48")
    else:
        columns = get_profile(profile).get_columns("a")
        columns = columns if columns in COLUMNS else 42
    drawer_pin = _number(url, "drawer_pin", params.get("drawer_pin", "2"), int)
    if drawer_pin not in (2, 5):
        raise _bad(url, "drawer_pin must be 2 or 5")
    return {
        "profile": profile, "codepage": codepage, "codepage_table": table, "columns": columns,
        "timeout": _number(url, "timeout", params.get("timeout", "5"), float, 0.01),
        "status_timeout": _number(url, "status_timeout", params.get("status_timeout", "1"),
                                  float, 0.01),
        "drawer_pin": drawer_pin,
    }


def parse_printer_url(url: str) -> PrinterURL | None:
    """Parse a receipt-printer URL; ``""`` gives ``None`` (no printer)."""
    url = (url or "").strip()
    if not url:
        return None
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if not sep:
        raise _bad(url, "no scheme (expected escpos+tcp:, escpos+serial:, escpos+usb:, "
                        "escpos+file:, file: or dummy:)")
    base, items = _split_query(url, rest)
    allowed = _PRINTER_KEYS | (_SERIAL_KEYS if scheme == "escpos+serial" else set())
    allowed |= _USB_KEYS if scheme == "escpos+usb" else set()
    params = {k: v for k, v, _ in items if k in allowed}
    unknown = [k for k, _, _ in items if k not in allowed]
    if unknown and scheme != "escpos+serial":
        raise _bad(url, f"unknown parameter {unknown[0]!r}")
    if scheme == "escpos+serial":
        port = base[2:] if base.startswith("//") else base
        _check_port(url, port)
        passthrough = "&".join(seg for k, _, seg in items if k not in allowed)
        return PrinterURL(url=url, transport="serial",
                          device=port + (f"?{passthrough}" if passthrough else ""),
                          serial=_serial_settings(url, params, 9600),
                          **_printer_options(url, params))
    options = _printer_options(url, params)
    if scheme == "escpos+tcp":
        parts = urlsplit("//" + base[2:] if base.startswith("//") else "//")
        try:
            host, port = parts.hostname, parts.port or 9100
        except ValueError:
            raise _bad(url, "bad port") from None
        if not host or parts.path not in ("", "/"):
            raise _bad(url, "expected escpos+tcp://HOST[:PORT]")
        return PrinterURL(url=url, transport="tcp", host=host, port=port, **options)
    if scheme == "escpos+usb":
        match = re.fullmatch(r"//([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})/?", base)
        if not match:
            raise _bad(url, "expected escpos+usb://VID:PID in hex, e.g. escpos+usb://04b8:0202")
        return PrinterURL(url=url, transport="usb", vendor_id=int(match[1], 16),
                          product_id=int(match[2], 16),
                          in_ep=_number(url, "in_ep", params.get("in_ep", "0x82"), int, 0, 255),
                          out_ep=_number(url, "out_ep", params.get("out_ep", "0x01"), int, 0, 255),
                          **options)
    if scheme in ("escpos+file", "file"):
        if not base.startswith("///"):
            raise _bad(url, f"expected {scheme}:///ABSOLUTE/PATH")
        return PrinterURL(url=url, transport="file" if scheme == "escpos+file" else "dir",
                          device=unquote(base[2:]), **options)
    if scheme == "dummy":
        if base not in ("", "//"):
            raise _bad(url, "expected dummy:")
        return PrinterURL(url=url, transport="dummy", **options)
    raise _bad(url, f"unknown printer scheme {scheme!r} (expected escpos+tcp, escpos+serial, "
                    f"escpos+usb, escpos+file, file or dummy)")
