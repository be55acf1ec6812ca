"""Text helpers shared by every device: money, quantities, fixed-width cells, code pages.

Devices print fixed-width text in a single-byte code page, so these helpers never produce
anything wider than asked and never let a ``float`` near money. Drivers must not import
``agent``; this is the drivers' own copy of the few formatting rules they need.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = [
    "clean",
    "encode_text",
    "fit",
    "format_money",
    "format_qty",
    "justify",
    "to_decimal_qty",
]

# Characters that receipts and product names often contain but single-byte code pages
# (CP866 in particular) lack; replaced before encoding so the paper shows a close glyph
# rather than "?".
_FALLBACK = {
    "«": '"', "»": '"', "„": '"', "“": '"', "”": '"', "‘": "'", "’": "'",
    "—": "-", "–": "-", "−": "-", "…": "...", "×": "x", "₽": "р.",
    "\u00a0": " ", "\u202f": " ", "\t": " ",
}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """Text safe to send to a device: a str with every control character (ESC, GS, DLE,
    newlines ...) replaced by a space, so outside text cannot smuggle in commands."""
    return _CONTROL.sub(" ", "" if text is None else str(text))


def format_money(kopecks: int) -> str:
    """Format integer kopecks as ``1 234,56`` (``-5,00`` when negative).

    Refuses floats and bools: money is an int of minor units everywhere.
    """
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        raise TypeError(f"money must be an int of kopecks, got {type(kopecks).__name__}")
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(kopecks), 100)
    return f"{sign}{rubles:,}".replace(",", " ") + f",{kop:02d}"


def to_decimal_qty(qty: object) -> Decimal:
    """Parse a quantity (decimal string, Decimal or int) exactly; floats are refused."""
    if isinstance(qty, float) or isinstance(qty, bool):
        raise TypeError("quantity must be a decimal string, Decimal or int, not float/bool")
    try:
        value = Decimal(str(qty))
    except InvalidOperation:
        raise ValueError(f"not a quantity: {qty!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a quantity: {qty!r}")
    return value


def format_qty(qty: object, unit: str = "pcs") -> str:
    """Format a quantity: weighed goods (kg) always with 3 decimals, pieces without
    decimals when whole (``2``, ``1,500``, ``0,755``). Decimal comma, like the money."""
    value = to_decimal_qty(qty)
    if unit != "kg" and value == value.to_integral_value():
        return str(int(value))
    return f"{value.quantize(Decimal('0.001')):f}".replace(".", ",")


def fit(text: str, width: int, align: str = "left") -> str:
    """Cut or pad ``text`` to exactly ``width`` characters."""
    text = text[:width]
    if align == "right":
        return text.rjust(width)
    if align == "center":
        return text.center(width)
    return text.ljust(width)


def justify(left: str, right: str, width: int) -> str:
    """``left`` flush left and ``right`` flush right in ``width`` columns; ``left`` is
    truncated when both do not fit (the right part, usually an amount, always survives)."""
    right = right[:width]
    room = width - len(right) - (1 if right else 0)
    if room <= 0:
        return right.rjust(width)
    return left[:room].ljust(room) + (" " if right else "") + right


def encode_text(text: str, encoding: str) -> bytes:
    """Encode for a single-byte device code page: common typographic characters are
    replaced by close ASCII ones, anything else the page lacks becomes ``?``."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode(encoding)
        except UnicodeEncodeError:
            out += _FALLBACK.get(ch, "?").encode(encoding, errors="replace")
    return bytes(out)
