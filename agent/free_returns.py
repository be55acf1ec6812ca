"""Returns with no sale of this store behind them: without a receipt, or of a sale made in
another store of the chain or online (``origin``).

Without a receipt the customer proves the purchase otherwise; the law wants their name and
identity document on the return, and a manager decides: lines by ``sku`` (or ``barcode``)
with ``qty`` and ``price`` (kopecks per unit; default the catalog price), ``reason``,
``customer: {name, document}``, the manager's approval.  The goods go back on the shelf,
the money out of the drawer (cash unless ``refunds`` say card), a fiscal return receipt is
queued, and one ``return.without_sale`` event tells the hub.

A foreign return (``origin``) is checked by ``agent.foreign_returns`` against the hub and
recorded here the same way, its lines priced as the original sold them.
"""

from __future__ import annotations

from . import cashiers, clock, outbox, shifts, stock
from .catalog import product_by_sku
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .models import Barcode, Product, Refund, ReturnItem, SaleReturn
from .money import format_major, line_amount, parse_qty, qty_str, require_amount

MAX_LINES = 100
MAX_TEXT = 200


def _text(value, field: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{what} is required", field=field, code="required")
    if len(value.strip()) > MAX_TEXT:
        raise Invalid(f"{what} is longer than {MAX_TEXT} characters", field=field)
    return value.strip()


def _product(line: dict, f: str) -> Product:
    code, sku = line.get("barcode"), line.get("sku")
    if isinstance(code, str) and code.strip():
        bc = Barcode.get_or_none(Barcode.code == code.strip())
        if bc is None:
            raise NotFound(f"no product with barcode {code.strip()}", field=f"{f}.barcode")
        return bc.product
    if isinstance(sku, str) and sku.strip():
        return product_by_sku(sku)
    raise Invalid(f"{f} needs a sku or a barcode", field=f"{f}.sku")


def parse_lines(lines) -> list[dict]:
    """Cart-like lines -> ``[{product, qty_milli, price, amount}]``; the price defaults to the
    catalog's and is never zero or negative."""
    if not isinstance(lines, list) or not lines:
        raise Invalid("lines must be a non-empty list", field="lines")
    if len(lines) > MAX_LINES:
        raise Invalid(f"a return may have at most {MAX_LINES} lines", field="lines")
    out = []
    for i, line in enumerate(lines):
        f = f"lines[{i}]"
        if not isinstance(line, dict):
            raise Invalid(f"{f} must be an object", field=f)
        product = _product(line, f)
        qty = parse_qty(line.get("qty", 1), f"{f}.qty")
        if product.unit == "pcs" and qty % 1000:
            raise Invalid(f"{f}.qty must be whole: {product.name} is sold in pieces",
                          field=f"{f}.qty")
        price = line.get("price", product.price)
        if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
            raise Invalid(f"{f}.price must be a positive whole number of kopecks",
                          field=f"{f}.price", code="bad_price")
        require_amount(price, f"{f}.price")
        out.append({"product": product, "qty_milli": qty, "price": price,
                    "amount": line_amount(price, qty), "origin_line_id": None})
    return out


def require_catalog_prices(items: list[dict]) -> None:
    """A line priced by the cashier (no receipt, or another store's sale while the hub is out
    of reach) is refunded at most at the catalog price."""
    for i, it in enumerate(items):
        catalog = it["product"].price
        if it["price"] > catalog:
            raise Conflict(f"lines[{i}]: {it['product'].name} costs {format_major(catalog)} in "
                           f"the catalog; a refund price above it is refused",
                           field=f"lines[{i}].price", code="price_above_catalog",
                           catalog_price=catalog)


def customer(body: dict) -> tuple[str, str]:
    c = body.get("customer")
    if not isinstance(c, dict):
        raise Invalid("customer {name, document} is required for a return without a receipt",
                      field="customer", code="required")
    return (_text(c.get("name"), "customer.name", "the customer's name"),
            _text(c.get("document"), "customer.document", "the customer's identity document"))


def refunds_for(raw, total: int, card_room: int = 0) -> list[tuple[str, int]]:
    """Cash by default; to a card only as far as ``card_room`` (a sale paid by card)."""
    from .returns import _allocate_refunds
    return _allocate_refunds(raw, total, {"cash": total, "card": card_room})


def existing(client_ref: str):
    ret = SaleReturn.get_or_none(SaleReturn.client_ref == client_ref)
    if ret is None:
        return None
    from .returns import get
    return get(ret.id)


def commit_without_receipt(store, session, body: dict) -> tuple[dict, bool]:
    client_ref = require_client_ref(body)
    if (found := existing(client_ref)) is not None:
        return found, False
    items = parse_lines(body.get("lines"))
    reason = _text(body.get("reason"), "reason", "the reason")
    name, document = customer(body)
    total = sum(it["amount"] for it in items)
    refunds = refunds_for(body.get("refunds"), total)
    approver = cashiers.approve(store, session, "a return without a receipt",
                                body.get("approval_pin"), body.get("approval_login"))
    return record(store, session, client_ref, "no_receipt", items, refunds, approver,
                  reason=reason, customer_name=name, customer_document=document)


def record(store, session, client_ref: str, kind: str, items: list[dict], refunds, approver,
           *, reason=None, customer_name=None, customer_document=None, origin_store=None,
           origin_sale=None, extra: dict | None = None, bonus_phone=None,
           bonus_reversed: int = 0, bonus_restored: int = 0) -> tuple[dict, bool]:
    """Write the return, its items, stock moves, refunds and its event in one transaction;
    ``bonus_restored`` (the original's redeemed bonus on these goods) is given back to
    ``bonus_phone`` and ``bonus_reversed`` (its earned bonus on them) then taken back, as far
    as the balance goes."""
    from .returns import get
    total = sum(it["amount"] for it in items)
    if kind == "no_receipt" or (kind == "foreign" and (extra or {}).get("offline")):
        require_catalog_prices(items)
    with store.db.write():
        if (found := existing(client_ref)) is not None:
            return found, False
        shift = shifts.require_open(session.register_id)
        shifts.require_cash(shift, refunds)
        shift.last_receipt_number += 1
        shift.save()
        now = clock.iso()
        ret = SaleReturn.create(
            client_ref=client_ref, sale=None, shift=shift, number=shift.last_receipt_number,
            cashier=session.cashier, approved_by=approver, total=total, bonus_reversed=0,
            bonus_restored=0, bonus_withheld=0, fiscal_status=store.fiscal_initial_status(),
            created_at=now, kind=kind, reason=reason, customer_name=customer_name,
            customer_document=customer_document, origin_store=origin_store,
            origin_sale=origin_sale)
        for it in items:
            p = it["product"]
            ReturnItem.create(sale_return=ret, product=p, sku=p.sku, name=p.name, unit=p.unit,
                              vat=p.vat, price=it["price"], qty_milli=it["qty_milli"],
                              amount=it["amount"], origin_line_id=it["origin_line_id"])
            stock.record_move(p.id, "return", it["qty_milli"], return_id=ret.id, at=now)
        for method, amount in refunds:
            Refund.create(sale_return=ret, method=method, amount=amount)
        if bonus_phone and bonus_restored:
            from . import loyalty
            loyalty.post(store, bonus_phone, "restore", bonus_restored, return_id=ret.id,
                         cashier=session.cashier.login,
                         reason=f"return of {origin_store}:{origin_sale}")
            ret.bonus_restored = bonus_restored
            ret.save()
        if bonus_phone and bonus_reversed:
            from . import loyalty
            taken = min(bonus_reversed, max(0, loyalty.balance(bonus_phone)))
            if taken:
                loyalty.post(store, bonus_phone, "reversal", -taken, return_id=ret.id,
                             cashier=session.cashier.login,
                             reason=f"return of {origin_store}:{origin_sale}")
                ret.bonus_reversed = taken
                ret.bonus_withheld = 0
                ret.save()
        outbox.emit("return.without_sale", {
            "return_id": ret.id, "client_ref": client_ref, "kind": kind, "number": ret.number,
            "shift_id": shift.id, "register_id": session.register_id,
            "cashier": session.cashier.login, "approved_by": approver.login, "total": total,
            "reason": reason, "customer_name": customer_name,
            "customer_document": customer_document, "origin_store": origin_store,
            "origin_sale": origin_sale, "created_at": now, "bonus_reversed": ret.bonus_reversed,
            "bonus_restored": ret.bonus_restored,
            **(extra or {}),
            "lines": [{"sku": it["product"].sku, "name": it["product"].name,
                       "qty": qty_str(it["qty_milli"]), "price": it["price"],
                       "amount": it["amount"], "line_id": it["origin_line_id"]}
                      for it in items],
            "refunds": [{"method": m, "amount": a} for m, a in refunds]})
        cashiers.audit("return.without_sale", approver, return_id=ret.id, kind=kind,
                       for_cashier=session.cashier.login, total=total, reason=reason,
                       origin_store=origin_store, origin_sale=origin_sale)
    store.notify("return.committed", return_id=ret.id)
    return get(ret.id), True
