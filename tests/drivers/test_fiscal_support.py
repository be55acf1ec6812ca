"""Shared helpers for the fiscal tests: emulator + driver pairs, sample receipts.

Kept in a ``test_fiscal_*`` module (no tests of its own) so the fiscal suite needs no
conftest. Timeouts are short so the whole suite stays fast; every wait is bounded.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pytest

from drivers.fiscal import open_fiscal
from drivers.fiscal.emulator import ShtrihEmulator
from drivers.fiscal.shtrih import ShtrihRegister

FAST = "timeout=0.6&report_timeout=1.0&control_timeout=0.25&byte_timeout=0.3"
CASHIER = "Иванова Анна"


@contextmanager
def emulated(transport: str = "pty", query: str = FAST, *, shift_open: bool = False,
             register_kwargs: dict[str, Any] | None = None,
             **device_kwargs: Any) -> Iterator[tuple[ShtrihEmulator, ShtrihRegister]]:
    """A running emulator and our driver connected to it (through its URL)."""
    with ShtrihEmulator(transport, **device_kwargs) as emu:
        reg = open_fiscal(f"{emu.url}?{query}", recovery_delay=0.05,
                          **(register_kwargs or {}))
        assert isinstance(reg, ShtrihRegister)
        try:
            if shift_open:
                reg.open_shift(CASHIER)
            yield emu, reg
        finally:
            reg.close()


#: run a test on both links: ``@BOTH_LINKS`` then a ``transport`` argument
BOTH_LINKS = pytest.mark.parametrize("transport", ["pty", "tcp"])


def line(name: str, qty: str, price: int, vat: str, amount: int | None = None) -> dict[str, Any]:
    if amount is None:
        from decimal import ROUND_HALF_UP, Decimal
        amount = int((Decimal(qty) * price).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {"name": name, "sku": name[:8], "qty": qty, "unit": "pcs", "price": price,
            "amount": amount, "discount": 0, "vat": vat}


def receipt(sale_id: int = 1, lines: list[dict[str, Any]] | None = None,
            payments: list[dict[str, Any]] | None = None, kind: str = "sale",
            **extra: Any) -> dict[str, Any]:
    """A receipt dict shaped like docs/receipt-shape.md."""
    lines = lines or [line("Молоко 3,2% 1 л", "2.000", 8990, "20"),
                      line("Яблоки Гала", "0.755", 19900, "10")]
    total = sum(x["amount"] for x in lines)
    payments = payments or [{"method": "cash", "amount": total}]
    paid = sum(p["amount"] for p in payments)
    doc = {"kind": kind, "sale_id": sale_id, "return_id": None,
           "store": {"id": "S001", "name": "Магазин №1"}, "register_id": "1", "cashier": CASHIER,
           "shift_number": 1, "receipt_number": sale_id, "created_at": "2026-11-23T10:15:00Z",
           "lines": lines, "total": total, "vat": [], "payments": payments,
           "change": paid - total, "bonus": None, "customer_phone": None, "qr": None,
           "fiscal": None}
    doc.update(extra)
    return doc


def run_with_timeout(fn: Callable[[], Any],
                     timeout: float) -> tuple[bool, Any, BaseException | None]:
    """Run ``fn`` in a daemon thread: (finished, result, exception). pyshtrih can loop
    forever (paper out), so every call to it goes through here."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    return (not t.is_alive(), box.get("result"), box.get("error"))


def vat_totals(receipts: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in receipts:
        for rate, amount in r["vat"].items():
            out[rate] = out.get(rate, 0) + amount
    return out
