"""Manual discounts and price overrides (issue 19): per line and per receipt, percent or
amount, with a reason; past [sales] cashier_discount_limit a manager approves; the money
flows net through the sale, the receipt, loyalty and returns; bad input writes nothing."""

import json
import uuid

import pytest

from agent import receipts
from agent.discounts import spread
from agent.models import Audit, Outbox, Sale, SaleLine

MGR = {"approval_login": "maria", "approval_pin": "9999"}


def counts():
    return tuple(m.select().count() for m in (Sale, SaleLine, Outbox))


def quote(api, lines, **extra):
    r = api.post("/api/v1/sales/quote", json={"lines": lines, **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_spread_is_proportional_half_up_and_the_last_line_takes_the_remainder():
    assert spread(100, [100, 100, 100]) == [33, 33, 34]
    assert spread(1000, [8990, 5450]) == [623, 377]  # 622.6 -> 623, rest 377
    assert sum(spread(7, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])) == 7
    parts = spread(30, [10, 10, 10, 1])  # the remainder would be negative for the last line
    assert sum(parts) == 30 and all(0 <= p <= w for p, w in zip(parts, [10, 10, 10, 1], strict=True))


def test_a_line_percent_discount_is_rounded_half_up_once(cashier, open_shift):
    q = quote(cashier, [{"sku": "MILK", "qty": 3,
                         "discount": {"percent": "5", "reason": "помятая упаковка"}}])
    line = q["lines"][0]
    # 3 x 89.90 = 269.70; 5 % = 13.485 -> 13.49
    assert (line["gross"], line["manual_discount"], line["amount"]) == (26970, 1349, 25621)
    assert q["total"] == 25621 and q["manual_discount"] == 1349
    assert line["discount_reason"] == "помятая упаковка" and not q["approval_required"]
    sale = cashier.sell([{"sku": "MILK", "qty": 3,
                          "discount": {"percent": "5", "reason": "помятая упаковка"}}])
    assert sale["total"] == 25621 and sale["manual_discount"] == 1349
    got = cashier.get(f"/api/v1/sales/{sale['sale_id']}").get_json()
    assert got["lines"][0]["manual_discount"] == 1349 and got["lines"][0]["gross"] == 26970
    ev = json.loads(Outbox.select().where(Outbox.type == "sale.completed").get().payload)
    assert ev["manual_discount"] == 1349
    assert ev["lines"][0]["manual_discount"] == 1349 and ev["lines"][0]["gross"] == 26970
    assert ev["lines"][0]["discount_reason"] == "помятая упаковка"


def test_a_receipt_discount_is_spread_in_proportion(cashier, open_shift):
    lines = [{"sku": "MILK"}, {"sku": "BREAD"}]
    q = quote(cashier, lines, discount={"amount": 1000, "reason": "постоянный покупатель"})
    assert [ln["manual_discount"] for ln in q["lines"]] == [623, 377]
    assert q["total"] == 8990 + 5450 - 1000
    q = quote(cashier, lines, discount={"percent": "10", "reason": "акция"})
    assert q["manual_discount"] == 1444  # 10 % of 144.40
    assert sum(ln["manual_discount"] for ln in q["lines"]) == 1444


def test_the_typed_receipt_and_fiscal_lines_are_net(store, cashier, open_shift):
    sale = cashier.sell([{"sku": "MILK", "qty": 2}, {"sku": "BREAD"}],
                        discount={"amount": 500, "reason": "акция"})
    doc = receipts.for_sale(store, sale["sale_id"])
    assert doc.total == sale["total"] == 8990 * 2 + 5450 - 500
    assert sum(ln.amount for ln in doc.lines) == doc.total
    assert doc.discount_total == 500 and doc.gross_total == 8990 * 2 + 5450


def test_over_the_limit_needs_a_managers_approval_and_a_senior_will_not_do(cashier, open_shift):
    lines = [{"sku": "COFFEE", "discount": {"percent": "25", "reason": "витринный образец"}}]
    assert quote(cashier, lines)["approval_required"]
    before = counts()
    body = {"client_ref": uuid.uuid4().hex, "lines": lines,
            "payments": [{"method": "card", "amount": 34425}]}
    r = cashier.post("/api/v1/sales", json=body)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_required"
    r = cashier.post("/api/v1/sales", json={**body, "approval_login": "boris",
                                            "approval_pin": "2222"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_not_allowed"
    assert counts() == before
    r = cashier.post("/api/v1/sales", json={**body, **MGR})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["total"] == 34425 and r.get_json()["discount_approved_by"] == "maria"
    audit = Audit.select().where(Audit.action == "sale.discounted").get()
    assert audit.cashier.login == "maria"
    assert json.loads(audit.detail)["reasons"] == ["витринный образец"]


def test_within_the_limit_a_cashier_needs_no_approval(cashier, open_shift):
    sale = cashier.sell([{"sku": "COFFEE", "discount": {"percent": "10", "reason": "акция"}}])
    assert sale["discount_approved_by"] is None and sale["total"] == 41310


def test_line_and_receipt_discounts_add_up_against_the_limit(cashier, open_shift):
    lines = [{"sku": "COFFEE", "discount": {"percent": "8", "reason": "акция"}}]
    assert not quote(cashier, lines)["approval_required"]
    assert quote(cashier, lines, discount={"percent": "5", "reason": "карта"})["approval_required"]


def test_a_price_override_needs_a_manager(cashier, manager, open_shift):
    lines = [{"sku": "BREAD", "price": 4000, "reason": "уценка: вчерашний"}]
    q = quote(cashier, lines)
    assert q["approval_required"] and q["lines"][0]["catalog_price"] == 5450
    assert q["total"] == 4000
    r = cashier.post("/api/v1/sales", json={"client_ref": "ovr-1", "lines": lines,
                                            "payments": [{"method": "cash", "amount": 4000}]})
    assert r.status_code == 403
    sale = manager.sell(lines)  # a manager's own session approves
    assert sale["total"] == 4000 and sale["discount_approved_by"] == "maria"
    # fix 28: an override below the catalog is a manual reduction from the catalog price
    # (this test asserted the line's price 4000 before: the line now reads 54.50 - 14.50)
    assert (sale["lines"][0]["price"], sale["lines"][0]["gross"]) == (5450, 5450)


def test_an_override_below_the_catalog_counts_as_a_manual_discount(store, manager, open_shift):
    sale = manager.sell([{"sku": "BREAD", "price": 5000, "reason": "уценка"},
                         {"sku": "MILK", "price": 9990, "reason": "новая цена"}])
    bread, milk = sale["lines"]
    assert (bread["gross"], bread["manual_discount"], bread["amount"]) == (5450, 450, 5000)
    assert bread["catalog_price"] == 5450
    assert (milk["gross"], milk["manual_discount"], milk["amount"]) == (9990, 0, 9990)
    assert sale["manual_discount"] == 450 and sale["total"] == 5000 + 9990
    doc = receipts.for_sale(store, sale["sale_id"])
    assert doc.discount_total == 450 and doc.gross_total == 5450 + 9990
    ev = json.loads(Outbox.select().where(Outbox.type == "sale.completed").get().payload)
    assert [(ln["gross"], ln["manual_discount"]) for ln in ev["lines"]] == [(5450, 450),
                                                                             (9990, 0)]


@pytest.mark.parametrize("lines,extra,field", [
    ([{"sku": "MILK", "discount": {"percent": "101", "reason": "x"}}], {},
     "lines[0].discount.percent"),
    ([{"sku": "MILK", "discount": {"amount": 9000, "reason": "x"}}], {},
     "lines[0].discount.amount"),
    ([{"sku": "MILK", "discount": {"percent": "5"}}], {}, "lines[0].discount.reason"),
    ([{"sku": "MILK", "discount": {"percent": "-5", "reason": "x"}}], {},
     "lines[0].discount.percent"),
    ([{"sku": "MILK", "discount": {"percent": "5", "amount": 10, "reason": "x"}}], {},
     "lines[0].discount"),
    ([{"sku": "MILK", "price": -100, "reason": "x"}], MGR, "lines[0].price"),
    ([{"sku": "MILK", "price": 0, "reason": "x"}], MGR, "lines[0].price"),
    ([{"sku": "MILK", "price": 5000}], MGR, "lines[0].reason"),
    ([{"sku": "MILK"}], {"discount": {"amount": 9000, "reason": "x"}}, "discount.amount"),
    ([{"sku": "MILK"}], {"discount": {"percent": "100.5", "reason": "x"}}, "discount.percent"),
    # strict decimal syntax (fix 28): no exponent, sign, spaces inside, or a float
    ([{"sku": "MILK", "discount": {"percent": "1e2", "reason": "x"}}], {},
     "lines[0].discount.percent"),
    ([{"sku": "MILK"}], {"discount": {"percent": "1E1", "reason": "x"}}, "discount.percent"),
    ([{"sku": "MILK"}], {"discount": {"percent": "+5", "reason": "x"}}, "discount.percent"),
    ([{"sku": "MILK"}], {"discount": {"percent": "5.", "reason": "x"}}, "discount.percent"),
    ([{"sku": "MILK"}], {"discount": {"amount": "100", "reason": "x"}}, "discount.amount"),
    ([{"sku": "MILK"}], {"discount": {"amount": 100.0, "reason": "x"}}, "discount.amount"),
    ([{"sku": "MILK"}], {"discount": {"percent": "10", "reason": "  "}}, "discount.reason"),
])
def test_bad_discounts_are_refused_and_write_nothing(cashier, open_shift, lines, extra, field):
    before = counts()
    for path in ("/api/v1/sales/quote", "/api/v1/sales"):
        r = cashier.post(path, json={"client_ref": uuid.uuid4().hex, "lines": lines,
                                     "payments": [{"method": "cash", "amount": 100000}], **extra})
        assert r.status_code == 400, r.get_json()
        assert r.get_json()["error"]["field"] == field
    assert counts() == before


def test_bonus_accrues_on_money_paid_and_a_return_refunds_the_net(cashier, manager, open_shift):
    cashier.post("/api/v1/customers", json={"phone": "+79161234567"})
    sale = cashier.sell([{"sku": "MILK", "qty": 4, "discount": {"amount": 2000, "reason": "акция"}}],
                        customer_phone="+79161234567")
    net = 4 * 8990 - 2000
    assert sale["total"] == net and sale["bonus_earned"] == net * 5 // 100
    line = sale["lines"][0]["line_id"]
    r = manager.post("/api/v1/returns", json={"client_ref": uuid.uuid4().hex,
                                              "sale_id": sale["sale_id"],
                                              "lines": [{"line_id": line, "qty": 1}]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["total"] == net // 4  # a quarter of the net, not of the gross
