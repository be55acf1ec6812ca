"""The hub's /metrics (Prometheus text) and its JSON-lines request log."""

from __future__ import annotations

import json
import logging

import requests
from prometheus_client.parser import text_string_to_metric_families

from .hubkit import wait_for
from .test_hub_fleet import at, ev, push


def samples(text: str) -> dict:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_parse_and_say_lag_sales_and_push_latency(any_hub):
    hub = any_hub
    tok = hub.add_store("S1")
    push(hub, tok, "S1", [ev("S1", 1, "sale.completed", {"sale_id": 1, "total": 5000, "lines": [
        {"sku": "MILK", "qty": "1"}]}, at(120))], head=3)
    def scrape():
        r = requests.get(hub.url + "/metrics", timeout=10)  # loopback: no token needed
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
        return samples(r.text)
    # /metrics never waits for deferred projections (a scrape during a chain's catch-up must
    # answer): it says what is applied and how much is not yet
    got = wait_for(lambda: (g := scrape())[("store_hub_projection_backlog_events", ())] == 0
                   and g, what="the projections")
    sid = (("store_id", "S1"),)
    assert got[("store_hub_store_lag_seconds", sid)] >= 120
    assert got[("store_hub_store_backlog_events", sid)] == 2
    assert got[("store_hub_store_events_held", sid)] == 1
    assert got[("store_hub_sales", sid)] == 1 and got[("store_hub_sales_kopecks", sid)] == 5000
    assert got[("store_hub_store_status", (("status", "lagging"), ("store_id", "S1")))] == 1
    assert got[("store_hub_push_seconds_count", ())] == 1
    assert got[("store_hub_http_requests_total", (("method", "POST"), ("route", "/hub/v1/events"),
                                                  ("status", "200")))] == 1
    assert got[("store_hub_projection_backlog_events", ())] == 0
    assert got[("store_hub_events_rejected", (("status", "rejected"),))] == 0


def test_each_request_is_one_json_line_without_secrets(hub, tmp_path):
    from agent.jsonlog import remove, setup
    log_file = tmp_path / "hub.log"
    setup("WARNING", str(log_file), access="store_hub.access")
    try:
        tok = hub.add_store("S1")
        push(hub, tok, "S1", [ev("S1", 1, "shift.opened", {"shift_id": 1}, at(1))])
        requests.get(hub.url + "/hub/v1/customers/+79161234567", timeout=10,
                     headers={"Authorization": "Bearer not-the-admin-token-xyz"})
    finally:
        remove()
    text = log_file.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    pushes = [ln for ln in lines if ln.get("route") == "/hub/v1/events"]
    assert pushes and pushes[0]["status"] == 200 and pushes[0]["store_id"] == "S1"
    looked = [ln for ln in lines if ln.get("route") == "/hub/v1/customers/<phone>"]
    assert looked and looked[0]["status"] == 401
    for secret in (tok, "not-the-admin-token-xyz", "+79161234567", "X-Store-Signature"):
        assert secret not in text


def test_log_scrubbing_hides_tokens_pins_and_signatures():
    from agent.jsonlog import JsonFormatter
    rec = logging.LogRecord("x", logging.WARNING, __file__, 1, "sent Bearer abc123 with "
                            "v2=" + "f" * 64 + " and pin=1234", (), None)
    rec.fields = {"token": "tok-1", "admin_token": "a", "pin": "9999", "route": "/r"}
    line = json.loads(JsonFormatter().format(rec))
    assert "abc123" not in line["msg"] and "f" * 64 not in line["msg"] and "1234" not in line["msg"]
    assert line["token"] == line["admin_token"] == line["pin"] == "***" and line["route"] == "/r"
