"""USB printers: every way opening fails becomes one sentence a technician can act on.

No machine here has a USB printer, so besides the real "pyusb missing" case the failure is
injected at the python-escpos boundary (``escpos.printer.Usb.open``), raised exactly the
way python-escpos 3.1 raises it: a DeviceNotFoundError while handling pyusb's USBError.
"""

import importlib.util

import pytest
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Usb

from drivers.printer import PrinterError, PrinterState
from drivers.printer_transports import open_printer

URL = "escpos+usb://04b8:0202?profile=TM-T88V"
PERMISSION = ("No permission to open USB printer 04b8:0202: add a udev rule or run the "
              "agent in group lp")

try:
    from usb.core import USBError
except ImportError:  # pyusb absent: the same shape (an IOError with errno and strerror)
    class USBError(IOError):
        def __init__(self, strerror, error_code=None, errno=None):
            IOError.__init__(self, errno, strerror)
            self.backend_error_code = error_code


def _escpos_open_failing_with(usb_error):
    """Usb.open as python-escpos 3.1 fails: ``except USBError as e: raise
    DeviceNotFoundError(...)`` (so the USBError is the exception's context)."""

    def open_(self, raise_not_found=True):
        try:
            raise usb_error
        except USBError as e:
            raise DeviceNotFoundError(  # noqa: B904 - implicit chaining, as escpos does
                f"Unable to open USB printer on {tuple(self.usb_args.values())}:\n{e}")

    return open_


@pytest.mark.skipif(importlib.util.find_spec("usb") is not None, reason="pyusb is installed")
def test_missing_pyusb_is_one_clear_message(sale_receipt):
    printer = open_printer(URL)
    with pytest.raises(PrinterError) as err:
        printer.print_receipt(sale_receipt)
    assert str(err.value) == ("Cannot open USB printer 04b8:0202: the pyusb package (and "
                              "libusb) is not installed: pip install pyusb")
    assert printer.status().state is PrinterState.OFFLINE


def test_usb_permission_denied_is_one_clear_message(monkeypatch, sale_receipt):
    monkeypatch.setattr(Usb, "open", _escpos_open_failing_with(
        USBError("Access denied (insufficient permissions)", errno=13)))
    printer = open_printer(URL)
    for action in (lambda: printer.print_receipt(sale_receipt), printer.open_drawer):
        with pytest.raises(PrinterError) as err:
            action()
        assert str(err.value) == PERMISSION
    status = printer.status()
    assert (status.state, status.message) == (PrinterState.OFFLINE, PERMISSION)


def test_usb_printer_not_plugged_in(monkeypatch, sale_receipt):
    def open_(self, raise_not_found=True):
        try:
            raise AssertionError(f"Device {tuple(self.usb_args.values())} not found or cable "
                                 f"not plugged in.")
        except AssertionError as e:
            raise DeviceNotFoundError(  # noqa: B904 - implicit chaining, as escpos does
                f"Unable to open USB printer on {tuple(self.usb_args.values())}:\n{e}")

    monkeypatch.setattr(Usb, "open", open_)
    with pytest.raises(PrinterError) as err:
        open_printer(URL).print_receipt(sale_receipt)
    assert str(err.value) == "USB printer 04b8:0202 not found: check the cable and power"


def test_usb_write_error_during_the_job(monkeypatch, sale_receipt):
    """Opening works, the transfer fails (cable pulled mid-job): still one PrinterError."""
    monkeypatch.setattr(Usb, "open", lambda self, raise_not_found=True: setattr(
        self, "device", object()))
    monkeypatch.setattr(Usb, "close", lambda self: None)

    def raw(self, msg):
        raise USBError("No such device (it may have been disconnected)", errno=19)

    monkeypatch.setattr(Usb, "_raw", raw)
    with pytest.raises(PrinterError) as err:
        open_printer(URL).print_receipt(sale_receipt)
    assert str(err.value) == ("USB printer 04b8:0202 dropped the connection during the job; "
                              "the receipt may be incomplete: print it again")
