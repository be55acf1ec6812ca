"""Returns against an original sale: partial or full, never more than is left to return.

Amounts (and bonuses) are shared out cumulatively: a return of ``q`` of a line's ``Q`` when
``r`` was already returned refunds ``share(amount, r+q, Q) - share(amount, r, Q)``.  Each
piece is rounded, yet the pieces of a fully returned line always add up to the line exactly.
Needs a manager: the session's own role, or a manager's approval PIN.
"""

from __future__ import annotations

from collections import defaultdict

from peewee import fn

from . import cashiers, chain_customers, clock, outbox, shifts, stock
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .models import Refund, ReturnLine, Sale, SaleLine, SaleReturn
from .money import parse_qty, qty_str, require_amount, share

METHODS = ("cash", "card")
#: "advance": the part of a collected pick-up order the site took in advance.  The store never
#: pays it out: the return receipt gives the prepayment back to the customer (register sum 14,
#: full settlement) and the hub shows it on the order for the site to refund to its card.
REFUND_METHODS = (*METHODS, "advance")


def returned_milli(line_id: int) -> int:
    return ReturnLine.select(fn.SUM(ReturnLine.qty_milli)).where(
        ReturnLine.sale_line == line_id).scalar() or 0


def _returned_sums(line_id: int) -> tuple[int, int, int]:
    row = ReturnLine.select(fn.SUM(ReturnLine.qty_milli), fn.SUM(ReturnLine.amount),
                            fn.SUM(ReturnLine.bonus_reversed), fn.SUM(ReturnLine.bonus_restored)
                            ).where(ReturnLine.sale_line == line_id).tuples().get()
    return row[0] or 0, row[2] or 0, row[3] or 0


def refundable_by_method(sale: Sale) -> dict[str, int]:
    """What each method may still refund: paid by it (cash net of change) minus refunds."""
    paid = defaultdict(int)
    for p in sale.payments:
        paid[p.method] += p.amount
    paid["cash"] -= sale.change
    back = dict(Refund.select(Refund.method, fn.SUM(Refund.amount)).join(SaleReturn)
                .where(SaleReturn.sale == sale.id).group_by(Refund.method).tuples())
    return {m: paid[m] - (back.get(m) or 0) for m in REFUND_METHODS}


def _parse_lines(sale: Sale, lines) -> list[tuple[SaleLine, int]]:
    if not isinstance(lines, list) or not lines:
        raise Invalid("lines must be a non-empty list", field="lines")
    wanted = defaultdict(int)
    for i, line in enumerate(lines):
        f = f"lines[{i}]"
        if not isinstance(line, dict):
            raise Invalid(f"{f} must be an object", field=f)
        line_id = line.get("line_id")
        if isinstance(line_id, bool) or not isinstance(line_id, int):
            raise Invalid(f"{f}.line_id must be a line id of the sale", field=f"{f}.line_id")
        wanted[line_id] += parse_qty(line.get("qty"), f"{f}.qty")
    out = []
    for line_id, qty in wanted.items():
        sl = SaleLine.get_or_none((SaleLine.id == line_id) & (SaleLine.sale == sale.id))
        if sl is None:
            raise Invalid(f"line {line_id} is not a line of sale {sale.id}", field="lines")
        if sl.unit == "pcs" and qty % 1000:
            raise Invalid(f"line {line_id}: return a whole number of pieces", field="lines")
        out.append((sl, qty))
    return out


def _allocate_refunds(refunds, total: int, room: dict[str, int]) -> list[tuple[str, int]]:
    if refunds is None:  # back the way it was paid: the site's advance, card, then cash
        out, left = [], total
        for method in ("advance", "card", "cash"):
            part = min(left, max(room.get(method, 0), 0)) if method != "cash" else left
            if part > 0:
                out.append((method, part))
                left -= part
        return out
    if not isinstance(refunds, list) or (not refunds and total):
        raise Invalid("refunds must be a list of {method, amount}", field="refunds")
    out, by_method = [], defaultdict(int)
    for i, r in enumerate(refunds):
        f = f"refunds[{i}]"
        if not isinstance(r, dict) or r.get("method") not in REFUND_METHODS:
            raise Invalid(f"{f}.method must be cash, card or advance", field=f"{f}.method")
        amount = require_amount(r.get("amount"), f"{f}.amount", allow_zero=False)
        out.append((r["method"], amount))
        by_method[r["method"]] += amount
    if sum(by_method.values()) != total:
        raise Invalid(f"refunds must add up to the return total {total}", field="refunds",
                      code="refund_mismatch", total=total)
    if by_method["card"] > room["card"]:
        raise Invalid("more is refunded to card than was paid by card", field="refunds",
                      code="refund_exceeds_card")
    if by_method["advance"] > room.get("advance", 0):
        raise Invalid("more is refunded to the site's advance than the sale settled",
                      field="refunds", code="refund_exceeds_advance")
    return out


def _require_not_voided(sale: Sale) -> None:
    """A voided sale already gave its goods and money back: nothing is left to return.  A
    sale the register refused has no fiscal receipt a return receipt could undo."""
    if sale.fiscal_status == "voided":
        raise Conflict(f"sale {sale.id} was voided: its goods are already back in stock, "
                       "nothing can be returned", field="sale_id", code="sale_voided")
    if sale.fiscal_status == "failed":
        raise Conflict(f"the fiscal register never took sale {sale.id}: retry it or void it "
                       "instead of a return", field="sale_id", code="sale_not_fiscalized")


def commit(store, session, body: dict) -> tuple[dict, bool]:
    client_ref = require_client_ref(body)
    existing = SaleReturn.get_or_none(SaleReturn.client_ref == client_ref)
    if existing:
        return get(existing.id), False
    sale_id = body.get("sale_id")
    if isinstance(sale_id, bool) or not isinstance(sale_id, int):
        raise Invalid("sale_id must be the id of the original sale", field="sale_id")
    sale = Sale.get_or_none(Sale.id == sale_id)
    if sale is None:
        raise NotFound(f"no sale {sale_id}", field="sale_id")
    _require_not_voided(sale)
    wanted = _parse_lines(sale, body.get("lines"))
    approver = cashiers.approve(store, session, "a return", body.get("approval_pin"),
                                body.get("approval_login"))
    if sale.customer_phone and sale.bonus_earned:
        # the hub's balance now (never inside the transaction): a bonus this sale earned and
        # the customer spent elsewhere meanwhile is withheld from the refund, not overdrawn
        chain_customers.refreshed(store, sale.customer_phone)
    with store.db.write():
        existing = SaleReturn.get_or_none(SaleReturn.client_ref == client_ref)
        if existing:
            return get(existing.id), False
        shift = shifts.require_open(session.register_id)
        _require_not_voided(Sale.get_by_id(sale.id))  # voided meanwhile
        parts, total = [], 0
        for sl, qty in wanted:
            done_qty, done_rev, done_res = _returned_sums(sl.id)
            if done_qty + qty > sl.qty_milli:
                raise Conflict(f"line {sl.id} ({sl.name}): only {qty_str(sl.qty_milli - done_qty)} "
                               "left to return", field="lines", code="return_exceeds_sale",
                               line_id=sl.id)
            upto = done_qty + qty
            net = sl.amount - sl.discount
            amount = share(net, upto, sl.qty_milli) - share(net, done_qty, sl.qty_milli)
            reversed_ = share(sl.bonus_earned, upto, sl.qty_milli) - done_rev
            restored = share(sl.discount, upto, sl.qty_milli) - done_res
            parts.append((sl, qty, amount, reversed_, restored))
            total += amount
        owed, restored = sum(p[3] for p in parts), sum(p[4] for p in parts)
        withheld = 0
        if sale.customer_phone and owed:
            from . import loyalty
            withheld = loyalty.settle_return(sale.customer_phone, owed, restored, total)
        total -= withheld
        refunds = _allocate_refunds(body.get("refunds"), total, refundable_by_method(sale))
        shifts.require_cash(shift, refunds)
        shift.last_receipt_number += 1
        shift.save()
        now = clock.iso()
        ret = SaleReturn.create(
            client_ref=client_ref, sale=sale, shift=shift, number=shift.last_receipt_number,
            cashier=session.cashier, approved_by=approver, total=total,
            bonus_reversed=owed - withheld, bonus_restored=restored, bonus_withheld=withheld,
            fiscal_status=store.fiscal_initial_status(), created_at=now)
        for sl, qty, amount, rev, res in parts:
            ReturnLine.create(sale_return=ret, sale_line=sl, qty_milli=qty, amount=amount,
                              bonus_reversed=rev, bonus_restored=res)
            stock.record_move(sl.product_id, "return", qty, sale_id=sale.id, return_id=ret.id,
                              at=now)
        for method, amount in refunds:
            Refund.create(sale_return=ret, method=method, amount=amount)
        outbox.emit("sale.returned", {
            "return_id": ret.id, "sale_id": sale.id, "client_ref": client_ref,
            "number": ret.number, "shift_id": shift.id, "register_id": session.register_id,
            "cashier": session.cashier.login, "approved_by": approver.login, "total": total,
            "customer_phone": sale.customer_phone, "bonus_reversed": ret.bonus_reversed,
            "bonus_restored": ret.bonus_restored, "bonus_withheld": withheld, "created_at": now,
            "lines": [{"line_id": sl.id, "sku": sl.sku, "qty": qty_str(q), "amount": a,
                       "bonus_reversed": rv, "bonus_restored": rs}
                      for sl, q, a, rv, rs in parts],
            "refunds": [{"method": m, "amount": a} for m, a in refunds]})
        if sale.customer_phone and (ret.bonus_reversed or ret.bonus_restored):
            from . import loyalty
            loyalty.post_return(store, sale, ret)
    store.notify("return.committed", return_id=ret.id)
    return get(ret.id), True


def get(return_id: int) -> dict:
    ret = SaleReturn.get_or_none(SaleReturn.id == return_id)
    if ret is None:
        raise NotFound(f"no return {return_id}", field="return_id")
    out = {
        "return_id": ret.id, "sale_id": ret.sale_id, "kind": ret.kind,
        "client_ref": ret.client_ref,
        "number": ret.number, "shift_id": ret.shift_id, "cashier": ret.cashier.login,
        "approved_by": ret.approved_by.login, "approved_by_name": ret.approved_by.name,
        "total": ret.total,
        "bonus_reversed": ret.bonus_reversed, "bonus_restored": ret.bonus_restored,
        "bonus_withheld": ret.bonus_withheld, "created_at": ret.created_at,
        "lines": [{"line_id": rl.sale_line_id, "sku": rl.sale_line.sku, "name": rl.sale_line.name,
                   "qty": qty_str(rl.qty_milli), "amount": rl.amount} for rl in ret.lines]
        + [{"line_id": it.origin_line_id, "sku": it.sku, "name": it.name,
            "qty": qty_str(it.qty_milli), "price": it.price, "amount": it.amount}
           for it in ret.items],
        "refunds": [{"method": r.method, "amount": r.amount} for r in ret.refunds],
    }
    if ret.kind != "sale":
        out.update(reason=ret.reason, customer={"name": ret.customer_name,
                                                "document": ret.customer_document})
        if ret.origin_store:
            out["origin"] = {"store_id": ret.origin_store, "sale": ret.origin_sale}
    if ret.fiscal_status is not None:
        out["fiscal"] = {"status": ret.fiscal_status, "document_number": ret.fiscal_document_number,
                         "fiscal_sign": ret.fiscal_sign, "error": ret.fiscal_error}
    return out

