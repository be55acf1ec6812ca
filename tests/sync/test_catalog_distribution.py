"""The catalog down to the stores, set-based: after deltas, a week away, a duplicate
request and a kill -9 in the middle of a page, the store's catalog equals the hub's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent import outbox
from agent.models import database
from sync.hub.sql import Sql
from sync.state import LiveState
from sync.wiring import build_workers

from .conftest import synced_store

ROOT = Path(__file__).resolve().parents[2]


def products(n: int, start: int = 0, price=lambda i: 1000 + i, **extra) -> list[dict]:
    return [{"sku": f"P{i:06d}", "name": f"Товар {i}", "price": price(i), "unit": "pcs",
             "vat": "20", "barcodes": [f"29{i:011d}"], **extra} for i in range(start, start + n)]


def publish(hub, items: list[dict], chunk: int = 5000) -> None:
    for i in range(0, len(items), chunk):
        status, body = hub.admin("/hub/v1/catalog", "POST", {"items": items[i:i + chunk]})
        assert status == 200, body


def hub_catalog(hub) -> dict:
    rows = Sql(hub.db).rows("SELECT sku, name, price, unit, vat, hidden, barcodes FROM hub_product")
    return {r[0]: (r[1], int(r[2]), r[3], r[4], bool(r[5]), sorted(json.loads(r[6])))
            for r in rows}


def store_catalog(skus) -> dict:
    codes: dict[int, list] = {}
    for code, pid in database.execute_sql("SELECT code, product_id FROM barcode"):
        codes.setdefault(pid, []).append(code)
    out = {}
    for pid, sku, name, price, unit, vat, hidden in database.execute_sql(
            "SELECT id, sku, name, price, unit, vat, hidden FROM product"):
        if sku in skus:
            out[sku] = (name, price, unit, vat, bool(hidden), sorted(codes.get(pid, [])))
    return out


def assert_same(hub) -> None:
    want = hub_catalog(hub)
    got = store_catalog(set(want))
    assert len(got) == len(want)
    assert got == want
    # every product is searchable (the FTS index follows the set-based writes)
    n = database.execute_sql("SELECT count(*) FROM product_fts WHERE product_fts MATCH ?",
                             ('"товар"*',)).fetchone()[0]
    assert n == len(want)


@pytest.fixture
def scene(any_hub, tmp_path):
    store = synced_store(tmp_path, any_hub.url, any_hub.add_store("S1"))
    _, (_, puller) = build_workers(store, LiveState())
    yield any_hub, store, puller
    store.close()


def test_catalog_then_deltas_then_hidden_the_store_equals_the_hub(scene):
    hub, store, puller = scene
    publish(hub, products(12_000))
    assert puller.run_once() == 12_000  # three pages of 5,000 and one of 2,000 more
    assert_same(hub)
    # a delta: new prices for every tenth product, one withdrawn, one new barcode
    delta = [dict(p, price=p["price"] * 2) for p in products(12_000)[::10]]
    delta[0]["hidden"] = True
    delta[1]["barcodes"] = delta[1]["barcodes"] + ["2900000099990"]
    publish(hub, delta)
    assert puller.run_once() == 1_200
    assert_same(hub)
    assert puller.run_once() == 0


def test_sending_the_whole_catalog_again_sends_only_what_changed(scene):
    hub, store, puller = scene
    items = products(3000)
    publish(hub, items)
    puller.run_once()
    items[7]["price"] += 1
    publish(hub, items)  # the chain's daily full export: one product differs
    assert puller.run_once() == 1
    assert_same(hub)


def test_the_same_sku_twice_in_one_request_keeps_the_last(scene):
    hub, store, puller = scene
    first, second = products(1)[0], dict(products(1)[0], price=4242)
    publish(hub, [first, second])
    puller.run_once()
    assert hub_catalog(hub)["P000000"][1] == 4242
    assert_same(hub)


def test_a_store_away_for_a_week_gets_each_product_once_not_every_change(scene):
    hub, store, puller = scene
    publish(hub, products(2000))
    puller.run_once()
    for day in range(7):  # every product's price changes every day while the store is away
        publish(hub, products(2000, price=lambda i, d=day: 2000 + i + d))
    seen = []
    real_feed = puller.client.feed

    def counting_feed(after, limit=500):
        page = real_feed(after, limit)
        seen.extend(page["items"])
        return page
    puller.client.feed = counting_feed
    assert puller.run_once() == 2000
    assert len(seen) == 2000  # a snapshot of the current catalog, not 7 × 2,000 changes
    assert_same(hub)


def test_a_new_store_catches_up_from_the_current_catalog(scene, tmp_path):
    hub, store, puller = scene
    publish(hub, products(3000))
    publish(hub, products(3000, price=lambda i: 5000 + i))
    store.close()
    fresh = synced_store(tmp_path / "new", hub.url, hub.add_store("S9"), store_id="S9")
    try:
        _, (_, fresh_puller) = build_workers(fresh, LiveState())
        assert fresh_puller.run_once() == 3000
        assert_same(hub)
    finally:
        fresh.close()


def test_a_barcode_clash_skips_that_product_and_the_page_goes_on(scene):
    hub, store, puller = scene
    items = products(10)
    taken = database.execute_sql("SELECT code FROM barcode LIMIT 1").fetchone()[0]
    items[3]["barcodes"] = [taken]  # here it belongs to one of the store's own products
    publish(hub, items)
    assert puller.run_once() == 9
    assert database.execute_sql("SELECT count(*) FROM product WHERE sku = 'P000003'"
                                ).fetchone()[0] == 0
    assert int(outbox.get_state("feed_cursor")) > 0  # the feed moved on past it


KILLER = """
import os, signal, sys
from agent import catalog_bulk
from agent.store import Store
from sync.state import LiveState
from sync.wiring import build_workers
real, calls = catalog_bulk.write, []
def write(rows, now):
    out = real(rows, now)
    calls.append(1)
    if len(calls) == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)  # rows written, page not committed
    return out
catalog_bulk.write = write
store = Store.open(sys.argv[1])
build_workers(store, LiveState())[1][1].run_once()
"""


def test_kill_9_in_the_middle_of_a_page_then_the_store_equals_the_hub(scene):
    hub, store, puller = scene
    publish(hub, products(11_000))
    publish(hub, products(11_000, price=lambda i: 3000 + i)[::3])
    data_dir = str(store.config.data_dir)
    child = subprocess.run([sys.executable, "-c", KILLER, data_dir, "2"], cwd=ROOT,
                           capture_output=True, timeout=300,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -9, child.stderr[-2000:]
    kept = int(outbox.get_state("feed_cursor", "0"))
    assert kept > 0  # the first page was kept, the second was not
    assert database.execute_sql("SELECT count(*) FROM product WHERE sku LIKE 'P%'"
                                ).fetchone()[0] == 5000
    assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    puller.run_once()
    assert_same(hub)


def test_a_page_the_set_based_writer_cannot_take_is_applied_product_by_product(
        hub, tmp_path, monkeypatch):
    from peewee import OperationalError

    from agent import catalog_bulk
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    try:
        _, (_, puller) = build_workers(store, LiveState())
        publish(hub, products(300))

        def broken(rows, now):
            database.execute_sql("INSERT INTO product (sku, name, search_name, unit, vat, price,"
                                 " hidden, updated_at) VALUES ('HALF', 'x', 'x', 'pcs', '20', 1,"
                                 " 0, 'x')")  # written, then the writer fails: rolled back
            raise OperationalError("simulated")
        monkeypatch.setattr(catalog_bulk, "write", broken)
        assert puller.run_once() == 300
        assert database.execute_sql("SELECT count(*) FROM product WHERE sku = 'HALF'"
                                    ).fetchone()[0] == 0
        assert_same(hub)
    finally:
        store.close()
