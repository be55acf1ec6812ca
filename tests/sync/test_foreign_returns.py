"""Returns in S2 of a sale made in S1 (issue 19), with two real store processes and a hub:
the hub answers what is still returnable and is the authority across stores; the stock comes
back in S2; offline, S2 refuses or (configured) accepts with a manager, and the hub lists a
resulting double return for the office."""

from __future__ import annotations

import uuid

import pytest

from tests.agent_process import AgentProcess
from tests.conftest import make_store

from .faultproxy import FaultProxy
from .hubkit import wait_for


class Pair:
    def __init__(self, hub, tmp_path, foreign_offline="refuse"):
        self.hub, self.agents, self.proxies = hub, {}, {}
        for sid in ("S1", "S2"):
            tok = hub.add_store(sid)
            proxy = self.proxies[sid] = FaultProxy(hub.port)
            make_store(tmp_path / sid, sid, hub={"url": proxy.url, "token": tok,
                                                 "push_interval": 0.2, "feed_interval": 0.5,
                                                 "timeout": 2.0},
                       returns={"foreign_offline": foreign_offline, "hub_timeout": 1.0}).close()
            self.agents[sid] = AgentProcess(tmp_path / sid).start()
        self.apis = {sid: a.session("maria") for sid, a in self.agents.items()}
        for api in self.apis.values():
            assert api.post("/api/v1/shifts/open", json={"opening_cash": 100000}).status_code == 201

    def sell_in_s1(self):
        r = self.apis["S1"].post("/api/v1/sales", json={
            "client_ref": uuid.uuid4().hex,
            "lines": [{"sku": "MILK", "qty": 3}, {"sku": "BREAD", "qty": 1,
                                                   "discount": {"percent": "10", "reason": "акция"}}],
            "payments": [{"method": "card", "amount": 3 * 8990 + 4905}]})
        assert r.status_code == 201, r.text
        sale = r.json()
        wait_for(lambda: self.hub.admin("/hub/v1/stores/S1/summary")[1]["sales_count"] == 1,
                 timeout=60, step=0.2, what="S1's sale at the hub")
        return sale

    def stock(self, sid, sku):
        return self.apis[sid].get(f"/api/v1/stock?sku={sku}").json()["on_hand"]

    def close(self):
        for a in self.agents.values():
            a.stop()
        for p in self.proxies.values():
            p.close()


@pytest.fixture
def pair(hub, tmp_path):
    p = Pair(hub, tmp_path)
    yield p
    p.close()


def ret(api, sale, lines, **extra):
    return api.post("/api/v1/returns", json={
        "client_ref": uuid.uuid4().hex, "origin": {"store_id": "S1", "sale_id": sale["sale_id"]},
        "lines": lines, **extra})


def test_a_sale_of_s1_returned_in_s2_the_hub_keeps_count_across_stores(pair):
    sale = pair.sell_in_s1()
    milk, bread = (ln["line_id"] for ln in sale["lines"])
    s2 = pair.apis["S2"]
    before = pair.stock("S2", "MILK")
    r = ret(s2, sale, [{"line_id": milk, "qty": 2}, {"line_id": bread, "qty": 1}])
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["kind"] == "foreign" and got["origin"] == {"store_id": "S1",
                                                          "sale": str(sale["sale_id"])}
    assert got["total"] == 2 * 8990 + 4905          # the net of the discounted bread
    assert got["refunds"] == [{"method": "card", "amount": got["total"]}]
    assert float(pair.stock("S2", "MILK")) == float(before) + 2   # back on S2's shelf

    # the hub now knows two of three milks came back: S2 may not take two more ...
    wait_for(lambda: pair.hub.admin("/hub/v1/stores/S2/summary")[1]["returns_count"] == 1,
             timeout=60, step=0.2, what="S2's return at the hub")
    r = ret(s2, sale, [{"line_id": milk, "qty": 2}])
    assert r.status_code == 409 and r.json()["error"]["code"] == "return_exceeds_sale"
    r = ret(s2, sale, [{"line_id": bread, "qty": 1}])   # the bread is all back already
    assert r.status_code == 409 and r.json()["error"]["code"] == "return_exceeds_sale"
    r = ret(s2, sale, [{"line_id": milk, "qty": 1}])
    assert r.status_code == 201 and r.json()["total"] == 8990
    assert pair.hub.admin("/hub/v1/returns/doubles")[1]["items"] == []


def test_bad_foreign_returns_write_nothing(pair):
    sale = pair.sell_in_s1()
    s2 = pair.apis["S2"]
    milk = sale["lines"][0]["line_id"]
    count = lambda: s2.get("/api/v1/shifts/current").json()["returns_total"]  # noqa: E731
    for lines, origin, code in (
            ([{"line_id": milk, "qty": 4}], None, "return_exceeds_sale"),
            ([{"line_id": 999999, "qty": 1}], None, "invalid"),
            ([{"line_id": milk, "qty": 1}], {"store_id": "S1", "sale_id": 424242}, "unknown_sale"),
            ([{"line_id": milk, "qty": 1}], {"store_id": "S2", "sale_id": 1}, "own_sale"),
            ([{"line_id": milk, "qty": 1}], {"store_id": "S1"}, "invalid")):
        body = {"client_ref": uuid.uuid4().hex, "lines": lines,
                "origin": origin or {"store_id": "S1", "sale_id": sale["sale_id"]}}
        r = s2.post("/api/v1/returns", json=body)
        assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == code, r.text
    assert count() == 0


def test_offline_refuse_then_approve_and_the_hub_reports_the_double_return(hub, tmp_path):
    p = Pair(hub, tmp_path, foreign_offline="approve")
    try:
        sale = p.sell_in_s1()
        milk = sale["lines"][0]["line_id"]
        s2 = p.apis["S2"]
        assert ret(s2, sale, [{"line_id": milk, "qty": 3}]).status_code == 201  # all three
        wait_for(lambda: p.hub.admin("/hub/v1/stores/S2/summary")[1]["returns_count"] == 1,
                 timeout=60, step=0.2, what="S2's first return at the hub")
        p.proxies["S2"].down = True
        # offline: the line must say what it is and what it cost; a manager approves
        r = ret(s2, sale, [{"line_id": milk, "qty": 1}])
        assert r.status_code == 400 and r.json()["error"]["field"] == "lines[0].sku"
        r = s2.post("/api/v1/returns", json={  # by the receipt's number, as the customer has it
            "client_ref": uuid.uuid4().hex, "origin": {"store_id": "S1", "sale_number": sale["number"]},
            "lines": [{"line_id": milk, "qty": 1, "sku": "MILK", "price": 8990}]})
        assert r.status_code == 201, r.text
        assert r.json()["origin"] == {"store_id": "S1", "sale": f"n{sale['number']}"}
        p.proxies["S2"].down = False
        doubles = wait_for(lambda: p.hub.admin("/hub/v1/returns/doubles")[1]["items"],
                           timeout=60, step=0.2, what="the double return at the hub")
        assert [(d["store_id"], d["origin_store"], d["origin_line_id"], d["qty"])
                for d in doubles] == [("S2", "S1", milk, "1.000")]
    finally:
        p.close()


def test_offline_a_refusing_store_writes_nothing(pair):
    sale = pair.sell_in_s1()
    pair.proxies["S2"].down = True
    r = ret(pair.apis["S2"], sale, [{"line_id": sale["lines"][0]["line_id"], "qty": 1,
                                     "sku": "MILK", "price": 8990}])
    assert r.status_code == 409 and r.json()["error"]["code"] == "hub_unreachable"
    assert pair.apis["S2"].get("/api/v1/shifts/current").json()["returns_total"] == 0


def test_s2_finds_the_customers_sales_in_the_chain_by_phone_and_returns_one(pair):
    """The contract's other lookup: the customer's phone.  The hub answers the customer's
    recent sales in the other stores with what is still returnable; the cashier picks one."""
    phone = "+79165550011"
    s1, s2 = pair.apis["S1"], pair.apis["S2"]
    assert s1.post("/api/v1/customers", json={"phone": phone}).status_code in (200, 201)
    r = s1.post("/api/v1/sales", json={
        "client_ref": uuid.uuid4().hex, "customer_phone": phone,
        "lines": [{"sku": "MILK", "qty": 2}],
        "payments": [{"method": "cash", "amount": 2 * 8990}]})
    assert r.status_code == 201, r.text
    sale = r.json()
    other = s1.post("/api/v1/sales", json={  # another customer's sale: never listed
        "client_ref": uuid.uuid4().hex, "lines": [{"sku": "MILK", "qty": 1}],
        "payments": [{"method": "cash", "amount": 8990}]})
    assert other.status_code == 201, other.text
    wait_for(lambda: pair.hub.admin("/hub/v1/stores/S1/summary")[1]["sales_count"] == 2,
             timeout=60, step=0.2, what="S1's sales at the hub")
    found = s2.get("/api/v1/returns/lookup?phone=8 916 555-00-11")
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert [(i["store_id"], i["sale_id"]) for i in items] == [("S1", sale["sale_id"])]
    assert items[0]["lines"][0]["returnable_qty"] == "2.000"
    assert items[0]["customer_phone"] == phone
    milk = items[0]["lines"][0]["line_id"]
    r = ret(s2, sale, [{"line_id": milk, "qty": 1}])
    assert r.status_code == 201, r.text
    wait_for(lambda: pair.hub.admin("/hub/v1/stores/S2/summary")[1]["returns_count"] == 1,
             timeout=60, step=0.2, what="S2's return at the hub")
    again = s2.get(f"/api/v1/returns/lookup?phone={phone.replace('+', '%2B')}").json()["items"]
    assert again[0]["lines"][0]["returnable_qty"] == "1.000"
    assert s2.get("/api/v1/returns/lookup?phone=%2B79160000000").json()["items"] == []
    bad = s2.get("/api/v1/returns/lookup?phone=abc")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    # the hub's own sales are not offered to S1 itself (it returns them by sale_id)
    assert s1.get(f"/api/v1/returns/lookup?phone={phone.replace('+', '%2B')}").json()[
        "items"] == []


def test_a_foreign_return_gives_back_the_redeemed_bonus_in_proportion(pair):
    """As a return in the selling store does: the bonus the original redeemed comes back
    for the goods returned, and the bonus it earned on them is taken back; the hub's
    ledger (the authority for the balance) ends where a same-store return would leave it."""
    phone = "+79165550033"
    s1, s2 = pair.apis["S1"], pair.apis["S2"]
    assert s1.post("/api/v1/customers", json={"phone": phone}).status_code in (200, 201)
    first = s1.post("/api/v1/sales", json={  # earns 5% of 449,50 = 22,48
        "client_ref": uuid.uuid4().hex, "customer_phone": phone,
        "lines": [{"sku": "MILK", "qty": 5}], "payments": [{"method": "cash", "amount": 44950}]})
    assert first.status_code == 201, first.text
    earned_first = first.json()["bonus_earned"]
    assert earned_first > 2000
    hub_balance = lambda: pair.hub.admin(f"/hub/v1/customers/{phone}")[1]["balance"]  # noqa: E731
    wait_for(lambda: hub_balance() == earned_first, timeout=60, step=0.2,
             what="the accrual at the hub")
    sale = s1.post("/api/v1/sales", json={
        "client_ref": uuid.uuid4().hex, "customer_phone": phone, "redeem_bonus": 2000,
        "lines": [{"sku": "MILK", "qty": 2}],
        "payments": [{"method": "cash", "amount": 2 * 8990 - 2000}]})
    assert sale.status_code == 201, sale.text
    sale = sale.json()
    assert sale["bonus_redeemed"] == 2000
    wait_for(lambda: pair.hub.admin("/hub/v1/stores/S1/summary")[1]["sales_count"] == 2,
             timeout=60, step=0.2, what="S1's sales at the hub")
    line = sale["lines"][0]
    r = ret(s2, sale, [{"line_id": line["line_id"], "qty": 1}])
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["total"] == 8990 - 1000                  # the money paid for one milk
    assert got["bonus_restored"] == 1000                # half the redemption comes back
    assert got["bonus_reversed"] == sale["bonus_earned"] // 2 or got["bonus_reversed"] == (
        sale["bonus_earned"] - sale["bonus_earned"] // 2)
    expected = earned_first - 2000 + sale["bonus_earned"] + 1000 - got["bonus_reversed"]
    wait_for(lambda: hub_balance() == expected, timeout=60, step=0.2,
             what=f"the hub's balance {expected}")
