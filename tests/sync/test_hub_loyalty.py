"""The hub as the bonus authority: overdrafts reported, redemptions authorized with holds."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from .hubkit import event, push_raw, signed_for
from .test_hub_ingest import sale

PHONE = "+79161234567"


class Stores:
    def __init__(self, hub):
        self.hub = hub
        self.tok = {s: hub.add_store(s) for s in ("S1", "S2")}
        self.seq = {"S1": 0, "S2": 0}

    def push(self, store, *events):
        out = []
        for etype, payload in events:
            self.seq[store] += 1
            out.append(event(store, self.seq[store], etype, payload))
        r = push_raw(self.hub.url, self.tok[store], store, out)
        assert r.status_code == 200, r.text

    def entry(self, store, entry_id, kind, amount, **extra):
        return ("loyalty.posted", {"entry_id": entry_id, "phone": PHONE, "kind": kind,
                                   "amount": amount, **extra})

    def authorize(self, store, amount, ref):
        body = json.dumps({"phone": PHONE, "amount": amount, "client_ref": ref}).encode()
        path = "/hub/v1/loyalty/authorize"
        r = requests.post(self.hub.url + path, data=body,
                          headers=signed_for(self.tok[store], "POST", path, body))
        return r.status_code, r.json()

    def customer(self, store, phone=PHONE):
        path = f"/hub/v1/loyalty/customers/{quote(phone)}"
        r = requests.get(self.hub.url + path, headers=signed_for(self.tok[store], "GET", path))
        return r.status_code, r.json()


@pytest.fixture
def two(any_hub):
    return Stores(any_hub)


def test_a_cross_store_overdraft_is_recorded_and_never_refused(two):
    two.push("S1", two.entry("S1", 1, "accrual", 500))
    two.push("S1", two.entry("S1", 2, "redemption", -400))  # offline, both stores saw 500
    two.push("S2", two.entry("S2", 1, "redemption", -300))
    view = two.hub.admin(f"/hub/v1/customers/{PHONE}")[1]
    assert view["balance"] == -200
    items = two.hub.admin("/hub/v1/loyalty/overdrafts")[1]["items"]
    assert [(o["store_id"], o["phone"], o["amount"], o["balance_after"]) for o in items] == [
        ("S2", PHONE, -300, -200)]
    assert two.hub.admin("/hub/v1/stores/S2/summary")[1]["acked_through"] == 1


def test_a_redemption_is_approved_against_balance_minus_others_holds(two):
    two.push("S1", two.entry("S1", 1, "accrual", 1000))
    assert two.authorize("S1", 600, "A") == (200, {"approved": True, "balance": 1000,
                                                   "available": 1000})
    assert two.authorize("S2", 600, "B") == (409, {"approved": False, "balance": 1000,
                                                   "available": 400})
    assert two.authorize("S2", 400, "B")[0] == 200
    assert two.authorize("S1", 700, "A") == (409, {"approved": False, "balance": 1000,
                                                   "available": 600})


def test_the_hold_is_released_when_the_sale_arrives(two):
    two.push("S1", two.entry("S1", 1, "accrual", 1000))
    assert two.authorize("S1", 600, "ref-7")[0] == 200
    assert two.authorize("S2", 500, "C")[0] == 409
    two.push("S1", ("sale.completed", sale(0, 7, 2000, phone=PHONE, bonus_redeemed=600)["payload"]),
             two.entry("S1", 2, "redemption", -600, sale_id=7))
    assert two.authorize("S2", 400, "C") == (200, {"approved": True, "balance": 400,
                                                   "available": 400})


def test_an_expired_hold_no_longer_counts(two):
    two.push("S1", two.entry("S1", 1, "accrual", 1000))
    assert two.authorize("S1", 900, "old")[0] == 200
    two.hub.db.execute_sql("UPDATE hub_hold SET expires_at = 0")
    assert two.authorize("S2", 1000, "new")[0] == 200


def test_a_customer_lookup_shows_balance_and_the_last_ten_purchases_of_any_store(two):
    two.push("S1", ("customer.upserted", {"phone": PHONE, "name": "Ольга"}),
             two.entry("S1", 1, "accrual", 300))
    for i in range(1, 8):
        p = sale(0, i, 100 * i, phone=PHONE, created_at=f"2026-03-01T10:0{i}:00.000000Z")
        two.push("S1", ("sale.completed", p["payload"]))
        p = sale(0, i, 1000 * i, phone=PHONE, created_at=f"2026-03-02T10:0{i}:00.000000Z")
        two.push("S2", ("sale.completed", p["payload"]))
    status, view = two.customer("S2")
    assert status == 200
    assert (view["phone"], view["name"], view["balance"]) == (PHONE, "Ольга", 300)
    got = [(p["store_id"], p["sale_id"]) for p in view["recent_purchases"]]
    assert got == [("S2", i) for i in range(7, 0, -1)] + [("S1", 7), ("S1", 6), ("S1", 5)]
    assert two.customer("S1", "+79990000000")[0] == 404


@pytest.mark.parametrize("body, field", [
    ({"phone": "89161234567", "amount": 1, "client_ref": "x"}, "phone"),
    ({"phone": PHONE, "amount": 0, "client_ref": "x"}, "amount"),
    ({"phone": PHONE, "amount": 1.5, "client_ref": "x"}, "amount"),
    ({"phone": PHONE, "amount": 1}, "client_ref"),
])
def test_a_malformed_authorization_is_400(two, body, field):
    raw = json.dumps(body).encode()
    r = requests.post(two.hub.url + "/hub/v1/loyalty/authorize", data=raw,
                      headers=signed_for(two.tok["S1"], "POST", "/hub/v1/loyalty/authorize", raw))
    assert r.status_code == 400 and r.json()["error"]["field"] == field
