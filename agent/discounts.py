"""Manual discounts and price overrides on a sale, with their one rounding rule.

A cart line may carry ``"price"`` (an override of the catalog price, a manager's decision)
and ``"discount": {"percent": "10"} | {"amount": 1500}`` with ``"reason"``; the whole cart
may carry ``"discount"`` the same way.  Rounding: a line's discount is rounded once, half
up to the kopeck; a receipt discount is spread over the lines in proportion to what is left
of each (half up), the last line taking the remainder.

After :func:`apply` a priced line's ``amount`` is what it costs before the bonus (catalog
or overridden price x qty, less every manual discount), so everything downstream (bonus
cap and accrual on money paid, VAT, the fiscal register's net amounts, proportional
returns) works from it unchanged.  ``gross`` keeps price x qty and ``manual_discount`` the
kopecks taken off by hand; ``catalog_price`` is set only when the price was overridden.
An override below the catalog price is a manual reduction: the line keeps the catalog price
and gross, and the difference is its manual discount (receipt, fiscal net, hub discounts);
one above it is a new price (price and gross at it, no discount).

Past ``[sales] cashier_discount_limit`` percent (any line's manual reduction against its
catalog amount), and for any price override, the sale needs a manager: the session's own
role or ``approval_login`` + ``approval_pin`` (``cashiers.approve``, audited).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import Invalid
from .money import line_amount, require_amount

MAX_REASON = 200


_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")  # strict: no exponent, sign or "5."


def _half_up_div(numerator: int, denominator: int) -> int:
    return (numerator * 2 + denominator) // (2 * denominator)


def _percent(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise Invalid(f"{field} must be a percent like \"10\" or \"2.5\"", field=field)
    if not _PERCENT.fullmatch(value.strip() if isinstance(value, str) else str(value)):
        raise Invalid(f"{field} must be a percent like \"10\" or \"2.5\": digits and at most "
                      "2 decimals", field=field)
    try:
        pct = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise Invalid(f"{field} must be a percent like \"10\" or \"2.5\"", field=field) from None
    if not pct.is_finite() or pct <= 0 or pct != pct.quantize(Decimal("0.01")):
        raise Invalid(f"{field} must be greater than 0 with at most 2 decimals", field=field)
    if pct > 100:
        raise Invalid(f"{field} may not be more than 100", field=field,
                      code="discount_too_large")
    return pct


def _reason(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("a discount needs a reason", field=field, code="reason_required")
    if len(value.strip()) > MAX_REASON:
        raise Invalid(f"the reason is longer than {MAX_REASON} characters", field=field)
    return value.strip()


def parse(spec, field: str, reason=None) -> dict | None:
    """``{"percent"} | {"amount"}`` (+ ``"reason"``, inside or given alongside) -> a
    checked spec ``{"percent": Decimal}`` or ``{"amount": int}`` with ``"reason"``."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise Invalid(f"{field} must be an object with percent or amount", field=field)
    has_pct, has_amt = spec.get("percent") is not None, spec.get("amount") is not None
    if has_pct == has_amt:
        raise Invalid(f"{field} needs exactly one of percent or amount", field=field)
    out = {"reason": _reason(spec.get("reason", reason), f"{field}.reason")}
    if has_pct:
        out["percent"] = _percent(spec["percent"], f"{field}.percent")
    else:
        out["amount"] = require_amount(spec["amount"], f"{field}.amount", allow_zero=False)
    return out


def _off(spec: dict, base: int, field: str) -> int:
    """The kopecks ``spec`` takes off ``base``, half up; never more than ``base``."""
    if "percent" in spec:
        pct = spec["percent"]  # exact: percent has at most 2 decimals
        return _half_up_div(base * int(pct * 100), 10000)
    if spec["amount"] > base:
        raise Invalid(f"{field}.amount {spec['amount']} is more than the {base} it "
                      "discounts", field=f"{field}.amount", code="discount_too_large")
    return spec["amount"]


def spread(total: int, weights: list[int]) -> list[int]:
    """``total`` over ``weights`` in proportion, each half up, the last taking the
    remainder.  Should the remainder fall outside 0..its weight (tiny last lines), the
    cumulative rule of ``money.share`` is used instead, which never does."""
    whole = sum(weights)
    if not whole or not total:
        return [0] * len(weights)
    parts = [_half_up_div(total * w, whole) for w in weights[:-1]]
    last = total - sum(parts)
    if 0 <= last <= weights[-1] and all(p <= w for p, w in zip(parts, weights, strict=False)):
        return parts + [last]
    out, done = [], 0
    for w in weights:
        out.append(_half_up_div(total * (done + w), whole) - _half_up_div(total * done, whole))
        done += w
    return out


def apply(lines: list[dict], raw_lines: list, body: dict, limit_percent: int) -> dict:
    """Apply overrides and discounts to priced ``lines`` in place (``raw_lines``: the cart
    as sent).  Returns ``{"manual_discount", "needs_approval", "reasons", "overrides"}``."""
    overrides, reasons = [], []
    for i, (ln, raw) in enumerate(zip(lines, raw_lines, strict=True)):
        f = f"lines[{i}]"
        catalog_gross = ln["amount"]
        ln["gross"], ln["manual_discount"], ln["discount_reason"] = catalog_gross, 0, None
        ln["catalog_amount"] = catalog_gross
        price = raw.get("price")
        if price is not None:
            if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
                raise Invalid(f"{f}.price must be a positive whole number of kopecks",
                              field=f"{f}.price", code="bad_price")
            require_amount(price, f"{f}.price")
            inner = raw["discount"].get("reason") if isinstance(raw.get("discount"), dict) \
                else None
            reason = _reason(raw.get("reason") or inner, f"{f}.reason")
            if price != ln["price"]:
                ln["catalog_price"] = ln["price"]
                ln["amount"] = line_amount(price, ln["qty_milli"])
                if price > ln["price"]:  # above the catalog: a new price, no discount
                    ln["gross"], ln["price"] = ln["amount"], price
                else:  # below: a manual reduction from the catalog gross
                    ln["manual_discount"] = catalog_gross - ln["amount"]
                ln["discount_reason"] = reason
                overrides.append(ln["line_no"])
                reasons.append(reason)
        spec = parse(raw.get("discount"), f"{f}.discount", raw.get("reason"))
        if spec:
            off = _off(spec, ln["amount"], f"{f}.discount")
            ln["manual_discount"] += off
            ln["amount"] -= off
            ln["discount_reason"] = spec["reason"]
            reasons.append(spec["reason"])
    spec = parse(body.get("discount"), "discount", body.get("discount_reason"))
    if spec:
        base = sum(ln["amount"] for ln in lines)
        total_off = _off(spec, base, "discount")
        for ln, part in zip(lines, spread(total_off, [ln["amount"] for ln in lines]),
                            strict=True):
            ln["manual_discount"] += part
            ln["amount"] -= part
            if part and not ln["discount_reason"]:
                ln["discount_reason"] = spec["reason"]
        reasons.append(spec["reason"])
    needs = bool(overrides)
    for ln in lines:
        cut = ln["catalog_amount"] - ln["amount"]
        if cut > 0 and cut * 100 > limit_percent * ln["catalog_amount"]:
            needs = True
    return {"manual_discount": sum(ln["gross"] - ln["amount"] for ln in lines),
            "needs_approval": needs, "reasons": reasons, "overrides": overrides}
