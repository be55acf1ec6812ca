"""Request plumbing shared by every API module: JSON in, domain errors out, sessions.

JSON numbers with a fraction are parsed as Decimal, never float, so a quantity like 0.755
arrives exact and a money amount sent as 1.5 is refused as "not a whole number of kopecks".
"""

from __future__ import annotations

import functools

from flask import current_app, g, jsonify, request

from agent import cashiers, text
from agent.errors import Invalid, LockedOut, StoreError

STATUS = {"invalid": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404,
          "conflict": 409, "too_large": 413, "unsupported_media_type": 415,
          "locked_out": 429, "unavailable": 503}
MAX_BODY = 1_000_000


class TooLarge(Invalid):
    code = "too_large"


class UnsupportedMediaType(Invalid):
    code = "unsupported_media_type"


def body() -> dict:
    """The one JSON parser of every route: size and nesting capped, every string cleaned by
    ``agent.text`` (control characters and bidi overrides refused naming the field, NFC),
    integers beyond 64 bits refused."""
    raw = request.get_data(cache=True)
    if not raw:
        raise Invalid("the request needs a JSON body", field="body", code="malformed_json")
    if len(raw) > MAX_BODY:
        raise TooLarge(f"the request body is larger than {MAX_BODY} bytes", field="body")
    try:
        data = text.loads(raw)
    except text.BadText as e:
        raise Invalid(f"{e.field} {e.reason}", field=e.field,
                      code="malformed_json" if getattr(e, "malformed", False)
                      or "nested" in e.reason else None) from None
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", field="body", code="malformed_json")
    return data


def error_response(e: StoreError):
    """One JSON shape for every refusal; the status comes from the error's class."""
    status = next((STATUS[c.__dict__["code"]] for c in type(e).__mro__
                   if c.__dict__.get("code") in STATUS), 400)
    resp = jsonify({"error": e.as_dict()})
    resp.status_code = status
    if isinstance(e, LockedOut) and e.extra.get("retry_after"):
        resp.headers["Retry-After"] = str(e.extra["retry_after"])
    return resp


def store():
    return current_app.config["STORE"]


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    return None


def with_session(role: str | None = None, action: str = "this"):
    """Route decorator: a valid cashier session (and optionally a minimum role)."""
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            g.session = cashiers.session_for(store(), bearer())
            if role:
                cashiers.require_role(g.session, role, action)
            return fn(*args, **kwargs)
        return inner
    return wrap


def int_arg(name: str, default=None, lo=None, hi=None):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"{name} must be a whole number", field=name) from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise Invalid(f"{name} is out of range", field=name)
    return value
