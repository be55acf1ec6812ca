"""A pick-up order's bonus_redeemed is covered by the customer's one balance at the hub:
placing it posts the redemption (idempotent by order_id), a channel cannot spend more than
the customer has nor for a phone the chain does not know, and cancelling it (by the site
or by the store) gives the bonus back once."""

from __future__ import annotations

from urllib.parse import quote

from .hubkit import event, push_raw
from .test_hub_channels import PHONE, Site

WELCOME = 10000


def order(order_id, bonus, phone=PHONE):
    return {"order_id": order_id, "store_id": "S1", "customer_phone": phone,
            "lines": [{"sku": "MILK", "qty": "1", "price": 8990}], "bonus_redeemed": bonus}


def balance(site):
    status, body = site.call("GET", f"/hub/v1/loyalty/customers/{quote(PHONE)}")
    assert status == 200, body
    return body["balance"]


def ledger(hub):
    from sync.hub.sql import Sql
    return [(k, int(a)) for k, a in Sql(hub.db).rows(
        "SELECT kind, amount FROM hub_ledger WHERE phone = ? AND kind <> 'welcome' ORDER BY id",
        (PHONE,))]


def test_placing_redeems_from_the_one_balance_and_cancelling_gives_it_back(any_hub):
    any_hub.set_loyalty_rules(welcome_bonus=WELCOME, accrual_percent=5)
    any_hub.add_store("S1")
    site, erp = Site(any_hub, "site"), Site(any_hub, "erp")
    assert site.call("POST", "/hub/v1/customers", {"phone": PHONE})[0] == 201
    assert balance(site) == WELCOME
    status, body = site.call("POST", "/hub/v1/orders", order("B-1", 8000))
    assert status == 201, body
    assert balance(site) == 2000
    assert site.call("POST", "/hub/v1/orders", order("B-1", 8000))[0] == 200  # once
    assert balance(site) == 2000
    status, body = erp.call("POST", "/hub/v1/orders", order("B-2", 3000))  # another channel
    assert status == 409 and body["error"]["code"] == "insufficient_bonus", body
    assert any_hub.admin("/hub/v1/orders/B-2")[0] == 404  # nothing written
    status, body = site.call("POST", "/hub/v1/orders", order("B-3", 100, "+79990001122"))
    assert status == 409 and body["error"]["code"] == "unknown_customer", body
    assert any_hub.admin("/hub/v1/orders/B-3")[0] == 404
    status, body = site.call("POST", "/hub/v1/orders", order("B-4", 100, None))
    assert status == 400 and body["error"]["field"] == "customer_phone", body
    assert balance(site) == 2000
    assert site.call("POST", "/hub/v1/orders/B-1/cancel", {"reason": "changed my mind"})[0] == 200
    assert balance(site) == WELCOME
    assert site.call("POST", "/hub/v1/orders/B-1/cancel", {})[0] == 200  # once
    assert balance(site) == WELCOME
    assert ledger(any_hub) == [("redemption", -8000), ("restore", 8000)]


def test_the_store_cancelling_an_uncollected_order_gives_the_bonus_back(any_hub):
    any_hub.set_loyalty_rules(welcome_bonus=WELCOME, accrual_percent=5)
    tok = any_hub.add_store("S1")
    site = Site(any_hub, "site")
    assert site.call("POST", "/hub/v1/customers", {"phone": PHONE})[0] == 201
    assert site.call("POST", "/hub/v1/orders", order("B-5", 5000))[0] == 201
    assert balance(site) == WELCOME - 5000

    def status(seq, s, **more):
        return event("S1", seq, "order.status", {
            "order_id": "B-5", "status": s, "prepaid": 0, "bonus_redeemed": 5000,
            "total": 8990, "customer_phone": PHONE,
            "lines": [{"sku": "MILK", "qty": "1.000", "price": 8990}],
            "at": "2026-03-01T10:00:00.000000Z", **more})
    r = push_raw(any_hub.url, tok, "S1", [status(1, "accepted"),
                                          status(2, "cancelled", reason="not collected")])
    assert r.status_code == 200 and r.json()["acked_through"] == 2, r.text
    assert balance(site) == WELCOME
    assert site.call("POST", "/hub/v1/orders/B-5/cancel", {})[0] == 200  # already cancelled
    assert balance(site) == WELCOME
    assert ledger(any_hub) == [("redemption", -5000), ("restore", 5000)]
