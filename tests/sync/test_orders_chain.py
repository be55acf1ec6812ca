"""Pick-up orders from the site's API to the till and back, through a real hub and a real
store process: placed while the store is offline, collected after it reconnects, the hub's
history and availability exact; the "ready" webhook on a real HTTP server; a kill -9 of
the store between ready and collected; the hub's overdue list and cancellation."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.agent_process import AgentProcess

from .conftest import synced_store
from .faultproxy import FaultProxy
from .hubkit import HubServer, hub_db_url, pg_drop, wait_for


class Webhook:
    """A real HTTP server on 127.0.0.1 that fails its first ``fail`` calls with 503."""

    def __init__(self, fail: int = 0):
        self.got, self.calls, self.fail = [], 0, fail
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.calls += 1
                if hook.calls <= hook.fail:
                    self.send_response(503)
                else:
                    hook.got.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ready"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Site:
    def __init__(self, hub, tok):
        self.hub, self.h = hub, {"Authorization": f"Bearer {tok}"}

    def post(self, path, body):
        return requests.post(self.hub.url + path, json=body, headers=self.h, timeout=30)

    def get(self, path):
        return requests.get(self.hub.url + path, headers=self.h, timeout=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request, tmp_path):
    url, schema = hub_db_url(request.param, tmp_path)
    hook = Webhook(fail=2)  # the first two deliveries fail: retried, never blocking ingest
    hub = HubServer(url, tmp_path, notify=hook.url)
    tok = hub.add_store("S1")
    proxy = FaultProxy(hub.port)
    synced_store(tmp_path, proxy.url, tok, feed_interval=0.3).close()
    agent = AgentProcess(tmp_path / "store-S1").start()
    site = Site(hub, hub.add_channel("site"))
    yield hub, proxy, agent, site, hook
    agent.stop()
    proxy.close()
    hub.stop()
    hook.close()
    if schema:
        pg_drop(schema)


def order_body(order_id, qty="2", prepaid=0):
    return {"order_id": order_id, "store_id": "S1", "customer_phone": "+79001234567",
            "lines": [{"sku": "COFFEE", "qty": qty, "price": 45900}], "prepaid": prepaid}


def move(api, order_id, status, expect=200):
    r = api.post(f"/api/v1/orders/{order_id}/status",
                 {"client_ref": uuid.uuid4().hex, "status": status})
    assert r.status_code == expect, r.text
    return r.json()


def store_order(api, order_id):
    r = api.get(f"/api/v1/orders/{order_id}")
    return r.json() if r.status_code == 200 else None


def matches_store(site, api, sku="COFFEE"):
    """The hub's availability equals the store's own numbers exactly."""
    at_hub = site.get(f"/hub/v1/availability?sku={sku}").json()["stores"]
    here = api.get(f"/api/v1/stock?sku={sku}").json()
    return [(s["store_id"], s["on_hand"], s["reserved"], s["available"]) for s in at_hub] == [
        ("S1", here["on_hand"], here["reserved"], here["available"])]


@pytest.mark.slow
def test_offline_order_to_collection_with_history_and_exact_availability(world):
    hub, proxy, agent, site, hook = world
    api = agent.session("anna")
    assert api.post("/api/v1/shifts/open", {"opening_cash": 0}).status_code == 201
    wait_for(lambda: matches_store(site, api), timeout=60, what="the store's stock at the hub")
    proxy.down = True  # the store is offline when the site places the orders
    r = site.post("/hub/v1/orders", order_body("WEB-1", prepaid=91800))
    assert r.status_code == 201 and r.json()["status"] == "new", r.text
    again = site.post("/hub/v1/orders", order_body("WEB-1", prepaid=91800))
    assert again.status_code == 200 and again.json()["order_id"] == "WEB-1"
    assert site.post("/hub/v1/orders", order_body("WEB-1", qty="3")).status_code == 409
    assert site.post("/hub/v1/orders", order_body("WEB-2", qty="1")).status_code == 201
    assert store_order(api, "WEB-1") is None
    proxy.down = False
    wait_for(lambda: store_order(api, "WEB-2"), timeout=60, what="the orders at the store")
    for status in ("accepted", "assembled", "ready"):
        move(api, "WEB-1", status)
    move(api, "WEB-2", "accepted")
    wait_for(lambda: site.get("/hub/v1/orders/WEB-1").json()["status"] == "ready", timeout=60,
             what="ready at the hub")
    wait_for(lambda: hook.got, timeout=60, what="the ready webhook (after two failures)")
    assert hook.calls >= 3 and hook.got[0]["order_id"] == "WEB-1"
    assert hook.got[0]["kind"] == "ready" and hook.got[0]["customer_phone"] == "+79001234567"
    wait_for(lambda: matches_store(site, api), timeout=60, what="availability with reserves")
    coffee = site.get("/hub/v1/availability?sku=COFFEE").json()["stores"][0]
    assert (coffee["on_hand"], coffee["reserved"], coffee["available"]) == (
        "20.000", "3.000", "17.000")
    proxy.down = True  # collected while offline again
    sale = api.post("/api/v1/orders/WEB-1/collect", {"client_ref": "col-1", "payments": []})
    assert sale.status_code == 201, sale.text
    assert sale.json()["payments"] == [{"method": "advance", "amount": 91800}]
    r = site.post("/hub/v1/orders/WEB-2/cancel", {"reason": "changed my mind"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    proxy.down = False
    wait_for(lambda: site.get("/hub/v1/orders/WEB-1").json()["status"] == "collected",
             timeout=60, what="collected at the hub")
    wait_for(lambda: store_order(api, "WEB-2")["status"] == "cancelled", timeout=60,
             what="the site's cancellation at the store")
    wait_for(lambda: site.get("/hub/v1/orders/WEB-2").json()["store_status"] == "cancelled",
             timeout=60, what="the store's release at the hub")
    wait_for(lambda: matches_store(site, api), timeout=60, what="availability after all")
    coffee = site.get("/hub/v1/availability?sku=COFFEE").json()["stores"][0]
    assert (coffee["on_hand"], coffee["reserved"], coffee["available"]) == (
        "18.000", "0.000", "18.000")
    assert coffee["as_of"]
    order = site.get("/hub/v1/orders/WEB-1").json()
    assert [h["status"] for h in order["history"]] == [
        "new", "new", "accepted", "assembled", "ready", "collected"]
    assert order["history"][0]["by"] == "channel:site"
    assert order["history"][-1]["by"] == "store:S1 (anna)"
    assert order["sale_id"] == sale.json()["sale_id"]
    assert len(hook.got) == 1  # one ready, delivered once


@pytest.mark.slow
def test_kill9_between_ready_and_collected(world):
    hub, proxy, agent, site, hook = world
    api = agent.session("anna")
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    assert site.post("/hub/v1/orders", order_body("K-1", qty="1")).status_code == 201
    wait_for(lambda: store_order(api, "K-1"), timeout=60, what="the order at the store")
    for status in ("accepted", "assembled", "ready"):
        move(api, "K-1", status)
    agent.kill9()
    agent.start()
    api = agent.session("anna")
    assert store_order(api, "K-1")["status"] == "ready"
    assert api.get("/api/v1/stock?sku=COFFEE").json()["reserved"] == "1.000"
    sale = api.post("/api/v1/orders/K-1/collect", {
        "client_ref": "k", "payments": [{"method": "cash", "amount": 50000}]})
    assert sale.status_code == 201, sale.text
    assert sale.json()["change"] == 50000 - 45900
    wait_for(lambda: site.get("/hub/v1/orders/K-1").json()["status"] == "collected",
             timeout=60, what="collected at the hub")
    wait_for(lambda: matches_store(site, api), timeout=60, what="availability after restart")
    assert site.get("/hub/v1/availability?sku=COFFEE").json()["stores"][0]["on_hand"] == \
        "19.000"


@pytest.mark.slow
def test_return_of_a_prepaid_order_shows_the_advance_to_refund_at_the_hub(world):
    """The store refunds at the till only what was paid there; the advance part goes back as
    an "advance" refund and the hub's order shows it for the site to refund to the card."""
    hub, proxy, agent, site, hook = world
    api = agent.session("maria")
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    assert site.post("/hub/v1/orders", order_body("A-1", prepaid=50000)).status_code == 201
    wait_for(lambda: store_order(api, "A-1"), timeout=60, what="the order at the store")
    for status in ("accepted", "assembled", "ready"):
        move(api, "A-1", status)
    sale = api.post("/api/v1/orders/A-1/collect", {
        "client_ref": "a", "payments": [{"method": "card", "amount": 91800 - 50000}]}).json()
    line = sale["lines"][0]
    ret = api.post("/api/v1/returns", {"client_ref": "a-r", "sale_id": sale["sale_id"],
                                       "lines": [{"line_id": line["line_id"], "qty": 2}]})
    assert ret.status_code == 201, ret.text
    assert ret.json()["refunds"] == [{"method": "advance", "amount": 50000},
                                     {"method": "card", "amount": 41800}]
    wait_for(lambda: site.get("/hub/v1/orders/A-1").json().get("advance_refunded"),
             timeout=60, what="the advance refund at the hub")
    order = site.get("/hub/v1/orders/A-1").json()
    assert order["advance_refunded"] == 50000
    assert order["advance_refunds"] == [{"return_id": ret.json()["return_id"], "amount": 50000,
                                         "at": ret.json()["created_at"]}]


@pytest.mark.slow
def test_an_order_naming_a_product_the_store_lacks_shows_the_problem_at_the_hub(world):
    """The store cannot take the order: it says so (an ``order.problem`` event), the hub's
    order stays ``new`` with the problem, and the next order in the feed still arrives."""
    hub, proxy, agent, site, hook = world
    api = agent.session("anna")
    bad = {**order_body("U-1"), "lines": [{"sku": "NO-SUCH", "qty": "1", "price": 100},
                                          {"sku": "COFFEE", "qty": "1", "price": 45900}]}
    assert site.post("/hub/v1/orders", bad).status_code == 201
    assert site.post("/hub/v1/orders", order_body("U-2", qty="1")).status_code == 201
    wait_for(lambda: store_order(api, "U-2"), timeout=60, what="the good order at the store")
    assert store_order(api, "U-1") is None
    wait_for(lambda: site.get("/hub/v1/orders/U-1").json().get("problem"), timeout=60,
             what="the store's problem at the hub")
    order = site.get("/hub/v1/orders/U-1").json()
    assert order["status"] == "new"
    assert order["problem"] == "unknown sku NO-SUCH at store S1"
    assert site.get("/hub/v1/orders/U-2").json().get("problem") is None


def test_hub_overdue_list_and_refusals(hub, monkeypatch):
    """The hub's own answers: overdue at 48 h by its clock, bad input refused."""
    from sync.hub import orders as hub_orders
    hub.add_store("S1")
    site = Site(hub, hub.add_channel("site"))
    assert site.post("/hub/v1/orders", order_body("O-1")).status_code == 201
    from sync.hub.db import retrying
    from sync.hub.sql import Sql, iso
    ready_at = iso()
    retrying(hub.db, lambda: Sql(hub.db).run(
        "UPDATE hub_order SET status = 'ready', store_status = 'ready', ready_at = ? "
        "WHERE order_id = 'O-1'", (ready_at,)))
    assert site.get("/hub/v1/orders?overdue=1").json()["items"] == []
    real = hub_orders.now
    monkeypatch.setattr(hub_orders, "now", lambda: real() + timedelta(hours=48, minutes=1))
    items = site.get("/hub/v1/orders?overdue=1").json()["items"]
    assert [(o["order_id"], o["overdue"]) for o in items] == [("O-1", True)]
    assert site.get("/hub/v1/orders/O-1").json()["overdue"] is True
    assert site.post("/hub/v1/orders/O-1/cancel", {"reason": "not collected"}).status_code == 200
    assert site.get("/hub/v1/orders?overdue=1").json()["items"] == []
    for body in ({"order_id": "x y", "store_id": "S1", "lines": []},
                 {**order_body("O-2"), "store_id": "NOPE"},
                 {**order_body("O-2"), "lines": [{"sku": "COFFEE", "qty": "0", "price": 1}]},
                 {**order_body("O-2"), "prepaid": 10**9},
                 {**order_body("O-2"), "lines": [{"qty": "1", "price": 1}]}):
        r = site.post("/hub/v1/orders", body)
        assert r.status_code == 400, (body, r.text)
        assert set(r.json()["error"]) >= {"code", "message"}
    assert site.get("/hub/v1/orders/O-2").status_code == 404
    assert site.get("/hub/v1/availability").status_code == 400
    assert requests.get(hub.url + "/hub/v1/orders/O-1", timeout=10).status_code == 401


def test_a_hanging_webhook_never_holds_up_ingest(tmp_path):
    """The notifier's webhook does not answer at all; the store's next events are still
    ingested at once, and the message is sent when the webhook comes back."""
    from .hubkit import event, push_raw
    release = threading.Event()
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            release.wait(60)  # hangs until the test lets it answer
            got.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hub = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path,
                    notify=f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        tok = hub.add_store("S1")
        site = Site(hub, hub.add_channel("site"))
        assert site.post("/hub/v1/orders", order_body("H-1")).status_code == 201
        lines = [{"sku": "COFFEE", "qty": "2.000", "price": 45900}]

        def status(seq, s, **more):
            return event("S1", seq, "order.status", {
                "order_id": "H-1", "status": s, "prepaid": 0, "bonus_redeemed": 0,
                "total": 91800, "lines": lines, "at": "2026-03-01T10:00:00.000000Z", **more})
        r = push_raw(hub.url, tok, "S1", [status(1, "accepted"), status(2, "assembled"),
                                          status(3, "ready", ready_at="2026-03-01T10:00:00Z")])
        assert r.status_code == 200 and r.json()["acked_through"] == 3, r.text
        wait_for(lambda: notification_state(hub) == "sending", timeout=30, what="the webhook called")
        r = push_raw(hub.url, tok, "S1", [status(4, "cancelled", reason="no")])
        assert r.status_code == 200 and r.json()["acked_through"] == 4, r.text
        assert site.get("/hub/v1/orders/H-1").json()["status"] == "cancelled"
        assert got == []  # the webhook is still hanging
        release.set()
        wait_for(lambda: got, timeout=30, what="the message after the webhook answered")
        assert got[0]["order_id"] == "H-1" and got[0]["kind"] == "ready"
    finally:
        release.set()
        hub.stop()
        server.shutdown()
        server.server_close()


def notification_state(hub) -> str:
    """'sending' once the worker leased the message (its next_at pushed ahead)."""
    from sync.hub.sql import Sql
    row = Sql(hub.db).one("SELECT status, next_at, created_at FROM hub_notification")
    return "sending" if row and row[0] == "pending" and row[1] > row[2] else "waiting"


def test_a_channel_sees_and_cancels_only_its_own_orders(hub):
    """An order belongs to the channel that placed it: another channel gets 404 (not 403:
    it does not learn the order exists), also in the overdue list; the admin sees all."""
    hub.add_store("S1")
    site, erp = Site(hub, hub.add_channel("site")), Site(hub, hub.add_channel("erp"))
    assert site.post("/hub/v1/orders", order_body("W1")).status_code == 201
    assert erp.post("/hub/v1/orders", order_body("E1")).status_code == 201
    from sync.hub.db import retrying
    from sync.hub.sql import Sql
    retrying(hub.db, lambda: Sql(hub.db).run(
        "UPDATE hub_order SET status = 'ready', store_status = 'ready', "
        "ready_at = '2020-01-01T00:00:00Z'"))
    r = erp.get("/hub/v1/orders/W1")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    assert erp.get("/hub/v1/orders/NOPE").json() == r.json() | {
        "error": {**r.json()["error"], "message": "no order NOPE"}}
    r = erp.post("/hub/v1/orders", order_body("W1"))  # the same id and content: not its order
    assert r.status_code == 409 and "customer_phone" not in r.text, r.text
    r = erp.post("/hub/v1/orders/W1/cancel", {"reason": "not mine"})
    assert r.status_code == 404, r.text
    assert site.get("/hub/v1/orders/W1").json()["status"] == "ready"  # untouched
    assert [o["order_id"] for o in erp.get("/hub/v1/orders?overdue=1").json()["items"]] == [
        "E1"]
    assert [o["order_id"] for o in site.get("/hub/v1/orders?overdue=1").json()["items"]] == [
        "W1"]
    assert sorted(o["order_id"] for o in hub.admin("/hub/v1/orders?overdue=1")[1]["items"]) \
        == ["E1", "W1"]
    assert hub.admin("/hub/v1/orders/W1")[0] == 200
    assert site.post("/hub/v1/orders/W1/cancel", {"reason": "mine"}).status_code == 200
