"""The limits of an event's values and the checks of one value, stated once for every
event type: what ``agent.event_schema`` walks a whole payload with and what the per-type
rules (``agent.event_payloads``) check each field with.

Limits: money and bonus amounts are JSON integers of kopecks within +-``MAX_AMOUNT``;
every other integer within +-``MAX_INT``; ids 1 .. 2^63-1; quantities strict ASCII
decimals ("-1.250") within +-``MAX_MILLI`` thousandths; every string is at most
``MAX_TEXT`` characters (less for the keys in ``TEXT_LIMITS``); payloads nest at most
``MAX_DEPTH`` levels.  Plain Python, no I/O; the schema's errors are :class:`SchemaError`.
"""

from __future__ import annotations

import re

MAX_AMOUNT = 10**12  # kopecks: ten billion roubles in one amount
MAX_INT = 10**15
MAX_ID = 2**63 - 1
MAX_INT32 = 2**31 - 1
MAX_MILLI = 10**12
MAX_TEXT = 255  # the hub's text columns are VARCHAR(255)
MAX_DEPTH = 8
TEXT_LIMITS = {"created_at": 40, "voided_at": 40, "expires_at": 40, "opened_at": 40,
               "closed_at": 40, "sku": 64, "phone": 20, "kind": 20, "register_id": 64,
               "discount_approved_by": 64,
               "cashier": 64, "approved_by": 64, "client_ref": 100, "fiscal_sign": 64,
               "method": 32, "unit": 8, "vat": 8, "transfer_id": 64, "from_store": 64,
               "to_store": 64, "sent_at": 40, "received_at": 40, "scope": 20,
               "order_id": 64, "status": 20, "from_status": 20, "at": 40, "ready_at": 40,
               "placed_at": 40}
MONEY_KEYS = frozenset({"total", "subtotal", "paid", "change", "bonus_earned", "bonus_redeemed",
                        "amount", "price", "discount", "bonus_reversed", "bonus_restored",
                        "bonus_withheld", "opening_cash", "counted_cash", "gross",
                        "manual_discount", "catalog_price", "prepaid"})
INT32_KEYS = frozenset({"number", "shift_number", "line_no"})
TEXT_KEYS = frozenset({"register_id", "cashier", "approved_by", "client_ref", "created_at",
                       "voided_at", "expires_at", "opened_at", "closed_at", "fiscal_sign",
                       "reason", "name", "email", "phone", "customer_phone", "sku",
                       "hub_entry_id", "method", "source", "note", "transfer_id", "from_store",
                       "to_store", "sent_at", "received_at", "supplier", "ref", "scope",
                       "discount_reason", "discount_approved_by", "customer_name",
                       "customer_document", "origin_store", "origin_sale", "problem"})
INT_KEYS = MONEY_KEYS | INT32_KEYS | {"shift_id", "sale_id", "return_id", "entry_id", "doc_id",
                                      "line_id", "document_number", "delivery_id",
                                      "act_number"}
# Keys that are text in one event type although elsewhere they are numbers: a delivery's
# "number" is the supplier's document number ("УПД-17"), a receipt's is an integer.
TYPE_TEXT_KEYS = {"delivery.received": frozenset({"number"})}
QTY_RE = re.compile(r"^-?[0-9]{1,13}(?:\.[0-9]{1,3})?$")
PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")


class SchemaError(ValueError):
    """An event breaks the schema.  ``field`` is the path inside the payload."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}")
        self.field, self.reason = field, reason


def whole(value, f: str, lo: int | None = None, hi: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(f, "must be a whole number")
    if lo is not None and value < lo:
        raise SchemaError(f, f"must be at least {lo}")
    if value > hi or value < -hi:
        raise SchemaError(f, "is too large")
    return value


def ident(value, f: str) -> int:
    return whole(value, f, 1, MAX_ID)


def amount(value, f: str, lo: int | None = 0) -> int:
    return whole(value, f, lo, MAX_AMOUNT)


def optional(p: dict, key: str, check, *args) -> None:
    value = p.get(key)
    if value is not None:
        check(value, key, *args)


def label(value, f: str, optional: bool = False, limit: int = MAX_TEXT) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise SchemaError(f, f"must be a text of 1-{limit} characters")
    return value


# Quantity texts already read ("1.000" -> 1000): a few distinct ones make most lines, and
# reading one is a regex and three int() calls.  Bounded: a hostile pusher fills it once.
_MILLI: dict[str, int] = {}


def qty_milli(value, f: str, positive: bool = False) -> int:
    """'1.000' / '-0.250' / 2 -> thousandths, exactly: strict ASCII, never through float."""
    milli = _MILLI.get(value) if type(value) is str else None
    if milli is None:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise SchemaError(f, "must be a decimal quantity like \"1.000\"")
        raw = str(value)
        if not QTY_RE.match(raw):
            raise SchemaError(f, "must be a decimal quantity like \"1.000\" (ASCII digits, at "
                                 "most 3 decimal places)")
        whole_part, _, frac = raw.lstrip("-").partition(".")
        milli = int(whole_part) * 1000 + int(frac.ljust(3, "0") or 0)
        milli = -milli if raw.startswith("-") else milli
        if type(value) is str and len(_MILLI) < 4096:
            _MILLI[value] = milli
    if positive and milli <= 0:
        raise SchemaError(f, "must be greater than zero")
    if abs(milli) > MAX_MILLI:
        raise SchemaError(f, "is too large")
    return milli


def phone(value, f: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not PHONE_RE.match(value):
        raise SchemaError(f, "must be a phone in E.164 (+79161234567)")
    return value

