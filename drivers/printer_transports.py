"""One small class per printer transport (python-escpos pattern: commands written once in
``EscposPrinter``, each connection its own class). ``open_printer`` picks one by URL."""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, tzinfo

import serial
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial, Usb

from drivers.printer import (
    EscposPrinter,
    PrinterError,
    PrinterState,
    PrinterStatus,
    ReceiptPrinter,
    error_chain,
)
from drivers.receipt_layout import receipt_escpos, receipt_text
from drivers.urls import PrinterURL, parse_printer_url

__all__ = ["DummyPrinter", "FilePrinter", "NetworkPrinter", "SerialPrinter",
           "SpoolDirPrinter", "UsbPrinter"]


class _Network(Network):
    """python-escpos's Network, connecting with ``socket.create_connection``: IPv6 works
    and a failed connect closes its socket (3.1 leaves it open for the GC)."""

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self.device = socket.create_connection((self.host, self.port), self.timeout)
        except OSError as exc:
            self.device = None
            raise DeviceNotFoundError(f"Could not open socket for {self.host}:\n{exc}") \
                from exc


class NetworkPrinter(EscposPrinter):
    """``escpos+tcp://HOST:PORT``: raw TCP (port 9100); status over the same socket."""

    kind = "Network printer"
    has_back_channel = True

    def _open_device(self) -> Network:
        device = _Network(self.spec.host, self.spec.port, timeout=self.spec.timeout,
                          profile=self.spec.profile)
        device.open()
        return device

    def _query(self, device: Network, command: bytes, timeout: float) -> int | None:
        sock = device.device
        sock.settimeout(timeout)
        try:
            sock.sendall(command)
            answer = sock.recv(1)
        except TimeoutError:
            return None
        finally:
            sock.settimeout(self.spec.timeout)
        if not answer:
            raise ConnectionError("the printer closed the connection")
        return answer[0]


class _UrlSerial(Serial):
    """python-escpos's Serial opened with ``serial_for_url`` (paths, socket://, rfc2217://)
    and with a write timeout, so a stalled line raises instead of hanging."""

    def __init__(self, port: str, settings: dict, timeout: float, **kwargs) -> None:
        super().__init__(devfile=port, timeout=timeout, dsrdtr=False, **kwargs)
        self._settings = settings

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self.device = serial.serial_for_url(self.devfile, timeout=self.timeout,
                                                write_timeout=self.timeout, **self._settings)
            self.device.reset_input_buffer()  # a stale status byte must not answer our query
        except (ValueError, OSError) as exc:  # SerialException is an OSError
            self.device = None
            raise DeviceNotFoundError(f"Unable to open serial printer on {self.devfile}:\n"
                                      f"{exc}") from exc

    def close(self) -> None:
        if self._device:
            self._device.close()  # no flush(): tcdrain has no timeout
        self._device = False


class SerialPrinter(EscposPrinter):
    """``escpos+serial:PORT``: RS-232 or a pyserial URL; status on the RX line."""

    kind = "Serial printer"
    has_back_channel = True

    def _permission_hint(self) -> str:
        return "add the agent's user to group dialout (or a udev rule)"

    def _open_device(self) -> _UrlSerial:
        device = _UrlSerial(self.spec.device, self.spec.serial.as_kwargs(),
                            self.spec.timeout, profile=self.spec.profile)
        device.open()
        return device

    def _query(self, device: _UrlSerial, command: bytes, timeout: float) -> int | None:
        port = device.device
        port.timeout = timeout
        try:
            port.write(command)
            answer = port.read(1)
        finally:
            port.timeout = self.spec.timeout
        return answer[0] if answer else None


class _SafeUsb(Usb):
    """python-escpos's Usb whose close() works without pyusb and when never opened
    (the original raises from ``__del__`` then)."""

    def close(self) -> None:
        if self._device:
            super().close()
        self._device = False


class UsbPrinter(EscposPrinter):
    """``escpos+usb://VID:PID`` through pyusb/libusb."""

    kind = "USB printer"

    def _permission_hint(self) -> str:
        return "add a udev rule or run the agent in group lp"

    def _open_device(self) -> Usb:
        device = _SafeUsb(self.spec.vendor_id, self.spec.product_id,
                          timeout=int(self.spec.timeout * 1000), in_ep=self.spec.in_ep,
                          out_ep=self.spec.out_ep, profile=self.spec.profile)
        device.open()
        return device

    def _explain(self, exc: BaseException, during_job: bool = False) -> str:
        text = " ".join(str(e) for e in error_chain(exc))
        if "requires a usb library" in text:
            return (f"Cannot open USB printer {self.spec.where}: the pyusb package (and "
                    f"libusb) is not installed: pip install pyusb")
        message = super()._explain(exc, during_job)
        if "not found or cable not plugged in" in text or "No backend" in text:
            return f"USB printer {self.spec.where} not found: check the cable and power"
        return message


class FilePrinter(EscposPrinter):
    """``escpos+file:///dev/usb/lp0``: a device file (usblp, parallel port)."""

    kind = "Printer device"

    def _permission_hint(self) -> str:
        return "add the agent's user to group lp (or a udev rule)"

    def _open_device(self) -> File:
        device = File(self.spec.device, auto_flush=False, profile=self.spec.profile)
        device.open()
        return device


class DummyPrinter(EscposPrinter):
    """``dummy:``: no printer; each job's bytes are kept in ``jobs`` (demo, tests)."""

    kind = "Dummy printer"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.jobs: list[bytes] = []

    def _open_device(self) -> Dummy:
        return Dummy(profile=self.spec.profile)

    def _close_device(self, device: Dummy) -> None:
        self.jobs.append(device.output)

    def status(self) -> PrinterStatus:
        return PrinterStatus(PrinterState.ONLINE, "Dummy printer: jobs are kept in memory")


class SpoolDirPrinter(ReceiptPrinter):
    """``file:///DIR``: no printer; each receipt becomes ``DIR/<time>-<pid>-<n>.txt`` (what
    the paper would show) and ``.escpos`` (the bytes), each written atomically."""

    def __init__(self, spec: PrinterURL, lang: str = "ru", tz: tzinfo | None = None) -> None:
        self.spec, self.columns, self.lang, self.tz = spec, spec.columns, lang, tz
        self._lock = threading.Lock()
        self._count = 0

    def _fail(self, exc: OSError) -> PrinterError:
        return PrinterError(f"Cannot write receipts to {self.spec.device}: "
                            f"{exc.strerror or exc}")

    def print_receipt(self, receipt: dict) -> None:
        try:
            text = receipt_text(receipt, self.columns, self.lang, self.tz)
            data = receipt_escpos(receipt, self.columns, self.lang, self.tz,
                                  self.spec.codepage, self.spec.codepage_table,
                                  self.spec.profile)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PrinterError(f"Cannot lay out the receipt: {exc!r}", retryable=False) from exc
        with self._lock:
            self._count += 1
            stem = os.path.join(self.spec.device, f"{datetime.now():%Y%m%d-%H%M%S}-"
                                                  f"{os.getpid()}-{self._count:04d}")
            try:
                os.makedirs(self.spec.device, exist_ok=True)
                for suffix, content in ((".escpos", data), (".txt", text.encode("utf-8"))):
                    with open(stem + suffix + ".tmp", "wb") as fh:
                        fh.write(content)
                    os.replace(stem + suffix + ".tmp", stem + suffix)
            except OSError as exc:
                raise self._fail(exc) from exc

    def open_drawer(self) -> None:
        with self._lock:
            try:
                with open(os.path.join(self.spec.device, "drawer.log"), "a") as fh:
                    fh.write(f"{datetime.now().isoformat()} drawer kick\n")
            except OSError as exc:
                raise self._fail(exc) from exc

    def status(self) -> PrinterStatus:
        path = self.spec.device
        if os.path.isdir(path) and os.access(path, os.W_OK):
            return PrinterStatus(PrinterState.ONLINE, f"Receipts are written to {path}")
        return PrinterStatus(PrinterState.OFFLINE,
                             f"Receipt directory {path} is missing or not writable")


def open_printer(url: str, lang: str = "ru", tz: tzinfo | None = None
                 ) -> ReceiptPrinter | None:
    """The printer for a URL (see drivers.urls); ``None`` for an empty URL.

    Nothing is connected here, so a printer that is off at start-up does not stop the
    agent; ``status()`` and the first job tell.
    """
    spec = parse_printer_url(url)
    if spec is None:
        return None
    if lang not in ("ru", "en"):
        raise ValueError(f"lang must be 'ru' or 'en', not {lang!r}")
    cls = {"tcp": NetworkPrinter, "serial": SerialPrinter, "usb": UsbPrinter,
           "file": FilePrinter, "dir": SpoolDirPrinter, "dummy": DummyPrinter}[spec.transport]
    return cls(spec, lang=lang, tz=tz)
