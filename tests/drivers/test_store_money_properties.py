"""Property (issue 13): any mix of sales (weighed lines, bonus accrual and redemption, split
payments), partial and full returns, voids and shift closes, run through the real store and
the emulated Shtrih-M register, keeps the money straight:

* one register receipt per fiscalised sale and per return, its total the store's total;
* the register's Z counts the receipts the store's Z counts;
* the bonus balance never goes negative; stock on hand equals the sum of its moves.
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from agent import cashiers, loyalty, returns, sales, shifts, sql, voids
from agent.models import Sale, SaleReturn, Shift
from agent.money import qty_str
from drivers.fiscal.emulator import ShtrihEmulator
from pos_ui.process import StoreProcess
from tests.conftest import make_store

FF46 = 0xFF46
PHONE = "+79161234567"
line = st.one_of(
    st.tuples(st.sampled_from(["MILK", "BREAD", "COFFEE", "WATER"]), st.integers(1, 3)),
    st.tuples(st.just("CHEESE"), st.integers(1, 2500)),  # grams on the scale
)


def settle(timeout=30):
    """Wait until the register settled every sale and return (none pending)."""
    deadline = time.monotonic() + timeout
    while (Sale.select().where(Sale.fiscal_status == "pending").exists()
           or SaleReturn.select().where(SaleReturn.fiscal_status == "pending").exists()):
        assert time.monotonic() < deadline, "the fiscal worker never settled"
        time.sleep(0.02)


@pytest.fixture
def till(tmp_path):
    emu = ShtrihEmulator("tcp").start()
    store = make_store(tmp_path / "s", devices={"fiscal": emu.url + "?timeout=2"},
                       loyalty={"welcome_bonus": 20000, "accrual_percent": 5,
                                "redeem_cap_percent": 50})
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    token, _ = cashiers.login(store, "maria", "9999")
    session = cashiers.session_for(store, token)
    loyalty.create_customer(store, session, PHONE)
    yield store, emu, session
    proc.stop()
    store.close()
    emu.stop()


@pytest.mark.timeout(180)
def test_register_and_store_agree_in_any_combination(till):
    store, emu, session = till
    start_stock = dict(sql.database.execute_sql(
        "SELECT product_id, on_hand_milli - COALESCE((SELECT SUM(qty_milli) FROM stock_move m"
        " WHERE m.product_id = s.product_id), 0) FROM stock_level s").fetchall())

    # every shift opens with enough cash for any cash refund (a return of an earlier shift's
    # sale is paid from this shift's drawer, and a refund above the drawer is refused)
    FLOAT = 10_000_000

    class Till(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            if shifts.current(session.register_id) is None:
                shifts.open_shift(store, session, FLOAT)
            self.done_sales: list[int] = []

        @rule(lines=st.lists(line, min_size=1, max_size=3), customer=st.booleans(),
              redeem_pct=st.integers(0, 100), card_pct=st.integers(0, 100),
              refused=st.booleans())
        def sell(self, lines, customer, redeem_pct, card_pct, refused):
            cart = [{"sku": s, "qty": q if s != "CHEESE" else qty_str(q)} for s, q in lines]
            body = {"lines": cart}
            if customer:
                body["customer_phone"] = PHONE
                q = sales.quote(store, body, session)
                body["redeem_bonus"] = q["bonus"]["max_redeem"] * redeem_pct // 100
            total = sales.quote(store, body, session)["total"]
            card = total * card_pct // 100
            cash = total - card
            pays = [p for p in ({"method": "card", "amount": card},
                                {"method": "cash", "amount": -(-cash // 1000) * 1000}) if p["amount"]]
            if refused:  # the register refuses this receipt's operation: a manager voids it
                emu.fail_command(FF46, 0x33)
            sale, created = sales.commit(store, session, {"client_ref": uuid.uuid4().hex,
                                                          "payments": pays, **body})
            assert created and sale["total"] == total
            settle()
            status = Sale.get_by_id(sale["sale_id"]).fiscal_status
            if status == "failed":
                assert refused
                voids.void_sale(store, session, sale["sale_id"])
            else:
                assert status == "done"
                self.done_sales.append(sale["sale_id"])

        @precondition(lambda self: self.done_sales)
        @rule(pick=st.integers(0, 1000), share=st.integers(1, 100), full=st.booleans())
        def give_back(self, pick, share, full):
            sale = sales.get(self.done_sales[pick % len(self.done_sales)])
            wanted = []
            for ln in sale["lines"]:
                left = int(Decimal(ln["returnable_qty"]) * 1000)
                qty = left if full else left * share // 100
                if ln["unit"] == "pcs":
                    qty -= qty % 1000
                if qty > 0:
                    wanted.append({"line_id": ln["line_id"], "qty": qty_str(qty)})
            if not wanted:
                return
            ret, created = returns.commit(store, session, {
                "client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"], "lines": wanted})
            assert created
            settle()
            assert SaleReturn.get_by_id(ret["return_id"]).fiscal_status == "done"

        @rule()
        def close_shift(self):
            shift = shifts.current(session.register_id)
            z = shifts.close_shift(store, session, 0)
            deadline = time.monotonic() + 30
            while Shift.get_by_id(shift.id).fiscal_z_status == "pending":
                assert time.monotonic() < deadline, "the register's Z never came"
                time.sleep(0.02)
            closed = Shift.get_by_id(shift.id)
            assert closed.fiscal_z_status == "done", closed.fiscal_z_error
            assert closed.fiscal_z_receipts == z["sales_count"] + z["returns_count"]
            shifts.open_shift(store, session, FLOAT)

        @invariant()
        def one_register_receipt_each_with_the_stores_total(self):
            by_fd = {r["fd"]: r for r in emu.receipts()}
            docs = [("sale", s.fiscal_document_number, s.total) for s in
                    Sale.select().where(Sale.fiscal_status == "done")]
            docs += [("return", r.fiscal_document_number, r.total) for r in
                     SaleReturn.select().where(SaleReturn.fiscal_status == "done")]
            assert len(by_fd) == len(emu.receipts()) == len(docs)
            for kind, fd, total in docs:
                assert (by_fd[fd]["kind"], by_fd[fd]["total"]) == (kind, total)
                assert sum(ln["amount"] for ln in by_fd[fd]["lines"]) == total

        @invariant()
        def balance_never_negative(self):
            assert loyalty.balance(PHONE) >= 0

        @invariant()
        def stock_is_its_moves(self):
            rows = sql.database.execute_sql(
                "SELECT s.product_id, s.on_hand_milli, COALESCE((SELECT SUM(qty_milli) FROM"
                " stock_move m WHERE m.product_id = s.product_id), 0) FROM stock_level s")
            for pid, on_hand, moved in rows.fetchall():
                assert on_hand == start_stock[pid] + moved

    Till.TestCase.settings = settings(max_examples=20, stateful_step_count=10, deadline=None,
                                      suppress_health_check=list(HealthCheck))
    Till.TestCase("runTest").runTest()
