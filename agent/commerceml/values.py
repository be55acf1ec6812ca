"""CommerceML values -> the store's: kopecks, thousandths, units, VAT rates, PLU codes.

All exact: decimals are parsed as text (``Decimal``), never through ``float``.  Each
function returns the value or raises ``ValueError`` with a message fit for the summary.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..event_schema import MAX_AMOUNT

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_DECIMAL = re.compile(r"^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$")
KG_UNITS = {"166", "кг", "kgm", "kg", "килограмм"}
MAX_PLU = 999_999


def decimal(text: str, what: str) -> Decimal:
    """'1 719,50' / '160.32' / '-3' -> Decimal (dot or comma; spaces as thousands separators)."""
    raw = _SPACES.sub("", text or "").replace(",", ".")
    if not _DECIMAL.match(raw):  # ASCII digits only: no exponent, "_" or other scripts
        raise ValueError(f"{what} {text[:40]!r} is not a number")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{what} {text!r} is not a number")
    return value


def kopecks(text: str) -> int:
    """A price in roubles -> kopecks, exactly; a fraction of a kopeck is refused, not rounded."""
    value = decimal(text, "price")
    if value < 0:
        raise ValueError(f"price {text!r} is negative")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"price {text!r} has a fraction of a kopeck")
    if cents > MAX_AMOUNT:
        raise ValueError(f"price {text!r} is absurdly large")
    return int(cents)


def milli(text: str) -> int:
    """A quantity -> integer thousandths (may be negative: 1C lets stock go below zero)."""
    value = decimal(text, "quantity")
    m = value * 1000
    if m != m.to_integral_value():
        raise ValueError(f"quantity {text!r} has more than 3 decimal places")
    if abs(m) > 10**12:
        raise ValueError(f"quantity {text!r} is absurdly large")
    return int(m)


def unit(raw: tuple | None) -> str | None:
    """БазоваяЕдиница (Код, НаименованиеКраткое, МеждународноеСокращение, text) -> kg | pcs.

    Kilograms (ОКЕИ 166, 'кг', KGM) are sold by weight; every other unit is sold in pieces.
    None when the element is absent (an existing product keeps its unit).
    """
    if raw is None:
        return None
    return "kg" if any(part.strip().casefold() in KG_UNITS for part in raw) else "pcs"


def vat(raw: str | None) -> str | None:
    """'20' / '20%' / 'Без НДС' -> a rate the store knows; None when the file has none."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip().casefold().replace("%", "").replace(" ", "").replace("ндс", "")
    if "без" in text or "необлага" in text or text in ("none", "nds_none"):
        return "none"
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        number = None
    if number is not None and number == number.to_integral_value() and \
            str(int(number)) in ("22", "20", "10", "0"):
        return str(int(number))
    raise ValueError(f"VAT rate {raw!r} is not one the store knows (22, 20, 10, 0, none)")


def plu(requisites: dict, code: str | None) -> int | None:
    """The in-store code of a weighed good: ЗначенияРеквизитов 'ПЛУ' (or 'PLU'), else 'Код'
    or a <Код> element -- taken only when it is a plain number (1C codes like 'УТ-00012' are not)."""
    for key in ("ПЛУ", "PLU", "Код"):
        value = requisites.get(key)
        if value is not None:
            break
    else:
        value = code
    value = (value or "").strip()
    if value.isdigit() and value.isascii() and 0 < int(value) <= MAX_PLU:
        return int(value)
    return None


def variant_text(features: list, offer_name: str, parent_name: str) -> str | None:
    """'Размер: 17, Камень: фианит' from ХарактеристикиТовара; without them, what the offer's
    name adds to its product's ('Ботинки (37)' -> '37'); None when neither says anything."""
    if features:
        return ", ".join(f"{n}: {v}" for n, v in features)[:255]
    if offer_name and parent_name and offer_name.startswith(parent_name):
        rest = offer_name[len(parent_name):].strip(" ,;-()")
        return rest[:255] or None
    return None
