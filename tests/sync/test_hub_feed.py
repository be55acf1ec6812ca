"""The per-store feed: latest state per row, numbered in commit order, read by cursor."""

from __future__ import annotations

import pytest
import requests

from .hubkit import event, push_raw, signed_for

PHONE = "+79161234567"


class Feed:
    def __init__(self, hub):
        self.hub = hub
        self.tok = {s: hub.add_store(s) for s in ("S1", "S2")}
        self.seq = {"S1": 0, "S2": 0}

    def push(self, store, etype, payload):
        self.seq[store] += 1
        r = push_raw(self.hub.url, self.tok[store], store,
                     [event(store, self.seq[store], etype, payload)])
        assert r.status_code == 200, r.text

    def look_up(self, store, phone):
        path = f"/hub/v1/loyalty/customers/{phone}"
        return requests.get(self.hub.url + path, headers=signed_for(self.tok[store], "GET", path))

    def read(self, store, after=0, limit=500):
        path = f"/hub/v1/feed?after={after}&limit={limit}"
        r = requests.get(self.hub.url + path, headers=signed_for(self.tok[store], "GET", path))
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def feed(any_hub):
    return Feed(any_hub)


def receipt(sku, qty):
    return {"doc_id": 1, "kind": "receipt", "lines": [{"sku": sku, "qty": qty}]}


def test_a_catalog_upsert_reaches_every_store(feed):
    item = {"sku": "TEA", "name": "Чай", "price": 32900, "unit": "pcs", "vat": "20",
            "barcodes": ["4607001234609"]}
    assert feed.hub.admin("/hub/v1/catalog", "POST", {"items": [item]}) == (200, {"upserted": 1})
    for store in ("S1", "S2"):
        items = feed.read(store)["items"]
        assert [(i["type"], i["payload"]) for i in items] == [
            ("product.upserted", dict(item, hidden=False))]


def test_a_bad_catalog_item_is_400_and_nothing_is_published(feed):
    status, body = feed.hub.admin("/hub/v1/catalog", "POST", {"items": [
        {"sku": "A", "name": "A", "price": 100}, {"sku": "B", "name": "B", "price": 1.5}]})
    assert status == 400 and body["error"]["field"] == "items[1].price"
    assert feed.read("S1")["items"] == []


def test_stock_goes_to_the_other_stores_only_and_only_its_latest_level(feed):
    for qty in ("5", "-1", "3"):
        feed.push("S1", "stock.moved", receipt("MILK", qty))
    mine, theirs = feed.read("S1"), feed.read("S2")
    assert [i for i in mine["items"] if i["type"] == "stock.level"] == []
    levels = [i["payload"] for i in theirs["items"] if i["type"] == "stock.level"]
    assert levels == [{"store_id": "S1", "sku": "MILK", "on_hand": "7.000"}]


def test_a_store_reading_from_its_cursor_gets_only_what_changed_since(feed):
    feed.push("S1", "stock.moved", receipt("MILK", "5"))
    feed.look_up("S2", PHONE)  # S2 has seen the customer (404 now: not yet known)
    first = feed.read("S2")
    assert feed.read("S2", first["cursor"])["items"] == []
    feed.push("S1", "stock.moved", receipt("BREAD", "2"))
    feed.push("S1", "loyalty.posted", {"entry_id": 1, "phone": PHONE, "kind": "accrual",
                                       "amount": 700})
    nxt = feed.read("S2", first["cursor"])
    assert nxt["cursor"] > first["cursor"]
    assert all(i["cursor"] > first["cursor"] for i in nxt["items"])
    kinds = sorted((i["type"], i["payload"].get("sku") or i["payload"].get("phone"))
                   for i in nxt["items"])
    assert kinds == [("loyalty.balance", PHONE), ("stock.level", "BREAD")]
    balance = next(i["payload"] for i in nxt["items"] if i["type"] == "loyalty.balance")
    assert (balance["balance"], balance["store_entries"]) == (700, {"S1": 1})
    assert balance["ledger_seq"] >= 1


def test_pages_follow_each_other_without_loss_or_repeat(feed):
    feed.hub.admin("/hub/v1/catalog", "POST", {"items": [
        {"sku": f"P{i:03d}", "name": f"Товар {i}", "price": 100 + i} for i in range(23)]})
    seen, cursor = [], 0
    while True:
        page = feed.read("S1", cursor, limit=5)
        seen += [i["payload"]["sku"] for i in page["items"]]
        if not page["items"]:
            break
        cursor = page["cursor"]
    assert sorted(seen) == [f"P{i:03d}" for i in range(23)] and len(set(seen)) == 23


def test_a_cursor_from_a_previous_hub_starts_the_feed_over(feed):
    feed.hub.admin("/hub/v1/catalog", "POST", {"items": [{"sku": "A", "name": "A", "price": 1}]})
    page = feed.read("S1", after=10**9)
    assert page["reset"] is True and len(page["items"]) == 1
