"""One bonus balance across stores: equal to the hub's after sync; two stores offline spending
the same balance get an overdraft the hub flags and loses nothing of."""

import uuid

import pytest

from tests.agent_process import AgentProcess
from tests.conftest import make_store

from .faultproxy import FaultProxy
from .hubkit import wait_for

PHONE = "+79161234567"
LOYALTY = {"welcome_bonus": 10000, "redeem_cap_percent": 100, "accrual_percent": 5,
           "max_offline_age": 3600, "offline_redeem_cap": 100000, "authorize_timeout": 1.0}


@pytest.fixture
def chain(tmp_path, hub):
    proxy = FaultProxy(hub.port)
    agents = {}
    for sid in ("S1", "S2"):
        tok = hub.add_store(sid)
        make_store(tmp_path / sid, sid, loyalty=LOYALTY, hub={
            "url": f"http://127.0.0.1:{proxy.port}", "token": tok, "push_interval": 0.2,
            "feed_interval": 0.3, "timeout": 2.0}).close()
        agents[sid] = AgentProcess(tmp_path / sid).start()
    yield hub, proxy, agents
    for a in agents.values():
        a.stop()
    proxy.close()


def balance(api):
    r = api.get(f"/api/v1/customers?phone={PHONE}")
    return r.json()["bonus_balance"] if r.status_code == 200 else None


def hub_balance(hub):
    return hub.admin(f"/hub/v1/customers/{PHONE}")[1]["balance"]


def confirmed(agent):
    """The balance the hub last confirmed to this store (its offline allowance starts there)."""
    import sqlite3
    conn = sqlite3.connect(f"{agent.data_dir}/store.db")
    try:
        row = conn.execute("SELECT hub_balance FROM customer WHERE phone = ?", (PHONE,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def sell(api, redeem, expect=201):
    lines = [{"sku": "COFFEE", "qty": 1}]
    q = api.post("/api/v1/sales/quote", json={"lines": lines, "customer_phone": PHONE,
                                               "redeem_bonus": redeem})
    refused = expect == 409 and q.status_code == 409  # the quote says what commit will
    assert q.status_code == 200 or refused, q.text
    total = 45900 - redeem if refused else q.json()["total"]
    r = api.post("/api/v1/sales", json={"client_ref": uuid.uuid4().hex, "lines": lines,
                                         "customer_phone": PHONE, "redeem_bonus": redeem,
                                         "payments": [{"method": "card", "amount": total}]})
    assert r.status_code == expect, r.text
    if refused:
        assert r.json()["error"]["code"] == q.json()["error"]["code"]
    return r.json()


def test_balances_across_stores_equal_the_hubs_and_an_offline_overdraft_is_flagged(chain):
    hub, proxy, agents = chain
    s1, s2 = agents["S1"].session("maria"), agents["S2"].session("maria")
    for api in (s1, s2):
        assert api.post("/api/v1/shifts/open", json={"opening_cash": 0}).status_code == 201
    assert s1.post("/api/v1/customers", json={"phone": "8 916 123-45-67", "name": "Ольга"}
                   ).status_code == 201
    wait_for(lambda: balance(s2) == 10000, what="S2 learns the balance from the hub")
    assert hub_balance(hub) == 10000

    sale = sell(s2, 3000)  # online: the hub authorises, S1 sees the result after sync
    wait_for(lambda: balance(s1) == balance(s2) == hub_balance(hub),
             what="both stores equal the hub")
    assert hub_balance(hub) == 10000 - 3000 + sale["bonus_earned"]
    left = hub_balance(hub)
    wait_for(lambda: confirmed(agents["S1"]) == confirmed(agents["S2"]) == left,
             what="both stores hold the hub's confirmation of the balance")

    r = s1.post("/api/v1/sales/quote", json={"lines": [{"sku": "COFFEE", "qty": 1}],
                                             "customer_phone": PHONE, "redeem_bonus": left + 1})
    assert r.status_code == 409 and r.json()["error"]["limit"] == "balance"

    proxy.down = True  # the hub is out of reach for both stores
    sell(s1, left)  # each store may spend the confirmed balance offline...
    sell(s2, left)
    sell(s1, 1, expect=409)  # ...but not more than it knows of
    proxy.down = False

    wait_for(lambda: hub.admin("/hub/v1/loyalty/overdrafts")[1]["items"], what="overdraft")
    overdrafts = hub.admin("/hub/v1/loyalty/overdrafts")[1]["items"]
    assert {o["phone"] for o in overdrafts} == {PHONE}
    wait_for(lambda: balance(s1) == balance(s2) == hub_balance(hub),
             what="both stores equal the hub after the overdraft")
    assert hub_balance(hub) < 0  # nothing lost: the hub counts both redemptions
    summary = [hub.admin(f"/hub/v1/stores/{s}/summary")[1] for s in ("S1", "S2")]
    assert [s["sales_count"] for s in summary] == [1, 2]
