"""The console and the store list over 50 simulated stores on PostgreSQL, two hub processes:
one store stopped, one lagging — exactly those two are shown; /metrics of both parse."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from .hubkit import (
    HubProcess,
    HubServer,
    pg_available,
    pg_drop,
    pg_schema_url,
    signed_for,
    wait_for,
)
from .test_hub_fleet import at

N = 50
DEAD, LATE = "S33", "S17"


def _push(url, tok, store_id, events, head):
    body = json.dumps({"store_id": store_id, "batch_id": uuid.uuid4().hex,
                       "events": events}).encode()
    headers = signed_for(tok, "POST", "/hub/v1/events", body)
    headers["X-Store-Head-Seq"] = str(head)
    r = requests.post(url + "/hub/v1/events", data=body, headers=headers, timeout=60)
    assert r.status_code == 200, r.text


def _pull(url, tok, head):
    headers = signed_for(tok, "GET", "/hub/v1/feed?after=0&limit=1")
    headers["X-Store-Head-Seq"] = str(head)
    r = requests.get(url + "/hub/v1/feed?after=0&limit=1", headers=headers, timeout=60)
    assert r.status_code == 200, r.text


def _day_of_sales(store_id, lateness):
    """A shift opened and four sales, the events ``lateness`` seconds old on arrival."""
    when = at(lateness)
    events = [{"event_id": str(uuid.uuid4()), "store_id": store_id, "seq": 1,
               "type": "shift.opened", "schema": 1, "occurred_at": when,
               "payload": {"shift_id": 1, "register_id": "1"}}]
    for i in range(1, 5):
        events.append({"event_id": str(uuid.uuid4()), "store_id": store_id, "seq": i + 1,
                       "type": "sale.completed", "schema": 1, "occurred_at": when,
                       "payload": {"sale_id": i, "total": 1000 * i, "created_at": when,
                                   "lines": [{"sku": "MILK", "name": "Молоко", "qty": "1",
                                              "amount": 1000 * i, "discount": 0,
                                              "vat": "10"}]}})
    return events


def _console(url, admin):
    s = requests.Session()
    r = s.post(url + "/login", data={"token": admin}, timeout=30)
    assert r.status_code == 200 and 'id="stores"' in r.text
    return s


def _families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


@pytest.mark.postgres
@pytest.mark.slow
def test_fifty_stores_one_stopped_one_lagging_on_two_hub_processes(tmp_path):
    why = pg_available()
    if why:
        pytest.skip(why)
    url, schema = pg_schema_url()
    setup = HubServer(url, tmp_path)  # init and registration; the stores talk to the two below
    secret_text = (tmp_path / "hub.secret").read_text()
    hubs = []
    try:
        tokens = {f"S{i:02d}": setup.add_store(f"S{i:02d}") for i in range(1, N + 1)}
        opts = ["--dead-after", "15", "--lag-after", "60", "--timezone", "UTC"]
        hubs = [HubProcess(url, secret_text, extra=opts).start() for _ in range(2)]
        for i, (sid, tok) in enumerate(sorted(tokens.items())):
            _push(hubs[i % 2].url, tok, sid, _day_of_sales(sid, 900 if sid == LATE else 0.2), 5)

        def heartbeats_until_the_stopped_store_is_dead():
            for i, (sid, tok) in enumerate(sorted(tokens.items())):
                if sid != DEAD:  # the stopped store never calls again
                    _pull(hubs[i % 2].url, tok, 5)
            items = requests.get(hubs[0].url + "/hub/v1/stores", timeout=30, headers={
                "Authorization": f"Bearer {setup.admin_token}"}).json()["items"]
            return items if any(s["store_id"] == DEAD and s["status"] == "dead"
                                for s in items) else None
        items = wait_for(heartbeats_until_the_stopped_store_is_dead, timeout=120, step=0.5,
                         what="the stopped store shown dead")
        stale = {s["store_id"]: s["status"] for s in items if s["status"] != "ok"}
        assert stale == {DEAD: "dead", LATE: "lagging"}
        assert [s["store_id"] for s in items[:2]] == [DEAD, LATE]  # stale first
        late = next(s for s in items if s["store_id"] == LATE)
        assert late["lag_seconds"] >= 900 and len(items) == N
        assert all(s["backlog"] == 0 for s in items)
        # the console of the other process shows the same two, first, in their colours
        page = _console(hubs[1].url, setup.admin_token).get(hubs[1].url + "/", timeout=30).text
        rows = re.findall(r'data-store="([^"]+)" data-status="([^"]+)"', page)
        assert len(rows) == N
        assert rows[:2] == [(DEAD, "dead"), (LATE, "lagging")]
        assert {s for s, st in rows if st != "ok"} == {DEAD, LATE}
        # /metrics of both processes parse and agree on the stores' status
        for hub in hubs:
            fams = _families(requests.get(hub.url + "/metrics", timeout=30).text)
            status = {(s.labels["store_id"], s.labels["status"]): s.value
                      for s in fams["store_hub_store_status"].samples}
            assert {k[0] for k, v in status.items() if v == 1 and k[1] != "ok"} == {DEAD, LATE}
            assert status[(DEAD, "dead")] == 1 and status[(LATE, "lagging")] == 1
            assert sum(s.value for s in fams["store_hub_sales"].samples) == 4 * N
            assert fams["store_hub_push_seconds"].samples  # this process took pushes
    finally:
        for hub in hubs:
            hub.stop()
        setup.stop()
        pg_drop(schema)


def test_console_needs_sign_in_and_a_cookie_the_browser_guards(hub):
    r = requests.get(hub.url + "/", timeout=10, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    bad = requests.post(hub.url + "/login", data={"token": "nope"}, timeout=10)
    assert bad.status_code == 401 and "script-src 'self'" in bad.headers[
        "Content-Security-Policy"]
    s = requests.Session()
    assert s.post(hub.url + "/login", data={"token": hub.admin_token}, timeout=10).ok
    cookie = next(c for c in s.cookies if c.name == "store_hub_console")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "Strict"
    assert hub.admin_token not in cookie.value
    for path in ("/", "/console/sales", "/console/stock", "/console/loyalty"):
        r = s.get(hub.url + path, timeout=10, allow_redirects=False)
        assert r.status_code == 200 and "<script>" not in r.text, path
    assert s.get(hub.url + "/console/stores/NOPE", timeout=10).status_code == 404
    s.post(hub.url + "/logout", timeout=10)
    assert s.get(hub.url + "/", timeout=10, allow_redirects=False).status_code == 302
