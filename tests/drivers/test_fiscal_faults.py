"""Faults on the link and in the register: never two fiscal receipts for one sale, and a
message the cashier understands for everything else. Journal counts are the proof."""

from __future__ import annotations

import pytest

from drivers.fiscal import (
    Category,
    DeviceError,
    LinkDown,
    LinkLost,
    NotExecuted,
    OutcomeUnknown,
    ReceiptNotFiscalized,
)
from drivers.fiscal.shtrih import ShtrihRegister

from .test_fiscal_support import BOTH_LINKS, FAST, emulated, receipt

pytestmark = pytest.mark.timeout(30)
FF45, FF46 = 0xFF45, 0xFF46


def _one_receipt(emu, result) -> dict:
    docs = emu.receipts()
    assert len(docs) == 1, f"expected exactly one fiscal receipt, journal has {len(docs)}"
    assert result.document_number == docs[0]["fd"]
    assert result.fiscal_sign == str(docs[0]["fiscal_sign"])
    return docs[0]


# --- the link breaks in the middle of a receipt ---------------------------------------------

@BOTH_LINKS
def test_link_dropped_after_close_executed_returns_the_existing_receipt(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        emu.drop_link(FF45, execute=True)  # the register fiscalises, the answer is lost
        result = reg.fiscalize(receipt(1))
        assert result.recovered
        doc = _one_receipt(emu, result)
        assert doc["total"] == result.total
        assert emu.executed(FF45) == 1  # FF45 was never resent
        assert reg.pending_attempts == {}
        # the agent retries anyway (say it crashed before storing the answer): same receipt
        again = reg.fiscalize(receipt(1))
        assert again.document_number == result.document_number
        assert len(emu.receipts()) == 1 and emu.executed(FF45) == 1


def test_a_fiscalised_sale_is_never_fiscalised_again(tmp_path) -> None:
    state = tmp_path / "fiscal-state.json"
    with emulated("tcp", FAST + f"&state_path={state}", shift_open=True) as (emu, reg):
        first = reg.fiscalize(receipt(1))
        assert reg.fiscalize(receipt(1)).fiscal_sign == first.fiscal_sign
        fresh = ShtrihRegister(reg.link.url, timeout=0.6, state_path=str(state))
        try:  # after an agent restart too
            assert fresh.fiscalize(receipt(1)).document_number == first.document_number
        finally:
            fresh.close()
        assert len(emu.receipts()) == 1
        reg.fiscalize(receipt(2))  # another sale is another receipt
        anonymous = {**receipt(3), "sale_id": None}  # no identity: each call is a new sale
        reg.fiscalize(anonymous)
        reg.fiscalize(anonymous)
        assert len(emu.receipts()) == 4


@BOTH_LINKS
def test_link_dropped_before_close_cancels_and_retry_makes_one_receipt(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        emu.drop_link(FF45, execute=False)  # lines registered, close never arrives
        with pytest.raises(ReceiptNotFiscalized) as info:
            reg.fiscalize(receipt(1))
        assert info.value.retry_safe
        assert emu.receipts() == []
        assert [e["type"] for e in emu.events] == ["cancelled_receipt"]
        assert not reg.status().receipt_open
        result = reg.fiscalize(receipt(1))  # the retry
        _one_receipt(emu, result)
        assert not result.recovered


@BOTH_LINKS
def test_link_dropped_after_a_line_executed(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        emu.drop_link(FF46, execute=True, skip=1)  # the second line's answer is lost
        with pytest.raises(ReceiptNotFiscalized):
            reg.fiscalize(receipt(1))
        assert emu.receipts() == [] and emu.events[0]["type"] == "cancelled_receipt"
        assert len(emu.events[0]["lines"]) == 2
        _one_receipt(emu, reg.fiscalize(receipt(1)))


@BOTH_LINKS
def test_register_unreachable_after_close_then_retry_finds_the_receipt(transport: str,
                                                                       tmp_path) -> None:
    state = tmp_path / "fiscal-pending.json"
    with emulated(transport, FAST + f"&state_path={state}", shift_open=True,
                  register_kwargs={"recovery_attempts": 1}) as (emu, reg):
        emu.drop_link(FF45, execute=True, offline=True)
        with pytest.raises(OutcomeUnknown) as info:
            reg.fiscalize(receipt(1))
        assert info.value.retry_safe and info.value.category is Category.LINK
        assert len(reg.pending_attempts) == 1 and state.exists()
        assert len(emu.receipts()) == 1  # it *was* fiscalised; we just could not see it

        emu.go_online()
        # a restarted agent: a fresh driver object that only shares the state file
        fresh = ShtrihRegister(reg.link.url, timeout=0.6, control_timeout=0.25,
                               byte_timeout=0.3, state_path=str(state))
        try:
            result = fresh.fiscalize(receipt(1))
        finally:
            fresh.close()
        assert result.recovered
        _one_receipt(emu, result)
        assert fresh.pending_attempts == {} and emu.executed(FF45) == 1


@BOTH_LINKS
def test_port_closed_under_the_driver_is_reopened(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        reg.link.port.close()  # e.g. USB-serial adapter re-plugged
        _one_receipt(emu, reg.fiscalize(receipt(1)))


@BOTH_LINKS
def test_state_changing_command_is_never_resent_on_a_lost_answer(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        emu.drop_link(0x50, execute=True)
        with pytest.raises(LinkLost) as info:
            reg.link.execute(0x50, (30).to_bytes(4, "little") + (500).to_bytes(5, "little"))
        assert not info.value.retry_safe
        assert emu.executed(0x50) == 1
        # cash in through the register API: a lost answer is settled from the doc counter
        emu.drop_link(0x50, execute=True)
        reg.cash_in(700)
        emu.drop_link(0x51, execute=False)
        with pytest.raises(NotExecuted):
            reg.cash_out(100)
        assert [e["amount"] for e in emu.events] == [500, 700]


# --- noisy links ---------------------------------------------------------------------------

@BOTH_LINKS
def test_nak_storm_is_survived_and_a_longer_one_fails_safely(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        emu.nak_storm(3)
        _one_receipt(emu, reg.fiscalize(receipt(1)))
        assert reg.link.stats["nak"] == 3
        emu.nak_storm(1000)
        with pytest.raises(LinkDown) as info:
            reg.fiscalize(receipt(2))
        assert info.value.retry_safe and "связи" in info.value.ru
        emu.nak_storm(0)
        reg.fiscalize(receipt(2))
        assert len(emu.receipts()) == 2 and emu.executed(FF45) == 2


@BOTH_LINKS
def test_garbage_bytes_and_garbled_answers(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        emu.inject_garbage(20)
        emu.corrupt_answers(20)  # every answer arrives once with a bad LRC, then again
        _one_receipt(emu, reg.fiscalize(receipt(1)))
        assert reg.link.stats["garbage"] > 0 and reg.link.stats["bad_answer"] > 0
        assert emu.link_stats["resent"] > 0 and emu.executed(FF45) == 1


@BOTH_LINKS
def test_lost_ack_bytes_do_not_double_anything(transport: str) -> None:
    with emulated(transport, shift_open=True) as (emu, reg):
        emu.lose_ack(100)
        _one_receipt(emu, reg.fiscalize(receipt(1)))
        reg.cash_in(100)
        assert emu.executed(FF45) == 1 and emu.executed(0x50) == 1
        assert reg.link.stats["ack_lost"] > 5


# --- the register says no ----------------------------------------------------------------

def test_paper_out_then_paper_back() -> None:
    with emulated("pty", shift_open=True) as (emu, reg):
        emu.paper_out()
        assert reg.status().paper_out
        with pytest.raises(DeviceError) as info:
            reg.fiscalize(receipt(1))
        assert info.value.category is Category.PAPER and info.value.code == 0x6B
        assert "Нет бумаги" in info.value.ru and "paper" in info.value.en
        assert emu.receipts() == [] and not reg.status().receipt_open
        emu.paper_in()
        _one_receipt(emu, reg.fiscalize(receipt(1)))


def test_paper_runs_out_while_printing_and_printing_continues() -> None:
    with emulated("pty", shift_open=True) as (emu, reg):
        emu.paper_out_after_next_print()
        reg.fiscalize(receipt(1))  # fiscalised; the paper ended while it printed
        with pytest.raises(DeviceError) as info:
            reg.fiscalize(receipt(2))
        assert info.value.category is Category.PAPER
        emu.paper_in()  # now the register waits for "continue print" (submode 3)
        assert reg.status().waiting_continue_print
        reg.fiscalize(receipt(2))  # the driver sends 0xB0 itself
        assert emu.executed(0xB0) == 1 and len(emu.receipts()) == 2


def test_paper_error_at_close_cancels_the_receipt() -> None:
    with emulated("pty", shift_open=True) as (emu, reg):
        emu.fail_command(FF45, 0x6B)
        with pytest.raises(ReceiptNotFiscalized) as info:
            reg.fiscalize(receipt(1))
        assert info.value.category is Category.PAPER and info.value.cause.code == 0x6B
        assert emu.receipts() == [] and not reg.status().receipt_open
        _one_receipt(emu, reg.fiscalize(receipt(1)))


def test_wait_for_continue_print_answer_is_handled_by_the_codec() -> None:
    with emulated("pty", shift_open=True) as (emu, reg):
        emu.fail_command(FF46, 0x58)
        _one_receipt(emu, reg.fiscalize(receipt(1)))
        assert emu.executed(0xB0) == 1


def test_wrong_password_gives_a_clear_message() -> None:
    with emulated("pty", FAST + "&password=99") as (emu, reg):
        with pytest.raises(DeviceError) as info:
            reg.status()
        assert info.value.code == 0x4F and info.value.category is Category.PASSWORD
        assert "пароль" in info.value.ru.lower() and not info.value.retry_safe


def test_shift_states() -> None:
    with emulated("pty") as (emu, reg):
        with pytest.raises(DeviceError) as info:
            reg.fiscalize(receipt(1))
        assert info.value.code == 0x3D and info.value.category is Category.SHIFT
        assert "откройте смену" in info.value.ru
        reg.open_shift("Петров")
        emu.expire_shift()
        assert reg.status().shift_expired
        with pytest.raises(DeviceError) as info:
            reg.fiscalize(receipt(1))
        assert info.value.code == 0x4E and "24 час" in info.value.ru
        assert reg.z_report().receipts == 0
        reg.open_shift("Петров")
        _one_receipt(emu, reg.fiscalize(receipt(1)))


def test_fiscal_storage_errors_are_explained() -> None:
    with emulated("pty", shift_open=True) as (emu, reg):
        emu.set_fn_error(0x14)
        with pytest.raises(ReceiptNotFiscalized) as info:
            reg.fiscalize(receipt(1))
        assert info.value.category is Category.FISCAL_STORAGE
        assert "ФН" in info.value.ru
        assert emu.receipts() == [] and not reg.status().receipt_open


def test_receipt_left_open_by_a_crash_is_cancelled_first() -> None:
    with emulated("tcp", shift_open=True) as (emu, reg):
        plan = reg.plan(receipt(9))
        op = plan.operations[0]
        reg.cmd.operation_v2(op_type=op.op_type, qty_micro=op.qty_micro, price=op.price,
                             amount=op.amount, vat_byte=op.vat_byte, department=0,
                             payment_method=4, subject=1, name="из прошлой жизни")
        assert reg.status().receipt_open
        _one_receipt(emu, reg.fiscalize(receipt(1)))
        assert emu.events[0]["type"] == "cancelled_receipt"


def test_bad_receipts_never_reach_the_register() -> None:
    with emulated("pty", shift_open=True) as (emu, reg):
        before = dict(emu.device.executed)
        short = receipt(1)
        short["payments"] = [{"method": "cash", "amount": short["total"] - 1}]
        with pytest.raises(ValueError) as info:  # ConfigError is a ValueError
            reg.fiscalize(short)
        assert info.value.category is Category.PAYMENTS
        assert dict(emu.device.executed) == before
