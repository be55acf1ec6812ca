"""Property: for any sequence of sales, partial and full returns and redemptions, the balance
is the sum of the ledger and never negative, and a full return restores the balance exactly."""

import itertools
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent import cashiers, loyalty, returns, sales, shifts
from agent.models import BonusEntry

SKUS = ["MILK", "BREAD", "CHEESE", "COFFEE", "WATER"]
_phones = itertools.count(1000000)

op = st.one_of(
    st.tuples(st.just("sale"),
              st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=4),
              st.integers(0, 100)),
    st.tuples(st.just("return"), st.integers(0, 10), st.integers(1, 100)),
    st.tuples(st.just("full_return"), st.integers(0, 10), st.just(0)),
)


def ledger_sum(phone):
    return sum(e.amount for e in BonusEntry.select().where(BonusEntry.customer == phone))


def test_balance_is_the_ledger_and_never_negative(tmp_path):
    from tests.conftest import make_store
    store = make_store(tmp_path / "s", loyalty={"welcome_bonus": 5000, "accrual_percent": 10,
                                                "redeem_cap_percent": 50})
    token, _ = cashiers.login(store, "maria", "9999")
    session = cashiers.session_for(store, token)
    shifts.open_shift(store, session, 0)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(op, min_size=1, max_size=8))
    def run(ops):
        phone = loyalty.create_customer(store, session, f"+7916{next(_phones):07d}")["phone"]
        made = []
        for kind, a, b in ops:
            before = loyalty.balance(phone)
            if kind == "sale":
                lines = [{"sku": s, "qty": q if s != "CHEESE" else f"0.{q}55"} for s, q in a]
                q = sales.quote(store, {"lines": lines, "customer_phone": phone}, session)
                redeem = q["bonus"]["max_redeem"] * b // 100
                q = sales.quote(store, {"lines": lines, "customer_phone": phone,
                                        "redeem_bonus": redeem}, session)
                sale, _ = sales.commit(store, session, {
                    "client_ref": uuid.uuid4().hex, "lines": lines, "customer_phone": phone,
                    "redeem_bonus": redeem,
                    "payments": [{"method": "card", "amount": q["total"]}] if q["total"] else []})
                assert loyalty.balance(phone) == before - redeem + sale["bonus_earned"]
                made.append(sale["sale_id"])
            elif made:
                sale = sales.get(made[a % len(made)])
                lines = [{"line_id": ln["line_id"],
                          "qty": ln["returnable_qty"] if kind == "full_return" else
                          _part(ln["returnable_qty"], b, ln["unit"])}
                         for ln in sale["lines"] if ln["returnable_qty"] != "0.000"]
                lines = [ln for ln in lines if ln["qty"] != "0.000"]
                if lines:
                    returns.commit(store, session, {"client_ref": uuid.uuid4().hex,
                                                    "sale_id": sale["sale_id"], "lines": lines})
            assert loyalty.balance(phone) == ledger_sum(phone) >= 0

    run()
    store.close()


def _part(returnable: str, pct: int, unit: str) -> str:
    milli = int(returnable.replace(".", ""))
    part = max(1, milli * pct // 100)
    if unit == "pcs":
        part = max(1000, part // 1000 * 1000)
    part = min(part, milli)
    return f"{part // 1000}.{part % 1000:03d}"


def test_sale_then_full_return_restores_the_balance_exactly(tmp_path):
    from tests.conftest import make_store
    store = make_store(tmp_path / "s", loyalty={"welcome_bonus": 30000, "accrual_percent": 7,
                                                "redeem_cap_percent": 100})
    token, _ = cashiers.login(store, "maria", "9999")
    session = cashiers.session_for(store, token)
    shifts.open_shift(store, session, 0)

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5)), min_size=1, max_size=5),
           st.integers(0, 100), st.lists(st.integers(1, 99), max_size=3))
    def run(items, redeem_pct, partials):
        phone = loyalty.create_customer(store, session, f"+7916{next(_phones):07d}")["phone"]
        start = loyalty.balance(phone)
        lines = [{"sku": s, "qty": q if s != "CHEESE" else f"{q}.333"} for s, q in items]
        q = sales.quote(store, {"lines": lines, "customer_phone": phone}, session)
        redeem = q["bonus"]["max_redeem"] * redeem_pct // 100
        q = sales.quote(store, {"lines": lines, "customer_phone": phone, "redeem_bonus": redeem},
                        session)
        sale, _ = sales.commit(store, session, {
            "client_ref": uuid.uuid4().hex, "lines": lines, "customer_phone": phone,
            "redeem_bonus": redeem,
            "payments": [{"method": "cash", "amount": q["total"]}] if q["total"] else []})
        refunded = 0
        for pct in partials:  # some partial returns first, then the rest
            current = sales.get(sale["sale_id"])
            part = [{"line_id": ln["line_id"], "qty": _part(ln["returnable_qty"], pct, ln["unit"])}
                    for ln in current["lines"] if ln["returnable_qty"] != "0.000"]
            if part:
                refunded += returns.commit(store, session, {
                    "client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"],
                    "lines": part})[0]["total"]
        current = sales.get(sale["sale_id"])
        rest = [{"line_id": ln["line_id"], "qty": ln["returnable_qty"]}
                for ln in current["lines"] if ln["returnable_qty"] != "0.000"]
        if rest:
            refunded += returns.commit(store, session, {
                "client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"], "lines": rest})[0]["total"]
        assert loyalty.balance(phone) == start == ledger_sum(phone)
        assert refunded == sale["total"]  # money back exactly what was paid in money

    run()
    store.close()
