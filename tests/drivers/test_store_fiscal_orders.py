"""A pick-up order paid online, handed over in the store: the register receipt settles the
advance (ФФД tag 1214 = 4 "полный расчёт" on every line, the prepayment in FF45 sum 14,
"зачёт аванса"), and the emulated Shtrih-M refuses an advance on any other sign."""

import pytest

from agent import orders, sql
from drivers.fiscal.emulator_device import DeviceFault, EmulatedRegister

from .test_store_fiscal_money import shop  # noqa: F401 - the fixture


def _ready(api, store, order_id, prepaid, lines):
    with store.db.write():
        orders.placed(store, {"order_id": order_id, "store_id": store.store_id,
                              "lines": lines, "prepaid": prepaid})
    for i, status in enumerate(("accepted", "assembled", "ready")):
        r = api.post(f"/api/v1/orders/{order_id}/status",
                     {"client_ref": f"{order_id}-{i}", "status": status})
        assert r.status_code == 200, r.text


def test_prepaid_order_receipt_settles_the_advance(shop):  # noqa: F811
    api, emu, store = shop
    _ready(api, store, "P-1", 2 * 45900, [{"sku": "COFFEE", "qty": "2", "price": 45900}])
    sale = api.post("/api/v1/orders/P-1/collect", {"client_ref": "p1", "payments": []})
    assert sale.status_code == 201, sale.text
    got = api.settled(f"/api/v1/sales/{sale.json()['sale_id']}")
    assert got["status"] == "done", got
    receipt = emu.receipts()[-1]
    assert receipt["total"] == 91800 and receipt["payments"] == {"advance": 91800}
    assert receipt["payments_raw"][13] == 91800
    assert {ln["payment_method"] for ln in receipt["lines"]} == {4}


def test_partly_prepaid_order_pays_the_rest_in_cash(shop):  # noqa: F811
    api, emu, store = shop
    _ready(api, store, "P-2", 5000, [{"sku": "BREAD", "qty": "2", "price": 5450}])
    sale = api.post("/api/v1/orders/P-2/collect", {
        "client_ref": "p2", "payments": [{"method": "cash", "amount": 10000}]})
    assert sale.status_code == 201, sale.text
    assert api.settled(f"/api/v1/sales/{sale.json()['sale_id']}")["status"] == "done"
    receipt = emu.receipts()[-1]
    assert receipt["payments"] == {"advance": 5000, "cash": 10000}
    assert receipt["change"] == 10000 + 5000 - 10900


def test_the_register_refuses_an_advance_on_a_receipt_that_is_not_a_full_settlement():
    reg = EmulatedRegister(shift_open=True)
    reg._start_receipt("sale")
    reg.receipt["lines"].append({"name": "x", "qty_micro": 1_000_000, "price": 100,
                                 "amount": 100, "vat_byte": 8, "vat": "none",
                                 "department": 0, "payment_method": 1, "subject": 1})
    payments = [0] * 16
    payments[13] = 100
    with pytest.raises(DeviceFault) as e:
        reg._close(payments, 1)
    assert e.value.code == 0x33
    reg.receipt["lines"][0]["payment_method"] = 4
    change, doc = reg._close(payments, 1)
    assert change == 0 and doc["payments"] == {"advance": 100}


@pytest.mark.parametrize("phone", ["+79005550000", None])
def test_a_site_redemption_without_a_loyalty_customer_is_a_discount_on_the_lines(shop, phone):  # noqa: F811
    """The hub covered the redemption from the site's own balance; the store need not know
    the customer: the lines still carry it as their discount and add up to the total."""
    api, emu, store = shop
    with store.db.write():
        orders.placed(store, {"order_id": "B-1", "store_id": store.store_id,
                              "customer_phone": phone, "bonus_redeemed": 8000,
                              "lines": [{"sku": "MILK", "qty": "1", "price": 8990}]})
    for i, status in enumerate(("accepted", "assembled", "ready")):
        r = api.post("/api/v1/orders/B-1/status", {"client_ref": f"b-{i}", "status": status})
        assert r.status_code == 200, r.text
    sale = api.post("/api/v1/orders/B-1/collect", {
        "client_ref": "b1", "payments": [{"method": "cash", "amount": 990}]})
    assert sale.status_code == 201, sale.text
    sale_id = sale.json()["sale_id"]
    assert api.settled(f"/api/v1/sales/{sale_id}")["status"] == "done"
    got = api.get(f"/api/v1/sales/{sale_id}").json()
    assert got["total"] == 990
    assert emu.receipts()[-1]["total"] == 990
    preview = api.get(f"/api/v1/receipts/{sale_id}")
    assert preview.status_code == 200, preview.text
    lines = preview.json()["receipt"]["lines"]
    assert sum(ln["amount"] for ln in lines) == 990 and lines[0]["discount"] == 8000
    with store.db.write():  # a sale stored before the fix: lines 8990, total 990
        sql.insert("UPDATE sale_line SET discount = 0 WHERE sale_id = ?", (sale_id,))
    broken = api.get(f"/api/v1/receipts/{sale_id}")
    assert broken.status_code == 409, broken.text
    assert broken.json()["error"]["code"] == "receipt_inconsistent"


def test_return_of_a_prepaid_order_gives_the_advance_back_for_the_site_to_refund(shop):  # noqa: F811
    """The advance part goes back as an "advance" refund (the register's sum 14 on a
    full-settlement return receipt: the prepayment is owed to the customer again and the site
    refunds it to the card); only what was paid at the till comes out of the drawer."""
    api, emu, store = shop
    _ready(api, store, "P-3", 5000, [{"sku": "BREAD", "qty": "2", "price": 5450}])
    sale = api.post("/api/v1/orders/P-3/collect", {
        "client_ref": "p3", "payments": [{"method": "cash", "amount": 5900}]}).json()
    assert api.settled(f"/api/v1/sales/{sale['sale_id']}")["status"] == "done"
    line = sale["lines"][0]
    ret = api.post("/api/v1/returns", {"client_ref": "p3-r1", "sale_id": sale["sale_id"],
                                       "lines": [{"line_id": line["line_id"], "qty": 1}]})
    assert ret.status_code == 201, ret.text
    assert ret.json()["refunds"] == [{"method": "advance", "amount": 5000},
                                     {"method": "cash", "amount": 450}]
    assert api.settled(f"/api/v1/returns/{ret.json()['return_id']}")["status"] == "done"
    receipt = emu.receipts()[-1]
    assert receipt["kind"] == "return" and receipt["payments"] == {"advance": 5000, "cash": 450}
    assert {ln["payment_method"] for ln in receipt["lines"]} == {4}
    # the rest: no advance left, back in cash; more advance than prepaid is refused
    too_much = api.post("/api/v1/returns", {
        "client_ref": "p3-r2", "sale_id": sale["sale_id"],
        "lines": [{"line_id": line["line_id"], "qty": 1}],
        "refunds": [{"method": "advance", "amount": 5450}]})
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == (
        "refund_exceeds_advance")
    ret2 = api.post("/api/v1/returns", {"client_ref": "p3-r2", "sale_id": sale["sale_id"],
                                        "lines": [{"line_id": line["line_id"], "qty": 1}]})
    assert ret2.status_code == 201 and ret2.json()["refunds"] == [
        {"method": "cash", "amount": 5450}]
    assert api.settled(f"/api/v1/returns/{ret2.json()['return_id']}")["status"] == "done"
    x = api.get("/api/v1/shifts/current").json()
    assert x["by_method"]["advance"] == {"sales": 5000, "refunds": 5000, "net": 0}
    assert x["expected_cash"] == 5900 - 450 - 5450


def test_x_report_lists_the_advance_apart_from_cash(shop):  # noqa: F811
    api, emu, store = shop
    _ready(api, store, "P-4", 2 * 45900, [{"sku": "COFFEE", "qty": "2", "price": 45900}])
    assert api.post("/api/v1/orders/P-4/collect",
                    {"client_ref": "p4", "payments": []}).status_code == 201
    x = api.get("/api/v1/shifts/current").json()
    assert x["by_method"]["advance"] == {"sales": 91800, "refunds": 0, "net": 91800}
    assert x["expected_cash"] == 0
