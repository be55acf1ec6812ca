"""The rules of each event type's payload (``CHECKS``, one function a type): which fields
it must have, their ids, amounts, quantities and texts, and the stock lines it moves
(``[(sku, signed thousandths)]``, the sign the move's on the shelf).  ``agent.event_schema``
runs the one that fits after the walk of every value; the field checks they are made of
and the limits are ``agent.event_fields``.
"""

from __future__ import annotations

import re

from . import event_fields
from .event_fields import (
    MAX_AMOUNT,
    MAX_ID,
    MAX_INT32,
    MAX_MILLI,
    TEXT_LIMITS,
    SchemaError,
    amount,
    ident,
    label,
    optional,
    phone,
    qty_milli,
    whole,
)

LOYALTY_KINDS = ("welcome", "accrual", "redemption", "reversal", "restore", "adjustment", "expiry")
TYPES = ("sale.completed", "sale.voided", "sale.fiscalized", "return.fiscalized",
         "sale.returned", "stock.moved", "stock.counted", "customer.upserted", "loyalty.posted",
         "shift.opened", "shift.closed", "cash.moved", "transfer.sent", "transfer.received",
         "delivery.received", "return.without_sale", "order.status", "order.problem")
ORDER_STATUSES = ("new", "accepted", "assembled", "ready", "collected", "cancelled")
ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# the cache of quantity texts qty_milli() fills, bound by assignment (not ``from ... import``)
# so that CPython 3.11 calls ``_MILLI.get`` without building a bound method for every line
_MILLI = event_fields._MILLI


def _lines(p: dict, positive: bool, sign: int) -> list:
    lines = p.get("lines")
    if not isinstance(lines, list):
        raise SchemaError("lines", "must be a list")
    out = []
    sku_limit = TEXT_LIMITS["sku"]
    for i, ln in enumerate(lines):
        if not isinstance(ln, dict):
            raise SchemaError(f"lines[{i}]", "must be an object")
        # label() and qty_milli() are called (with the field's path) only when the plain
        # case is not proven here: an exact str sku, a quantity text read before, in range
        sku = ln.get("sku")
        if type(sku) is not str or not sku or len(sku) > sku_limit:
            sku = label(sku, f"lines[{i}].sku", limit=sku_limit)
        qty = ln.get("qty")
        milli = _MILLI.get(qty) if type(qty) is str else None
        if milli is None or (positive and milli <= 0) or not -MAX_MILLI <= milli <= MAX_MILLI:
            milli = qty_milli(qty, f"lines[{i}].qty", positive=positive)
        out.append((sku, sign * milli))
    return out


def _sale(p: dict) -> list:
    # Most events are sales: an id or amount that is an int in range passes here; anything
    # else goes to ident() / amount(), which say why (three calls deep for each value).
    value = p.get("sale_id")
    if type(value) is not int or not 0 < value <= MAX_ID:
        ident(value, "sale_id")
    value = p.get("total")
    if type(value) is not int or not 0 <= value <= MAX_AMOUNT:
        amount(value, "total")
    for key in ("subtotal", "paid", "change", "bonus_earned", "bonus_redeemed"):
        value = p.get(key)
        if value is not None and (type(value) is not int or not 0 <= value <= MAX_AMOUNT):
            amount(value, key)
    value = p.get("shift_id")
    if value is not None and (type(value) is not int or not 0 < value <= MAX_ID):
        ident(value, "shift_id")
    label(p.get("client_ref"), "client_ref", optional=True, limit=TEXT_LIMITS["client_ref"])
    phone(p.get("customer_phone"), "customer_phone", optional=True)
    return _lines(p, positive=True, sign=-1)


def _return(p: dict) -> list:
    ident(p.get("return_id"), "return_id")
    ident(p.get("sale_id"), "sale_id")
    amount(p.get("total"), "total")
    for key in ("bonus_reversed", "bonus_restored"):
        optional(p, key, amount)
    return _lines(p, positive=True, sign=1)


def _stock(p: dict) -> list:
    """stock.moved / stock.counted: receipts, write-offs (with their configured ``reason``)
    and counts (each line with the ``counted`` quantity; ``scope`` full or partial)."""
    optional(p, "doc_id", ident)
    label(p.get("kind"), "kind", optional=True, limit=TEXT_LIMITS["kind"])
    label(p.get("reason"), "reason", optional=True)
    if p.get("scope") is not None and p["scope"] not in ("full", "partial"):
        raise SchemaError("scope", "must be full or partial")
    out = _lines(p, positive=False, sign=1)
    for i, ln in enumerate(p["lines"]):
        if ln.get("counted") is not None:
            qty_milli(ln["counted"], f"lines[{i}].counted")
    return out


# ---- stock documents (issue 15): transfers between stores and received deliveries.  The
# hub adds the checks that need the pushing store (its side of the transfer).

def _transfer(p: dict) -> None:
    tid = p.get("transfer_id")
    if not isinstance(tid, str) or not ID_RE.match(tid):
        raise SchemaError("transfer_id", "must be an id")
    for key in ("from_store", "to_store"):
        label(p.get(key), key, limit=TEXT_LIMITS[key])
    if p["from_store"] == p["to_store"]:
        raise SchemaError("to_store", "a store cannot transfer to itself")
    label(p.get("client_ref"), "client_ref", optional=True, limit=TEXT_LIMITS["client_ref"])
    label(p.get("cashier"), "cashier", optional=True, limit=TEXT_LIMITS["cashier"])


def _transfer_sent(p: dict) -> list:
    _transfer(p)
    return _lines(p, positive=True, sign=-1)


def _transfer_received(p: dict) -> list:
    _transfer(p)
    disc = p.get("discrepancies")
    if disc is not None and not isinstance(disc, list):
        raise SchemaError("discrepancies", "must be a list")
    for i, d in enumerate(disc or []):
        if not isinstance(d, dict):
            raise SchemaError(f"discrepancies[{i}]", "must be an object")
        for key in ("qty", "received", "shortage", "surplus"):
            if d.get(key) is not None:
                qty_milli(d[key], f"discrepancies[{i}].{key}")
    return _lines(p, positive=True, sign=1)


def _delivery_received(p: dict) -> list:
    ident(p.get("delivery_id"), "delivery_id")
    ident(p.get("act_number"), "act_number")
    label(p.get("ref"), "ref")
    label(p.get("supplier"), "supplier", optional=True)
    label(p.get("client_ref"), "client_ref", optional=True, limit=TEXT_LIMITS["client_ref"])
    act = p.get("act")
    if not isinstance(act, list):
        raise SchemaError("act", "must be a list of act lines")
    for i, row in enumerate(act):
        af = f"act[{i}]"
        if not isinstance(row, dict):
            raise SchemaError(af, "must be an object")
        whole(row.get("line_no"), f"{af}.line_no", 1, MAX_INT32)
        label(row.get("sku"), f"{af}.sku", optional=True, limit=TEXT_LIMITS["sku"])
        for key in ("expected", "received", "damaged", "shortage", "surplus"):
            if row.get(key) is not None:
                qty_milli(row[key], f"{af}.{key}")
        optional(row, "price", amount)
    return _lines(p, positive=True, sign=1)


def _customer(p: dict) -> list:
    phone(p.get("phone"), "phone")
    label(p.get("name"), "name", optional=True)
    label(p.get("email"), "email", optional=True)
    return []


def _loyalty(p: dict) -> list:
    ident(p.get("entry_id"), "entry_id")
    phone(p.get("phone"), "phone")
    if p.get("kind") not in LOYALTY_KINDS:
        raise SchemaError("kind", f"must be one of {', '.join(LOYALTY_KINDS)}")
    amount(p.get("amount"), "amount", lo=None)
    optional(p, "sale_id", ident)
    optional(p, "return_id", ident)
    return []


def _shift(p: dict) -> list:
    ident(p.get("shift_id"), "shift_id")
    return []


def _cash(p: dict) -> list:
    amount(p.get("amount"), "amount")
    return []


def _void(p: dict) -> list:
    ident(p.get("sale_id"), "sale_id")
    return _lines(p, positive=True, sign=1)  # the goods go back on the shelf


def _fiscalized(key: str):
    def check_fiscal(p: dict) -> list:
        ident(p.get(key), key)
        whole(p.get("document_number"), "document_number", 0, MAX_ID)
        label(p.get("fiscal_sign"), "fiscal_sign", limit=TEXT_LIMITS["fiscal_sign"])
        return []
    return check_fiscal


def _return_without_sale(p: dict) -> list:
    """A return with no sale of this store behind it: without a receipt, or a foreign one."""
    ident(p.get("return_id"), "return_id")
    amount(p.get("total"), "total")
    if p.get("kind") not in ("no_receipt", "foreign"):
        raise SchemaError("kind", "must be no_receipt or foreign")
    for key in ("reason", "customer_name", "customer_document", "origin_store", "origin_sale"):
        label(p.get(key), key, optional=True)
    return _lines(p, positive=True, sign=1)


def _order(p: dict) -> list:
    """A pick-up order's status change with the whole order (its lines never move stock:
    a reservation is not a move, and collecting is a ``sale.completed`` of its own)."""
    if not isinstance(p.get("order_id"), str) or not ID_RE.match(p["order_id"]):
        raise SchemaError("order_id", "must be 1-64 letters, digits or _.:-")
    for key in ("status", "from_status"):
        if p.get(key) not in ORDER_STATUSES and not (key == "from_status" and p.get(key) is None):
            raise SchemaError(key, f"must be one of {', '.join(ORDER_STATUSES)}")
    for key in ("prepaid", "bonus_redeemed", "total"):
        amount(p.get(key), key)
    optional(p, "sale_id", ident)
    phone(p.get("customer_phone"), "customer_phone", optional=True)
    lines = p.get("lines")
    if not isinstance(lines, list) or not lines:
        raise SchemaError("lines", "must be a non-empty list")
    for i, ln in enumerate(lines):
        if not isinstance(ln, dict):
            raise SchemaError(f"lines[{i}]", "must be an object")
        label(ln.get("sku"), f"lines[{i}].sku", limit=TEXT_LIMITS["sku"])
        qty_milli(ln.get("qty"), f"lines[{i}].qty", positive=True)
        amount(ln.get("price"), f"lines[{i}].price")
    return []


def _order_problem(p: dict) -> list:
    """An order from the hub's feed the store could not take (a product it does not know):
    ``problem`` says why, for the site (the order stays ``new`` at the hub)."""
    if not isinstance(p.get("order_id"), str) or not ID_RE.match(p["order_id"]):
        raise SchemaError("order_id", "must be 1-64 letters, digits or _.:-")
    label(p.get("problem"), "problem")
    return []


CHECKS = {"order.status": _order, "order.problem": _order_problem, "sale.completed": _sale, "sale.voided": _void,
          "return.without_sale": _return_without_sale,
          "sale.fiscalized": _fiscalized("sale_id"), "return.fiscalized": _fiscalized("return_id"),
          "sale.returned": _return, "stock.moved": _stock, "stock.counted": _stock,
          "customer.upserted": _customer, "loyalty.posted": _loyalty,
          "shift.opened": _shift, "shift.closed": _shift, "cash.moved": _cash,
          "transfer.sent": _transfer_sent, "transfer.received": _transfer_received,
          "delivery.received": _delivery_received}
