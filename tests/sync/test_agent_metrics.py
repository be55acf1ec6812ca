"""The agent's /metrics: sales, events pending/pushed, push latency, fiscal and print queues;
and the heartbeat it sends the hub (its outbox head)."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from agent import outbox

from .conftest import synced_store
from .hubkit import wait_for
from .till import Till


def samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_agent_metrics_and_heartbeat(hub, tmp_path):
    from pos_ui.process import StoreProcess
    tok = hub.add_store("S1")
    store = synced_store(tmp_path, hub.url, tok)
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    try:
        till = Till(store)
        sold = [till.sell() for _ in range(3)]
        wait_for(lambda: outbox.acked_through() == outbox.last_seq(), what="all pushed")
        got = samples(requests.get(proc.url + "metrics", timeout=10).text)
        assert got[("store_agent_sales", ())] == 3
        assert got[("store_agent_sales_kopecks", ())] == sum(s["total"] for s in sold)
        assert got[("store_agent_events", (("state", "pending"),))] == 0
        assert got[("store_agent_events", (("state", "pushed"),))] == outbox.last_seq()
        assert got[("store_agent_events", (("state", "rejected"),))] == 0
        assert got[("store_agent_push_seconds_count", ())] >= 1
        assert got[("store_agent_print_jobs", (("status", "queued"),))] >= 0
        assert ("store_agent_fiscal_documents", (("kind", "sale"), ("status", "failed"))) in got
        # the hub heard the store's head: no backlog, and the store is seen
        item = wait_for(lambda: next((s for s in hub.admin("/hub/v1/stores")[1]["items"]
                                      if s["store_seq"] is not None), None), what="heartbeat")
        assert item["status"] == "ok" and item["backlog"] == 0
    finally:
        proc.stop()
        store.close()


def test_agent_metrics_from_another_host_need_the_token(tmp_path):
    from pos_ui.app import create_app
    from tests.conftest import make_store
    store = make_store(tmp_path / "s", "S1", server={"metrics_token": "m" * 24})
    try:
        from sync.wiring import attach

        class Proc:
            workers, status_sources = [], {}
        blueprints = []
        proc = Proc()
        proc.store = store
        attach(proc, blueprints)
        client = create_app(store, extra_blueprints=blueprints).test_client()
        far = {"REMOTE_ADDR": "192.0.2.7"}
        assert client.get("/metrics", environ_base=far).status_code == 403
        assert client.get("/metrics", environ_base=far, headers={
            "Authorization": "Bearer wrong"}).status_code == 403
        ok = client.get("/metrics", environ_base=far,
                        headers={"Authorization": "Bearer " + "m" * 24})
        assert ok.status_code == 200 and b"store_agent_events" in ok.data
        assert client.get("/metrics").status_code == 200  # loopback
    finally:
        store.close()
