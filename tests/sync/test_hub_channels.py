"""One bonus balance for every channel: the website accrues, redeems and reverses on the
hub's ledger by ``ref``, with the tills' rules; bad input changes nothing."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from .hubkit import event, push_raw, signed_for

PHONE = "+79161234567"


class Site:
    """The website: a channel token, bearer only."""

    def __init__(self, hub, channel_id="site"):
        self.hub, self.tok = hub, hub.add_channel(channel_id)

    def call(self, method, path, body=None, tok=None):
        r = requests.request(method, self.hub.url + path, json=body, timeout=30,
                             headers={"Authorization": f"Bearer {tok or self.tok}"})
        return r.status_code, r.json()

    def entry(self, **body):
        body.setdefault("phone", PHONE)
        body.setdefault("channel", "site")
        return self.call("POST", "/hub/v1/loyalty/entries", body)

    def register(self, phone=PHONE, name="Ольга"):
        return self.call("POST", "/hub/v1/customers", {"phone": phone, "name": name})

    def customer(self, phone=PHONE):
        return self.call("GET", f"/hub/v1/loyalty/customers/{quote(phone)}")


def store_call(hub, tok, method, path, body=None):
    raw = json.dumps(body).encode() if body is not None else b""
    r = requests.request(method, hub.url + path, data=raw or None, timeout=30,
                         headers=signed_for(tok, method, path, raw))  # v2 binds path and query
    return r.status_code, r.json()


def ledger(hub, phone=PHONE):
    return hub.admin(f"/hub/v1/customers/{quote(phone)}")[1]


@pytest.fixture
def site(any_hub):
    any_hub.set_loyalty_rules(welcome_bonus=10000, accrual_percent=5)
    return Site(any_hub)


def test_a_site_order_accrues_spends_and_its_partial_return_reverses_exactly_its_lines(site):
    assert site.register()[0] == 201
    code, got = site.customer()
    assert code == 200 and (got["phone"], got["balance"]) == (PHONE, 10000) and got["as_of"]
    accrual = dict(ref="order-1", kind="accrual", amount=500, order_total=10000,
                   lines=[{"line_id": "1", "amount": 300}, {"line_id": "2", "amount": 200}])
    code, got = site.entry(**accrual)
    assert (code, got["balance"], got["amount"]) == (201, 10500, 500)
    assert site.entry(**accrual) == (200, got)  # the same ref again: the first answer
    code, spent = site.entry(ref="order-2", kind="redemption", amount=3000,
                             lines=[{"line_id": "1", "amount": 1000},
                                    {"line_id": "2", "amount": 2000}])
    assert (code, spent["balance"]) == (201, 7500)
    # the customer returns line 2 of order 1 and line 1 of order 2
    code, back = site.entry(ref="return-1", kind="reversal", reverses="order-1",
                            lines=[{"line_id": "2"}])
    assert (code, back["amount"], back["balance"]) == (201, -200, 7300)
    code, back = site.entry(ref="return-2", kind="reversal", reverses="order-2",
                            lines=[{"line_id": "1"}])
    assert (code, back["amount"], back["balance"]) == (201, 1000, 8300)
    # a line goes back once; the rest of the entry stays
    code, err = site.entry(ref="return-3", kind="reversal", reverses="order-1",
                           lines=[{"line_id": "2"}])
    assert code == 409 and err["error"]["code"] == "reversal_exceeds_entry"
    code, err = site.entry(ref="return-4", kind="reversal", reverses="order-1", amount=301)
    assert code == 409 and err["available"] == 300
    view = ledger(site.hub)
    assert view["balance"] == 8300 == sum(e["amount"] for e in view["ledger"])
    assert [(e["kind"], e["amount"]) for e in view["ledger"]] == [
        ("welcome", 10000), ("accrual", 500), ("redemption", -3000), ("reversal", -200),
        ("restore", 1000)]
    assert all(e["by"] == "channel:site" for e in view["ledger"])


def test_a_redemption_never_passes_the_balance_less_the_stores_holds(site):
    site.register()
    s1 = site.hub.add_store("S1")
    code, _ = store_call(site.hub, s1, "POST", "/hub/v1/loyalty/authorize",
                         {"phone": PHONE, "amount": 6000, "client_ref": "till-1"})
    assert code == 200  # a till holds 6000 of the 10000
    code, err = site.entry(ref="r1", kind="redemption", amount=4001)
    assert code == 409 and err["error"]["code"] == "bonus_exceeds_balance"
    assert err["available"] == 4000
    assert site.entry(ref="r1", kind="redemption", amount=4000)[0] == 201  # a refusal kept nothing
    assert ledger(site.hub)["balance"] == 6000


def test_taking_back_a_spent_accrual_needs_the_shortfall_withheld_from_the_refund(site):
    site.register()
    site.entry(ref="o1", kind="accrual", amount=500, order_total=10000)
    site.entry(ref="o2", kind="redemption", amount=10300)
    code, err = site.entry(ref="ret", kind="reversal", reverses="o1", amount=500)
    assert code == 409 and (err["error"]["code"], err["shortfall"]) == ("bonus_already_spent", 300)
    code, got = site.entry(ref="ret", kind="reversal", reverses="o1", amount=500, withheld=300)
    assert (code, got["amount"], got["balance"]) == (201, -200, 0)
    code, err = site.entry(ref="ret-2", kind="reversal", reverses="o1", amount=1)
    assert code == 409 and err["available"] == 0  # all 500 are taken back, 300 in money


@pytest.mark.parametrize("body, status, code", [
    ({"kind": "accrual", "amount": -5, "order_total": 100}, 400, "invalid"),
    ({"kind": "accrual", "amount": 0, "order_total": 100}, 400, "invalid"),
    ({"kind": "accrual", "amount": 10.5, "order_total": 1000}, 400, "invalid"),
    ({"kind": "accrual", "amount": 100}, 400, "invalid"),  # no order_total
    ({"kind": "accrual", "amount": 51, "order_total": 1000}, 400, "accrual_exceeds_rule"),
    ({"kind": "redemption", "amount": 10001}, 409, "bonus_exceeds_balance"),
    ({"kind": "gift", "amount": 5}, 400, "invalid"),
    ({"kind": "redemption", "amount": 5, "phone": "12"}, 400, "invalid"),
    ({"kind": "redemption", "amount": 5, "phone": "+79990001122"}, 404, "unknown_customer"),
    ({"kind": "redemption", "amount": 5, "channel": ""}, 400, "invalid"),
    ({"kind": "reversal", "amount": 5, "reverses": "nothing"}, 404, "unknown_ref"),
    ({"kind": "accrual", "amount": 10, "order_total": 1000,
      "lines": [{"line_id": "1", "amount": 3}]}, 400, "invalid"),
])
def test_bad_input_is_refused_and_writes_nothing(site, body, status, code):
    site.register()
    before = ledger(site.hub)
    got = site.entry(ref="bad", **body)
    assert (got[0], got[1]["error"]["code"]) == (status, code), got
    assert ledger(site.hub)["ledger"] == before["ledger"]
    assert site.entry(ref="bad", kind="redemption", amount=1)[0] == 201  # the ref is still free


def test_a_ref_reused_with_another_body_is_refused(site):
    site.register()
    assert site.entry(ref="o1", kind="accrual", amount=50, order_total=1000)[0] == 201
    code, err = site.entry(ref="o1", kind="accrual", amount=49, order_total=1000)
    assert code == 409 and err["error"]["code"] == "ref_reused"
    assert ledger(site.hub)["balance"] == 10050


def test_only_a_channel_token_may_post_entries(site):
    site.register()
    s1 = site.hub.add_store("S1")
    body = {"ref": "x", "phone": PHONE, "kind": "redemption", "amount": 1, "channel": "site"}
    assert site.call("POST", "/hub/v1/loyalty/entries", body, tok=s1)[1]["error"]["code"] == \
        "wrong_token_kind"
    code, err = site.call("POST", "/hub/v1/loyalty/entries", body, tok=site.hub.admin_token)
    assert (code, err["error"]["code"]) == (403, "wrong_token_kind")
    assert site.call("POST", "/hub/v1/loyalty/entries", body, tok="tok-unknown-" + "x" * 10
                     )[0] == 401
    assert site.call("GET", "/hub/v1/feed?after=0")[0] == 401  # a channel is not a store
    assert ledger(site.hub)["balance"] == 10000


def test_registration_gives_one_welcome_per_phone_whoever_asks(site):
    s1, s2 = site.hub.add_store("S1"), site.hub.add_store("S2")
    code, first = store_call(site.hub, s1, "POST", "/hub/v1/customers",
                             {"phone": "8 916 123-45-67", "name": "Ольга", "welcome_bonus": 777})
    assert (code, first["phone"], first["balance"]) == (201, PHONE, 10000)  # the hub's rule
    code, again = store_call(site.hub, s2, "POST", "/hub/v1/customers", {"phone": PHONE})
    assert (code, again["balance"], again["name"]) == (200, 10000, "Ольга")
    assert site.register()[0] == 200
    assert [e["kind"] for e in ledger(site.hub)["ledger"]] == ["welcome"]


def test_an_offline_second_welcome_is_reversed_with_an_audit_entry_the_store_sees(site):
    s1, s2 = site.hub.add_store("S1"), site.hub.add_store("S2")
    assert store_call(site.hub, s1, "POST", "/hub/v1/customers", {"phone": PHONE})[0] == 201
    # S2 registered the same phone while it could not reach the hub: a provisional welcome
    r = push_raw(site.hub.url, s2, "S2", [
        event("S2", 1, "customer.upserted", {"phone": PHONE, "name": "Ольга"}),
        event("S2", 2, "loyalty.posted", {"entry_id": 1, "phone": PHONE, "kind": "welcome",
                                          "amount": 10000, "created_at": "2026-03-01T10:00:00Z"})])
    assert r.status_code == 200, r.text
    view = ledger(site.hub)
    assert view["balance"] == 10000
    assert [(e["store_id"], e["kind"], e["amount"]) for e in view["ledger"]] == [
        ("HUB", "welcome", 10000), ("S2", "welcome", 10000), ("HUB", "reversal", -10000)]
    [note] = view["notes"]
    assert (note["kind"], note["store_id"]) == ("welcome_duplicate", "S2") and note["at"]
    code, seen = store_call(site.hub, s2, "GET", f"/hub/v1/loyalty/customers/{quote(PHONE)}")
    assert code == 200 and seen["notes"][0]["kind"] == "welcome_duplicate"
    assert seen["own_entry"] == 1
    feed = store_call(site.hub, s2, "GET", "/hub/v1/feed?after=0")[1]
    [item] = [i for i in feed["items"] if i["type"] == "loyalty.balance"]
    assert item["payload"]["balance"] == 10000 and item["payload"]["notes"][0]["store_id"] == "S2"


def test_a_stores_feed_carries_only_customers_it_has_seen(site):
    s1, s2 = site.hub.add_store("S1"), site.hub.add_store("S2")
    site.register()
    site.register("+79031112233")
    store_call(site.hub, s1, "GET", f"/hub/v1/loyalty/customers/{quote(PHONE)}")

    def balances(tok):
        items = store_call(site.hub, tok, "GET", "/hub/v1/feed?after=0")[1]["items"]
        return {i["payload"]["phone"]: i["payload"]["balance"] for i in items
                if i["type"] == "loyalty.balance"}
    assert balances(s1) == {PHONE: 10000} and balances(s2) == {}
    site.entry(ref="o", kind="accrual", amount=40, order_total=1000)
    assert balances(s1) == {PHONE: 10040} and balances(s2) == {}


def test_manual_adjustments_are_the_loyalty_offices_and_audited(site):
    site.register()
    s1 = site.hub.add_store("S1")
    path = f"/hub/v1/customers/{quote(PHONE)}/adjustments"
    code, got = site.hub.admin(path, "POST", {"amount": 500, "reason": "жалоба", "by": "ivanova"})
    assert (code, got["balance"]) == (201, 10500)
    assert site.hub.admin(path, "POST", {"amount": -20000, "reason": "ошибка", "by": "ivanova"}
                          )[1]["error"]["code"] == "bonus_exceeds_balance"
    assert site.hub.admin(path, "POST", {"amount": 5, "by": "ivanova"})[0] == 400
    assert site.hub.admin(path, "POST", {"amount": 5, "reason": "без автора"})[0] == 400
    assert site.call("POST", path, {"amount": 5, "reason": "сайт", "by": "x"})[0] == 401
    assert store_call(site.hub, s1, "POST", path, {"amount": 5, "reason": "s", "by": "x"})[0] == 401
    view = ledger(site.hub)
    assert view["balance"] == 10500
    assert (view["ledger"][-1]["kind"], view["ledger"][-1]["by"],
            view["ledger"][-1]["reason"]) == ("adjustment", "ivanova", "жалоба")
    assert [(n["kind"], n["by"], n["amount"]) for n in view["notes"]] == [
        ("adjustment", "ivanova", 500)]


def test_the_channel_routes_get_the_hubs_input_and_signature_rules(site):
    """Issue 14's rules on issue 17's routes: one text rule on every body (control
    characters, bidi overrides refused; names, reasons and refs stored NFC), no unknown query
    parameter, and a store's call needs a v2 signature (a v1 one is not enough)."""
    from sync import signing
    s1 = site.hub.add_store("S1")
    for body in ({"phone": PHONE, "name": "Оль\u0000га"}, {"phone": PHONE, "name": "a\u202eb"}):
        code, got = site.call("POST", "/hub/v1/customers", body)
        assert (code, got["error"]["field"]) == (400, "name"), got
    code, got = store_call(site.hub, s1, "POST", "/hub/v1/customers",
                           {"phone": PHONE, "name": "x\u0007"})
    assert (code, got["error"]["field"]) == (400, "name")
    code, got = site.entry(ref="o\u0000", kind="accrual", amount=5, order_total=100)
    assert (code, got["error"]["field"]) == (400, "ref")
    assert site.register(name="Зое\u0308")[0] == 201  # e + combining diaeresis
    assert ledger(site.hub)["name"] == "Зоё"  # stored NFC
    path = f"/hub/v1/customers/{quote(PHONE)}/adjustments"
    assert site.hub.admin(path, "POST", {"amount": 5, "reason": "bad\u0085", "by": "iv"}
                          )[1]["error"]["field"] == "reason"
    assert site.hub.admin(path, "POST", {"amount": 5, "reason": "ok reason", "by": "i\u202ev"}
                          )[1]["error"]["field"] == "by"
    code, got = site.call("GET", f"/hub/v1/loyalty/customers/{quote(PHONE)}?debug=1")
    assert (code, got["error"]["field"]) == (400, "debug")
    code, got = store_call(site.hub, s1, "GET", f"/hub/v1/loyalty/customers/{quote(PHONE)}?x=1")
    assert code == 400
    raw = json.dumps({"phone": "+79161234568"}).encode()
    v1_only = {"Authorization": f"Bearer {s1}", "Content-Type": "application/json",
               signing.HEADER: signing.header_value(s1, raw)}
    r = requests.post(site.hub.url + "/hub/v1/customers", data=raw, headers=v1_only, timeout=30)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"
    other = {**signed_for(s1, "POST", "/hub/v1/loyalty/authorize", raw)}  # signed for another path
    r = requests.post(site.hub.url + "/hub/v1/customers", data=raw, headers=other, timeout=30)
    assert r.status_code == 401
