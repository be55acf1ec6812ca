"""One bonus balance for the shop and the site, with real agent processes: the site accrues
and spends on the hub, one store spends offline and another online; two stores register one
phone (online and offline) and the chain ends with one welcome bonus."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from tests.agent_process import AgentProcess
from tests.conftest import make_store

from .faultproxy import FaultProxy
from .hubkit import wait_for
from .test_hub_channels import Site

PHONE = "+79161234567"
WELCOME = 10000
LOYALTY = {"welcome_bonus": WELCOME, "redeem_cap_percent": 100, "accrual_percent": 5,
           "max_offline_age": 3600, "offline_redeem_cap": 100000, "authorize_timeout": 1.0}


@pytest.fixture
def chain(tmp_path, any_hub):
    any_hub.set_loyalty_rules(welcome_bonus=WELCOME, accrual_percent=5)
    proxies, agents, apis = {}, {}, {}
    for sid in ("S1", "S2"):
        proxies[sid] = FaultProxy(any_hub.port)
        make_store(tmp_path / sid, sid, loyalty=LOYALTY, hub={
            "url": f"http://127.0.0.1:{proxies[sid].port}", "token": any_hub.add_store(sid),
            "push_interval": 0.2, "feed_interval": 0.3, "timeout": 2.0}).close()
        agents[sid] = AgentProcess(tmp_path / sid).start()
        apis[sid] = agents[sid].session("maria")
        assert apis[sid].post("/api/v1/shifts/open", json={"opening_cash": 0}).status_code == 201
    yield any_hub, Site(any_hub), proxies, apis
    for a in agents.values():
        a.stop()
    for p in proxies.values():
        p.close()


def customer(api, phone=PHONE):
    r = api.get(f"/api/v1/customers?phone={quote(phone)}")
    return r.json() if r.status_code == 200 else None


def hub_view(hub, phone=PHONE):
    return hub.admin(f"/hub/v1/customers/{quote(phone)}")[1]


def sell(api, redeem):
    lines = [{"sku": "COFFEE", "qty": 1}]
    q = api.post("/api/v1/sales/quote", json={"lines": lines, "customer_phone": PHONE,
                                               "redeem_bonus": redeem})
    if q.status_code != 200:
        return q
    return api.post("/api/v1/sales", json={
        "client_ref": uuid.uuid4().hex, "lines": lines, "customer_phone": PHONE,
        "redeem_bonus": redeem, "payments": [{"method": "card", "amount": q.json()["total"]}]})


def test_the_site_and_two_stores_spend_one_balance(chain):
    hub, site, proxies, apis = chain
    s1, s2 = apis["S1"], apis["S2"]
    assert site.register()[0] == 201
    code, got = site.entry(ref="order-1", kind="accrual", amount=500, order_total=10000)
    assert (code, got["balance"]) == (201, WELCOME + 500)

    first = customer(s1)  # S1 never saw the phone: looked up at the hub on demand
    assert first["bonus_balance"] == 10500 and first["balance_confirmed_at"]
    assert first["hub_online"] is True

    proxies["S1"].down = True  # S1 loses the hub and spends within its offline allowance
    r = sell(s1, 4000)
    assert r.status_code == 201, r.text
    s1_sale = r.json()
    r = sell(s1, 6501)  # what is left of the confirmed balance is 6500
    assert r.status_code == 409 and r.json()["error"]["limit"] == "offline"

    code, got = site.entry(ref="order-2", kind="redemption", amount=8000)  # the hub knows
    assert (code, got["balance"]) == (201, 2500)  # nothing of S1's offline sale yet

    assert customer(s2)["bonus_balance"] == 2500  # S2 online: the hub decides
    r = sell(s2, 2501)
    assert r.status_code == 409 and r.json()["error"]["limit"] == "balance"
    r = sell(s2, 2000)
    assert r.status_code == 201, r.text
    s2_sale = r.json()
    assert site.entry(ref="order-3", kind="redemption", amount=10**6)[0] == 409
    # S2's authorised sale reaches the hub before S1 reconnects: in the other order the hub
    # also lists S2's hub-authorised redemption as an overdraft (a known limit, not fixed yet)
    wait_for(lambda: s2.get("/api/v1/sync/status").json()["pending"] == 0, what="S2 synced")

    proxies["S1"].down = False
    want = 2500 - 2000 + s2_sale["bonus_earned"] - 4000 + s1_sale["bonus_earned"]
    wait_for(lambda: hub_view(hub)["balance"] == want, what="S1's offline sale at the hub")
    overdrafts = [o for o in hub.admin("/hub/v1/loyalty/overdrafts")[1]["items"]
                  if o["phone"] == PHONE]
    assert [(o["store_id"], o["amount"]) for o in overdrafts] == [("S1", -4000)]
    wait_for(lambda: customer(s1)["bonus_balance"] == customer(s2)["bonus_balance"] == want,
             what="both stores hold the hub's one balance")
    assert site.customer()[1]["balance"] == want
    view = hub_view(hub)
    assert sum(e["amount"] for e in view["ledger"]) == want
    assert [e["kind"] for e in view["ledger"]].count("welcome") == 1


def test_one_phone_registered_in_two_stores_online_and_offline_gets_one_welcome(chain):
    hub, site, proxies, apis = chain
    s1, s2 = apis["S1"], apis["S2"]
    r = s1.post("/api/v1/customers", json={"phone": "8 916 123-45-67", "name": "Ольга"})
    assert r.status_code == 201 and r.json()["bonus_balance"] == WELCOME

    r = s2.post("/api/v1/customers", json={"phone": PHONE})  # online: the chain knows her
    assert r.status_code == 200 and r.json()["bonus_balance"] == WELCOME
    assert r.json()["name"] == "Ольга"

    phone2 = "+79031112233"
    r = s1.post("/api/v1/customers", json={"phone": phone2})
    assert r.status_code == 201
    proxies["S2"].down = True
    r = s2.post("/api/v1/customers", json={"phone": phone2, "name": "Пётр"})
    assert r.status_code == 201 and r.json()["bonus_balance"] == WELCOME  # provisional
    proxies["S2"].down = False
    wait_for(lambda: [n["kind"] for n in (customer(s2, phone2) or {}).get("notes", [])]
             == ["welcome_duplicate"], what="S2 learns its welcome was a duplicate")
    seen = customer(s2, phone2)
    assert seen["bonus_balance"] == WELCOME and seen["notes"][0]["store_id"] == "S2"
    view = hub_view(hub, phone2)
    assert view["balance"] == WELCOME
    assert [(e["store_id"], e["kind"], e["amount"]) for e in view["ledger"]] == [
        ("HUB", "welcome", WELCOME), ("S2", "welcome", WELCOME), ("HUB", "reversal", -WELCOME)]

    phone3 = "+79265554433"  # both stores offline
    proxies["S1"].down = proxies["S2"].down = True
    for api in (s1, s2):
        assert api.post("/api/v1/customers", json={"phone": phone3}).status_code == 201
    proxies["S1"].down = proxies["S2"].down = False
    wait_for(lambda: len(hub_view(hub, phone3).get("ledger", [])) == 3, what="both welcomes at the hub")
    assert hub_view(hub, phone3)["balance"] == WELCOME
    wait_for(lambda: customer(s1, phone3)["bonus_balance"] == WELCOME ==
             customer(s2, phone3)["bonus_balance"], what="both stores see one welcome")
    assert sorted(len(customer(api, phone3)["notes"]) for api in (s1, s2)) == [1, 1]


def test_a_return_at_the_till_withholds_a_bonus_the_site_spent_meanwhile(chain):
    """Review finding: the till judged the return from its cached balance; the site had spent
    the bonus the returned line earned, and the hub's balance went below zero."""
    hub, site, proxies, apis = chain
    s1 = apis["S1"]
    assert s1.post("/api/v1/customers", json={"phone": PHONE}).status_code == 201
    r = s1.post("/api/v1/sales", json={
        "client_ref": "big", "customer_phone": PHONE, "lines": [{"sku": "COFFEE", "qty": 2}],
        "payments": [{"method": "card", "amount": 2 * 45900}]})
    assert r.status_code == 201, r.text
    sale = r.json()
    earned = sale["bonus_earned"]
    wait_for(lambda: hub_view(hub)["balance"] == WELCOME + earned, what="the sale at the hub")
    code, got = site.entry(ref="spend-all", kind="redemption", amount=WELCOME + earned)
    assert (code, got["balance"]) == (201, 0)
    ret = s1.post("/api/v1/returns", json={
        "client_ref": "ret-1", "sale_id": sale["sale_id"],
        "lines": [{"line_id": sale["lines"][0]["line_id"], "qty": 1}],
        "approval_login": "maria", "approval_pin": "9999"})
    assert ret.status_code == 201, ret.text
    body = ret.json()
    assert body["bonus_withheld"] == earned // 2 and body["bonus_reversed"] == 0
    assert body["total"] == 45900 - earned // 2
    wait_for(lambda: s1.get("/api/v1/sync/status").json()["pending"] == 0, what="the return synced")
    assert hub_view(hub)["balance"] == 0
    assert customer(s1)["bonus_balance"] == 0
