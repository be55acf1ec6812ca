"""Checking a pushed batch before anything is written: a malformed event is refused with
400 naming the field (``events[3].payload.lines[0].qty``) and nothing of the batch applies.

Quantities are parsed exactly into integer thousandths; money must be a JSON integer.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from .errors import BadRequest, Forbidden, TooLarge

MAX_EVENTS = 5000
PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")
ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
LOYALTY_KINDS = ("welcome", "accrual", "redemption", "reversal", "restore", "adjustment", "expiry")
MAX_MILLI = 10**12


@dataclass
class Event:
    store_id: str
    seq: int
    event_id: str
    type: str
    schema: int
    occurred_at: str
    payload: dict
    digest: str = ""
    text: str = ""
    lines: list = field(default_factory=list)  # [(sku, signed qty in thousandths)]


def canonical(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _int(value, f, lo=None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{f} must be a whole number", field=f)
    if lo is not None and value < lo:
        raise BadRequest(f"{f} must be at least {lo}", field=f)
    if abs(value) > 10**15:
        raise BadRequest(f"{f} is too large", field=f)
    return value


def _opt_int(p, key, f, lo=None, default=0):
    return default if p.get(key) is None else _int(p[key], f"{f}.{key}", lo)


def _str(value, f, optional=False, limit=255) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRequest(f"{f} must be a text of 1-{limit} characters", field=f)
    return value


def qty_milli(value, f, positive=False) -> int:
    """'1.000' / '-0.250' / 2 -> thousandths, exactly; never through float."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise BadRequest(f"{f} must be a decimal quantity like \"1.000\"", field=f)
    try:
        q = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadRequest(f"{f} must be a decimal quantity like \"1.000\"", field=f) from None
    if not q.is_finite() or q != q.quantize(Decimal("0.001")):
        raise BadRequest(f"{f} may have at most 3 decimal places", field=f)
    milli = int(q * 1000)
    if positive and milli <= 0:
        raise BadRequest(f"{f} must be greater than zero", field=f)
    if abs(milli) > MAX_MILLI:
        raise BadRequest(f"{f} is too large", field=f)
    return milli


def phone(value, f, optional=False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not PHONE_RE.match(value):
        raise BadRequest(f"{f} must be a phone in E.164 (+79161234567)", field=f)
    return value


def _lines(p, f, positive, sign) -> list:
    lines = p.get("lines")
    if not isinstance(lines, list):
        raise BadRequest(f"{f}.lines must be a list", field=f"{f}.lines")
    out = []
    for i, ln in enumerate(lines):
        lf = f"{f}.lines[{i}]"
        if not isinstance(ln, dict):
            raise BadRequest(f"{lf} must be an object", field=lf)
        sku = _str(ln.get("sku"), f"{lf}.sku")
        out.append((sku, sign * qty_milli(ln.get("qty"), f"{lf}.qty", positive=positive)))
    return out


def _sale(ev: Event, f: str):
    p = ev.payload
    _int(p.get("sale_id"), f"{f}.sale_id", 1)
    for key in ("total", "subtotal", "paid", "change", "bonus_earned", "bonus_redeemed"):
        if key == "total" or p.get(key) is not None:
            _int(p.get(key), f"{f}.{key}", 0)
    _str(p.get("client_ref"), f"{f}.client_ref", optional=True)
    phone(p.get("customer_phone"), f"{f}.customer_phone", optional=True)
    ev.lines = _lines(p, f, positive=True, sign=-1)


def _return(ev: Event, f: str):
    p = ev.payload
    _int(p.get("return_id"), f"{f}.return_id", 1)
    _int(p.get("sale_id"), f"{f}.sale_id", 1)
    _int(p.get("total"), f"{f}.total", 0)
    for key in ("bonus_reversed", "bonus_restored"):
        _opt_int(p, key, f, 0)
    ev.lines = _lines(p, f, positive=True, sign=1)


def _stock(ev: Event, f: str):
    ev.lines = _lines(ev.payload, f, positive=False, sign=1)


def _customer(ev: Event, f: str):
    p = ev.payload
    phone(p.get("phone"), f"{f}.phone")
    _str(p.get("name"), f"{f}.name", optional=True)
    _str(p.get("email"), f"{f}.email", optional=True)


def _loyalty(ev: Event, f: str):
    p = ev.payload
    _int(p.get("entry_id"), f"{f}.entry_id", 1)
    phone(p.get("phone"), f"{f}.phone")
    if p.get("kind") not in LOYALTY_KINDS:
        raise BadRequest(f"{f}.kind must be one of {', '.join(LOYALTY_KINDS)}", field=f"{f}.kind")
    _int(p.get("amount"), f"{f}.amount")
    _opt_int(p, "sale_id", f, 1, None)
    _opt_int(p, "return_id", f, 1, None)


def _shift(ev: Event, f: str):
    _int(ev.payload.get("shift_id"), f"{f}.shift_id", 1)


def _cash(ev: Event, f: str):
    _int(ev.payload.get("amount"), f"{f}.amount", 0)


def _void(ev: Event, f: str):
    _int(ev.payload.get("sale_id"), f"{f}.sale_id", 1)
    ev.lines = _lines(ev.payload, f, positive=True, sign=1)  # the goods go back on the shelf


def _fiscalized(key: str):
    def check(ev: Event, f: str):
        p = ev.payload
        _int(p.get(key), f"{f}.{key}", 1)
        _int(p.get("document_number"), f"{f}.document_number", 0)
        _str(p.get("fiscal_sign"), f"{f}.fiscal_sign")
    return check


CHECKS = {"sale.completed": _sale, "sale.voided": _void,
          "sale.fiscalized": _fiscalized("sale_id"), "return.fiscalized": _fiscalized("return_id"), "sale.returned": _return, "stock.moved": _stock,
          "stock.counted": _stock, "customer.upserted": _customer, "loyalty.posted": _loyalty,
          "shift.opened": _shift, "shift.closed": _shift, "cash.moved": _cash}


# ---- stock documents (issue 15): transfers and deliveries; their projections are in
# stock_doc_events.py.  A transfer names both stores; the pushing store must be its side.

def _transfer_id(p: dict, f: str) -> str:
    tid = p.get("transfer_id")
    if not isinstance(tid, str) or not ID_RE.match(tid):
        raise BadRequest(f"{f}.transfer_id must be an id", field=f"{f}.transfer_id")
    return tid


def _transfer_sent(ev: Event, f: str) -> None:
    p = ev.payload
    tid = _transfer_id(p, f)
    if p.get("from_store") != ev.store_id or not tid.startswith(ev.store_id + ":"):
        raise BadRequest(f"{f}.from_store must be the sending store", field=f"{f}.from_store")
    to = _str(p.get("to_store"), f"{f}.to_store", limit=64)
    if to == ev.store_id:
        raise BadRequest(f"{f}.to_store: a store cannot transfer to itself", field=f"{f}.to_store")
    ev.lines = _lines(p, f, positive=True, sign=-1)


def _transfer_received(ev: Event, f: str) -> None:
    p = ev.payload
    _transfer_id(p, f)
    if p.get("to_store") != ev.store_id:
        raise BadRequest(f"{f}.to_store: a store receives only transfers meant for it",
                         field=f"{f}.to_store")
    frm = _str(p.get("from_store"), f"{f}.from_store", limit=64)
    if frm == ev.store_id:
        raise BadRequest(f"{f}.from_store: a store cannot transfer to itself",
                         field=f"{f}.from_store")
    ev.lines = _lines(p, f, positive=True, sign=1)


def _delivery_received(ev: Event, f: str) -> None:
    p = ev.payload
    _int(p.get("delivery_id"), f"{f}.delivery_id", 1)
    _int(p.get("act_number"), f"{f}.act_number", 1)
    _str(p.get("ref"), f"{f}.ref")
    if not isinstance(p.get("act"), list):
        raise BadRequest(f"{f}.act must be a list of act lines", field=f"{f}.act")
    ev.lines = _lines(p, f, positive=True, sign=1)


STOCK_DOC_CHECKS = {"transfer.sent": _transfer_sent, "transfer.received": _transfer_received,
          "delivery.received": _delivery_received}



def event(raw, i: int, store_id: str) -> Event:
    f = f"events[{i}]"
    if not isinstance(raw, dict):
        raise BadRequest(f"{f} must be an object", field=f)
    if raw.get("store_id") != store_id:
        raise Forbidden(f"{f}.store_id is not this store's: a store writes only its own events",
                        field=f"{f}.store_id")
    event_id = raw.get("event_id")
    if not isinstance(event_id, str) or not ID_RE.match(event_id):
        raise BadRequest(f"{f}.event_id must be an id (a UUID)", field=f"{f}.event_id")
    seq = _int(raw.get("seq"), f"{f}.seq", 1)
    etype = _str(raw.get("type"), f"{f}.type", limit=64)
    schema = _int(raw.get("schema", 1), f"{f}.schema", 1)
    occurred = _str(raw.get("occurred_at"), f"{f}.occurred_at", limit=40)
    try:
        datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{f}.occurred_at must be an ISO 8601 time", field=f"{f}.occurred_at") from None
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise BadRequest(f"{f}.payload must be an object", field=f"{f}.payload")
    ev = Event(store_id, seq, event_id, etype, schema, occurred, payload)
    check = CHECKS.get(etype) or STOCK_DOC_CHECKS.get(etype)
    if check:
        check(ev, f"{f}.payload")
    ev.text = canonical(payload)
    head = canonical({"event_id": event_id, "store_id": store_id, "seq": seq, "type": etype,
                      "schema": schema, "occurred_at": occurred})
    ev.digest = hashlib.sha256(f"{head}\n{ev.text}".encode()).hexdigest()
    return ev


def batch(body, store_id: str) -> list[Event]:
    """The events of a push body, checked, in seq order and contiguous."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    if body.get("store_id") != store_id:
        raise Forbidden("store_id is not the store this token belongs to", field="store_id")
    raw = body.get("events")
    if not isinstance(raw, list):
        raise BadRequest("events must be a list", field="events")
    if len(raw) > MAX_EVENTS:
        raise TooLarge(f"at most {MAX_EVENTS} events in one batch", field="events")
    events = [event(e, i, store_id) for i, e in enumerate(raw)]
    for i in range(1, len(events)):
        if events[i].seq != events[i - 1].seq + 1:
            raise BadRequest(f"events[{i}].seq must follow {events[i - 1].seq} (batches are "
                             "contiguous)", field=f"events[{i}].seq")
    return events


def parse_json(raw: bytes):
    def no_constants(name):
        raise BadRequest(f"{name} is not a number", field="body")
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=no_constants)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"malformed JSON: {e}", field="body", code="malformed_json") from None
