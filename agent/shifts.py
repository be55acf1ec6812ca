"""Shifts: open with opening cash, cash in/out, X report any time, Z report at close.

One open shift per register is enforced by the database (a unique ``open_marker`` that
holds the register id while the shift is open), not only by a check in Python.
"""

from __future__ import annotations

from peewee import fn

from . import clock, outbox, sql
from .errors import Conflict, Invalid
from .models import CashMove, Payment, Refund, Sale, SaleReturn, Shift
from .money import format_major, require_amount

METHODS = ("cash", "card", "advance")  # advance: prepaid on the site, never in the drawer


def current(register_id: str) -> Shift | None:
    row = sql.one("SELECT * FROM shift WHERE open_marker = ?", (register_id,))
    return Shift(**row) if row else None


def require_open(register_id: str) -> Shift:
    shift = current(register_id)
    if shift is None:
        raise Conflict("no open shift on this register: open a shift first", code="no_open_shift")
    return shift


def open_shift(store, session, opening_cash) -> dict:
    opening_cash = require_amount(opening_cash, "opening_cash")
    register_id = session.register_id
    with store.db.write():
        if current(register_id):
            raise Conflict("a shift is already open on this register", code="shift_open")
        number = (Shift.select(fn.MAX(Shift.number)).where(Shift.register_id == register_id)
                  .scalar() or 0) + 1
        shift = Shift.create(register_id=register_id, number=number, cashier=session.cashier,
                             opened_at=clock.iso(), opening_cash=opening_cash,
                             open_marker=register_id,
                             fiscal_cash_status=(  # deposited on the register (внесение)
                                 "pending" if store.fiscal_enabled and opening_cash else None))
        outbox.emit("shift.opened", {"shift_id": shift.id, "number": number,
                                     "register_id": register_id, "opening_cash": opening_cash,
                                     "cashier": session.cashier.login})
    store.notify("shift.opened", shift_id=shift.id, cashier_name=session.cashier.name)
    return {"shift_id": shift.id, "number": number, "register_id": register_id,
            "opening_cash": opening_cash, "opened_at": shift.opened_at}


def cash_move(store, session, kind, amount, reason, approval_pin=None,
              approval_login=None) -> dict:
    """Cash into or out of the drawer; out needs a manager unless
    ``[shifts] cash_out_needs_manager`` is false."""
    if kind not in ("in", "out"):
        raise Invalid("kind must be in or out", field="kind")
    amount = require_amount(amount, "amount", allow_zero=False)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("reason is required", field="reason")
    approver = session.cashier
    if kind == "out" and store.config.get("shifts", "cash_out_needs_manager"):
        from . import cashiers
        approver = cashiers.approve(store, session, "taking cash out", approval_pin,
                                    approval_login)
    with store.db.write():
        shift = require_open(session.register_id)
        if kind == "out" and amount > report(shift)["expected_cash"]:
            raise Conflict("there is not that much cash in the drawer", field="amount",
                           code="not_enough_cash")
        CashMove.create(shift=shift, kind=kind, amount=amount, reason=reason.strip()[:200],
                        cashier=session.cashier, created_at=clock.iso(),
                        fiscal_status="pending" if store.fiscal_enabled else None)
        outbox.emit("cash.moved", {"shift_id": shift.id, "kind": kind, "amount": amount,
                                   "reason": reason.strip()[:200],
                                   "cashier": session.cashier.login,
                                   "approved_by": approver.login})
        x = report(shift)
    store.notify("cash.moved", kind=kind, amount=amount)
    return x


def require_cash(shift: Shift, refunds) -> None:
    """A cash refund is paid from the drawer: never more than the cash it should hold."""
    cash = sum(a for m, a in refunds if m == "cash")
    there = report(shift)["expected_cash"]
    if cash > there:
        raise Conflict(f"not enough cash in the drawer for a refund of {format_major(cash)}: "
                       f"it should hold {format_major(max(there, 0))}", field="refunds",
                       code="not_enough_cash", expected_cash=there)


def report(shift: Shift) -> dict:
    """The X report: what the shift did so far, and the cash that should be in the drawer."""
    counted = (Sale.shift == shift.id) & (Sale.fiscal_status.is_null()
                                          | (Sale.fiscal_status != "voided"))
    sales = Sale.select(fn.COUNT(Sale.id), fn.SUM(Sale.total), fn.SUM(Sale.change),
                        fn.SUM(Sale.bonus_redeemed)).where(counted).tuples().get()
    sales_count, sales_total, change, redeemed = (v or 0 for v in sales)
    paid = dict(Payment.select(Payment.method, fn.SUM(Payment.amount)).join(Sale)
                .where(counted).group_by(Payment.method).tuples())
    rets = SaleReturn.select(fn.COUNT(SaleReturn.id), fn.SUM(SaleReturn.total)).where(
        SaleReturn.shift == shift.id).tuples().get()
    returns_count, returns_total = (v or 0 for v in rets)
    refunded = dict(Refund.select(Refund.method, fn.SUM(Refund.amount)).join(SaleReturn)
                    .where(SaleReturn.shift == shift.id).group_by(Refund.method).tuples())
    moved = dict(CashMove.select(CashMove.kind, fn.SUM(CashMove.amount))
                 .where(CashMove.shift == shift.id).group_by(CashMove.kind).tuples())
    by_method = {}
    for m in METHODS:
        got = (paid.get(m) or 0) - (change if m == "cash" else 0)
        back = refunded.get(m) or 0
        by_method[m] = {"sales": got, "refunds": back, "net": got - back}
    expected = (shift.opening_cash + by_method["cash"]["net"] + (moved.get("in") or 0)
                - (moved.get("out") or 0))
    return {
        "shift_id": shift.id, "number": shift.number, "register_id": shift.register_id,
        "opened_at": shift.opened_at, "closed_at": shift.closed_at,
        "cashier": shift.cashier.login, "opening_cash": shift.opening_cash,
        "sales_count": sales_count, "sales_total": sales_total,
        "returns_count": returns_count, "returns_total": returns_total,
        "bonus_redeemed": redeemed, "by_method": by_method,
        "cash_in": moved.get("in") or 0, "cash_out": moved.get("out") or 0,
        "expected_cash": expected,
    }


def x_report(session) -> dict:
    shift = current(session.register_id)
    if shift is None:
        raise Conflict("no open shift on this register", code="no_open_shift")
    return report(shift)


def close_shift(store, session, counted_cash) -> dict:
    counted_cash = require_amount(counted_cash, "counted_cash")
    with store.db.write():
        shift = current(session.register_id)
        if shift is None:
            raise Conflict("no open shift on this register", code="no_open_shift")
        shift.closed_at = clock.iso()
        shift.closed_by = session.cashier
        shift.counted_cash = counted_cash
        shift.open_marker = None
        if store.fiscal_enabled:  # the register's Z follows, on the fiscal worker
            shift.fiscal_z_status = "pending"
        shift.save()
        z = report(shift)
        z.update(counted_cash=counted_cash, difference=counted_cash - z["expected_cash"],
                 closed_by=session.cashier.login)
        outbox.emit("shift.closed", z)
    store.notify("shift.closed", shift_id=shift.id)
    return z
