"""Crashes and long outages (slow): kill -9 the agent mid-push, kill -9 the hub mid-ingest,
a hub down while 10,000 events queue up.  After each, the checker: totals equal, exactly."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from agent import outbox
from agent.models import database
from sync.reconcile import differences
from sync.state import LiveState
from sync.status import sync_status
from sync.wiring import build_workers

from .conftest import synced_store
from .faultproxy import FaultProxy
from .hubkit import HubProcess, hub_db_url, pg_drop, token, wait_for
from .till import Till

pytestmark = pytest.mark.slow


def _integrity_ok() -> bool:
    return database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_kill_9_the_agent_mid_push_loses_and_doubles_nothing(any_hub, tmp_path):
    hub = any_hub
    proxy = FaultProxy(hub.port, plan=lambda n: "delay")  # every push takes a while
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"), batch_events=25,
                         push_interval=0.05)
    till, rng = Till(store), random.Random(21)
    till.rush(1500, rng)
    cmd = [sys.executable, "-m", "pos_ui.cli", "sync", "--data-dir", str(store.config.data_dir)]
    kills = 0
    for _ in range(6):
        agent = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        proxy.forwarded.clear()
        proxy.forwarded.wait(30)  # it is pushing
        time.sleep(rng.uniform(0.05, 1.0))
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait(30)
        kills += 1
        till.business(5, rng)  # the shop goes on between crashes
    assert kills == 6 and sync_status(store)["pending"] > 0  # it really was interrupted
    agent = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: sync_status(store)["pending"] == 0, timeout=240, step=0.2,
                 what="the restarted agent to drain")
    finally:
        agent.terminate()
        agent.wait(30)
    assert _integrity_ok()
    assert differences(store, hub.url, hub.admin_token) == []
    proxy.close()
    store.close()


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kill_9_the_hub_mid_ingest_loses_and_doubles_nothing(engine, tmp_path):
    url, schema = hub_db_url(engine, tmp_path, "hub.db")
    admin = "admin-" + "k" * 20
    hub = HubProcess(url, "secret-" + "k" * 24)
    assert hub.run_cli("init", "--admin-token", admin).returncode == 0
    tok = token()
    assert hub.run_cli("add-store", "S1", "--token", tok).returncode == 0
    hub.start()
    proxy = FaultProxy(hub.port)
    store = synced_store(tmp_path, proxy.url, tok, batch_events=500, push_interval=0.05)
    till, rng = Till(store), random.Random(33)
    till.rush(3000, rng)
    _, (pusher, _) = build_workers(store, LiveState())
    pusher.backoff = (0.05, 0.5)
    pusher.start()
    try:
        for _ in range(5):
            proxy.forwarded.clear()
            proxy.forwarded.wait(60)  # a batch is on its way into the hub
            time.sleep(rng.uniform(0.0, 0.15))
            hub.kill()  # SIGKILL, mid-ingest or right after the commit
            till.business(5, rng)
            hub.start()
            proxy.upstream_port = hub.port
            pusher.wake()
        wait_for(lambda: sync_status(store)["pending"] == 0, timeout=240, step=0.2,
                 what="the outbox to drain into the restarted hub")
    finally:
        pusher.stop()
        hub.stop()
    hub.start()
    try:
        assert differences(store, hub.url, admin) == []
    finally:
        hub.stop()
        proxy.close()
        store.close()
        if schema:
            pg_drop(schema)


def test_10000_events_queue_up_while_the_hub_is_down_then_drain(any_hub, tmp_path):
    hub = any_hub
    proxy = FaultProxy(hub.port)
    proxy.down = True
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"), batch_events=500)
    live = LiveState()
    _, (pusher, _) = build_workers(store, live)
    pusher.backoff = (0.1, 2.0)
    pusher.start()
    try:
        Till(store).rush(10_000, random.Random(8))
        st = sync_status(store, live)
        assert st["pending"] >= 10_000 and st["acked_through"] == 0
        assert st["hub_reachable"] is False and st["last_error"]
        assert st["oldest_pending_age_seconds"] is not None
        proxy.down = False
        pusher.wake()
        wait_for(lambda: sync_status(store)["pending"] == 0, timeout=240, step=0.2,
                 what="10,000 events to drain")
    finally:
        pusher.stop()
    assert outbox.acked_through() == outbox.last_seq() >= 10_000
    assert differences(store, hub.url, hub.admin_token) == []
    proxy.close()
    store.close()
