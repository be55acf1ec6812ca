"""The issue's scenario with real processes: back up a serving store, sell 100 more and sync,
restore the old backup, kill -9 the agent in the middle of its catch-up, restart: the hub
and the store agree exactly, nothing lost, nothing doubled, and a new sale syncs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from agent import backup
from agent.store import Store
from sync.hub.sql import Sql
from sync.reconcile import differences, hub_totals, store_totals
from tests.agent_process import AgentProcess
from tests.conftest import make_store

from .faultproxy import FaultProxy
from .hubkit import wait_for

pytestmark = pytest.mark.slow


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pos_ui.cli", *args], capture_output=True,
                          text=True, timeout=120)


def _read(db_path, sql: str, params=()):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def _synced(api) -> bool:
    s = api.get("/api/v1/sync/status").json()
    return s["pending"] == 0 and s["acked_through"] == s["last_seq"]


def _sell(api, n: int) -> None:
    for i in range(n):
        lines = [{"sku": "MILK", "qty": 1 + i % 3}]
        if i % 4 == 0:
            lines.append({"sku": "CHEESE", "qty": "0.250"})
        api.sell(lines, [{"method": "cash", "amount": 100000}])


def test_a_restored_store_killed_mid_recovery_converges_with_the_hub(any_hub, tmp_path):
    hub = any_hub
    proxy = FaultProxy(hub.port)
    data = tmp_path / "store"
    make_store(data, "S1", hub={"url": proxy.url, "token": hub.add_store("S1"),
                                "push_interval": 0.1, "feed_interval": 1.0, "timeout": 5.0,
                                "batch_events": 8}).close()
    db_path = data / "store.db"
    agent = AgentProcess(data).start()
    try:
        api = agent.session("anna")
        assert api.post("/api/v1/shifts/open", {"opening_cash": 0}).status_code == 201
        _sell(api, 20)
        wait_for(lambda: _synced(api), what="the first sales at the hub")
        archive = tmp_path / "store-old.tar.gz"
        made = _cli("backup", "--data-dir", str(data), str(archive))  # while serving
        assert made.returncode == 0, made.stderr
        _sell(api, 100)
        wait_for(lambda: _synced(api), timeout=120, what="100 more sales at the hub")
        hub_before = hub_totals(hub.url, hub.admin_token, "S1")
        assert hub_before["sales_count"] == 120
    finally:
        agent.stop()

    restored = _cli("restore", "--data-dir", str(data), str(archive), "--no-catch-up")
    assert restored.returncode == 0, restored.stderr
    backup_last = _read(db_path, "SELECT MAX(seq) FROM outbox")
    assert backup_last < hub_before["acked_through"]

    proxy.plan = lambda n: "delay"  # every page of the catch-up takes a while
    agent = AgentProcess(data).start()
    wait_for(lambda: _read(db_path, "SELECT MAX(seq) FROM outbox") > backup_last, timeout=120,
             step=0.01, what="the catch-up to begin")
    refused = agent.session("anna").post("/api/v1/sales", {  # no new event takes a held seq
        "client_ref": "during-recovery", "lines": [{"sku": "MILK", "qty": 1}],
        "payments": [{"method": "cash", "amount": 100000}]})
    agent.kill9()
    mid = _read(db_path, "SELECT MAX(seq) FROM outbox")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "store_recovering"
    assert backup_last < mid < hub_before["acked_through"], "killed in the middle"
    assert _read(db_path, "SELECT COUNT(*) FROM sync_state WHERE key = ?",
                 (backup.RECOVERY_KEY,)) == 1

    proxy.plan = lambda n: None
    agent = AgentProcess(data).start()
    try:
        wait_for(lambda: _read(db_path, "SELECT COUNT(*) FROM sync_state WHERE key = ?",
                               (backup.RECOVERY_KEY,)) == 0, timeout=120, what="recovery")
        api = agent.session("anna")
        wait_for(lambda: _synced(api), what="nothing pending")
        store = Store.open(data)
        try:
            assert _read(db_path, "PRAGMA integrity_check") == "ok"
            assert differences(store, hub.url, hub.admin_token) == []
            mine = store_totals(store)
            assert mine["sales_count"] == 120
            assert _read(db_path, "SELECT COUNT(*) FROM sale WHERE client_ref = ?",
                         ("during-recovery",)) == 0
            assert _read(db_path, "SELECT MAX(seq) FROM outbox") == hub_before["acked_through"]
            assert _read(db_path, "SELECT COUNT(DISTINCT event_id) FROM outbox") == \
                hub_before["acked_through"]
            assert hub_totals(hub.url, hub.admin_token, "S1") == hub_before

            _sell(api, 1)  # sells on: the next seq after the hub's last
            wait_for(lambda: _synced(api), what="the new sale at the hub")
            assert differences(store, hub.url, hub.admin_token) == []
            after = hub_totals(hub.url, hub.admin_token, "S1")
            assert after["sales_count"] == 121
            assert after["acked_through"] == hub_before["acked_through"] + 1
            held = Sql(hub.db).one("SELECT COUNT(*), COUNT(DISTINCT event_id), MAX(seq) "
                                   "FROM hub_event WHERE store_id = 'S1'")
            assert tuple(int(v) for v in held) == (after["acked_through"],) * 3
        finally:
            store.close()
    finally:
        agent.stop()
        proxy.close()
