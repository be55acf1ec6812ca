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

The walk of every value (whatever the event type) is here, with :func:`check` and
:func:`stock_lines`; the limits and the checks of one value are ``agent.event_fields``, the
rules of each type's payload ``agent.event_payloads``.  Everything other modules import
from here stays importable from here.
"""

from __future__ import annotations

import re
from decimal import Decimal

from . import event_fields, event_payloads, text
from .event_fields import (
    INT32_KEYS,
    INT_KEYS,
    MAX_AMOUNT,
    MAX_DEPTH,
    MAX_ID,
    MAX_INT,
    MAX_INT32,
    MAX_MILLI,
    MAX_TEXT,
    MONEY_KEYS,
    PHONE_RE,
    QTY_RE,
    TEXT_KEYS,
    SchemaError,
    amount,
    ident,
    label,
    optional,
    phone,
    qty_milli,
    whole,
)
from .event_payloads import ID_RE, LOYALTY_KINDS, ORDER_STATUSES, TYPES

# the tables check() reads, and what the importers of this one schema module expect here
CHECKS = event_payloads.CHECKS
TEXT_LIMITS = event_fields.TEXT_LIMITS
TYPE_TEXT_KEYS = event_fields.TYPE_TEXT_KEYS

__all__ = ["CHECKS", "ID_RE", "INT32_KEYS", "INT_KEYS", "LOYALTY_KINDS", "MAX_AMOUNT",
           "MAX_DEPTH", "MAX_ID", "MAX_INT", "MAX_INT32", "MAX_MILLI", "MAX_TEXT",
           "MONEY_KEYS", "ORDER_STATUSES", "PHONE_RE", "QTY_RE", "TEXT_KEYS", "TEXT_LIMITS",
           "TYPES", "TYPE_TEXT_KEYS", "SchemaError", "amount", "check", "ident", "label",
           "optional", "phone", "qty_milli", "stock_lines", "whole"]


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

