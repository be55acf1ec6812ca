"""Stock documents at the hub: expected deliveries down one store's feed, transfers in
transit whose chain total commutes whatever order the two sides arrive in, and refusals
that apply nothing."""

from __future__ import annotations

import pytest
import requests

from .test_hub_feed import Feed


def transfer_sent(tid="S1:T1", to="S2", lines=(("MILK", "10.000"),)):
    return {"transfer_id": tid, "from_store": tid.split(":")[0], "to_store": to,
            "lines": [{"sku": s, "qty": q} for s, q in lines]}


def transfer_received(tid="S1:T1", frm="S1", to="S2", lines=(("MILK", "9.000"),)):
    return {"transfer_id": tid, "from_store": frm, "to_store": to,
            "lines": [{"sku": s, "qty": q} for s, q in lines]}


def stock(hub, sku):
    return hub.admin(f"/hub/v1/stock?sku={sku}")[1]


@pytest.fixture
def chain(any_hub):
    feed = Feed(any_hub)
    for s in ("S1", "S2"):
        feed.push(s, "stock.moved", {"doc_id": 1, "kind": "receipt",
                                     "lines": [{"sku": "MILK", "qty": "100.000"}]})
    return feed


@pytest.mark.parametrize("order", ["sent_first", "received_first"])
def test_the_chain_total_never_changes_by_a_transfer_in_either_order(chain, order):
    hub = chain.hub
    assert stock(hub, "MILK")["total"] == "200.000"
    steps = [("S1", "transfer.sent", transfer_sent()),
             ("S2", "transfer.received", transfer_received())]
    if order == "received_first":
        steps.reverse()
    for store, etype, payload in steps:
        chain.push(store, etype, payload)
        assert stock(hub, "MILK")["total"] == "200.000"
    got = stock(hub, "MILK")
    assert got["stores"] == {"S1": "90.000", "S2": "109.000"}
    assert [(t["transfer_id"], t["in_transit"]) for t in got["in_transit"]] == [("S1:T1", "1.000")]
    pairs = hub.admin("/hub/v1/transfers")[1]["pairs"]
    assert pairs == [{"from_store": "S1", "to_store": "S2", "sku": "MILK", "in_transit": "1.000"}]


def test_the_incoming_transfer_goes_down_the_receiving_stores_feed_only(chain):
    chain.push("S1", "transfer.sent", transfer_sent(lines=(("MILK", "3.000"), ("BREAD", "2.000"))))
    s2 = [i for i in chain.read("S2")["items"] if i["type"] == "transfer.incoming"]
    assert [i["payload"]["transfer_id"] for i in s2] == ["S1:T1"]
    assert s2[0]["payload"]["lines"] == [{"sku": "MILK", "qty": "3.000"},
                                         {"sku": "BREAD", "qty": "2.000"}]
    assert not [i for i in chain.read("S1")["items"] if i["type"] == "transfer.incoming"]
    assert stock(chain.hub, "MILK")["total"] == "200.000"


@pytest.mark.parametrize("store, etype, payload", [
    ("S1", "transfer.sent", transfer_sent(to="S9")),  # not a store of this hub
    ("S1", "transfer.sent", transfer_sent(to="S1")),  # to itself
    ("S1", "transfer.sent", transfer_sent(tid="S2:T1")),  # in another store's name
    ("S1", "transfer.received", transfer_received(frm="S2", to="S2")),  # meant for S2
    ("S1", "transfer.sent", transfer_sent(lines=(("MILK", "0"),))),
    ("S1", "transfer.sent", transfer_sent(lines=(("MILK", "-1"),))),
])
def test_a_bad_transfer_event_is_refused_and_applies_nothing(chain, store, etype, payload):
    from .hubkit import event, push_raw
    before = stock(chain.hub, "MILK")
    r = push_raw(chain.hub.url, chain.tok[store], store,
                 [event(store, chain.seq[store] + 1, etype, payload)])
    assert r.status_code == 400, r.text
    assert stock(chain.hub, "MILK") == before
    assert chain.hub.admin("/hub/v1/stores")[1]["items"][0]["acked_through"] == 1


def test_a_transfer_to_an_unknown_store_is_listed_as_rejected_and_can_be_quarantined(chain):
    """Not a silent block: the hub records the refused event (GET /hub/v1/rejected); once
    the operator quarantines it, the store's next events apply past it."""
    from .hubkit import event, push_raw
    seq = chain.seq["S1"] + 1
    bad = event("S1", seq, "transfer.sent", transfer_sent(to="S9"))
    r = push_raw(chain.hub.url, chain.tok["S1"], "S1", [bad])
    assert r.status_code == 400 and r.json()["error"]["code"] == "event_rejected", r.text
    assert r.json()["seq"] == seq
    [rej] = chain.hub.admin("/hub/v1/rejected?store_id=S1")[1]["items"]
    assert (rej["seq"], rej["status"]) == (seq, "rejected")
    assert rej["type"] == "transfer.sent" and "S9" in rej["reason"]
    assert chain.hub.admin(f"/hub/v1/rejected/{rej['id']}/quarantine", method="POST")[0] == 200
    nxt = event("S1", seq + 1, "stock.moved", {"doc_id": 2, "kind": "receipt",
                                                "lines": [{"sku": "MILK", "qty": "1.000"}]})
    r = push_raw(chain.hub.url, chain.tok["S1"], "S1", [bad, nxt])
    assert r.status_code == 200, r.text
    assert stock(chain.hub, "MILK")["stores"]["S1"] == "101.000"  # the transfer never applied
    assert chain.hub.admin("/hub/v1/transfers")[1]["pairs"] == []


def test_an_expected_delivery_reaches_only_its_store_and_repeats_answer_the_first(chain):
    hub = chain.hub
    body = {"store_id": "S1", "number": "УПД-77", "supplier": "ООО Молоко",
            "lines": [{"sku": "MILK", "qty": "12", "price": 6000}]}
    site = hub.add_channel("erp")
    r = requests.post(hub.url + "/hub/v1/deliveries", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {site}"})
    assert r.status_code == 201, r.text
    did = r.json()["delivery_id"]
    assert hub.admin("/hub/v1/deliveries", "POST", body) == (200, r.json())
    code, err = hub.admin("/hub/v1/deliveries", "POST", {**body, "lines": [{"sku": "MILK",
                                                                              "qty": "13"}]})
    assert code == 409, err
    items = [i for i in chain.read("S1")["items"] if i["type"] == "delivery.expected"]
    assert [i["payload"]["delivery_id"] for i in items] == [did]
    assert items[0]["payload"]["lines"] == [{"sku": "MILK", "qty": "12.000", "price": 6000}]
    assert not [i for i in chain.read("S2")["items"] if i["type"] == "delivery.expected"]


@pytest.mark.parametrize("body, field", [
    ({"store_id": "S9", "number": "1", "supplier": "A", "lines": [{"sku": "MILK", "qty": 1}]},
     "store_id"),
    ({"store_id": "S1", "number": "", "supplier": "A", "lines": [{"sku": "MILK", "qty": 1}]},
     "number"),
    ({"store_id": "S1", "number": "1", "supplier": "A", "lines": []}, "lines"),
    ({"store_id": "S1", "number": "1", "supplier": "A", "lines": [{"sku": "MILK", "qty": 0}]},
     "lines[0].qty"),
    ({"store_id": "S1", "number": "1", "supplier": "A",
      "lines": [{"sku": "MILK", "qty": 1, "price": 1.5}]}, "lines[0].price"),
])
def test_a_bad_expected_delivery_is_refused_with_nothing_written(chain, body, field):
    code, err = chain.hub.admin("/hub/v1/deliveries", "POST", body)
    assert code == 400 and err["error"]["field"] == field
    assert chain.hub.admin("/hub/v1/deliveries")[1]["items"] == []


def test_only_the_admin_or_a_channel_may_post_a_delivery(chain):
    import json

    from .hubkit import signed_for
    raw = json.dumps({"store_id": "S1", "number": "1", "supplier": "A",
                      "lines": [{"sku": "MILK", "qty": 1}]}).encode()
    r = requests.post(chain.hub.url + "/hub/v1/deliveries", data=raw, timeout=30,
                      headers=signed_for(chain.tok["S1"], "POST", "/hub/v1/deliveries", raw))
    assert r.status_code == 401
    r = requests.post(chain.hub.url + "/hub/v1/deliveries", data=raw, timeout=30)
    assert r.status_code == 401


def test_counts_and_write_offs_are_kept_per_store_with_their_lines(chain):
    chain.push("S1", "stock.counted", {"doc_id": 7, "kind": "count", "scope": "partial",
                                       "lines": [{"sku": "MILK", "counted": "97.000",
                                                  "qty": "-3.000"}]})
    chain.push("S1", "stock.moved", {"doc_id": 8, "kind": "writeoff", "reason": "expired",
                                     "lines": [{"sku": "MILK", "qty": "-2.000"}]})
    docs = chain.hub.admin("/hub/v1/stock-docs?store_id=S1")[1]["items"]
    assert [(d["doc_id"], d["kind"], d["reason"], d["scope"]) for d in docs] == [
        (8, "writeoff", "expired", None), (7, "count", None, "partial"), (1, "receipt", None, None)]
    assert stock(chain.hub, "MILK")["total"] == "195.000"  # a count and a write-off do move it
    assert chain.hub.admin("/hub/v1/stock-docs")[0] == 400


@pytest.mark.parametrize("path", ["/hub/v1/deliveries?store_id=S1&x=1", "/hub/v1/transfers?store=S1",
                                  "/hub/v1/stock-docs?store_id=S1&limit=5"])
def test_the_stock_document_routes_refuse_unknown_query_parameters(chain, path):
    code, body = chain.hub.admin(path)
    assert code == 400 and body["error"]["code"] == "invalid", body
    assert chain.hub.admin(path.split("?")[0] + "?store_id=S1" if "transfers" not in path
                           else "/hub/v1/transfers?sku=MILK")[0] == 200
