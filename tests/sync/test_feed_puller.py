"""The feed puller: the hub's catalog, prices, other stores' stock and balances, applied
idempotently with the cursor kept in the same transaction."""

from __future__ import annotations

import pytest

from agent import outbox
from agent.models import Barcode, Customer, Product, RemoteStock
from sync.feed import apply_items
from sync.state import LiveState
from sync.wiring import build_workers

from .conftest import synced_store
from .hubkit import event, push_raw

PHONE = "+79161234567"


@pytest.fixture
def scene(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    tok2 = hub.add_store("S2")
    _, (_, puller) = build_workers(store, LiveState())
    yield hub, store, tok2, puller
    store.close()


def s2_day(hub, tok2):
    events = [
        event("S2", 1, "stock.moved", {"lines": [{"sku": "MILK", "qty": "12.000"}]}),
        event("S2", 2, "customer.upserted", {"phone": PHONE, "name": "Ирина"}),
        event("S2", 3, "loyalty.posted", {"entry_id": 1, "phone": PHONE, "kind": "accrual",
                                          "amount": 1250}),
    ]
    assert push_raw(hub.url, tok2, "S2", events).status_code == 200


def test_catalog_prices_remote_stock_and_balances_arrive(scene):
    hub, store, tok2, puller = scene
    hub.admin("/hub/v1/catalog", "POST", {"items": [
        {"sku": "MILK", "name": "Молоко 3.2% 1 л", "price": 9490, "unit": "pcs", "vat": "10",
         "barcodes": ["4607001234562"]},
        {"sku": "TEA", "name": "Чай чёрный", "price": 32900, "unit": "pcs", "vat": "20",
         "barcodes": ["4607001234609"]}]})
    s2_day(hub, tok2)
    assert puller.client.customer(PHONE)["balance"] == 1250  # S1 looks the customer up once...
    assert puller.run_once() == 4  # ...and from then on the feed carries the balance
    assert Product.get(Product.sku == "MILK").price == 9490
    tea = Product.get(Product.sku == "TEA")
    assert (tea.name, tea.price) == ("Чай чёрный", 32900)
    assert Barcode.get(Barcode.code == "4607001234609").product_id == tea.id
    rs = RemoteStock.get((RemoteStock.store_id == "S2") & (RemoteStock.sku == "MILK"))
    assert rs.on_hand_milli == 12000
    c = Customer.get(Customer.phone == PHONE)
    assert (c.name, c.hub_balance, c.hub_ledger_seq) == ("Ирина", 1250, 1)
    assert c.hub_confirmed_at
    assert int(outbox.get_state("feed_cursor")) > 0
    assert puller.run_once() == 0  # nothing new since the kept cursor


def test_own_stock_is_never_taken_from_the_hub(scene):
    hub, store, tok2, puller = scene
    from .till import Till
    Till(store).sell([{"sku": "MILK", "qty": "1"}])
    build_workers(store, LiveState())[1][0].run_once()
    puller.run_once()
    assert RemoteStock.select().where(RemoteStock.store_id == "S1").count() == 0


def test_applying_a_page_twice_changes_nothing(scene):
    hub, store, tok2, puller = scene
    s2_day(hub, tok2)
    puller.client.customer(PHONE)
    page = puller.client.feed(0)
    apply_items(store, page["items"], page["cursor"])
    before = (list(RemoteStock.select().dicts()), list(Customer.select().dicts()))
    outbox_before = outbox.last_seq()
    with store.db.write():
        outbox.set_state("feed_cursor", 0)  # as if the crash came before the cursor was kept
    apply_items(store, page["items"], page["cursor"])
    after = (list(RemoteStock.select().dicts()), list(Customer.select().dicts()))
    assert [{k: v for k, v in r.items() if k != "updated_at"} for r in before[0]] == \
        [{k: v for k, v in r.items() if k != "updated_at"} for r in after[0]]
    assert before[1] == after[1]
    assert outbox.last_seq() == outbox_before  # the feed never makes events of its own


def test_an_older_balance_never_replaces_a_newer_one(scene):
    hub, store, tok2, puller = scene
    newer = {"cursor": 10, "type": "loyalty.balance", "payload": {
        "phone": PHONE, "name": None, "balance": 500, "as_of": "2026-03-02T00:00:00Z",
        "ledger_seq": 9}}
    older = {"cursor": 11, "type": "loyalty.balance", "payload": {
        "phone": PHONE, "name": None, "balance": 100, "as_of": "2026-03-01T00:00:00Z",
        "ledger_seq": 4}}
    apply_items(store, [newer, older], 11)
    assert Customer.get(Customer.phone == PHONE).hub_balance == 500


def test_an_item_the_store_cannot_take_is_skipped_and_the_feed_goes_on(scene):
    hub, store, tok2, puller = scene
    hub.admin("/hub/v1/catalog", "POST", {"items": [
        {"sku": "FAKE", "name": "Чужой штрихкод", "price": 100, "unit": "pcs", "vat": "20",
         "barcodes": ["4607001234562"]},  # MILK's barcode here
        {"sku": "GOOD", "name": "Хороший", "price": 200, "unit": "pcs", "vat": "20"}]})
    s2_day(hub, tok2)
    puller.client.customer(PHONE)  # S1 has seen the customer: its balance comes down the feed
    puller.run_once()
    assert Product.get_or_none(Product.sku == "FAKE") is None
    assert Product.get(Product.sku == "GOOD").price == 200
    assert Customer.get(Customer.phone == PHONE).hub_balance == 1250
    assert puller.run_once() == 0


def test_the_feed_is_paged_until_the_end(scene):
    hub, store, tok2, puller = scene
    puller.page = 7
    hub.admin("/hub/v1/catalog", "POST", {"items": [
        {"sku": f"P{i:02d}", "name": f"Товар {i}", "price": 100 + i} for i in range(30)]})
    assert puller.run_once() == 30
    assert Product.select().where(Product.sku.startswith("P")).count() == 30
