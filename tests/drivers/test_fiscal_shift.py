"""Our driver runs a whole shift against the emulator, on a pty and on TCP, and the
emulator's fiscal journal must equal exactly what the agent asked for."""

from __future__ import annotations

import pytest

from drivers.fiscal import DeviceError, ReceiptNotFiscalized, open_fiscal
from drivers.fiscal.emulator import ShtrihEmulator

from .test_fiscal_support import BOTH_LINKS, CASHIER, FAST, emulated, line, receipt, vat_totals

pytestmark = pytest.mark.timeout(30)


def _shift_receipts() -> list[dict]:
    mixed = receipt(1, [line("Молоко 3,2% 1 л", "2.000", 8990, "20"),
                        line("Яблоки Гала", "0.755", 19900, "10"),
                        line("Газета «Вести»", "1.000", 4500, "0"),
                        line("Доставка", "1.000", 30000, "none")],
                    payments=[{"method": "cash", "amount": 40000},
                              {"method": "card", "amount": 27505}],
                    customer_phone="+79161234567")
    # a discounted line (3 x 10.00 for 29.00 -> unit price 9.67) and one no unit price can
    # express within a kopeck (10 x 10.00 for 100.05 -> 9 x 10.00 + 1 x 10.05)
    discounted = receipt(2, [line("Сок 1 л", "3.000", 1000, "20", amount=2900),
                             line("Пакет", "10.000", 1000, "20", amount=10005)],
                         payments=[{"method": "card", "amount": 12905}],
                         customer_email="anna@example.ru")
    refund = receipt(1, [line("Молоко 3,2% 1 л", "1.000", 8990, "20")], kind="return",
                     return_id=7, payments=[{"method": "cash", "amount": 8990}])
    return [mixed, discounted, refund]


@BOTH_LINKS
def test_full_shift_journal_equals_what_was_sent(transport: str) -> None:
    with emulated(transport) as (emu, reg):
        st = reg.status()
        assert not st.shift_open and not st.paper_out
        opened = reg.open_shift(CASHIER)
        assert opened.shift_number == 1 and opened.document_number == 1
        assert reg.open_shift(CASHIER).already_open  # idempotent, no second document

        sent = _shift_receipts()
        results = [reg.sell(sent[0]), reg.fiscalize(sent[1]), reg.refund(sent[2])]
        reg.cash_in(100000)
        reg.cash_out(30000)
        reg.x_report()
        last = reg.last_document()
        closed = reg.z_report(CASHIER)

        docs = emu.journal
        assert [d["type"] for d in docs] == ["shift_open", "receipt", "receipt", "receipt",
                                             "shift_close"]
        assert [d["fd"] for d in docs] == [1, 2, 3, 4, 5]
        assert docs[0]["cashier"] == CASHIER and docs[-1]["cashier"] == CASHIER
        got = [d for d in docs if d["type"] == "receipt"]

        # every result is the register's own document
        for res, doc, src in zip(results, got, sent, strict=True):
            assert res.document_number == doc["fd"]
            assert res.fiscal_sign == str(doc["fiscal_sign"])
            assert res.fn_number == emu.device.fn_number
            assert not res.recovered
            assert doc["kind"] == src["kind"] and doc["total"] == src["total"] == res.total
            assert sum(ln["amount"] for ln in doc["lines"]) == src["total"]
            assert doc["cashier"] == CASHIER
            assert doc["change"] == src["change"]
            assert all(ln["payment_method"] == 4 and ln["subject"] == 1 for ln in doc["lines"])
        assert results[0].change == 0 and results[2].change == 0

        # per-VAT sums and payments
        assert got[0]["vat"] == {"20": 17980, "10": 15025, "0": 4500, "none": 30000}
        assert vat_totals(got) == {"20": 17980 + 12905 + 8990, "10": 15025, "0": 4500,
                                   "none": 30000}
        assert got[0]["payments"] == {"cash": 40000, "card": 27505}
        assert got[1]["payments"] == {"card": 12905}
        assert got[2]["payments"] == {"cash": 8990}
        assert got[0]["contact"] == "+79161234567" and got[1]["contact"] == "anna@example.ru"

        # quantities went as 6-decimal integers; the split line adds up exactly
        assert [(ln["qty_micro"], ln["price"]) for ln in got[0]["lines"][:2]] == \
            [(2_000_000, 8990), (755_000, 19900)]
        assert [(ln["qty_micro"], ln["price"], ln["amount"]) for ln in got[1]["lines"]] == \
            [(3_000_000, 967, 2900), (9_000_000, 1000, 9000), (1_000_000, 1005, 1005)]

        # the counters the agent compares at Z
        assert last.last_document_number == 4 and last.shift_open
        assert closed.shift_number == 1 and closed.receipts == 3
        assert closed.document_number == 5 and docs[-1]["receipts"] == 3
        assert not reg.status().shift_open

        assert [e["type"] for e in emu.events] == ["cash_in", "cash_out", "x_report"]
        assert emu.device.cash == 40000 - 8990 + 100000 - 30000
        assert emu.executed(0xFF45) == 3  # one close per receipt, nothing repeated


def test_qr_text_and_receipt_fiscal_member() -> None:
    with emulated("pty", shift_open=True) as (emu, reg):
        res = reg.fiscalize(receipt(5))
        doc = emu.receipts()[0]
        assert res.as_receipt_fiscal() == {"document_number": doc["fd"],
                                           "fiscal_sign": str(doc["fiscal_sign"]),
                                           "fn": emu.device.fn_number}
        qr = res.qr_text()
        assert f"&s={doc['total'] // 100}.{doc['total'] % 100:02d}&" in qr
        assert f"&i={doc['fd']}&fp={doc['fiscal_sign']}&n=1" in qr
        assert qr.startswith("t=" + doc["datetime"].strftime("%Y%m%dT%H%M"))


def test_vat22_default_is_tax_group_1_and_configurable() -> None:
    r22 = receipt(1, [line("Хлеб", "1.000", 5000, "22")])
    # default: "22" -> 0x01, the standard-rate tax group (the firmware says what rate it is)
    with emulated("pty", shift_open=True, group1_rate="22") as (emu, reg):
        reg.fiscalize(r22)
        assert emu.receipts()[0]["lines"][0]["vat_byte"] == 0x01
        assert emu.receipts()[0]["vat"] == {"22": 5000}
    # configured byte for firmware that encodes 22% differently
    with emulated("tcp", FAST + "&vat22=0x40", shift_open=True,
                  extra_rates={0x40: "22"}) as (emu, reg):
        reg.fiscalize(r22)
        assert emu.receipts()[0]["lines"][0]["vat_byte"] == 0x40
    # a byte the firmware does not know is refused by the register, nothing fiscalised
    with emulated("pty", FAST + "&vat22=0x40", shift_open=True) as (emu, reg):
        with pytest.raises(ReceiptNotFiscalized) as info:
            reg.fiscalize(r22)
        assert isinstance(info.value.cause, DeviceError) and info.value.cause.code == 0x33
        assert "НДС" in info.value.ru
        assert emu.receipts() == [] and not reg.status().receipt_open


def test_open_fiscal_over_tcp_url_and_legacy_emulator_cli_pieces() -> None:
    with ShtrihEmulator("tcp") as emu:
        host, port = emu.address
        reg = open_fiscal(f"shtrih+tcp://{host}:{port}?{FAST}&password=1&admin_password=30")
        try:
            assert reg.status().operator == 1
            assert reg.last_document().fn_number == emu.device.fn_number
        finally:
            reg.close()


def test_firmware_whose_close_answer_has_no_document_number() -> None:
    with emulated("pty", shift_open=True, short_close_answer=True) as (emu, reg):
        res = reg.fiscalize(receipt(1, payments=[{"method": "cash", "amount": 50000}]))
        doc = emu.receipts()[0]
        assert (res.document_number, res.fiscal_sign) == (doc["fd"], str(doc["fiscal_sign"]))
        assert res.change == doc["change"] and not res.recovered
