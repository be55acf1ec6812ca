"""Barcode checks: EAN-13, EAN-8 and UPC-A check digits; other codes taken as they are."""

from __future__ import annotations

import re

_CODE_RE = re.compile(r"^[0-9A-Za-z._-]{1,64}$")


def check_digit(body: str) -> int:
    """GS1 check digit for the digits before it (EAN-8, UPC-A, EAN-13 alike)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def problem(code: str) -> str | None:
    """Why a barcode cannot be imported, or None when it is fine."""
    if not _CODE_RE.match(code):
        return f"barcode {code!r} has characters a scanner cannot send"
    if code.isdigit() and len(code) in (8, 12, 13):
        if check_digit(code[:-1]) != int(code[-1]):
            kind = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}[len(code)]
            return f"barcode {code} has a wrong {kind} check digit"
    return None
