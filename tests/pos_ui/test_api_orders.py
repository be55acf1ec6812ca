"""Pick-up orders at the till: lifecycle, reservations, the race for the last unit,
overdue by the store's clock, collecting prepaid and pay-at-pick-up orders as sales."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from agent import clock, orders, replay, sql
from tests.conftest import BARCODES, make_store


def place(store, order_id, lines, **extra):
    with store.db.write():
        orders.placed(store, {"order_id": order_id, "store_id": store.store_id,
                              "lines": lines, **extra})


def move(api, order_id, status, expect=200, **extra):
    r = api.post(f"/api/v1/orders/{order_id}/status",
                 json={"client_ref": uuid.uuid4().hex, "status": status, **extra})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def stock(api, sku):
    return api.get(f"/api/v1/stock?sku={sku}").get_json()


def events(store, kind="order.status"):
    return [json.loads(r["payload"]) for r in sql.rows(
        "SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (kind,))]


def test_lifecycle_reserves_without_touching_on_hand(store, cashier, open_shift):
    place(store, "W-1", [{"barcode": BARCODES["COFFEE"], "qty": "2", "price": 45900}],
          customer_phone="+79001234567")
    before = stock(cashier, "COFFEE")
    assert before["on_hand"] == "20.000" and before["reserved"] == "0.000"
    order = move(cashier, "W-1", "accepted")
    assert order["status"] == "accepted"
    after = stock(cashier, "COFFEE")
    assert (after["on_hand"], after["reserved"], after["available"]) == (
        "20.000", "2.000", "18.000")
    move(cashier, "W-1", "ready", expect=409)  # assembled first
    r = cashier.post("/api/v1/orders/W-1/status", json={"client_ref": "x", "status": "ready"})
    assert r.get_json()["error"]["code"] == "status_not_allowed"
    move(cashier, "W-1", "assembled")
    move(cashier, "W-1", "ready")
    sale = cashier.post("/api/v1/orders/W-1/collect", json={
        "client_ref": "c1", "payments": [{"method": "card", "amount": 91800}]})
    assert sale.status_code == 201, sale.get_json()
    assert sale.get_json()["total"] == 91800
    after = stock(cashier, "COFFEE")
    assert (after["on_hand"], after["reserved"]) == ("18.000", "0.000")
    again = cashier.post("/api/v1/orders/W-1/collect", json={"client_ref": "c1", "payments": []})
    assert again.status_code == 200 and again.get_json()["sale_id"] == sale.get_json()["sale_id"]
    got = cashier.get("/api/v1/orders/W-1").get_json()
    assert got["status"] == "collected" and got["sale_id"] == sale.get_json()["sale_id"]
    assert [e["status"] for e in events(store)] == [
        "new", "accepted", "assembled", "ready", "collected"]
    assert events(store)[-1]["sale_id"] == sale.get_json()["sale_id"]
    move(cashier, "W-1", "cancelled", expect=409)  # collected is final


def test_prepaid_order_needs_no_payment_and_settles_the_advance(store, cashier, open_shift):
    place(store, "W-2", [{"sku": "MILK", "qty": "1", "price": 8990}], prepaid=8990)
    for status in ("accepted", "assembled", "ready"):
        move(cashier, "W-2", status)
    r = cashier.post("/api/v1/orders/W-2/collect", json={"client_ref": "c2", "payments": []})
    assert r.status_code == 201, r.get_json()
    sale = r.get_json()
    assert sale["payments"] == [{"method": "advance", "amount": 8990}]
    assert sale["paid"] == 8990 and sale["change"] == 0


def test_pay_at_pickup_short_payment_is_refused_and_nothing_written(store, cashier, open_shift):
    place(store, "W-3", [{"sku": "BREAD", "qty": "2", "price": 5450}], prepaid=5000)
    for status in ("accepted", "assembled", "ready"):
        move(cashier, "W-3", status)
    r = cashier.post("/api/v1/orders/W-3/collect", json={
        "client_ref": "c3", "payments": [{"method": "cash", "amount": 100}]})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "payment_short"
    assert cashier.get("/api/v1/orders/W-3").get_json()["status"] == "ready"
    r = cashier.post("/api/v1/orders/W-3/collect", json={
        "client_ref": "c3", "payments": [{"method": "cash", "amount": 6000}]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["change"] == 100
    assert stock(cashier, "BREAD")["on_hand"] == "48.000"


def test_two_orders_race_for_the_last_unit(store, cashier):
    with store.db.write():
        from agent import stock as stock_mod
        pid = sql.database.execute_sql("SELECT id FROM product WHERE sku = 'COFFEE'").fetchone()[0]
        stock_mod.record_move(pid, "writeoff", -19000)  # one left
    place(store, "A", [{"sku": "COFFEE", "qty": "1", "price": 45900}])
    place(store, "B", [{"sku": "COFFEE", "qty": "1", "price": 45900}])
    move(cashier, "A", "accepted")
    r = cashier.post("/api/v1/orders/B/status", json={"client_ref": "b", "status": "accepted"})
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["code"] == "insufficient_available" and err["sku"] == "COFFEE"
    assert "0.000 available" in err["message"] and "1.000 reserved" in err["message"]
    assert cashier.get("/api/v1/orders/B").get_json()["status"] == "new"
    move(cashier, "A", "cancelled", reason="customer called")  # releases
    move(cashier, "B", "accepted")


def test_walk_in_taking_a_reserved_unit_warns_or_is_refused(tmp_path):
    from pos_ui import create_app
    from tests.conftest import Api
    for mode, expect in (("warn", 201), ("refuse", 409)):
        store = make_store(tmp_path / mode, orders={"reserved_stock": mode})
        api = Api(create_app(store).test_client()).login("anna")
        api.post("/api/v1/shifts/open", json={"opening_cash": 0})
        place(store, "R", [{"sku": "COFFEE", "qty": "20", "price": 45900}])
        move(api, "R", "accepted")
        r = api.post("/api/v1/sales", json={
            "client_ref": "w", "lines": [{"sku": "COFFEE", "qty": 1}],
            "payments": [{"method": "card", "amount": 45900}]})
        assert r.status_code == expect, r.get_json()
        if mode == "warn":
            assert [w["code"] for w in r.get_json()["warnings"]] == ["reserved_stock"]
        else:
            assert r.get_json()["error"]["code"] == "reserved_stock"
        store.close()


def test_overdue_after_collect_hours_by_the_injected_clock(store, cashier, monkeypatch):
    place(store, "O", [{"sku": "WATER", "qty": "3", "price": 4500}])
    for status in ("accepted", "assembled", "ready"):
        move(cashier, "O", status)
    place(store, "P", [{"sku": "MILK", "qty": "1", "price": 8990}])
    assert cashier.get("/api/v1/orders/O").get_json()["overdue"] is False
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + timedelta(hours=47))
    assert orders.get(store, "O")["overdue"] is False  # (a session would expire: the core)
    monkeypatch.setattr(clock, "now", lambda: real() + timedelta(hours=48, minutes=1))
    items = orders.listing(store)
    assert [(o["order_id"], o["overdue"]) for o in items] == [("O", True), ("P", False)]
    monkeypatch.undo()
    assert stock(cashier, "WATER")["reserved"] == "3.000"
    move(cashier, "O", "cancelled", reason="not collected in 48 h")  # unpicked
    w = stock(cashier, "WATER")
    assert (w["on_hand"], w["reserved"], w["available"]) == ("200.000", "0.000", "200.000")
    assert cashier.get("/api/v1/orders?status=cancelled").get_json()["items"][0]["reason"] == \
        "not collected in 48 h"


def test_site_cancellation_from_the_feed_releases(store, cashier):
    place(store, "S", [{"sku": "MILK", "qty": "5", "price": 8990}])
    move(cashier, "S", "accepted")
    place(store, "S", [{"sku": "MILK", "qty": "5", "price": 8990}], cancelled=True,
          reason="changed my mind")
    got = cashier.get("/api/v1/orders/S").get_json()
    assert got["status"] == "cancelled" and got["reason"] == "changed my mind"
    assert stock(cashier, "MILK")["reserved"] == "0.000"


def test_bad_input_is_refused_and_nothing_written(store, cashier):
    place(store, "Q", [{"sku": "MILK", "qty": "1", "price": 8990}])
    n = len(events(store))
    for body in ({"status": "accepted"}, {"client_ref": "q", "status": "collected"},
                 {"client_ref": "q", "status": "bogus"}, {"client_ref": "q", "status": None}):
        r = cashier.post("/api/v1/orders/Q/status", json=body)
        assert r.status_code == 400, (body, r.get_json())
        assert set(r.get_json()["error"]) >= {"code", "message"}
    assert cashier.post("/api/v1/orders/NOPE/status",
                        json={"client_ref": "z", "status": "accepted"}).status_code == 404
    assert cashier.get("/api/v1/orders?status=bogus").status_code == 400
    assert len(events(store)) == n


@pytest.mark.parametrize("prepaid", [0, 8990])
def test_replay_restores_orders_and_reservations(tmp_path, prepaid):
    """A store rebuilt from the hub's copy of its events has the same orders."""
    from pos_ui import create_app
    from tests.conftest import Api
    a = make_store(tmp_path / "a")
    api = Api(create_app(a).test_client()).login("anna")
    place(a, "X", [{"sku": "MILK", "qty": "1", "price": 8990}], prepaid=prepaid)
    place(a, "Y", [{"sku": "MILK", "qty": "2", "price": 8990}])
    for status in ("accepted", "assembled", "ready"):
        move(api, "X", status)
    move(api, "Y", "accepted")
    evs = [{"seq": r["seq"], "event_id": r["event_id"], "type": r["type"],
            "occurred_at": r["occurred_at"], "payload": json.loads(r["payload"])}
           for r in sql.rows("SELECT * FROM outbox ORDER BY seq")]
    want = [orders.get(a, o) for o in ("X", "Y")]
    a.close()
    b = make_store(tmp_path / "b")
    with b.db.write():
        sql.database.execute_sql("DELETE FROM outbox")
    done = replay.apply_events(b, evs)
    assert done["invalid"] == 0 and done["unknown"] == 0
    got = [orders.get(b, o) for o in ("X", "Y")]
    for w, g in zip(want, got, strict=True):
        assert (g["status"], g["lines"], g["prepaid"], g["ready_at"]) == (
            w["status"], w["lines"], w["prepaid"], w["ready_at"])
    from agent import stock as stock_mod
    pid = sql.database.execute_sql("SELECT id FROM product WHERE sku = 'MILK'").fetchone()[0]
    assert stock_mod.reserved_milli([pid]) == {pid: 3000}
    b.close()


def test_two_tills_accepting_at_once_reserve_the_last_unit_once(store, live_agent):
    """Two real HTTP requests at the same moment against a real server: one reserves the
    last unit, the other is refused with the reason; never both."""
    import threading

    from tests.agent_process import HttpApi
    with store.db.write():
        from agent import stock as stock_mod
        pid = sql.database.execute_sql("SELECT id FROM product WHERE sku = 'COFFEE'").fetchone()[0]
        stock_mod.record_move(pid, "writeoff", -19000)
    for oid in ("R1", "R2"):
        place(store, oid, [{"sku": "COFFEE", "qty": "1", "price": 45900}])
    tills = [HttpApi.login(live_agent.url, "anna", register) for register in ("1", "2")]
    start, answers = threading.Barrier(2), {}

    def accept(api, oid):
        start.wait()
        answers[oid] = api.post(f"/api/v1/orders/{oid}/status",
                                {"client_ref": uuid.uuid4().hex, "status": "accepted"})

    threads = [threading.Thread(target=accept, args=(api, oid))
               for api, oid in zip(tills, ("R1", "R2"), strict=True)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    codes = sorted(r.status_code for r in answers.values())
    assert codes == [200, 409], {k: r.text for k, r in answers.items()}
    refused = next(r for r in answers.values() if r.status_code == 409).json()["error"]
    assert refused["code"] == "insufficient_available" and "reserved" in refused["message"]
    level = tills[0].get("/api/v1/stock?sku=COFFEE").json()
    assert (level["on_hand"], level["reserved"], level["available"]) == (
        "1.000", "1.000", "0.000")
