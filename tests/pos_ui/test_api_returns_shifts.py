import uuid

from agent.models import Outbox, Refund, ReturnLine, SaleReturn, StockMove


def ret_counts():
    return tuple(m.select().count() for m in (SaleReturn, ReturnLine, Refund, StockMove, Outbox))


def test_cashier_return_needs_a_manager_pin(cashier, open_shift):
    sale = cashier.sell([{"sku": "MILK", "qty": 3}], payments=[{"method": "cash", "amount": 30000}])
    line = sale["lines"][0]["line_id"]
    body = {"client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"],
            "lines": [{"line_id": line, "qty": 1}]}
    before = ret_counts()
    r = cashier.post("/api/v1/returns", json=body)
    assert r.status_code == 403 and r.get_json()["error"]["field"] == "approval_pin"
    r = cashier.post("/api/v1/returns", json={**body, "approval_pin": "9999"})  # whose?
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "approval_login"
    r = cashier.post("/api/v1/returns", json={**body, "approval_pin": "1111",
                                              "approval_login": "maria"})  # her own PIN
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_refused"
    r = cashier.post("/api/v1/returns", json={**body, "approval_pin": "2222",
                                              "approval_login": "boris"})  # a senior's
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_not_allowed"
    assert "not a manager" in r.get_json()["error"]["message"]
    assert ret_counts() == before
    r = cashier.post("/api/v1/returns", json={**body, "approval_pin": "9999",
                                              "approval_login": "maria"})
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert got["approved_by"] == "maria" and got["total"] == 8990
    assert got["refunds"] == [{"method": "cash", "amount": 8990}]


def test_partial_returns_never_exceed_what_was_sold_and_add_up(manager):
    manager.post("/api/v1/shifts/open", json={"opening_cash": 0})
    sale = manager.sell([{"sku": "CHEESE", "qty": "0.755"}],
                        payments=[{"method": "card", "amount": 67875}])
    line = sale["lines"][0]["line_id"]
    totals = []
    for qty in ("0.300", "0.300", "0.155"):
        r = manager.post("/api/v1/returns", json={"client_ref": uuid.uuid4().hex,
                                                   "sale_id": sale["sale_id"],
                                                   "lines": [{"line_id": line, "qty": qty}]})
        assert r.status_code == 201, r.get_json()
        totals.append(r.get_json()["total"])
    assert sum(totals) == 67875  # the pieces add up to the line exactly
    before = ret_counts()
    r = manager.post("/api/v1/returns", json={"client_ref": uuid.uuid4().hex,
                                               "sale_id": sale["sale_id"],
                                               "lines": [{"line_id": line, "qty": "0.001"}]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "return_exceeds_sale"
    assert ret_counts() == before
    assert manager.get("/api/v1/stock?sku=CHEESE").get_json()["on_hand"] == "10.000"


def test_refunds_by_method_must_match_and_cannot_overpay_card(manager):
    manager.post("/api/v1/shifts/open", json={"opening_cash": 50000})
    sale = manager.sell([{"sku": "COFFEE", "qty": 2}], payments=[
        {"method": "card", "amount": 50000}, {"method": "cash", "amount": 50000}])
    line = sale["lines"][0]["line_id"]
    base = {"sale_id": sale["sale_id"], "lines": [{"line_id": line, "qty": 2}]}
    r = manager.post("/api/v1/returns", json={**base, "client_ref": "a",
                                               "refunds": [{"method": "cash", "amount": 1}]})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "refunds"
    r = manager.post("/api/v1/returns", json={**base, "client_ref": "b",
                                               "refunds": [{"method": "card", "amount": 91800}]})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "refund_exceeds_card"
    r = manager.post("/api/v1/returns", json={**base, "client_ref": "c"})
    assert r.status_code == 201
    assert r.get_json()["refunds"] == [{"method": "card", "amount": 50000},
                                       {"method": "cash", "amount": 41800}]


def test_return_of_a_line_from_another_sale_is_refused(manager):
    manager.post("/api/v1/shifts/open", json={"opening_cash": 0})
    a = manager.sell([{"sku": "MILK", "qty": 1}])
    b = manager.sell([{"sku": "BREAD", "qty": 1}])
    r = manager.post("/api/v1/returns", json={"client_ref": "x", "sale_id": a["sale_id"],
                                               "lines": [{"line_id": b["lines"][0]["line_id"],
                                                          "qty": 1}]})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "lines"


def test_shift_x_and_z_reports_add_up(cashier, manager):
    assert cashier.get("/api/v1/shifts/current").status_code == 409
    assert cashier.post("/api/v1/shifts/open", json={"opening_cash": 100000}).status_code == 201
    assert cashier.post("/api/v1/shifts/open", json={"opening_cash": 1}).status_code == 409
    s1 = cashier.sell([{"sku": "MILK", "qty": 1}], payments=[{"method": "cash", "amount": 10000}])
    cashier.sell([{"sku": "COFFEE", "qty": 1}], payments=[{"method": "card", "amount": 45900}])
    r = cashier.post("/api/v1/returns", json={"client_ref": "r", "sale_id": s1["sale_id"],
                                              "lines": [{"line_id": s1["lines"][0]["line_id"],
                                                         "qty": 1}], "approval_pin": "9999",
                                              "approval_login": "maria"})
    assert r.status_code == 201
    assert cashier.post("/api/v1/shifts/cash", json={"kind": "in", "amount": 5000,
                                                     "reason": "размен"}).status_code == 201
    r = cashier.post("/api/v1/shifts/cash", json={"kind": "out", "amount": 10**7, "reason": "x"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_required"
    r = cashier.post("/api/v1/shifts/cash", json={"kind": "out", "amount": 10**7, "reason": "x",
                                                  "approval_pin": "9999", "approval_login": "maria"})
    assert r.status_code == 409
    x = cashier.get("/api/v1/shifts/current").get_json()
    assert (x["sales_count"], x["sales_total"], x["returns_total"]) == (2, 54890, 8990)
    assert x["by_method"]["cash"] == {"sales": 8990, "refunds": 8990, "net": 0}
    assert x["by_method"]["card"]["net"] == 45900
    assert x["expected_cash"] == 100000 + 0 + 5000
    z = cashier.post("/api/v1/shifts/close", json={"counted_cash": 104000}).get_json()
    assert (z["counted_cash"], z["difference"]) == (104000, -1000)
    assert cashier.post("/api/v1/shifts/close", json={"counted_cash": 0}).status_code == 409
    ev = Outbox.select().where(Outbox.type == "shift.closed").get()
    assert '"difference":-1000' in ev.payload


def test_one_open_shift_per_register_but_registers_are_independent(anon):
    r1 = anon.login("anna", register="1")
    r2 = anon.login("boris", register="2")
    assert r1.post("/api/v1/shifts/open", json={"opening_cash": 0}).status_code == 201
    assert r2.post("/api/v1/shifts/open", json={"opening_cash": 0}).status_code == 201
    assert r1.sell([{"sku": "MILK", "qty": 1}])["number"] == 1
    assert r2.sell([{"sku": "MILK", "qty": 1}])["number"] == 1


def test_stock_documents_need_a_senior_and_are_idempotent(cashier, anon):
    body = {"client_ref": "doc-1", "kind": "receipt", "lines": [{"sku": "MILK", "qty": 10}]}
    assert cashier.post("/api/v1/stock/moves", json=body).status_code == 403
    senior = anon.login("boris")
    assert senior.post("/api/v1/stock/moves", json=body).status_code == 201
    assert senior.post("/api/v1/stock/moves", json=body).status_code == 200
    assert senior.get("/api/v1/stock?sku=MILK").get_json()["on_hand"] == "110.000"
    r = senior.post("/api/v1/stock/moves", json={"client_ref": "c1", "kind": "count",
                                                  "lines": [{"sku": "MILK", "qty": 105}]})
    assert r.status_code == 201 and r.get_json()["lines"][0]["qty"] == "-5.000"
    assert senior.get("/api/v1/stock?sku=MILK").get_json()["on_hand"] == "105.000"
    r = senior.post("/api/v1/stock/moves", json={"client_ref": "w1", "kind": "steal",
                                                  "lines": [{"sku": "MILK", "qty": 1}]})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "kind"
    ev = Outbox.select().where(Outbox.type == "stock.counted").get()
    assert '"counted":"105.000"' in ev.payload
