"""Receipt layout and its text/HTML renderers: what the customer and the cashier read."""

from datetime import timezone
from decimal import Decimal

import pytest

from drivers.emulators.escpos_text import escpos_to_text
from drivers.formatting import format_money, format_qty
from drivers.receipt_layout import (
    QR,
    Cut,
    Text,
    layout_receipt,
    receipt_escpos,
    receipt_html,
    receipt_text,
    rows,
)

UTC = timezone.utc


@pytest.mark.parametrize("kopecks, text", [
    (0, "0,00"), (5, "0,05"), (8990, "89,90"), (123456, "1 234,56"),
    (100000000, "1 000 000,00"), (-500, "-5,00"), (-123456, "-1 234,56"),
])
def test_money_is_formatted_from_integer_kopecks(kopecks, text):
    assert format_money(kopecks) == text


@pytest.mark.parametrize("bad", [12.5, Decimal("1.00"), "100", True])
def test_money_refuses_anything_but_int(bad):
    with pytest.raises(TypeError):
        format_money(bad)


@pytest.mark.parametrize("qty, unit, text", [
    ("2.000", "pcs", "2"), ("1.500", "pcs", "1,500"), ("0.755", "kg", "0,755"),
    ("2", "kg", "2,000"), (Decimal("0.1"), "kg", "0,100"),
])
def test_quantities(qty, unit, text):
    assert format_qty(qty, unit) == text


def test_float_quantity_is_refused():
    with pytest.raises(TypeError):
        format_qty(0.755, "kg")


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_every_row_fits_the_paper(full_receipt, columns):
    for op in layout_receipt(full_receipt, columns, tz=UTC):
        if isinstance(op, Text):
            for row in rows(op, columns):
                assert len(row) <= (columns // 2 if op.double else columns), row


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_receipt_text_has_header_lines_totals_payments(full_receipt, columns):
    text = receipt_text(full_receipt, columns, tz=UTC)
    for expected in ("Магазин №1", "ИНН 7701234567", "КАССОВЫЙ ЧЕК", "ПРИХОД", "Касса 1",
                     "Смена 3", "Чек № 17", "23.11.2026 10:15", "Кассир: Иванова Анна",
                     "Молоко 3,2% 1 л", "2 x 89,90", "=179,80", "0,755 кг x 199,00",
                     "=150,25", "=450,00", "Скидка", "-45,00", "=405,00", "735,05",
                     "в т.ч. НДС 20%", "29,97", "в т.ч. НДС 10%", "13,66", "Картой",
                     "300,00", "Наличными", "500,00", "Сдача", "64,95",
                     "Начислено бонусов", "3,30", "Баланс бонусов", "15,30",
                     "ФД", "42", "ФП", "1234567890", "ФН", "9999078900012345"):
        assert expected in text, expected
    assert "ВОЗВРАТ" not in text
    assert "Списано бонусов" not in text  # nothing redeemed: no zero line


def test_long_names_wrap_instead_of_being_cut(full_receipt):
    text = receipt_text(full_receipt, 32, tz=UTC)
    name = full_receipt["lines"][2]["name"]
    start = text.index("Сыр")
    wrapped = text[start:].split("\n  1 x")[0]
    assert len(wrapped.splitlines()) > 1
    assert " ".join(wrapped.split()) == name


def test_amount_column_is_right_aligned(sale_receipt):
    lines = receipt_text(sale_receipt, 42, tz=UTC).splitlines()
    assert "  2 x 89,90" + " " * 24 + "=179,80" in lines


def test_return_receipt_is_titled_as_return(sale_receipt):
    sale_receipt.update(kind="return", return_id=9, change=0, sale_number=5,
                        sale_shift_number=2, payments=[{"method": "cash", "amount": 33005}])
    text = receipt_text(sale_receipt, 42, tz=UTC)
    assert "ВОЗВРАТ ПРИХОДА" in text
    assert "Возврат по продаже №5 (смена 2)" in text and "№123" not in text  # not the id
    english = receipt_text(sale_receipt, 42, lang="en", tz=UTC)
    assert "RETURN" in english and "Return of sale #5" in english


def test_return_shows_bonuses_taken_back_and_given_back(sale_receipt):
    sale_receipt.update(kind="return", bonus={"earned": -330, "redeemed": -5000,
                                              "balance": 6200})
    text = receipt_text(sale_receipt, 42, tz=UTC)
    assert "Отменено начисление бонусов" in text and "3,30" in text and "-3,30" not in text
    assert "Возвращено бонусов" in text and "50,00" in text
    assert "Bonus accrual reversed" in receipt_text(sale_receipt, 42, lang="en", tz=UTC)


def test_english_labels(sale_receipt):
    text = receipt_text(sale_receipt, 42, lang="en", tz=UTC)
    for expected in ("RECEIPT", "SALE", "Register 1", "Shift 3", "Receipt # 17",
                     "2026-11-23 10:15", "Cashier: Иванова Анна", "0,755 kg x 199,00",
                     "TOTAL", "incl. VAT 20%", "Cash", "Change", "Bonuses earned"):
        assert expected in text, expected
    assert "ИТОГ" not in text


def test_no_customer_no_bonus_section(sale_receipt):
    sale_receipt.update(bonus=None, customer_phone=None, customer_phone_shown=None)
    text = receipt_text(sale_receipt, 42, tz=UTC)
    assert "бонус" not in text.lower() and "Покупатель" not in text


def test_redeemed_bonus_and_masked_phone(sale_receipt):
    sale_receipt["bonus"] = {"earned": 0, "redeemed": 5000, "balance": 100}
    sale_receipt["payments"] = [{"method": "bonus", "amount": 5000},
                           {"method": "card", "amount": 28005}]
    sale_receipt["change"] = 0
    text = receipt_text(sale_receipt, 42, tz=UTC)
    assert "Списано бонусов" in text and "Бонусами" in text and "50,00" in text
    assert "Сдача" not in text  # no cash, no change line
    assert "+7916***4567" in text and "79161234567" not in text


def test_time_is_printed_in_the_given_zone(sale_receipt):
    from datetime import timedelta

    moscow = timezone(timedelta(hours=3))
    assert "23.11.2026 13:15" in receipt_text(sale_receipt, 42, tz=moscow)


def test_qr_and_cut_are_layout_ops(full_receipt):
    ops = layout_receipt(full_receipt, 42, tz=UTC)
    assert QR(full_receipt["qr"]) in ops
    assert isinstance(ops[-1], Cut)


def test_float_money_in_a_receipt_is_refused(sale_receipt):
    sale_receipt["total"] = 330.05
    with pytest.raises(TypeError):
        layout_receipt(sale_receipt, 42)


def test_control_characters_in_names_cannot_inject_printer_commands(sale_receipt):
    sale_receipt["lines"][0]["name"] = "Молоко\x1b@\x1dV\x00\x10\x14\x01\x00\x05"
    data = receipt_escpos(sale_receipt, 42, tz=UTC)
    assert data.count(b"\x1dV") == 1 and data.endswith(b"\x1dV\x00")  # only the real cut
    assert b"\x10\x14" not in data
    assert data.count(b"\x1b@") == 1


def test_html_preview_escapes_everything(sale_receipt):
    evil = "<img src=x onerror=alert(1)>"
    sale_receipt["lines"][0]["name"] = evil
    sale_receipt["store"]["name"] = evil
    sale_receipt["cashier"] = evil
    sale_receipt["qr"] = '"><script>alert(1)</script>'
    page = receipt_html(sale_receipt, 42, tz=UTC)
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'data-qr="&quot;&gt;&lt;script&gt;' in page
    assert page.startswith('<pre class="receipt"') and page.endswith("</pre>")


def test_html_marks_bold_and_double_rows(sale_receipt):
    page = receipt_html(sale_receipt, 42, tz=UTC)
    assert "<b>" in page and 'class="r-double"' in page and "330,05" in page


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_printed_bytes_show_exactly_the_text_preview(full_receipt, columns):
    """The preview is what prints: decode the ESC/POS bytes and compare row by row."""
    preview = receipt_text(full_receipt, columns, tz=UTC).splitlines()
    printed = escpos_to_text(receipt_escpos(full_receipt, columns, tz=UTC)).splitlines()
    assert [r for r in printed if r.strip()] == [r for r in preview if r.strip()]
