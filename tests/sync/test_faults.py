"""The network between store and hub misbehaves; nothing is lost, nothing is doubled.

A fault-injecting proxy of our own sits between the agent and the hub and drops requests,
delays them, resets the connection after the hub has committed (the store never hears),
and truncates answers.  After every scenario the checker compares the store's totals with
the hub's: they must be equal, exactly.
"""

from __future__ import annotations

import json
import random
import threading
import uuid

import pytest
import requests

from agent import outbox
from sync.reconcile import differences
from sync.state import LiveState
from sync.status import sync_status
from sync.wiring import build_workers

from .conftest import synced_store
from .faultproxy import FaultProxy
from .hubkit import (
    HubProcess,
    event,
    hub_db_url,
    pg_drop,
    signed,
    token,
    wait_for,
)
from .till import Till

CYCLE = [None, "drop", None, "delay", "reset", None, "truncate", "reset", None, "drop"]


def quick_workers(store, live=None):
    _, (pusher, puller) = build_workers(store, live or LiveState())
    for w in (pusher, puller):
        w.backoff = (0.02, 0.3)  # faults are frequent here; keep the retries brisk
    return pusher, puller


def test_drops_delays_resets_and_truncation_never_lose_or_double_an_event(any_hub, tmp_path):
    hub = any_hub
    proxy = FaultProxy(hub.port, plan=lambda n: CYCLE[n % len(CYCLE)])
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"), batch_events=9,
                         push_interval=0.05, feed_interval=0.2)
    hub.admin("/hub/v1/catalog", "POST", {"items": [
        {"sku": "MILK", "name": "Молоко", "price": 9990, "unit": "pcs", "vat": "10"}]})
    pusher, puller = quick_workers(store)
    till = Till(store)
    rng = random.Random(11)
    pusher.start()
    puller.start()
    try:
        for _ in range(6):
            till.business(15, rng)  # the cashier works while sync fights the network
            pusher.wake()
        wait_for(lambda: sync_status(store)["pending"] == 0, what="the outbox to drain")
    finally:
        pusher.stop()
        puller.stop()
    for fault in ("drop", "delay", "reset", "truncate"):
        assert proxy.counts[fault] > 0, proxy.counts
    assert differences(store, hub.url, hub.admin_token) == []
    held = hub.admin("/hub/v1/stores/S1/summary")[1]["acked_through"]
    assert held == outbox.acked_through() == outbox.last_seq()
    from agent.models import Product
    assert Product.get(Product.sku == "MILK").price == 9990  # the feed got through too
    proxy.close()
    store.close()


def test_a_reset_after_the_hub_committed_is_resent_and_acknowledged_once(hub, tmp_path):
    proxy = FaultProxy(hub.port, plan=lambda n: "reset" if n == 1 else None)
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"))
    Till(store).business(20, random.Random(2))
    pusher, _ = quick_workers(store)
    pusher.run_once()
    assert proxy.counts["reset"] == 1 and proxy.counts["requests"] >= 2
    assert differences(store, hub.url, hub.admin_token) == []
    proxy.close()
    store.close()


def test_503_and_429_are_retried_until_the_hub_takes_the_batch(hub, tmp_path):
    answers = {1: "503", 2: "429", 3: "drop"}
    proxy = FaultProxy(hub.port, plan=lambda n: answers.get(n))
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"))
    Till(store).business(10, random.Random(4))
    pusher, _ = quick_workers(store)
    assert pusher.run_once(retry_forever=True) == outbox.last_seq()
    assert (proxy.counts["503"], proxy.counts["429"], proxy.counts["drop"]) == (1, 1, 1)
    assert differences(store, hub.url, hub.admin_token) == []
    proxy.close()
    store.close()


def _rounds(store_id: str, rounds: int, size: int, rng: random.Random):
    """Batches of one store's events, mixing every projection, bonus for shared phones."""
    seq, sale_id, entry_id, batches = 0, 0, 0, []
    for _ in range(rounds):
        batch = []
        for _ in range(size):
            seq += 1
            roll = rng.random()
            if roll < 0.5:
                sale_id += 1
                total = rng.randint(100, 50000)
                batch.append(event(store_id, seq, "sale.completed", {
                    "sale_id": sale_id, "client_ref": uuid.uuid4().hex, "total": total,
                    "lines": [{"sku": rng.choice("ABCDE"), "qty": "1.000", "amount": total}]}))
            elif roll < 0.7:
                batch.append(event(store_id, seq, "stock.moved", {"lines": [
                    {"sku": rng.choice("ABCDE"), "qty": f"{rng.randint(-3, 9)}.250"}]}))
            else:
                entry_id += 1
                batch.append(event(store_id, seq, "loyalty.posted", {
                    "entry_id": entry_id, "phone": rng.choice(["+79161230001", "+79161230002"]),
                    "kind": "accrual", "amount": rng.randint(-100, 300)}))
        batches.append(batch)
    return batches


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_hub_workers_given_the_same_batch_at_once_apply_it_once(engine, tmp_path):
    """Two ``store-hub serve`` processes on one database; every batch is delivered to both
    at the same instant (as by a retry racing the original through a load balancer)."""
    url, schema = hub_db_url(engine, tmp_path, "shared.db")
    a = HubProcess(url, "secret-" + "s" * 24)
    assert a.run_cli("init", "--admin-token", "admin-" + "z" * 20).returncode == 0
    tok = token()
    assert a.run_cli("add-store", "S1", "--token", tok).returncode == 0
    b = HubProcess(url, "secret-" + "s" * 24)
    a.start(), b.start()
    try:
        batches = _rounds("S1", 25, 40, random.Random(5))
        for batch in batches:
            barrier, answers = threading.Barrier(2), []

            def deliver(worker, batch=batch, barrier=barrier, answers=answers):
                body = json.dumps({"store_id": "S1", "batch_id": uuid.uuid4().hex,
                                   "events": batch}).encode()
                h = signed(tok, body)
                barrier.wait()
                r = requests.post(worker.url + "/hub/v1/events", data=body, headers=h, timeout=60)
                answers.append((r.status_code, r.json()))
            threads = [threading.Thread(target=deliver, args=(w,)) for w in (a, b)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            assert answers == [(200, {"acked_through": batch[-1]["seq"]})] * 2, answers
        events = [e for batch in batches for e in batch]
        admin = {"Authorization": "Bearer admin-" + "z" * 20}
        s = requests.get(a.url + "/hub/v1/stores/S1/summary", headers=admin).json()
        sales = [e["payload"]["total"] for e in events if e["type"] == "sale.completed"]
        assert (s["acked_through"], s["sales_count"], s["sales_total"]) == \
            (len(events), len(sales), sum(sales))
        for phone in ("+79161230001", "+79161230002"):
            view = requests.get(b.url + f"/hub/v1/customers/{phone}", headers=admin).json()
            want = sum(e["payload"]["amount"] for e in events
                       if e["type"] == "loyalty.posted" and e["payload"]["phone"] == phone)
            assert view["balance"] == want
            assert len(view["ledger"]) == len({e["payload"]["entry_id"] for e in events
                                               if e["type"] == "loyalty.posted"
                                               and e["payload"]["phone"] == phone})
    finally:
        a.stop(), b.stop()
        if schema:
            pg_drop(schema)
