"""The pull API the hub may use instead of pushes, and ``store-hub pull`` draining it."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest
import requests

from agent import outbox
from pos_ui.process import StoreProcess
from sync import signing
from sync.hub.pull import PullError, pull_store
from sync.reconcile import differences
from sync.state import LiveState
from sync.wiring import build_workers

from .conftest import synced_store
from .hubkit import signed, signed_for, token
from .till import Till


@pytest.fixture
def agent(tmp_path):
    tok = token()
    store = synced_store(tmp_path, "", tok)  # pull only: no hub URL, the hub comes to us
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    yield proc, tok
    proc.stop()
    store.close()


def get_events(proc, tok, after=0, limit=500):
    path = f"/sync/v1/events?after={after}&limit={limit}"
    return requests.get(proc.url.rstrip("/") + path, headers=signed_for(tok, "GET", path))


def test_events_are_listed_in_seq_order_after_a_seq(agent):
    proc, tok = agent
    Till(proc.store).business(10, random.Random(1))
    r = get_events(proc, tok, after=3, limit=4)
    assert r.status_code == 200
    data = r.json()
    assert data["store_id"] == "S1" and data["last_seq"] == outbox.last_seq()
    assert [e["seq"] for e in data["events"]] == [4, 5, 6, 7]
    assert all(set(e) == {"event_id", "store_id", "seq", "type", "schema", "occurred_at",
                          "payload"} for e in data["events"])


def test_an_ack_moves_the_same_marker_as_a_push_and_never_back(agent):
    proc, tok = agent
    Till(proc.store).business(5, random.Random(2))
    url = proc.url.rstrip("/") + "/sync/v1/ack"
    for through, expect in ((4, 4), (2, 4), (10**6, outbox.last_seq())):
        body = json.dumps({"through": through}).encode()
        r = requests.post(url, data=body, headers=signed_for(tok, "POST", "/sync/v1/ack", body))
        assert r.status_code == 200 and r.json() == {"acked_through": expect}
    assert outbox.acked_through() == outbox.last_seq()


@pytest.mark.parametrize("case", ["unsigned", "wrong_token", "stale", "replayed", "bad_body"])
def test_the_pull_api_refuses_anyone_but_the_hub(agent, case):
    proc, tok = agent
    base = proc.url.rstrip("/")
    h = signed(tok, b"", method="GET", target="/sync/v1/events")
    if case == "unsigned":
        del h[signing.HEADER]
    elif case == "wrong_token":
        h = signed("tok-wrong-000000000000", b"")
    elif case == "stale":
        h = signed(tok, b"", int(time.time()) - 400)
    elif case == "replayed":
        assert requests.get(base + "/sync/v1/events", headers=h).status_code == 200
    elif case == "bad_body":
        body = b'{"through": "x"}'
        r = requests.post(base + "/sync/v1/ack", data=body,
                          headers=signed(tok, body, target="/sync/v1/ack"))
        assert r.status_code == 400 and r.json()["error"]["field"] == "through"
        return
    r = requests.get(base + "/sync/v1/events", headers=h)
    assert r.status_code == 401


def test_store_hub_pull_drains_the_agent_and_acks(agent, hub):
    proc, tok = agent
    hub.add_store("S1", tok, pull_url=proc.url)
    Till(proc.store).business(40, random.Random(3))
    assert pull_store(hub.db, hub.secret, "S1", limit=9) == outbox.last_seq()
    assert outbox.acked_through() == outbox.last_seq()
    assert differences(proc.store, hub.url, hub.admin_token) == []
    assert pull_store(hub.db, hub.secret, "S1") == 0
    # a drained pull is a contact: the store is seen, with nothing left behind
    seen = next(s for s in hub.admin("/hub/v1/stores")[1]["items"] if s["store_id"] == "S1")
    assert seen["last_seen_at"] and seen["backlog"] == 0 and seen["status"] == "ok"


def test_a_pull_with_the_wrong_token_fails_cleanly(agent, hub):
    proc, _ = agent
    hub.add_store("S1", token(), pull_url=proc.url)
    with pytest.raises(PullError, match="401"):
        pull_store(hub.db, hub.secret, "S1")


def test_push_and_pull_at_once_apply_each_event_once(hub, tmp_path):
    tok = hub.add_store("S1")
    store = synced_store(tmp_path, hub.url, tok, batch_events=5)
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    hub.add_store("S1", tok, pull_url=proc.url)
    try:
        Till(store).business(60, random.Random(4))
        _, (pusher, _) = build_workers(store, LiveState())
        pusher.batch_events = 5
        errors = []

        def pull():
            try:
                pull_store(hub.db, hub.secret, "S1", limit=5)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        t = threading.Thread(target=pull)
        t.start()
        pusher.run_once()
        t.join()
        assert not errors
        pull_store(hub.db, hub.secret, "S1")
        assert outbox.acked_through() == outbox.last_seq()
        assert differences(store, hub.url, hub.admin_token) == []
    finally:
        proc.stop()
        store.close()


def test_the_pull_api_requires_v2_and_a_replay_to_another_query_is_refused(agent):
    proc, tok = agent
    base = proc.url.rstrip("/")
    v1_only = {"Authorization": f"Bearer {tok}", signing.HEADER: signing.header_value(tok, b"")}
    r = requests.get(base + "/sync/v1/events", headers=v1_only)
    assert r.status_code == 401 and "v2" in r.json()["error"]["message"]
    h = signed(tok, b"", method="GET", target="/sync/v1/events?after=0")
    assert requests.get(base + "/sync/v1/events?after=0", headers=h).status_code == 200
    for url in ("/sync/v1/events?after=0&x=1", "/sync/v1/events?after=1", "/sync/v1/events"):
        assert requests.get(base + url, headers=h).status_code == 401, url
