"""Sale lines at the hub and the sales reports: by product, day and store; returns by line."""

from __future__ import annotations

import pytest

from .test_hub_fleet import at, ev, push


def line(line_id, sku, qty, price, discount=0, vat="20", name=None):
    amount = price * int(qty)
    return {"line_id": line_id, "sku": sku, "name": name or sku.title(), "qty": f"{qty}.000",
            "price": price, "amount": amount, "discount": discount, "vat": vat,
            "bonus_earned": 0}


def sale(sale_id, lines, created):
    total = sum(ln["amount"] - ln["discount"] for ln in lines)
    return {"sale_id": sale_id, "total": total, "subtotal": total, "created_at": created,
            "lines": lines}


def report(hub, by, extra=""):
    status, body = hub.admin(f"/hub/v1/reports/sales?by={by}&days=30{extra}")
    assert status == 200, body
    return body["items"]


@pytest.fixture
def sold(any_hub):
    hub = any_hub
    a, b = hub.add_store("A"), hub.add_store("B")
    now = at(60)
    push(hub, a, "A", [
        ev("A", 1, "sale.completed", sale(1, [line(11, "MILK", 2, 8990, discount=990),
                                              line(12, "BREAD", 1, 4500, vat="10")], now), now),
        ev("A", 2, "sale.completed", sale(2, [line(21, "MILK", 5, 8990)], now), now),
        ev("A", 3, "sale.voided", {"sale_id": 2, "lines": [{"sku": "MILK", "qty": "5"}]}, now),
        ev("A", 4, "sale.returned", {"return_id": 1, "sale_id": 1, "total": 8495, "created_at":
                                     now, "lines": [{"line_id": 11, "sku": "MILK", "qty": "1",
                                                     "amount": 8495}]}, now)])
    push(hub, b, "B", [ev("B", 1, "sale.completed",
                          sale(1, [line(1, "MILK", 1, 8990, name='<img src=x onerror=1>')], now),
                          now)])
    return hub


def test_report_by_product_nets_discounts_vat_and_returns_by_line(sold):
    items = {r["sku"]: r for r in report(sold, "product")}
    milk, bread = items["MILK"], items["BREAD"]
    # sale 2 was voided: only A's sale 1 (2 x 89.90 less 9.90) and B's one milk count
    assert milk["qty"] == "3.000" and milk["amount"] == 3 * 8990 and milk["discount"] == 990
    assert milk["net"] == 3 * 8990 - 990
    assert milk["vat"] == (17980 - 990) * 20 // 120 + 8990 * 20 // 120 + 1  # half up per line
    assert milk["returned_qty"] == "1.000" and milk["returned_amount"] == 8495
    assert milk["net_after_returns"] == milk["net"] - 8495
    assert bread == {**bread, "qty": "1.000", "net": 4500, "vat": 409, "returned_qty": "0.000"}
    one = {r["sku"]: r for r in report(sold, "product", "&store_id=B")}
    assert list(one) == ["MILK"] and one["MILK"]["qty"] == "1.000"


def test_report_by_store_and_by_day(sold):
    stores = {r["store_id"]: r for r in report(sold, "store")}
    assert stores["A"]["sales_count"] == 1 and stores["A"]["returns_total"] == 8495
    assert stores["A"]["net_total"] == 17980 - 990 + 4500 - 8495
    assert stores["B"]["sales_total"] == 8990
    days = report(sold, "day")
    assert sum(d["sales_count"] for d in days) == 2
    assert sum(d["net_total"] for d in days) == stores["A"]["net_total"] + 8990


def test_report_refuses_an_unknown_grouping(sold):
    status, body = sold.admin("/hub/v1/reports/sales?by=cashier")
    assert status == 400 and body["error"]["field"] == "by"
    assert sold.admin("/hub/v1/reports/sales?days=0")[0] == 400


def test_report_counts_a_manual_discount_with_the_bonus_share(any_hub):
    """A line discounted by hand arrives with ``amount`` after the discount and ``gross``
    before it: the report shows the gross and both discounts, so the net stays what was paid."""
    hub = any_hub
    a = hub.add_store("A")
    now = at(60)
    ln = line(11, "MILK", 2, 8990, discount=500)
    ln.update(gross=17980, amount=17980 - 1798, manual_discount=1798, discount_reason="damaged")
    push(hub, a, "A", [ev("A", 1, "sale.completed", sale(1, [ln], now), now)])
    milk = {r["sku"]: r for r in report(hub, "product")}["MILK"]
    assert milk["amount"] == 17980 and milk["discount"] == 1798 + 500
    assert milk["net"] == 17980 - 1798 - 500


def test_report_by_product_counts_returns_without_a_sale_here(sold):
    """Fix 28 #5: a return without a receipt and a return of another store's sale
    (``return.without_sale``) count in the returning store's by-product "returned"."""
    now = at(60)

    def without_sale(return_id, kind, qty, **extra):
        return {"return_id": return_id, "client_ref": f"r{return_id}", "kind": kind,
                "total": 8990 * qty, "created_at": now, "reason": "чек утерян",
                "lines": [{"sku": "MILK", "qty": f"{qty}.000", "price": 8990,
                           "amount": 8990 * qty}], **extra}

    b_token = sold.add_store("B2")
    push(sold, b_token, "B2", [
        ev("B2", 1, "return.without_sale",
           without_sale(1, "foreign", 1, origin_store="A", origin_sale="1"), now),
        ev("B2", 2, "return.without_sale", without_sale(2, "no_receipt", 2), now)])
    milk = {r["sku"]: r for r in report(sold, "product")}["MILK"]
    assert milk["returned_qty"] == "4.000" and milk["returned_amount"] == 8495 + 3 * 8990
    mine = {r["sku"]: r for r in report(sold, "product", "&store_id=B2")}
    assert mine["MILK"]["returned_qty"] == "3.000" and mine["MILK"]["qty"] == "0.000"
