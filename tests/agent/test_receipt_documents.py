"""The one receipt shape: a receipt that breaks a money rule is never built."""

import dataclasses

import pytest

from agent.documents import (
    Receipt,
    ReceiptError,
    ReceiptLine,
    ReceiptPayment,
    StoreHeader,
    allocate,
)
from drivers.fiscal.receipt import plan_receipt
from drivers.receipt_layout import receipt_text

MILK = ReceiptLine(name="Молоко", sku="MILK", qty="3.000", unit="pcs", price=8990,
                   gross=26970, discount=1000, amount=25970, vat="10")
CHEESE = ReceiptLine(name="Сыр", sku="CHEESE", qty="2.517", unit="kg", price=89900,
                     gross=226278, discount=3001, amount=223277, vat="10")


def receipt(**kw):
    values = dict(kind="sale", sale_id=1, store=StoreHeader("S1", "Магазин"), register_id="1",
                  cashier="Анна", shift_number=1, receipt_number=1,
                  created_at="2026-11-23T10:15:00Z", lines=(MILK, CHEESE), total=249247,
                  payments=(ReceiptPayment("card", 200000), ReceiptPayment("cash", 50000)),
                  change=753)
    values.update(kw)
    return Receipt(**values)


def test_lines_must_add_up_to_the_total_and_payments_to_it():
    assert receipt().total == 249247
    with pytest.raises(ReceiptError, match="add up"):
        receipt(total=249248, change=752)
    with pytest.raises(ReceiptError, match="payments"):
        receipt(change=0)
    with pytest.raises(ReceiptError, match="gross"):
        dataclasses.replace(MILK, amount=26970)
    with pytest.raises(ReceiptError, match="integer kopecks"):
        dataclasses.replace(MILK, price=89.9)
    with pytest.raises(ReceiptError, match="refunds"):
        receipt(kind="return", return_id=2)


def test_round_trip_and_the_old_shape_is_refused():
    r = receipt()
    assert Receipt.from_dict(r.to_dict()) == r
    old = r.to_dict()
    for ln in old["lines"]:
        del ln["gross"]
    with pytest.raises(ReceiptError):
        Receipt.from_dict(old)


def test_the_register_gets_the_net_amounts_even_for_a_discounted_weighed_line():
    plan = plan_receipt(receipt())
    assert plan.total == 249247 == sum(op.amount for op in plan.operations)
    for op in plan.operations:  # what the register checks: price x qty within a kopeck
        assert abs((op.price * op.qty_micro + 500_000) // 1_000_000 - op.amount) <= 1
    text = receipt_text(receipt())
    assert "-30,01" in text and "=2 232,77" in text.replace("\u00a0", " ")


def test_allocate_adds_up_and_never_exceeds_a_weight():
    assert allocate(7, [3, 3, 3]) == [3, 2, 2]
    parts = allocate(1001, [333, 333, 335])
    assert sum(parts) == 1001 and all(p <= w for p, w in zip(parts, [333, 333, 335],
                                                              strict=True))
