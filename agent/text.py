"""The one rule for text entering the store or the hub, stated once.

Refused everywhere (400 naming the field): NUL and every other C0/C1 control character
(U+0000-U+001F, U+007F-U+009F), and lone surrogates (a JSON ``\ud800`` escape).  Bidirectional overrides and isolates (U+202A-U+202E,
U+2066-U+2069) reverse text on the screen and the receipt: refused in API input, stripped
from imported files.  What passes is NFC-normalised.  Plain Python: the core, the API
parsers and the hub all import it (``agent`` imports nothing of ``sync`` or Flask).
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal

CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
SURROGATE_RE = re.compile("[\ud800-\udfff]")  # JSON may escape one; it is not text
MAX_DEPTH = 32  # nesting of JSON objects and arrays a request may have
# What :func:`problem` refuses, and the backslash: in JSON text every character of every
# string (keys too) is either itself or a backslash escape, so no match in a dumped
# document proves that none of its strings has a problem (see :func:`json_is_plain`).
_JSON_SUSPECT_RE = re.compile(
    "[\\\\" + "".join(r.pattern[1:-1] for r in (CONTROL_RE, SURROGATE_RE, BIDI_RE)) + "]")


class BadText(ValueError):
    """A text value breaks the rule; ``reason`` reads after the field's name."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}")
        self.field, self.reason = field, reason


def problem(value: str, bidi: bool = True) -> str | None:
    """Why ``value`` may not enter, or None.  ``bidi=False`` tolerates bidi controls
    (for imports, which strip them with :func:`clean`)."""
    m = CONTROL_RE.search(value)
    if m:
        return f"must not contain control characters (found U+{ord(m.group()):04X})"
    m = SURROGATE_RE.search(value)
    if m:
        return f"is not valid Unicode (a lone surrogate U+{ord(m.group()):04X})"
    if bidi:
        m = BIDI_RE.search(value)
        if m:
            return f"must not contain bidirectional overrides (found U+{ord(m.group()):04X})"
    return None


def json_is_plain(dumped: str) -> bool:
    """True proves that no string of a document (key or value) has a :func:`problem`, given
    ``dumped``, the document as ``json.dumps`` writes it (``ensure_ascii=False``: other
    characters stay themselves, control characters become escapes).  False proves nothing:
    a quote or backslash in a string is escaped too, so check the strings one by one."""
    if dumped.isprintable() and "\\" not in dumped:  # no Cc, Cs or Cf character: at once
        return True
    return _JSON_SUSPECT_RE.search(dumped) is None


def mask_phone(phone) -> str:
    """A customer's phone as logs (and receipts) show it: enough to recognise, not to call
    (+7916***4567); the typed receipt carries it as ``customer_phone_shown`` for the slip.
    ``None`` is ``-``."""
    if phone is None:
        return "-"
    phone = CONTROL_RE.sub(" ", str(phone))
    if len(phone) < 12:  # too short to show both ends without showing it all
        return "*" * max(len(phone) - 2, 0) + phone[-2:]
    return phone[:5] + "***" + phone[-4:]


def clean(value: str, field: str, strip_bidi: bool = False) -> str:
    """The text as it may be stored: refused with :class:`BadText` if it carries control
    characters (or bidi controls, unless ``strip_bidi``), else NFC with bidi removed."""
    if strip_bidi:
        value = BIDI_RE.sub("", value)
    reason = problem(value)
    if reason:
        raise BadText(field, reason)
    return unicodedata.normalize("NFC", value)


def clean_tree(data, field: str = "", depth: int = 0, limit: int = MAX_DEPTH,
               normalize: bool = True):
    """Every string of a parsed JSON document checked (keys too) and, with ``normalize``,
    NFC-normalised; nesting capped at ``limit``.  Refuses with :class:`BadText` naming the
    path (``lines[2].name``).  Ints beyond 64 bits are refused too (no id or amount is)."""
    if depth > limit:
        raise BadText(field or "body", f"is nested more than {limit} levels deep")
    if isinstance(data, str):
        reason = problem(data)
        if reason:
            raise BadText(field or "body", reason)
        if normalize and not unicodedata.is_normalized("NFC", data):
            return unicodedata.normalize("NFC", data)
        return data
    if isinstance(data, bool):
        return data
    if isinstance(data, int):
        if not -2**63 < data < 2**63:
            raise BadText(field or "body", "is out of range (beyond 64 bits)")
        return data
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            path = f"{field}.{k}" if field else str(k)
            key = clean_tree(k, f"a key of {field or 'body'}", depth, limit, normalize)
            out[key] = clean_tree(v, path, depth + 1, limit, normalize)
        return out
    if isinstance(data, list):
        return [clean_tree(v, f"{field}[{i}]", depth + 1, limit, normalize)
                for i, v in enumerate(data)]
    return data


def loads(raw: bytes, normalize: bool = True, check: bool = True):
    """The one way a JSON request body is read: fractions as ``Decimal`` (never float), no
    NaN/Infinity, nesting capped, every string checked by :func:`clean_tree` (unless
    ``check`` is false: the hub checks each pushed event on its own).  Raises
    :class:`BadText` (``field`` "body" for malformed JSON, with ``malformed`` set)."""
    def no_constants(name):
        raise BadText("body", f"has {name}, which is not a number")
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=no_constants)
    except RecursionError:
        raise BadText("body", "is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        err = BadText("body", f"is malformed JSON: {e}")
        err.malformed = True
        raise err from None
    return clean_tree(data, normalize=normalize) if check else data
