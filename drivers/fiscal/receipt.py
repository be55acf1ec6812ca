"""Turn the agent's receipt (docs/receipt-shape.md) into register operations.

Each line goes to the register with its *net* amount (after its discount), so the lines
add up to the receipt total; a discounted line gets an effective unit price.

Everything here is checked *before* a byte goes to the register: a receipt the register
would refuse half-way (payments below the total, a VAT rate with no mapping, a quantity
with more than 6 decimals) is rejected with :class:`ConfigError`, so no receipt is opened
just to be cancelled.

VAT byte (FF46 "tax rate"): a bit mask selecting the register's tax group. Public Shtrih-M
documentation gives 0x01 20%, 0x02 10%, 0x04 0%, 0x08 no VAT, 0x10 20/120, 0x20 10/110.
How firmware encodes 22% (from 2026) is not publicly documented. Our default maps "22" to
0x01, tax group 1 = the standard rate: when the standard rate went from 18% to 20% in 2019,
Shtrih firmware re-pointed group 1 and the byte stayed 0x01; we assume the same for 22%.
Override per register with ``vat22=`` (and ``vat20=``...) in the register URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from drivers.receipt_view import ReceiptDocument, receipt_view

from .errors import Category, ConfigError

DEFAULT_VAT_MAP: dict[str, int] = {
    "22": 0x01, "20": 0x01, "10": 0x02, "0": 0x04, "none": 0x08,
    "22/122": 0x10, "20/120": 0x10, "10/110": 0x20,
}
#: receipt payment method -> index (0-based) of the 16 FF45 payment sums
#: (0 cash, 1 electronic/card, 13 prepayment, 14 credit, 15 counter-provision).
DEFAULT_PAYMENT_SLOTS: dict[str, int] = {"cash": 0, "card": 1, "advance": 13, "bonus": 15}
#: tag 1214 "признак способа расчёта": 4 = полный расчёт.  A receipt that settles an advance
#: (a pick-up order paid online: its "advance" payment goes in sum 14, "предварительная
#: оплата (зачёт аванса)", tag 1215) must be a full settlement on every line.
FULL_SETTLEMENT = 4

OP_SALE, OP_SALE_RETURN = 1, 2  # FF46 operation type / receipt type in the ФН (tag 1054)
TAG_CASHIER, TAG_CUSTOMER_CONTACT = 1021, 1008


@dataclass(frozen=True)
class Operation:
    """One FF46 line: quantity in millionths, money in kopecks."""

    op_type: int
    qty_micro: int
    price: int
    amount: int
    vat_byte: int
    vat: str
    department: int
    payment_method: int
    subject: int
    name: str


@dataclass
class ReceiptPlan:
    kind: str
    op_type: int
    operations: list[Operation]
    payments: list[int]  # 16 sums for FF45
    total: int
    cash: int
    cashier: str | None
    contact: str | None
    tax_system: int
    key: str = ""
    vat_totals: dict[str, int] = field(default_factory=dict)


def _kopecks(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"Неверная сумма в чеке ({what})",
                          f"{what} must be integer kopecks, got {value!r}")
    if value < 0:
        raise ConfigError(f"Отрицательная сумма в чеке ({what})", f"{what} is negative: {value}")
    return value


def qty_to_micro(qty: Any) -> int:
    """"2.000" -> 2_000_000 (the register takes 6 decimals); never via float."""
    if isinstance(qty, float):
        raise ConfigError("Неверное количество в чеке", f"quantity must not be a float: {qty!r}")
    try:
        d = Decimal(str(qty))
    except InvalidOperation as exc:
        raise ConfigError("Неверное количество в чеке", f"bad quantity {qty!r}") from exc
    micro = d * 1_000_000
    if micro != micro.to_integral_value() or micro <= 0:
        raise ConfigError("Неверное количество в чеке", f"quantity {qty!r} is not a positive "
                          "number with at most 6 decimals")
    return int(micro)


def line_amount(price: int, qty_micro: int) -> int:
    """What the register computes for price x qty, rounded half up to a kopeck."""
    return (price * qty_micro + 500_000) // 1_000_000


def _price_lines(price: int, qty_micro: int, amount: int) -> list[tuple[int, int, int]]:
    """(qty_micro, price, amount) parts whose price x qty is within the register's +-1 kop.

    A discounted line (amount != price x qty) gets the effective unit price; when that still
    misses by more than a kopeck (e.g. 10 x 100.5), an integer quantity is split in two lines
    that add up exactly.
    """
    if abs(line_amount(price, qty_micro) - amount) <= 1:
        return [(qty_micro, price, amount)]
    eff = (amount * 1_000_000 + qty_micro // 2) // qty_micro
    if abs(line_amount(eff, qty_micro) - amount) <= 1:
        return [(qty_micro, eff, amount)]
    if qty_micro % 1_000_000 == 0 and qty_micro >= 2_000_000:
        n = qty_micro // 1_000_000
        unit = amount // n
        rest = amount - unit * (n - 1)
        return [((n - 1) * 1_000_000, unit, unit * (n - 1)), (1_000_000, rest, rest)]
    if qty_micro > 1_000_000:  # e.g. 2.5 kg: all but one unit at the effective price
        first = line_amount(eff, qty_micro - 1_000_000)
        if 0 <= first <= amount:
            return [(qty_micro - 1_000_000, eff, first), (1_000_000, amount - first,
                                                          amount - first)]
    raise ConfigError("Скидку на эту позицию нельзя передать в ККТ — измените сумму",
                      f"amount {amount} cannot be expressed as price x {qty_micro / 1e6}")


def receipt_key(receipt: ReceiptDocument) -> str:
    """Identity of a business receipt, to recognise a retry of the same sale."""
    r = receipt_view(receipt)
    store = getattr(r.store, "id", None) if r.store is not None else None
    ident = "|".join(str(v) for v in (r.kind, r.sale_id, r.return_id, store, r.register_id,
                                       r.receipt_number, r.total))
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


def plan_receipt(receipt: ReceiptDocument, *, vat_map: Mapping[str, int] | None = None,
                 payment_slots: Mapping[str, int] | None = None, department: int = 0,
                 payment_method: int = 4, subject: int = 1, tax_system: int = 1) -> ReceiptPlan:
    """Validate the receipt and compute the exact operations to send."""
    receipt = receipt_view(receipt)
    vat_map = dict(DEFAULT_VAT_MAP if vat_map is None else vat_map)
    slots = dict(DEFAULT_PAYMENT_SLOTS if payment_slots is None else payment_slots)
    kind = receipt.kind
    if kind not in ("sale", "return"):
        raise ConfigError("Неизвестный тип чека", f"receipt kind must be sale or return: {kind!r}")
    op_type = OP_SALE if kind == "sale" else OP_SALE_RETURN
    lines = receipt.lines or ()
    if not lines:
        raise ConfigError("В чеке нет позиций", "receipt has no lines")
    settles_advance = any(p.method == "advance" and p.amount for p in receipt.payments or ())
    ops: list[Operation] = []
    vat_totals: dict[str, int] = {}
    total = 0
    for i, line in enumerate(lines):
        name = str(line.name or "").strip()
        if not name:
            raise ConfigError("У позиции нет наименования", f"line {i} has no name")
        vat = str(line.vat or "none").lower()
        if vat not in vat_map or vat_map[vat] is None:
            raise ConfigError(f"Ставка НДС {vat} не настроена для ККТ",
                              f"VAT rate {vat!r} has no register mapping (set vat{vat.split('/')[0]}= "
                              "in the register URL)")
        qty = qty_to_micro(line.qty)
        price = _kopecks(line.price, f"line {i} price")
        amount = line.amount if line.amount is not None else line_amount(price, qty)
        amount = _kopecks(amount, f"line {i} amount")  # net: after the line's discount
        pm = int(getattr(line, "payment_method", None) or payment_method)
        if settles_advance:
            pm = FULL_SETTLEMENT
        subj = int(getattr(line, "subject", None) or subject)
        for q, p, a in _price_lines(price, qty, amount):
            ops.append(Operation(op_type, q, p, a, vat_map[vat], vat, department, pm, subj, name))
        vat_totals[vat] = vat_totals.get(vat, 0) + amount
        total += amount
    declared = receipt.total if receipt.total is not None else total
    if _kopecks(declared, "total") != total:
        raise ConfigError("Сумма чека не совпадает с суммой позиций",
                          f"receipt total {declared} != sum of lines {total}")
    payments = [0] * 16
    for p in receipt.payments or ():
        method = p.method
        if method not in slots:
            raise ConfigError(f"Способ оплаты «{method}» не настроен для ККТ",
                              f"payment method {method!r} has no register slot")
        payments[slots[method]] += _kopecks(p.amount, f"payment {method}")
    paid, cash = sum(payments), payments[0]
    if paid < total:
        raise ConfigError("Оплата меньше итога чека — добавьте оплату",
                          f"payments {paid} < total {total}", category=Category.PAYMENTS)
    if paid - cash > total:
        raise ConfigError("Безналичная оплата больше суммы чека",
                          f"non-cash payments {paid - cash} > total {total}",
                          category=Category.PAYMENTS)
    contact = (getattr(receipt, "customer_email", None) or receipt.customer_phone) or None
    cashier = receipt.cashier or None
    return ReceiptPlan(kind=kind, op_type=op_type, operations=ops, payments=payments, total=total,
                       cash=cash, cashier=cashier, contact=contact, tax_system=tax_system,
                       key=receipt_key(receipt), vat_totals=vat_totals)
