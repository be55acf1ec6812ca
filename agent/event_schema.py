"""The one schema of the store's events: types, payload shapes and limits, stated once.

The store checks every event against it before the business transaction commits
(``outbox.emit``), and the hub checks every pushed payload against the very same rules
(``sync/hub/validate.py``), so anything a store can commit the hub accepts: one bad value
can never stop a store's sync.  It lives in ``agent/`` (plain Python, no I/O) because the
store core may not import ``sync``.

Limits: money and bonus amounts are JSON integers of kopecks within +-``MAX_AMOUNT``;
every other integer within +-``MAX_INT``; ids 1 .. 2^63-1; quantities strict ASCII
decimals ("-1.250") within +-``MAX_MILLI`` thousandths; every string obeys ``agent.text``
(no control characters, no bidi overrides) and is at most ``MAX_TEXT`` characters (less
for the keys in ``TEXT_LIMITS``); payloads nest at most ``MAX_DEPTH`` levels.
"""

from __future__ import annotations

import re
from decimal import Decimal

from . import text

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
LOYALTY_KINDS = ("welcome", "accrual", "redemption", "reversal", "restore", "adjustment", "expiry")
TYPES = ("sale.completed", "sale.voided", "sale.fiscalized", "return.fiscalized",
         "sale.returned", "stock.moved", "stock.counted", "customer.upserted", "loyalty.posted",
         "shift.opened", "shift.closed", "cash.moved", "transfer.sent", "transfer.received",
         "delivery.received", "return.without_sale", "order.status", "order.problem")
ORDER_STATUSES = ("new", "accepted", "assembled", "ready", "collected", "cancelled")
ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class SchemaError(ValueError):
    """An event breaks the schema.  ``field`` is the path inside the payload."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}")
        self.field, self.reason = field, reason


def check(event_type: str, payload, *, text_checked: bool = False) -> list[tuple[str, int]]:
    """Check one event; returns its stock lines ``[(sku, signed thousandths)]`` (the sign
    is the move's on the shelf).  Raises :class:`SchemaError`.

    ``text_checked``: the caller has proven that no string of ``payload`` (key or value)
    has an ``agent.text.problem`` (the hub, with ``text.json_is_plain`` on the payload's
    canonical JSON, which it writes anyway); every other rule is still checked."""
    if not isinstance(payload, dict):
        raise SchemaError("payload", "must be an object")
    texts = TYPE_TEXT_KEYS.get(event_type, _NO_KEYS)
    if type(payload) is not dict or not _fits(payload, 0, "", texts, text_checked):
        _walk(payload, "", 0, "", texts)  # says what is wrong (False only means "not proven")
    specific = CHECKS.get(event_type)
    return specific(payload) if specific else []


def stock_lines(event_type: str, payload: dict) -> list[tuple[str, int]]:
    """The stock lines of an event already checked by :func:`check` (the hub's projector
    reading back what it holds): the type's own rules only, not the walk of every value."""
    specific = CHECKS.get(event_type)
    return specific(payload) if specific else []


def _walk(value, f: str, depth: int, key: str = "", texts: frozenset = frozenset()) -> None:
    """The rules every value of every payload obeys, whatever the event type.  ``key`` is
    the name the value is under (lists pass their own on to their items); ``texts`` are the
    keys this event type holds as text although they are numbers elsewhere."""
    if key in texts:
        if value is not None:
            label(value, f, limit=TEXT_LIMITS.get(key, MAX_TEXT))
            reason = text.problem(value)
            if reason:
                raise SchemaError(f, reason)
        return
    if isinstance(value, str):
        if key in INT_KEYS:
            raise SchemaError(f, "must be a whole number")
        limit = TEXT_LIMITS.get(key, MAX_TEXT)
        if len(value) > limit:
            raise SchemaError(f, f"must be at most {limit} characters")
        if not value.isascii() or _LOW.search(value):
            reason = text.problem(value)
            if reason:
                raise SchemaError(f, reason)
    elif value is None:
        pass
    elif isinstance(value, bool):
        if key in INT_KEYS or key in TEXT_KEYS:
            raise SchemaError(f, "must be a whole number" if key in INT_KEYS else "must be a text")
    elif isinstance(value, int):
        if key in TEXT_KEYS:
            raise SchemaError(f, "must be a text")
        limit = MAX_AMOUNT if key in MONEY_KEYS else MAX_INT32 if key in INT32_KEYS else MAX_INT
        if value > limit or value < -limit:
            raise SchemaError(f, "is too large")
    elif depth >= MAX_DEPTH:
        raise SchemaError(f or "payload", f"is nested more than {MAX_DEPTH} levels deep")
    elif isinstance(value, dict):
        if key in INT_KEYS or key in TEXT_KEYS:
            raise SchemaError(f, "must be a whole number" if key in INT_KEYS else "must be a text")
        for k, v in value.items():
            if not isinstance(k, str) or len(k) > 64 or text.problem(k):
                raise SchemaError(f or "payload", "has a key that is not a short plain text")
            _walk(v, f"{f}.{k}" if f else k, depth + 1, k, texts)
    elif isinstance(value, list):
        if key in INT_KEYS or key in TEXT_KEYS:
            raise SchemaError(f, "must be a whole number" if key in INT_KEYS else "must be a text")
        if len(value) > 10_000:
            raise SchemaError(f, "has more than 10000 items")
        for i, v in enumerate(value):
            _walk(v, f"{f}[{i}]", depth + 1, key, texts)
    elif isinstance(value, Decimal):
        raise SchemaError(f, "must be a whole number (or a quantity as text like \"1.000\")")
    else:
        raise SchemaError(f, "is not a JSON value")


_LOW = re.compile("[\x00-\x1f\x7f]")
_NO_KEYS: frozenset = frozenset()


def _rule(key: str) -> tuple:
    """What :func:`_walk` lets a value under ``key`` be: (the limit of a text, None if a
    text is refused; the limit of an integer, None if refused; whether a bool, an object
    or a list is allowed)."""
    return (None if key in INT_KEYS else TEXT_LIMITS.get(key, MAX_TEXT),
            None if key in TEXT_KEYS else MAX_AMOUNT if key in MONEY_KEYS
            else MAX_INT32 if key in INT32_KEYS else MAX_INT,
            key not in INT_KEYS and key not in TEXT_KEYS)


_RULES = {key: _rule(key) for key in INT_KEYS | TEXT_KEYS | TEXT_LIMITS.keys()}
_ANY_KEY = _rule("")  # every key in none of the sets above


def _plain(value: str) -> bool:
    """No ``text.problem`` in ``value``: printable ASCII is plain at once."""
    return (value.isascii() and value.isprintable()) or not text.problem(value)


def _fits(value, depth: int, key: str, texts: frozenset, text_checked: bool) -> bool:
    """True if :func:`_walk` passes ``value``, a dict or list at ``depth`` under ``key``
    (which :func:`_walk` allows there), found without building a field path for every
    value (the walk's cost on the hub).  False if not proven: the caller asks :func:`_walk`,
    which names the field.  Stricter than :func:`_walk` on purpose: only exact dict, list,
    str, int, bool and None are judged here.  The scalar checks are written out in both
    loops (a call per value is what this saves)."""
    child = depth + 1
    if type(value) is dict:
        for k, v in value.items():
            if type(k) is not str or len(k) > 64 or not (text_checked or _plain(k)):
                return False
            if k in texts:
                if v is not None and (type(v) is not str or not v
                                      or len(v) > TEXT_LIMITS.get(k, MAX_TEXT)
                                      or not (text_checked or _plain(v))):
                    return False
                continue
            t = type(v)
            if t is str:
                limit = _RULES.get(k, _ANY_KEY)[0]
                if limit is None or len(v) > limit or not (text_checked or _plain(v)):
                    return False
            elif t is int:
                limit = _RULES.get(k, _ANY_KEY)[1]
                if limit is None or v > limit or v < -limit:
                    return False
            elif v is None:
                pass
            elif t is dict or t is list:
                if (child >= MAX_DEPTH or not _RULES.get(k, _ANY_KEY)[2]
                        or not _fits(v, child, k, texts, text_checked)):
                    return False
            elif t is not bool or not _RULES.get(k, _ANY_KEY)[2]:
                return False
        return True
    # a list: its items are under its own key, which is not in ``texts`` (a list there is
    # refused before this is reached)
    if len(value) > 10_000:
        return False
    str_limit, int_limit, other = _RULES.get(key, _ANY_KEY)
    for v in value:
        t = type(v)
        if t is str:
            if str_limit is None or len(v) > str_limit or not (text_checked or _plain(v)):
                return False
        elif t is int:
            if int_limit is None or v > int_limit or v < -int_limit:
                return False
        elif v is None:
            pass
        elif t is dict or t is list:
            if child >= MAX_DEPTH or not other or not _fits(v, child, key, texts, text_checked):
                return False
        elif t is not bool or not other:
            return False
    return True


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
