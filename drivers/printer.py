"""Receipt printers: one interface, one small class per transport, chosen by URL.

The agent calls ``print_receipt(receipt)`` and never sees a byte. Every failure is one
``PrinterError`` with a sentence a cashier or technician can act on, so the print spooler
can show it and retry. A call is safe to repeat: each job opens its own connection, and
nothing is sent to a printer that reports it is out of paper, open or in error (after
ESC/POS real-time status, DLE EOT). When a printer answers status, the job is confirmed by a
status answer after it, a connection dropped mid-job is an error, and a printer that once
answered and now stays silent (a hung interface) gets nothing. A printer that never answers
status (some clones) is trusted once the bytes are written. A retry after a mid-job failure
prints the whole receipt again.

Transports are python-escpos printer classes (Network, Serial, Usb, File, Dummy); serial
printers are opened through pyserial's ``serial_for_url`` so ``socket://`` and
``rfc2217://`` work too. See ``drivers.urls`` for the URL forms.
"""

from __future__ import annotations

import errno
import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import tzinfo
from enum import Enum

from drivers.escpos_job import DLE_EOT, kick_bytes
from drivers.receipt_layout import receipt_escpos, receipt_html, receipt_text
from drivers.urls import PrinterURL

__all__ = ["PrinterError", "PrinterState", "PrinterStatus", "ReceiptPrinter",
           "EscposPrinter"]

log = logging.getLogger(__name__)


class PrinterError(Exception):
    """A print job or drawer kick failed; ``str(err)`` is the message for people.
    ``retryable`` is False when printing the same receipt again cannot help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.text = message
        self.retryable = retryable

    # the core's device-failure contract (agent.ports.DeviceFailure)
    @property
    def retry_safe(self) -> bool:
        return self.retryable

    @property
    def needs_person(self) -> bool:
        return not self.retryable

    def message(self, lang: str) -> str:
        return self.text


class PrinterState(str, Enum):
    ONLINE = "online"
    OFFLINE = "offline"
    PAPER_OUT = "paper_out"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterState
    message: str

    @property
    def ready(self) -> bool:
        """True when a job may be sent (online, or no way to know)."""
        return self.state in (PrinterState.ONLINE, PrinterState.UNKNOWN)


class ReceiptPrinter(ABC):
    """What the agent needs from a receipt printer."""

    columns: int = 42
    lang: str = "ru"
    tz: tzinfo | None = None

    @abstractmethod
    def print_receipt(self, receipt: dict) -> None:
        """Print one receipt (docs/receipt-shape.md) or raise PrinterError."""

    @abstractmethod
    def open_drawer(self) -> None:
        """Kick the cash drawer wired to this printer, or raise PrinterError."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer how it is; never raises."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device; jobs open their own connections, so usually a no-op."""

    def preview_text(self, receipt: dict) -> str:
        """The receipt as this printer lays it out, in plain text."""
        return receipt_text(receipt, self.columns, self.lang, self.tz)

    def preview_html(self, receipt: dict) -> str:
        """The receipt as this printer lays it out, as escaped HTML."""
        return receipt_html(receipt, self.columns, self.lang, self.tz)


def error_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes: python-escpos and pyserial wrap the OSError that says what
    really happened (refused, EACCES, reset) in their own exceptions."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


class EscposPrinter(ReceiptPrinter):
    """Layout -> bytes -> one write on a python-escpos transport; subclasses open it."""

    kind = "Printer"
    has_back_channel = False  # True where DLE EOT answers can be read (TCP, serial)

    def __init__(self, spec: PrinterURL, lang: str = "ru", tz: tzinfo | None = None) -> None:
        self.spec, self.columns, self.lang, self.tz = spec, spec.columns, lang, tz
        self._lock = threading.Lock()
        self._talks = False  # it has answered DLE EOT: silence from now on is a fault

    # -- transport hooks ------------------------------------------------------------
    @abstractmethod
    def _open_device(self):
        """Return an opened python-escpos printer object (raises on failure)."""

    def _query(self, device, command: bytes, timeout: float) -> int | None:
        """Send a real-time status command; the answer byte, or None if none came."""
        return None

    def _permission_hint(self) -> str:
        return "check the device permissions of the agent's user"

    # -- the contract -----------------------------------------------------------------
    def render(self, receipt: dict) -> bytes:
        """The job's bytes; a receipt that cannot be laid out is not retryable."""
        try:
            return receipt_escpos(receipt, self.columns, self.lang, self.tz,
                                  self.spec.codepage, self.spec.codepage_table,
                                  self.spec.profile)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PrinterError(f"Cannot lay out the receipt: {exc!r}", retryable=False) from exc

    def print_receipt(self, receipt: dict) -> None:
        self._send(self.render(receipt))

    def open_drawer(self) -> None:
        self._send(kick_bytes(self.spec.drawer_pin))

    def status(self) -> PrinterStatus:
        with self._lock:
            try:
                device = self._open_device()
            except Exception as exc:  # noqa: BLE001 - status never raises
                return PrinterStatus(PrinterState.OFFLINE, self._explain(exc))
            try:
                return self._read_status(device)[0]
            except Exception as exc:  # noqa: BLE001
                return PrinterStatus(PrinterState.OFFLINE, self._explain(exc))
            finally:
                self._close_device(device)

    # -- machinery --------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        with self._lock:
            try:
                device = self._open_device()
            except Exception as exc:
                raise PrinterError(self._explain(exc)) from exc
            try:
                status, answered = self._read_status(device)
                if not status.ready:  # nothing sent: a retry cannot print twice
                    raise PrinterError(status.message)
                device._raw(data)
                if answered and self._query(device, DLE_EOT + b"\x01",
                                            self.spec.timeout) is None:
                    raise PrinterError(f"{self.kind} {self.spec.where} stopped answering during "
                                       f"the job: check it, then print again if needed")
            except PrinterError:
                raise
            except Exception as exc:
                raise PrinterError(self._explain(exc, during_job=True)) from exc
            finally:
                self._close_device(device)

    def _close_device(self, device) -> None:
        try:
            device.close()
        except Exception:  # noqa: BLE001 - closing must not hide the real outcome
            log.debug("closing %s failed", self.spec.where, exc_info=True)

    def _status_byte(self, device, n: int) -> int | None:
        value = self._query(device, DLE_EOT + bytes([n]), self.spec.status_timeout)
        # Every real-time status byte has bits 1 and 4 set and bits 0 and 7 clear.
        return value if value is not None and value & 0x93 == 0x12 else None

    def _read_status(self, device) -> tuple[PrinterStatus, bool]:
        """(status, whether the printer answered at all), from DLE EOT 1/4 (and 2)."""
        where = f"{self.kind} {self.spec.where}"
        printer = self._status_byte(device, 1) if self.has_back_channel else None
        if printer is None:
            if self.has_back_channel and self._talks:
                return PrinterStatus(PrinterState.OFFLINE, f"{where} accepts the connection "
                                     f"but does not answer: switch it off and on"), False
            if self.has_back_channel:
                return PrinterStatus(PrinterState.ONLINE,
                                     f"{where} is connected (it does not report status)"), False
            return PrinterStatus(PrinterState.UNKNOWN,
                                 f"{where} is connected (no status channel)"), False
        self._talks = True
        paper = self._status_byte(device, 4) or 0x12
        if paper & 0x60:
            return PrinterStatus(PrinterState.PAPER_OUT,
                                 f"{where} is out of paper: load a new roll"), True
        if printer & 0x08:
            cause = self._status_byte(device, 2) or 0x12
            if cause & 0x20:
                return PrinterStatus(PrinterState.PAPER_OUT,
                                     f"{where} is out of paper: load a new roll"), True
            if cause & 0x04:
                return PrinterStatus(PrinterState.OFFLINE,
                                     f"{where} cover is open: close it"), True
            if cause & 0x40:
                return PrinterStatus(PrinterState.OFFLINE, f"{where} reports an error: switch "
                                     f"it off and on, check for a paper jam"), True
            return PrinterStatus(PrinterState.OFFLINE, f"{where} is offline"), True
        if paper & 0x0C:
            return PrinterStatus(PrinterState.ONLINE, f"{where} is ready; paper is running "
                                 f"low"), True
        return PrinterStatus(PrinterState.ONLINE, f"{where} is ready"), True

    def _explain(self, exc: BaseException, during_job: bool = False) -> str:
        """One sentence for people from whatever the transport raised."""
        where = f"{self.kind} {self.spec.where}"
        chain = error_chain(exc)
        text = " ".join(str(e) for e in chain)
        codes = {getattr(e, "errno", None) for e in chain}
        names = {type(e).__name__ for e in chain}
        if isinstance(exc, PrinterError):
            return exc.text
        if errno.ECONNREFUSED in codes or "ConnectionRefusedError" in names:
            return f"{where} is offline: connection refused (is it switched on and connected?)"
        if errno.EACCES in codes or "PermissionError" in names or "Errno 13" in text \
                or "Access denied" in text or "insufficient permissions" in text:
            return f"No permission to open {where}: {self._permission_hint()}"
        if names & {"ConnectionResetError", "BrokenPipeError", "ConnectionAbortedError"} or \
                errno.ECONNRESET in codes or errno.EPIPE in codes or "disconnected" in text \
                or type(exc) is ConnectionError:
            return (f"{where} dropped the connection during the job; the receipt may be "
                    f"incomplete: print it again" if during_job else
                    f"{where} dropped the connection")
        if names & {"TimeoutError", "timeout", "SerialTimeoutException"} or "timed out" in text:
            return f"{where} did not answer within {self.spec.timeout:g} s"
        if names & {"gaierror"}:
            return f"{where}: host name cannot be resolved"
        if codes & {errno.EHOSTUNREACH, errno.ENETUNREACH}:
            return f"{where} is unreachable: check the network"
        if errno.ENOENT in codes or "FileNotFoundError" in names or "No such file" in text:
            return f"{where} not found: is it plugged in and switched on?"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{where} failed: {first}"
