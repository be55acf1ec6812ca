"""The bytes a printer receives: code page, Cyrillic, QR, cut, drawer kick."""

import re
from datetime import timezone

from drivers.emulators.escpos_text import escpos_to_text
from drivers.escpos_job import EscposJob, kick_bytes
from drivers.receipt_layout import receipt_escpos

UTC = timezone.utc
ESC_INIT, ESC_T17 = b"\x1b@", b"\x1bt\x11"


def test_cyrillic_is_sent_in_cp866(sale_receipt):
    data = receipt_escpos(sale_receipt, 42, tz=UTC)
    assert "Молоко 3,2% 1 л".encode("cp866") in data
    assert "Иванова Анна".encode("cp866") in data
    assert "Молоко".encode("utf-8") not in data


def test_every_init_is_followed_by_esc_t_17(sale_receipt):
    job = EscposJob()
    job.init()
    job.line("Первый")
    job.init()  # e.g. a second receipt copy in the same job
    job.line("Второй")
    for data in (receipt_escpos(sale_receipt, 42, tz=UTC), job.data):
        inits = [m.start() for m in re.finditer(re.escape(ESC_INIT), data)]
        assert inits, "no ESC @"
        for at in inits:
            assert data[at + 2 : at + 5] == ESC_T17
    assert escpos_to_text(job.data).split() == ["Первый", "Второй"]


def test_the_decoder_is_faithful_without_esc_t_cyrillic_is_garbage(sale_receipt):
    """If ESC t were missing (the python-escpos 3.1 bug), the emulator would show it."""
    data = receipt_escpos(sale_receipt, 42, tz=UTC)
    assert "Магазин №1" in escpos_to_text(data)
    assert "Магазин" not in escpos_to_text(data.replace(ESC_T17, b""))


def test_other_code_page_and_table(sale_receipt):
    data = receipt_escpos(sale_receipt, 42, tz=UTC, codepage="cp1251", codepage_table=46)
    assert ESC_INIT + b"\x1bt\x2e" in data
    assert "Молоко".encode("cp1251") in data
    assert "Молоко" in escpos_to_text(data)
    # a clone with CP1251 at table 73: the decoder is told the clone's table
    clone = receipt_escpos(sale_receipt, 42, tz=UTC, codepage="cp1251", codepage_table=73)
    assert "Молоко" in escpos_to_text(clone, tables={73: "cp1251"})


def test_characters_missing_from_cp866_degrade_readably(sale_receipt):
    sale_receipt["lines"][0]["name"] = "Сок «Добрый» — 1 л…"
    text = escpos_to_text(receipt_escpos(sale_receipt, 42, tz=UTC))
    assert 'Сок "Добрый" - 1 л...' in text


def test_native_qr_and_cut(full_receipt):
    data = receipt_escpos(full_receipt, 42, tz=UTC, profile="TM-T88V")
    assert b"\x1d(k" in data and full_receipt["qr"].encode() in data
    assert data.endswith(b"\x1dV\x00")
    text = escpos_to_text(data)
    assert f"[QR: {full_receipt['qr']}]" in text and text.rstrip().endswith("[cut]")


def test_qr_is_an_image_on_printers_without_native_qr(full_receipt):
    data = receipt_escpos(full_receipt, 32, tz=UTC, profile="ZJ-5870")
    assert b"\x1d(k" not in data and "[image]" in escpos_to_text(data)


def test_double_size_total_uses_esc_bang(sale_receipt):
    data = receipt_escpos(sale_receipt, 42, tz=UTC)
    assert b"\x1b!\x30" in data  # double width + height for the total


def test_drawer_kick_bytes():
    assert kick_bytes(2) == b"\x1bp\x00\x19\xfa"  # ESC p 0 25 250
    assert kick_bytes(5) == b"\x1bp\x01\x19\xfa"
    assert escpos_to_text(kick_bytes()) == "[drawer]\n"
