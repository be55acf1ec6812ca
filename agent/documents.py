"""The one receipt shape (docs/receipt-shape.md): typed, built once, checked once.

``agent.receipts`` builds a :class:`Receipt` from a committed sale or return; the layout
(text, HTML, ESC/POS), the fiscal register and the preview API read it by attribute.  A
line's ``amount`` is what the customer pays for it, *net* of its discount (the bonus
redeemed and allocated to it), and the lines add up to ``total`` exactly; ``gross`` and
``discount`` are kept so the slip can show them.  A receipt that breaks a rule is never
built: the constructor raises :class:`ReceiptError`.

``to_dict``/``from_dict`` are the JSON form (the print spool, the API); ``from_dict``
checks everything again, so a spooled job from an older shape is refused, not misprinted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from .money import vat_breakdown
from .text import mask_phone

KINDS = ("sale", "return")
METHODS = ("cash", "card", "advance")  # advance: a pick-up order's prepayment settled
VAT_RATES = ("22", "20", "10", "0", "none")


class ReceiptError(ValueError):
    """The data cannot make a receipt (a programming or data error, never retried)."""


def _money(value, what: str, allow_negative: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReceiptError(f"{what} must be integer kopecks, got {value!r}")
    if value < 0 and not allow_negative:
        raise ReceiptError(f"{what} must not be negative: {value}")
    return value


def _qty(value, what: str) -> str:
    if not isinstance(value, str):
        raise ReceiptError(f"{what} must be a decimal string, got {value!r}")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise ReceiptError(f"{what} is not a number: {value!r}") from None
    if not d.is_finite() or d <= 0 or d != d.quantize(Decimal("0.001")):
        raise ReceiptError(f"{what} must be positive with at most 3 decimals: {value!r}")
    return value


@dataclass(frozen=True)
class StoreHeader:
    id: str
    name: str = ""
    address: str = ""
    inn: str = ""


@dataclass(frozen=True)
class ReceiptLine:
    """``gross`` = qty x price (or a weighed label's price); ``amount`` = gross - discount."""

    name: str
    sku: str
    qty: str
    unit: str
    price: int
    gross: int
    discount: int
    amount: int
    vat: str

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ReceiptError(f"line {self.sku!r} has no name")
        if self.unit not in ("pcs", "kg"):
            raise ReceiptError(f"line {self.sku!r}: unit must be pcs or kg, got {self.unit!r}")
        if self.vat not in VAT_RATES:
            raise ReceiptError(f"line {self.sku!r}: unknown VAT rate {self.vat!r}")
        _qty(self.qty, f"line {self.sku!r} qty")
        for what in ("price", "gross", "discount", "amount"):
            _money(getattr(self, what), f"line {self.sku!r} {what}")
        if self.price <= 0:
            raise ReceiptError(f"line {self.sku!r} has no price")
        if self.gross - self.discount != self.amount:
            raise ReceiptError(f"line {self.sku!r}: amount {self.amount} is not gross "
                               f"{self.gross} less discount {self.discount}")


@dataclass(frozen=True)
class ReceiptPayment:
    method: str
    amount: int

    def __post_init__(self):
        if self.method not in METHODS:
            raise ReceiptError(f"unknown payment method {self.method!r}")
        _money(self.amount, f"payment {self.method}")


@dataclass(frozen=True)
class ReceiptBonus:
    """Kopecks.  On a return ``earned``/``redeemed`` are negative (taken back, given back).
    ``balance`` is the customer's balance right after this sale or return."""

    earned: int
    redeemed: int
    balance: int | None

    def __post_init__(self):
        _money(self.earned, "bonus earned", allow_negative=True)
        _money(self.redeemed, "bonus redeemed", allow_negative=True)
        if self.balance is not None:
            _money(self.balance, "bonus balance", allow_negative=True)


@dataclass(frozen=True)
class FiscalData:
    document_number: int
    fiscal_sign: str
    fn: str | None = None


@dataclass(frozen=True)
class VatAmount:
    rate: str
    amount: int


@dataclass(frozen=True)
class Receipt:
    kind: str
    sale_id: int | None  # None: a return with no sale in this store (no receipt, foreign)
    store: StoreHeader
    register_id: str
    cashier: str
    shift_number: int
    receipt_number: int
    created_at: str
    lines: tuple[ReceiptLine, ...]
    total: int
    payments: tuple[ReceiptPayment, ...]
    change: int = 0
    return_id: int | None = None
    sale_number: int | None = None  # a return: the original sale's receipt number
    sale_shift_number: int | None = None  # ... and its shift
    bonus: ReceiptBonus | None = None
    customer_phone: str | None = None
    # a return without a receipt or of another store's sale: who returned it (the law asks
    # for the name and a document), why, and where the goods were bought
    customer_name: str | None = None
    customer_document: str | None = None
    reason: str | None = None
    origin_store: str | None = None
    origin_sale: str | None = None
    fiscal: FiscalData | None = None
    fiscal_register: bool = False  # a register is configured: the slip is fiscal only once
    qr: str | None = None
    copy: bool = False
    vat: tuple[VatAmount, ...] = field(init=False)
    # the phone as the slip shows it (receipts leave the store: +7916***4567); the fiscal
    # register gets ``customer_phone`` itself for the electronic receipt
    customer_phone_shown: str | None = field(init=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ReceiptError(f"receipt kind must be sale or return, not {self.kind!r}")
        if not self.lines:
            raise ReceiptError("a receipt needs at least one line")
        for what, cls in (("lines", ReceiptLine), ("payments", ReceiptPayment)):
            items = getattr(self, what)
            if not isinstance(items, tuple) or not all(isinstance(x, cls) for x in items):
                raise ReceiptError(f"{what} must be a tuple of {cls.__name__}")
        _money(self.total, "total")
        _money(self.change, "change")
        if sum(ln.amount for ln in self.lines) != self.total:
            raise ReceiptError(f"lines add up to {sum(ln.amount for ln in self.lines)}, "
                               f"not to the total {self.total}")
        paid = sum(p.amount for p in self.payments)
        if self.kind == "return":
            if self.change or paid != self.total:
                raise ReceiptError(f"refunds {paid} must equal the return total {self.total}")
            if self.return_id is None:
                raise ReceiptError("a return receipt needs its return_id")
        elif paid - self.change != self.total:
            raise ReceiptError(f"payments {paid} less change {self.change} are not the "
                               f"total {self.total}")
        # the one VAT breakdown (money.vat_breakdown) over the net line amounts
        per_rate = vat_breakdown([{"vat": ln.vat, "amount": ln.amount, "discount": 0}
                                  for ln in self.lines])
        object.__setattr__(self, "vat", tuple(VatAmount(v["rate"], v["amount"])
                                              for v in per_rate))
        object.__setattr__(self, "customer_phone_shown", mask_phone(self.customer_phone)
                           if self.customer_phone else None)

    @property
    def gross_total(self) -> int:
        return sum(ln.gross for ln in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(ln.discount for ln in self.lines)

    def to_dict(self) -> dict:
        """Plain JSON-able dict (kopecks, strings, lists); ``vat`` and
        ``customer_phone_shown`` included for readers."""
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data) -> "Receipt":
        """The inverse of :meth:`to_dict`; anything else raises :class:`ReceiptError`."""
        if not isinstance(data, dict):
            raise ReceiptError("a receipt must be a JSON object")
        try:
            values = {k: v for k, v in data.items() if k not in ("vat", "customer_phone_shown")}
            values["store"] = StoreHeader(**values["store"])
            values["lines"] = tuple(ReceiptLine(**ln) for ln in values["lines"])
            values["payments"] = tuple(ReceiptPayment(**p) for p in values["payments"])
            if values.get("bonus") is not None:
                values["bonus"] = ReceiptBonus(**values["bonus"])
            if values.get("fiscal") is not None:
                values["fiscal"] = FiscalData(**values["fiscal"])
            return cls(**values)
        except (KeyError, TypeError) as e:
            raise ReceiptError(f"not a receipt of this shape: {e}") from None


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Share ``amount`` over ``weights`` in proportion; the parts add up exactly and none
    exceeds its weight when ``amount <= sum(weights)`` (largest remainders get the kopecks)."""
    whole = sum(weights)
    if not whole or not amount:
        return [0] * len(weights)
    parts = [amount * w // whole for w in weights]
    rest = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % whole), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts
