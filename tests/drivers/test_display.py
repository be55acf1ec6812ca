"""Customer display over a real pty, against the virtual 2x20 display."""

import pytest

from drivers.display import DisplayError, DummyDisplay, open_display


@pytest.fixture
def display(display_emu):
    d = open_display(f"{display_emu.port}?baudrate=9600")
    yield d
    d.close()


def test_init_selects_cp866_and_overwrite_mode(display, display_emu):
    display.show("Привет", "")
    display_emu.wait_for_screen("Привет")
    assert bytes(display_emu.received).startswith(b"\x1b@\x1bt\x11\x1f\x01")
    assert "Привет".encode("cp866") in display_emu.received


def test_show_item(display, display_emu):
    display.show_item("Молоко 3,2% 1 л", "2.000", 17980, 33005)
    display_emu.wait_for_screen("2x Молоко 3,2 179,80", "ИТОГО         330,05")


def test_show_weighed_item(display, display_emu):
    display.show_item("Яблоки Гала", "0.755", 15025, 15025, unit="kg")
    display_emu.wait_for_screen("0,755 кг Ябло 150,25", "ИТОГО         150,25")


def test_single_piece_has_no_quantity_prefix(display, display_emu):
    display.show_item("Хлеб", "1.000", 5990, 5990)
    display_emu.wait_for_screen("Хлеб           59,90")


def test_show_total_and_change(display, display_emu):
    display.show_total(123456)
    display_emu.wait_for_screen("К ОПЛАТЕ", "            1 234,56")
    display.show_change(130000, 6544)
    display_emu.wait_for_screen("Оплачено    1 300,00", "Сдача          65,44")


def test_long_text_is_cut_and_controls_removed(display, display_emu):
    display.show("Очень длинное название товара", "a\x1b@b\x0cc")
    assert display_emu.wait_for_screen("Очень длинное назван", "a @b c") == (
        "Очень длинное назван", "a @b c              ")


def test_clear(display, display_emu):
    display.show("x", "y")
    display_emu.wait_for_screen("x", "y")
    display.clear()
    display_emu.wait_for_screen("", "")


def test_english_labels(display_emu):
    display = open_display(display_emu.port, lang="en")
    display.show_change(50000, 1234)
    display_emu.wait_for_screen("Paid          500,00", "Change         12,34")
    display.close()


def test_missing_port_is_a_display_error_naming_the_port():
    display = open_display("/dev/nonexistent-display-tty")
    with pytest.raises(DisplayError, match="nonexistent-display-tty"):
        display.show("a", "b")


def test_dummy_and_empty_urls():
    assert open_display("") is None
    dummy = open_display("dummy:")
    assert isinstance(dummy, DummyDisplay)
    dummy.show_total(100)
    assert dummy.lines == ("К ОПЛАТЕ".ljust(20), "1,00".rjust(20))
