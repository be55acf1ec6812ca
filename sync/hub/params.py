"""Query parameters of the hub's GET routes, read one way: whole numbers in plain ASCII
digits within a range (``after=١٢`` or ``limit=1e3`` is a 400, never a surprise)."""

from __future__ import annotations

from flask import request

from .errors import BadRequest


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        raise BadRequest(f"{name} must be a whole number", field=name)
    value = int(raw)
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}", field=name)
    return value
