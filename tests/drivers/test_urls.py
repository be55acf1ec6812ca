"""Device URLs: every documented form parses; every wrong one fails naming the URL."""

import pytest

from drivers.urls import parse_drawer_url, parse_printer_url, parse_serial_port_url


def test_tcp_url_defaults_to_port_9100_cp866_table_17():
    spec = parse_printer_url("escpos+tcp://10.0.0.5")
    assert (spec.transport, spec.host, spec.port) == ("tcp", "10.0.0.5", 9100)
    assert (spec.codepage, spec.codepage_table, spec.columns) == ("cp866", 17, 42)


def test_tcp_url_with_port_profile_and_columns():
    spec = parse_printer_url("escpos+tcp://printer.local:9101?profile=TM-T88V&columns=48")
    assert (spec.host, spec.port, spec.profile, spec.columns) == (
        "printer.local", 9101, "TM-T88V", 48)


def test_ipv6_host():
    spec = parse_printer_url("escpos+tcp://[::1]:9100")
    assert spec.host == "::1"


def test_columns_default_comes_from_the_profile():
    assert parse_printer_url("escpos+tcp://h?profile=TM-T20II").columns == 48
    assert parse_printer_url("escpos+tcp://h?profile=ZJ-5870").columns == 32


def test_codepage_table_from_profile_and_explicit_override():
    assert parse_printer_url("dummy:?codepage=cp1251&profile=TM-T88V").codepage_table == 46
    spec = parse_printer_url("dummy:?codepage=cp1251&codepage_table=73")
    assert (spec.codepage, spec.codepage_table) == ("cp1251", 73)


def test_serial_path_with_line_settings():
    spec = parse_printer_url("escpos+serial:///dev/ttyUSB0?baudrate=19200&parity=E&bytesize=7"
                             "&stopbits=2&xonxoff=1&rtscts=0")
    assert spec.transport == "serial" and spec.device == "/dev/ttyUSB0"
    assert spec.serial.as_kwargs() == {"baudrate": 19200, "bytesize": 7, "parity": "E",
                                       "stopbits": 2, "xonxoff": True, "rtscts": False}


@pytest.mark.parametrize("url, port", [
    ("escpos+serial:socket://127.0.0.1:5000?baudrate=9600", "socket://127.0.0.1:5000"),
    ("escpos+serial:rfc2217://10.0.0.7:2217?ign_set_control", "rfc2217://10.0.0.7:2217"
                                                              "?ign_set_control"),
    ("escpos+serial:socket://h:1?logging=debug&columns=32", "socket://h:1?logging=debug"),
    ("escpos+serial://COM3", "COM3"),
    ("escpos+serial:/dev/ttyS1", "/dev/ttyS1"),
])
def test_serial_wraps_any_pyserial_url_and_keeps_its_own_options(url, port):
    assert parse_printer_url(url).device == port


def test_usb_ids_are_hex():
    spec = parse_printer_url("escpos+usb://04b8:0202?profile=TM-T88V")
    assert (spec.vendor_id, spec.product_id, spec.where) == (0x04B8, 0x0202, "04b8:0202")


def test_file_dir_and_dummy():
    assert parse_printer_url("escpos+file:///dev/usb/lp0").device == "/dev/usb/lp0"
    assert parse_printer_url("file:///var/spool/receipts").transport == "dir"
    assert parse_printer_url("dummy:").transport == "dummy"


def test_empty_url_means_no_device():
    assert parse_printer_url("") is None
    assert parse_printer_url("   ") is None
    assert parse_serial_port_url("") is None
    assert parse_drawer_url("") is None


@pytest.mark.parametrize("url, fragment", [
    ("http://printer:9100", "unknown printer scheme"),
    ("printer", "no scheme"),
    ("escpos+tcp://", "HOST"),
    ("escpos+tcp://h:99999", "bad port"),
    ("escpos+tcp://h?columns=40", "columns=40"),
    ("escpos+tcp://h?colums=42", "unknown parameter 'colums'"),
    ("escpos+tcp://h?baudrate=9600", "unknown parameter 'baudrate'"),
    ("escpos+tcp://h?profile=NOPE", "unknown printer profile"),
    ("escpos+tcp://h?codepage=klingon", "unknown code page"),
    ("escpos+tcp://h?profile=ZJ-5870&codepage=cp1251", "codepage_table=N"),
    ("escpos+tcp://h?drawer_pin=3", "drawer_pin"),
    ("escpos+usb://zz:01", "VID:PID"),
    ("escpos+usb://04b8", "VID:PID"),
    ("escpos+serial:http://x", "not a pyserial URL scheme"),
    ("escpos+serial:", "no serial port"),
    ("escpos+serial:///dev/ttyS0?parity=X", "parity"),
    ("escpos+serial:///dev/ttyS0?baudrate=fast", "baudrate='fast'"),
    ("escpos+serial:///dev/ttyS0?stopbits=3", "stopbits"),
    ("escpos+serial:///dev/ttyS0?xonxoff=maybe", "xonxoff"),
    ("escpos+file://relative/path", "ABSOLUTE"),
    ("dummy:xyz", "dummy:"),
])
def test_bad_printer_urls_name_the_url(url, fragment):
    with pytest.raises(ValueError) as err:
        parse_printer_url(url)
    assert repr(url) in str(err.value)
    assert fragment in str(err.value)


@pytest.mark.parametrize("url, port, baud", [
    ("/dev/ttyUSB1?baudrate=19200", "/dev/ttyUSB1", 19200),
    ("socket://127.0.0.1:5000", "socket://127.0.0.1:5000", 9600),
    ("rfc2217://10.0.0.9:2217?baudrate=4800", "rfc2217://10.0.0.9:2217", 4800),
    ("loop://?logging=debug", "loop://?logging=debug", 9600),
])
def test_serial_device_urls(url, port, baud):
    spec = parse_serial_port_url(url)
    assert (spec.port, spec.serial.baudrate) == (port, baud)


def test_serial_device_dummy_and_device_keys():
    assert parse_serial_port_url("dummy:").dummy
    spec = parse_serial_port_url("/dev/ttyS3?codepage_table=17", device_keys=("codepage_table",))
    assert spec.port == "/dev/ttyS3" and spec.options == {"codepage_table": "17"}


@pytest.mark.parametrize("url", ["http://scale", "?baudrate=9600", "/dev/ttyS0?baudrate=0"])
def test_bad_serial_device_urls(url):
    with pytest.raises(ValueError, match="device URL"):
        parse_serial_port_url(url)


def test_drawer_urls():
    assert parse_drawer_url("printer:") == "printer"
    assert parse_drawer_url("dummy:") == "dummy"
    with pytest.raises(ValueError, match="'usb:'"):
        parse_drawer_url("usb:")
