"""Money and quantities without floats.

Money is an ``int`` of minor units (kopecks).  Quantities are ``Decimal`` with three places,
stored as integer thousandths ("milli-units") so the database sums them exactly.

Rounding rule for weighed and fractional lines (one rule, applied once per line):
``amount = round_half_up(price_per_unit * qty)`` to the kopeck, computed in integers as
``(price * qty_milli + 500) // 1000``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .errors import Invalid
from .event_schema import MAX_AMOUNT

QTY_PLACES = Decimal("0.001")
MAX_QTY_MILLI = 10_000 * 1000
_QTY_RE = re.compile(r"^([0-9]{1,7})(?:[.,]([0-9]{1,3})0*)?$")
_MAJOR_RE = re.compile(r"^([0-9]{1,12})(?:[.,]([0-9]{1,2}))?$")


def parse_major(text: str, field: str = "price") -> int:
    """'149.99' -> 14999.  Accepts a dot or a comma; rejects signs, exponents, 3+ decimals."""
    m = _MAJOR_RE.match(str(text).strip())
    if not m:
        raise Invalid(f"{field} must be an amount like 149.99, got {text!r}", field=field)
    whole, frac = m.group(1), (m.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(frac)


def format_major(amount: int) -> str:
    """14999 -> '149.99' (machine format, for CSV and logs)."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}{amount // 100}.{amount % 100:02d}"


def require_amount(value, field: str, allow_zero: bool = True) -> int:
    """Validate a money amount from JSON: an integer of kopecks, never a float or string."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{field} must be a whole number of kopecks", field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise Invalid(f"{field} must be {'zero or ' if allow_zero else ''}positive", field=field)
    if value > MAX_AMOUNT:  # the event schema's limit, stated once
        raise Invalid(f"{field} is too large", field=field)
    return value


def parse_qty(value, field: str = "qty") -> int:
    """A quantity from JSON or text -> integer thousandths.  > 0, <= 10,000, <= 3 places.

    Text must be plain ASCII digits with an optional dot or comma and at most 3 decimals
    ("1.5", "0,755"): no exponent, no "_", no Arabic-Indic or full-width digits."""
    if isinstance(value, bool) or value is None:
        raise Invalid(f"{field} must be a number", field=field)
    if isinstance(value, float):  # only reached if a caller parsed JSON without Decimal
        value = repr(value)
    if isinstance(value, int):
        if not 0 < value <= MAX_QTY_MILLI // 1000:
            raise Invalid(f"{field} must be greater than zero and at most 10000", field=field)
        return value * 1000
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) > 10**6:
            raise Invalid(f"{field} is absurdly large (more than 10000)", field=field)
        value = format(value, "f")
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a number", field=field)
    m = _QTY_RE.match(value.strip())
    if not m:
        raise Invalid(f"{field} must be a number like 1.5 (digits 0-9, at most 3 decimal "
                      f"places), got {value[:40]!r}", field=field)
    qty = Decimal(f"{m.group(1)}.{m.group(2) or 0}")
    if qty <= 0:
        raise Invalid(f"{field} must be greater than zero", field=field)
    milli = int(qty * 1000)
    if milli > MAX_QTY_MILLI:
        raise Invalid(f"{field} is absurdly large (more than 10000)", field=field)
    return milli


def qty_str(milli: int) -> str:
    """Integer thousandths -> '1.500'."""
    sign = "-" if milli < 0 else ""
    milli = abs(milli)
    return f"{sign}{milli // 1000}.{milli % 1000:03d}"


def line_amount(price: int, qty_milli: int) -> int:
    """The documented per-line rounding: price x qty, half up, to the kopeck."""
    return (price * qty_milli + 500) // 1000


def vat_included(amount: int, rate: str) -> int:
    """VAT contained in a VAT-inclusive amount, half up: amount * r / (100 + r)."""
    if rate in ("none", "0"):
        return 0
    r = int(rate)
    return (amount * r * 2 + (100 + r)) // (2 * (100 + r))


def vat_breakdown(lines) -> list[dict]:
    """VAT per rate of a sale's or a receipt's lines (each after its discount), by rate."""
    per_rate: dict[str, int] = {}
    for ln in lines:
        per_rate[ln["vat"]] = per_rate.get(ln["vat"], 0) + vat_included(
            ln["amount"] - ln["discount"], ln["vat"])
    return [{"rate": r, "amount": a} for r, a in sorted(per_rate.items())]


def share(total: int, part_milli: int, whole_milli: int) -> int:
    """total x part/whole, half up.  Used cumulatively so that parts always add up to total."""
    if whole_milli == 0:
        return 0
    return (total * part_milli * 2 + whole_milli) // (2 * whole_milli)
