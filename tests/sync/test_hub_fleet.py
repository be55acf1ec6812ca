"""The heartbeat and the store list: last contact, lag, backlog, status, days complete."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from sync.hub.sql import iso

from .hubkit import HubServer, signed_for


def at(seconds_ago: float) -> str:
    return iso(time.time() - seconds_ago)


def ev(store_id, seq, etype, payload, occurred):
    return {"event_id": str(uuid.uuid4()), "store_id": store_id, "seq": seq, "type": etype,
            "schema": 1, "occurred_at": occurred, "payload": payload}


def push(hub, tok, store_id, events, head=None):
    body = json.dumps({"store_id": store_id, "batch_id": uuid.uuid4().hex,
                       "events": events}).encode()
    headers = signed_for(tok, "POST", "/hub/v1/events", body)
    if head is not None:
        headers["X-Store-Head-Seq"] = str(head)
    r = requests.post(hub.url + "/hub/v1/events", data=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["acked_through"]


def pull_feed(hub, tok, head=None):
    headers = signed_for(tok, "GET", "/hub/v1/feed?after=0&limit=1")
    if head is not None:
        headers["X-Store-Head-Seq"] = str(head)
    r = requests.get(hub.url + "/hub/v1/feed?after=0&limit=1", headers=headers, timeout=30)
    assert r.status_code == 200, r.text


def listing(hub) -> dict:
    status, body = hub.admin("/hub/v1/stores")
    assert status == 200, body
    return {s["store_id"]: s for s in body["items"]}


def sale(sale_id, total=10000):
    return {"sale_id": sale_id, "total": total, "lines": [{"sku": "MILK", "qty": "1"}]}


@pytest.fixture
def fleet_hub(tmp_path):
    h = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, timezone="UTC",
                  dead_after=30, lag_after=60)
    yield h
    h.stop()


def test_contact_lag_backlog_and_status(fleet_hub):
    hub = fleet_hub
    ok, late, quiet = hub.add_store("OK"), hub.add_store("LATE"), hub.add_store("QUIET")
    push(hub, ok, "OK", [ev("OK", 1, "sale.completed", sale(1), at(0.5))], head=1)
    push(hub, late, "LATE", [ev("LATE", 1, "sale.completed", sale(1), at(900))], head=5)
    stores = listing(hub)
    assert stores["OK"]["status"] == "ok" and stores["OK"]["lag_seconds"] < 60
    assert stores["OK"]["backlog"] == 0 and stores["OK"]["last_seen_at"]
    assert stores["LATE"]["status"] == "lagging" and stores["LATE"]["lag_seconds"] >= 900
    assert stores["LATE"]["backlog"] == 4  # the store said its outbox reaches seq 5
    assert stores["QUIET"]["status"] == "dead" and stores["QUIET"]["last_seen_at"] is None
    assert stores["QUIET"]["lag_seconds"] is None
    # stale first: the dead store, then the lagging one, then the rest
    assert [s["store_id"] for s in hub.admin("/hub/v1/stores")[1]["items"]] == [
        "QUIET", "LATE", "OK"]
    # a feed pull is a contact too
    pull_feed(hub, quiet, head=0)
    assert listing(hub)["QUIET"]["status"] == "ok"


def test_contact_is_written_at_most_every_few_seconds(fleet_hub):
    hub = fleet_hub
    tok = hub.add_store("S1")
    pull_feed(hub, tok, head=0)
    first = listing(hub)["S1"]["last_seen_at"]
    pull_feed(hub, tok, head=3)  # within EVERY seconds: no write
    again = listing(hub)["S1"]
    assert again["last_seen_at"] == first and again["store_seq"] == 0


def test_a_day_is_complete_when_every_shift_is_closed_and_the_hub_caught_up(fleet_hub):
    hub = fleet_hub
    tok = hub.add_store("S1")
    day = 86400
    events = [ev("S1", 1, "shift.opened", {"shift_id": 1, "register_id": "1"}, at(3 * day)),
              ev("S1", 2, "shift.opened", {"shift_id": 2, "register_id": "2"}, at(3 * day)),
              ev("S1", 3, "shift.closed", {"shift_id": 1, "register_id": "1"}, at(3 * day)),
              ev("S1", 4, "shift.opened", {"shift_id": 3, "register_id": "1"}, at(2 * day)),
              ev("S1", 5, "shift.closed", {"shift_id": 3, "register_id": "1"}, at(2 * day))]
    push(hub, tok, "S1", events, head=9)  # the store has more than it sent
    days = {d["date"]: d for d in listing(hub)["S1"]["days"]}
    three, two = iso(time.time() - 3 * day)[:10], iso(time.time() - 2 * day)[:10]
    assert days[three] == {"date": three, "shifts": 2, "open": 1, "complete": False}
    # every shift of the day closed, but the hub has not seen the store caught up since
    assert days[two]["open"] == 0 and days[two]["complete"] is False
    push(hub, tok, "S1", [ev("S1", 6, "shift.closed", {"shift_id": 2}, at(day))], head=6)
    days = {d["date"]: d for d in listing(hub)["S1"]["days"]}
    # the newest event the hub holds happened after both days ended
    assert days[three]["complete"] is True and days[two]["complete"] is True


def test_bad_time_zone_is_refused_in_one_line(tmp_path):
    from sync.hub.cli import main
    db = tmp_path / "hub.db"
    assert main(["init", "--db", f"sqlite:///{db}", "--admin-token", "a" * 24]) == 0
    assert main(["serve", "--db", f"sqlite:///{db}", "--timezone", "Mars/Base"]) == 1
