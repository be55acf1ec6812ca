"""Unit tests without a register: frames, error table, receipt planning, URLs, dummy."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from drivers.fiscal import (
    Category,
    ConfigError,
    DeviceError,
    LinkLost,
    NotExecuted,
    describe_error,
    open_fiscal,
    parse_fiscal_url,
)
from drivers.fiscal.dummy import DummyRegister
from drivers.fiscal.errors import ERRORS
from drivers.fiscal.protocol import (
    STX,
    Timeouts,
    build_frame,
    command_bytes,
    lrc,
    split_command,
)
from drivers.fiscal.receipt import line_amount, plan_receipt, qty_to_micro
from drivers.fiscal.shtrih import ShtrihRegister

from .test_fiscal_support import CASHIER, FAST, emulated, line, receipt

pytestmark = pytest.mark.timeout(30)


# --- link layer framing ----------------------------------------------------------------------

def test_frame_layout_and_lrc() -> None:
    body = command_bytes(0x10) + (30).to_bytes(4, "little")
    frame = build_frame(body)
    assert frame == bytes([STX, 5, 0x10, 30, 0, 0, 0, 5 ^ 0x10 ^ 30])
    assert lrc(frame[1:-1]) == frame[-1]
    assert command_bytes(0xFF46) == b"\xff\x46"
    assert split_command(b"\xff\x45\x00rest") == (0xFF45, b"\x00rest")
    assert split_command(b"\x10\x00") == (0x10, b"\x00")
    with pytest.raises(ValueError):
        build_frame(b"x" * 256)


def test_timeouts_per_command() -> None:
    t = Timeouts()
    assert t.for_command(0x10) == 10 and t.for_command(0x41) == 30 and t.for_command(0x40) == 30
    assert t.for_command(0xFF45) == 10


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, category, words", [
    (0x6B, Category.PAPER, "бумаги"), (0x4E, Category.SHIFT, "24"),
    (0x3D, Category.SHIFT, "откройте смену"), (0x4A, Category.RECEIPT_STATE, "Открыт чек"),
    (0x55, Category.RECEIPT_STATE, "закрыт"), (0x45, Category.PAYMENTS, "Оплата"),
    (0x4F, Category.PASSWORD, "пароль"), (0x37, Category.UNSUPPORTED, "не поддерживается"),
    (0x05, Category.FISCAL_STORAGE, "истёк"), (0x06, Category.FISCAL_STORAGE, "переполнен"),
    (0x14, Category.FISCAL_STORAGE, "исчерпан"), (0x50, Category.PRINTING, "печатает"),
    (0x58, Category.PRINTING, "продолжения печати"),
])
def test_field_notes_error_codes(code: int, category: Category, words: str) -> None:
    info = describe_error(code)
    assert info.category is category
    assert words.lower() in info.ru.lower() and info.en
    err = DeviceError(0xFF46, code)
    assert err.ru == info.ru and f"0x{code:02X}" in err.en


def test_error_table_is_complete_and_unknown_codes_still_read_well() -> None:
    assert len(ERRORS) >= 70
    assert all(i.ru and i.en and i.code == c for c, i in ERRORS.items())
    unknown = describe_error(0xEE)
    assert unknown.category is Category.OTHER and "0xEE" in unknown.ru
    assert not DeviceError(0x10, 0x4F).retry_safe and DeviceError(0x10, 0x6B).retry_safe


# --- receipt planning ----------------------------------------------------------------------------

def test_quantities_are_exact() -> None:
    assert qty_to_micro("0.755") == 755_000 and qty_to_micro("2.000") == 2_000_000
    assert line_amount(19900, 755_000) == 15025  # 150.245 rounds half up
    for bad in (0.5, "0", "-1", "1.0000001", "abc"):
        with pytest.raises(ConfigError):
            qty_to_micro(bad)


def test_plan_maps_vat_payments_and_contact() -> None:
    r = receipt(1, [line("А", "1.000", 100, "20"), line("Б", "1.000", 200, "10"),
                    line("В", "1.000", 300, "0"), line("Г", "1.000", 400, "none"),
                    line("Д", "1.000", 500, "22")],
                payments=[{"method": "cash", "amount": 1000}, {"method": "card", "amount": 400},
                          {"method": "bonus", "amount": 100}],
                customer_phone="+79161234567")
    plan = plan_receipt(r)
    assert [op.vat_byte for op in plan.operations] == [0x01, 0x02, 0x04, 0x08, 0x01]
    assert plan.payments[0] == 1000 and plan.payments[1] == 400 and plan.payments[15] == 100
    assert plan.contact == "+79161234567" and plan.cashier == CASHIER
    assert plan.vat_totals == {"20": 100, "10": 200, "0": 300, "none": 400, "22": 500}
    assert plan_receipt(r, vat_map={"22": 0x40, "20": 1, "10": 2, "0": 4, "none": 8}) \
        .operations[-1].vat_byte == 0x40
    with pytest.raises(ConfigError):
        plan_receipt(r, vat_map={"20": 1, "10": 2, "0": 4, "none": 8})  # 22 not mapped


@pytest.mark.parametrize("mutate, category", [
    (lambda r: r.update(total=r["total"] + 1), Category.DATA),
    (lambda r: r.update(payments=[{"method": "cash", "amount": 1}]), Category.PAYMENTS),
    (lambda r: r.update(payments=[{"method": "card", "amount": 10**7}]), Category.PAYMENTS),
    (lambda r: r.update(payments=[{"method": "crypto", "amount": 10**7}]), Category.DATA),
    (lambda r: r["lines"][0].update(price=89.9), Category.DATA),
    (lambda r: r.update(kind="refund"), Category.DATA),
    (lambda r: r.update(lines=[]), Category.DATA),
])
def test_plan_rejects_bad_receipts(mutate, category: Category) -> None:
    r = receipt(1)
    mutate(r)
    with pytest.raises(ConfigError) as info:
        plan_receipt(r)
    assert info.value.category is category


# --- URLs --------------------------------------------------------------------------------------

def test_register_urls() -> None:
    kind, port, opts = parse_fiscal_url("shtrih+serial:///dev/ttyS0?baudrate=115200&password=30")
    assert (kind, port, opts) == ("shtrih", "/dev/ttyS0", {"baudrate": 115200, "password": 30})
    assert parse_fiscal_url("shtrih+serial://COM3")[1] == "COM3"
    assert parse_fiscal_url("shtrih+tcp://10.0.0.7")[1] == "socket://10.0.0.7:7778"
    _, port, opts = parse_fiscal_url("shtrih+tcp://10.0.0.7:7778?vat22=0x40&pay_bonus=14"
                                     "&timeout=5&state_path=/var/lib/x.json")
    assert port == "socket://10.0.0.7:7778"
    assert opts == {"vat_overrides": {"22": 0x40}, "payment_slot_overrides": {"bonus": 13},
                    "timeout": 5.0, "state_path": "/var/lib/x.json"}
    assert parse_fiscal_url("dummy:")[0] == "dummy"
    for bad in ("atol://x", "shtrih+tcp://", "shtrih+serial://?baudrate=9600",
                "shtrih+tcp://h:1?pasword=30", "shtrih+tcp://h:1?password=abc"):
        with pytest.raises(ConfigError):
            parse_fiscal_url(bad)
    reg = open_fiscal("shtrih+tcp://127.0.0.1:1?timeout=1")
    assert isinstance(reg, ShtrihRegister) and reg.link.port is None  # nothing opened yet
    assert isinstance(open_fiscal("dummy:"), DummyRegister)


# --- dummy register ------------------------------------------------------------------------------

def test_dummy_register_journals_and_never_doubles() -> None:
    reg = open_fiscal("dummy:")
    with pytest.raises(DeviceError) as info:
        reg.fiscalize(receipt(1))
    assert info.value.code == 0x3D
    reg.open_shift(CASHIER)
    first = reg.fiscalize(receipt(1))
    assert reg.fiscalize(receipt(1)) is first and first.simulated
    reg.refund(receipt(1, [line("Молоко", "1.000", 8990, "20")], return_id=3))
    reg.cash_in(5000)
    with pytest.raises(DeviceError):
        reg.cash_out(10**9)
    reg.x_report()
    z = reg.close_shift(CASHIER)
    assert z.receipts == 2 and not reg.status().shift_open
    types = [d["type"] for d in reg.journal]
    assert types == ["shift_open", "receipt", "receipt", "cash_in", "x_report", "shift_close"]
    assert reg.last_document().last_document_number == 6


# --- shift documents, operator, emulator CLI ---------------------------------------------------

def test_interrupted_shift_open_is_completed_on_retry() -> None:
    with emulated("tcp") as (emu, reg):
        emu.fail_command(0xE0, 0x6B)  # the register refuses the open: begun document dropped
        with pytest.raises(DeviceError) as info:
            reg.open_shift(CASHIER)
        assert info.value.category is Category.PAPER and emu.device.pending_doc is None
        emu.drop_link(0xFF41, execute=True)  # the begin's answer is lost
        with pytest.raises(NotExecuted) as lost:
            reg.open_shift(CASHIER)
        assert lost.value.retry_safe and isinstance(lost.value.cause, LinkLost)
        report = reg.open_shift(CASHIER)  # FF41 says 0x02: the driver drops the old one
        assert report.shift_number == 1
        assert [d["type"] for d in emu.journal] == ["shift_open"]
        assert emu.journal[0]["cashier"] == CASHIER


def test_emulator_command_line_demo(tmp_path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "drivers.fiscal.emulator", "--tcp", "0"],
                            stdout=subprocess.PIPE, text=True, cwd=str(tmp_path),
                            env={"PYTHONPATH": str(__import__("pathlib").Path(__file__)
                                                   .resolve().parents[2])})
    try:
        first = proc.stdout.readline()
        assert "shtrih+tcp://127.0.0.1:" in first
        url = first.split("Register URL: ")[1].strip()
        reg = open_fiscal(f"{url}?{FAST}")
        try:
            reg.open_shift(CASHIER)
            assert reg.fiscalize(receipt(1)).document_number == 2
        finally:
            reg.close()
    finally:
        proc.terminate()
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
