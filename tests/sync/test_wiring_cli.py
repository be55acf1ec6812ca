"""Sync inside ``store-agent serve``, the ``store-agent sync`` and ``store-hub`` commands,
and the demo's embedded hub."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from agent import outbox
from pos_ui.process import StoreProcess
from sync import HubUnavailable
from sync.client import HubClient
from sync.feed import FeedPuller
from sync.pusher import OutboxPusher
from sync.reconcile import differences
from tests.conftest import Api, make_store

from .conftest import synced_store
from .hubkit import HubProcess, event, push_raw, token, wait_for
from .till import Till

AGENT = [sys.executable, "-m", "pos_ui.cli"]


@pytest.fixture
def process(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"), push_interval=3600.0,
                         feed_interval=3600.0)
    proc = StoreProcess(store, "127.0.0.1", 0)
    yield proc
    proc.stop()
    store.close()


def test_the_store_process_runs_the_pusher_and_the_puller(process):
    kinds = {type(w) for w in process.workers}
    assert {OutboxPusher, FeedPuller} <= kinds
    assert isinstance(process.store.hub, HubClient)
    assert process.status()["sync"]["hub_configured"] is True


def test_the_sync_status_route_needs_a_cashier(process):
    api = Api(process.app.test_client())
    assert api.get("/api/v1/sync/status").status_code == 401
    r = api.login("anna").get("/api/v1/sync/status")
    assert r.status_code == 200
    body = r.get_json()
    for key in ("pending", "acked_through", "last_push_at", "last_error", "hub_reachable",
                "oldest_pending_age_seconds"):
        assert key in body
    assert body["pending"] == outbox.last_seq()


def test_a_sale_at_the_till_is_pushed_at_once(process, hub):
    process.start_background()  # the idle interval is an hour: only the sale can wake it
    api = Api(process.app.test_client()).login("anna")
    assert api.post("/api/v1/shifts/open", json={"opening_cash": 0}).status_code == 201
    api.sell([{"sku": "MILK", "qty": "2"}])
    wait_for(lambda: hub.admin("/hub/v1/stores/S1/summary")[1]["acked_through"]
             == outbox.last_seq(), what="the sale at the hub")
    assert differences(process.store, hub.url, hub.admin_token) == []


def test_the_store_core_can_ask_the_hub_about_bonuses(process, hub):
    phone = "+79161234567"
    tok2 = hub.add_store("S2")
    push_raw(hub.url, tok2, "S2", [event("S2", 1, "loyalty.posted", {
        "entry_id": 1, "phone": phone, "kind": "accrual", "amount": 800})])
    client = process.store.hub
    assert client.authorize_redemption(phone, 300, "sale-1", timeout=5)["approved"] is True
    refused = client.authorize_redemption(phone, 600, "sale-2", timeout=5)
    assert refused == {"approved": False, "balance": 800, "available": 500}
    assert client.customer(phone, timeout=5)["balance"] == 800
    assert client.customer("+79990000000", timeout=5) is None
    gone = HubClient("http://127.0.0.1:9", "tok", "S1")
    with pytest.raises(HubUnavailable):
        gone.authorize_redemption(phone, 1, "x", timeout=1)
    with pytest.raises(HubUnavailable):
        gone.customer(phone, timeout=1)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def test_store_agent_sync_once_and_status(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    Till(store).business(15, random.Random(1))
    data_dir = str(store.config.data_dir)
    r = run(AGENT + ["sync", "--data-dir", data_dir, "--status"])
    assert r.returncode == 0 and f"pending: {outbox.last_seq()}" in r.stdout
    r = run(AGENT + ["sync", "--data-dir", data_dir, "--once"])
    assert r.returncode == 0, r.stderr
    r = run(AGENT + ["sync", "--data-dir", data_dir, "--status"])
    assert "pending: 0" in r.stdout and "hub_reachable: True" in r.stdout
    assert differences(store, hub.url, hub.admin_token) == []
    store.close()


def test_store_agent_sync_once_reports_a_hub_it_cannot_reach(tmp_path):
    store = synced_store(tmp_path, "http://127.0.0.1:9", token())
    r = run(AGENT + ["sync", "--data-dir", str(store.config.data_dir), "--once"])
    assert r.returncode == 1 and "unreachable" in r.stderr
    store.close()  # one store database open per process
    plain = make_store(tmp_path / "plain", "S9")
    r = run(AGENT + ["sync", "--data-dir", str(plain.config.data_dir), "--once"])
    assert r.returncode == 1 and "no hub configured" in r.stderr
    plain.close()


def test_the_store_hub_commands(tmp_path):
    hub = HubProcess(f"sqlite:///{tmp_path / 'cli-hub.db'}", "secret-" + "x" * 20)
    r = hub.run_cli("add-store", "S1", "--token", token())
    assert r.returncode == 1 and "store-hub init" in r.stderr
    assert hub.run_cli("init", "--admin-token", "admin-" + "y" * 20).returncode == 0
    tok = token()
    r = hub.run_cli("add-store", "S1", "--token", tok)
    assert r.returncode == 0 and "registered" in r.stdout
    assert hub.run_cli("add-store", "S1", "--token", "short").returncode == 1
    hub.start()
    try:
        r = push_raw(hub.url, tok, "S1", [event("S1", 1, "cash.moved", {"amount": 5})])
        assert r.status_code == 200 and r.json() == {"acked_through": 1}
    finally:
        hub.stop()
    bad = run([sys.executable, "-m", "sync.hub.cli", "serve", "--db", "mysql://x"],
              env=dict(os.environ, STORE_HUB_SECRET="z" * 20))
    assert bad.returncode == 1 and "unsupported database URL" in bad.stderr


def test_the_demo_gets_an_embedded_hub_it_pushes_to(tmp_path):
    from sync.hub.embedded import start_embedded_hub
    extra = {}
    hub = start_embedded_hub(tmp_path, extra)
    try:
        assert set(extra["hub"]) == {"url", "token"}
        assert any(hub.url in line for line in hub.describe())
        store = make_store(tmp_path / "store", "DEMO-1", hub=extra["hub"])
        Till(store).sell()
        proc = StoreProcess(store, "127.0.0.1", 0)
        proc.workers[0].run_once()
        assert outbox.acked_through() == outbox.last_seq()
        assert differences(store, hub.url, hub.admin_token) == []
        store.close()
    finally:
        hub.stop()
