"""Checking a pushed batch before anything is written: a malformed event is refused with
400 naming the field (``events[3].payload.lines[0].qty``) and nothing of the batch applies.

The envelope is checked here; every payload against ``agent.event_schema``, the one schema
the store also checks before it commits (so what a store commits the hub accepts).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from agent import event_schema, text

from .errors import BadRequest, Forbidden, TooLarge

MAX_EVENTS = 5000
ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


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
    problem: str = ""  # held, but cannot be applied (``projector``)


# json.dumps with these arguments builds a new encoder on every call; one reused writes the
# very same text (the digests of earlier versions are compared on repeats)
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                              default=str)


_quote = json.encoder.encode_basestring  # how _CANONICAL writes a string (ensure_ascii=False)


def canonical(obj) -> str:
    return _CANONICAL.encode(obj)


def _payload_text(payload: dict) -> str:
    """``canonical(payload)``: by orjson (7x faster, the same bytes for what JSON can carry;
    anything it refuses — a Decimal, an int past 64 bits, a lone surrogate, a cycle — goes
    the standard library's way, and a cycle raises there: the check refuses it)."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, ValueError, RecursionError):  # orjson.JSONEncodeError is a TypeError
        return canonical(payload)


def _head(event_id, store_id, seq, etype, schema, occurred) -> str:
    """``canonical`` of an event's envelope (the head of its digest), written out: the
    keys in sorted order and each value as the encoder writes it (a string through
    ``json``'s own escaping, an int as ``int.__repr__``), 5x cheaper than the encoder on a
    six-key dict.  Anything but str and int goes through ``canonical``."""
    if (isinstance(event_id, str) and isinstance(store_id, str) and isinstance(etype, str)
            and isinstance(occurred, str) and type(seq) is int and type(schema) is int):
        return (f'{{"event_id":{_quote(event_id)},"occurred_at":{_quote(occurred)},'
                f'"schema":{int.__repr__(schema)},"seq":{int.__repr__(seq)},'
                f'"store_id":{_quote(store_id)},"type":{_quote(etype)}}}')
    return canonical({"event_id": event_id, "store_id": store_id, "seq": seq, "type": etype,
                      "schema": schema, "occurred_at": occurred})


def _int(value, f, lo=None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{f} must be a whole number", field=f)
    if lo is not None and value < lo:
        raise BadRequest(f"{f} must be at least {lo}", field=f)
    if abs(value) > event_schema.MAX_ID:
        raise BadRequest(f"{f} is too large", field=f)
    return value


def _str(value, f, optional=False, limit=255) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRequest(f"{f} must be a text of 1-{limit} characters", field=f)
    reason = text.problem(value)
    if reason:
        raise BadRequest(f"{f} {reason}", field=f)
    return value


def _schema(call, prefix: str = ""):
    try:
        return call()
    except event_schema.SchemaError as e:
        f = f"{prefix}.{e.field}" if prefix else e.field
        raise BadRequest(f"{f} {e.reason}", field=f) from None


def qty_milli(value, f, positive=False) -> int:
    """'1.000' / '-0.250' / 2 -> thousandths, exactly; never through float."""
    return _schema(lambda: event_schema.qty_milli(value, f, positive))


def phone(value, f, optional=False) -> str | None:
    return _schema(lambda: event_schema.phone(value, f, optional))


# ---- stock documents (issue 15): the payload shapes of transfer.sent / transfer.received /
# delivery.received are in agent.event_payloads; what needs the pushing store is checked here:
# a transfer names both stores and the pushing store must be its side.

def _transfer_sent(ev: Event, f: str) -> None:
    p = ev.payload
    if p["from_store"] != ev.store_id or not p["transfer_id"].startswith(ev.store_id + ":"):
        raise BadRequest(f"{f}.from_store must be the sending store", field=f"{f}.from_store")


def _transfer_received(ev: Event, f: str) -> None:
    if ev.payload["to_store"] != ev.store_id:
        raise BadRequest(f"{f}.to_store: a store receives only transfers meant for it",
                         field=f"{f}.to_store")


STORE_SIDE_CHECKS = {"transfer.sent": _transfer_sent, "transfer.received": _transfer_received}


def _plain_str(value, limit: int) -> bool:
    """``value`` surely passes ``_str(value, f, limit=limit)``: a str of printable ASCII
    (no control character; surrogates and bidi controls are not ASCII)."""
    return (type(value) is str and 0 < len(value) <= limit and value.isascii()
            and value.isprintable())


def event(raw, i: int, store_id: str) -> Event:
    """One pushed event checked.  The cheap tests in front of the checks only let the
    common case by; whatever they do not prove goes through the checks below them, which
    name the field (``events[3].seq``): field paths are written only for a refusal."""
    if not isinstance(raw, dict):
        f = f"events[{i}]"
        raise BadRequest(f"{f} must be an object", field=f)
    if raw.get("store_id") != store_id:
        f = f"events[{i}]"
        raise Forbidden(f"{f}.store_id is not this store's: a store writes only its own events",
                        field=f"{f}.store_id")
    event_id = raw.get("event_id")
    if not isinstance(event_id, str) or not ID_RE.match(event_id):
        f = f"events[{i}]"
        raise BadRequest(f"{f}.event_id must be an id (a UUID)", field=f"{f}.event_id")
    seq = raw.get("seq")
    if type(seq) is not int or not 0 < seq <= event_schema.MAX_ID:
        seq = _int(seq, f"events[{i}].seq", 1)
    etype = raw.get("type")
    if not _plain_str(etype, 64):
        etype = _str(etype, f"events[{i}].type", limit=64)
    schema = raw.get("schema", 1)
    if type(schema) is not int or not 0 < schema <= 1000:
        f = f"events[{i}]"
        schema = _int(schema, f"{f}.schema", 1)
        if schema > 1000:
            raise BadRequest(f"{f}.schema is not a schema version", field=f"{f}.schema")
    occurred = raw.get("occurred_at")
    if not _plain_str(occurred, 40):
        occurred = _str(occurred, f"events[{i}].occurred_at", limit=40)
    try:
        datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    except ValueError:
        f = f"events[{i}]"
        raise BadRequest(f"{f}.occurred_at must be an ISO 8601 time", field=f"{f}.occurred_at") from None
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        f = f"events[{i}]"
        raise BadRequest(f"{f}.payload must be an object", field=f"{f}.payload")
    ev = Event(store_id, seq, event_id, etype, schema, occurred, payload)
    # The payload's canonical text, which the event keeps anyway, written before the check:
    # if no string in it can have a text problem the check skips looking at each string.
    try:
        payload_text = _payload_text(payload)
    except Exception:  # refused below, as before (or written again, raising as before)
        payload_text = None
    plain = payload_text is not None and text.json_is_plain(payload_text)
    try:
        ev.lines = event_schema.check(etype, payload, text_checked=plain)
    except event_schema.SchemaError as e:  # as _schema(..., prefix) says it
        f = f"events[{i}].payload.{e.field}"
        raise BadRequest(f"{f} {e.reason}", field=f) from None
    side = STORE_SIDE_CHECKS.get(etype)
    if side:
        side(ev, f"events[{i}].payload")
    ev.text = payload_text if payload_text is not None else canonical(payload)
    head = _head(event_id, store_id, seq, etype, schema, occurred)
    ev.digest = hashlib.sha256(f"{head}\n{ev.text}".encode()).hexdigest()
    return ev


class EventRefused(BadRequest):
    """One event of a batch is malformed: ``index`` and ``raw`` say which (the hub records
    it as a poison event; nothing of the batch applies)."""

    code = "event_rejected"

    def __init__(self, cause: BadRequest, index: int, raw):
        super().__init__(cause.message, field=cause.field)
        self.index, self.raw = index, raw


def batch(body, store_id: str, held_aside: dict | None = None) -> list[Event]:
    """The events of a push body, checked, in seq order and contiguous.  Events in
    ``held_aside`` ({seq: event_id}, the quarantined) are not checked again nor returned."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    if body.get("store_id") != store_id:
        raise Forbidden("store_id is not the store this token belongs to", field="store_id")
    raw = body.get("events")
    if not isinstance(raw, list):
        raise BadRequest("events must be a list", field="events")
    if len(raw) > MAX_EVENTS:
        raise TooLarge(f"at most {MAX_EVENTS} events in one batch", field="events")
    held_aside = held_aside or {}
    events, prev = [], None
    for i, e in enumerate(raw):
        seq = e.get("seq") if isinstance(e, dict) else None
        if isinstance(seq, int) and seq in held_aside and e.get("event_id") == held_aside[seq]:
            ev_seq = seq
        else:
            try:
                ev = event(e, i, store_id)
            except BadRequest as cause:
                if isinstance(cause, Forbidden):
                    raise
                raise EventRefused(cause, i, e) from None
            events.append(ev)
            ev_seq = ev.seq
        if prev is not None and ev_seq != prev + 1:
            raise BadRequest(f"events[{i}].seq must follow {prev} (batches are "
                             "contiguous)", field=f"events[{i}].seq")
        prev = ev_seq
    return events


def parse_json(raw: bytes, check_text: bool = True):
    """Every JSON body the hub reads, through the agent's one reader (``agent.text.loads``):
    no NaN, fractions as Decimal, nesting capped, no string carrying control characters
    (PostgreSQL refuses NUL) or bidi overrides, nothing normalised."""
    try:
        return text.loads(raw, normalize=False, check=check_text)
    except text.BadText as e:
        malformed = getattr(e, "malformed", False) or "nested" in e.reason
        raise BadRequest(f"{e.field} {e.reason}", field=e.field,
                         code="malformed_json" if malformed else None) from None
