"""A poison event (one the hub refuses however often it is sent) never halts a store
silently: the store says "sync blocked at seq N", the hub lists it, the operator quarantines
it and the store goes on, losing and doubling nothing, with a kill -9 in the middle."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid

import pytest
import requests

from agent import clock, outbox, sql
from sync.reconcile import differences
from sync.status import sync_status

from .conftest import synced_store
from .hubkit import event, push_raw, wait_for
from .till import Till


def plant_poison(store) -> int:
    """An event as an older agent (before the shared schema) could commit: a NUL in a name."""
    with store.db.write():
        seq = outbox.last_seq() + 1
        sql.insert("INSERT INTO outbox (seq, event_id, type, schema, occurred_at, payload)"
                   " VALUES (?, ?, ?, ?, ?, ?)",
                   (seq, str(uuid.uuid4()), "customer.upserted", 1, clock.iso(),
                    json.dumps({"phone": "+79165550001", "name": "Ива\u0000н"})))
    return seq


def _agent(store):
    cmd = [sys.executable, "-m", "pos_ui.cli", "sync", "--data-dir", str(store.config.data_dir)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_poison_event_blocks_visibly_and_the_operator_clears_it(any_hub, tmp_path):
    hub = any_hub
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"), batch_events=7,
                         push_interval=0.05)
    till, rng = Till(store), random.Random(14)
    for _ in range(12):
        till.sell(rng=rng)
    poison = plant_poison(store)
    for _ in range(12):
        till.sell(rng=rng)
    agent = _agent(store)
    try:
        st = wait_for(lambda: (s := sync_status(store))["blocked"] and s, timeout=120,
                      what="the store to report the block")
    finally:
        agent.kill()  # kill -9, while blocked
        agent.wait(30)
    assert st["blocked"]["seq"] == poison and "U+0000" in st["blocked"]["reason"]
    assert st["acked_through"] == poison - 1  # everything before it is at the hub
    assert st["pending"] == outbox.last_seq() - (poison - 1)
    assert f"sync blocked at seq {poison}" in (st["last_error"] or ""), st
    shown = subprocess.run([sys.executable, "-m", "pos_ui.cli", "sync", "--data-dir",
                            str(store.config.data_dir), "--status"], capture_output=True,
                           text=True, timeout=60)
    assert f"blocked: sync blocked at seq {poison}: " in shown.stdout, shown.stdout

    code, listed = hub.admin("/hub/v1/rejected")
    assert code == 200
    [rej] = listed["items"]
    assert (rej["store_id"], rej["seq"], rej["status"]) == ("S1", poison, "rejected")
    assert rej["count"] >= 1 and "U+0000" in rej["reason"] and "\\u0000" in rej["body"]
    code, summary = hub.admin("/hub/v1/stores/S1/summary")
    assert summary["acked_through"] == poison - 1

    code, done = hub.admin(f"/hub/v1/rejected/{rej['id']}/quarantine", method="POST")
    assert code == 200 and done["status"] == "quarantined"
    assert hub.admin(f"/hub/v1/rejected/{rej['id']}/quarantine", method="POST")[0] == 200

    agent = _agent(store)
    try:
        wait_for(lambda: sync_status(store)["pending"] == 0, timeout=120,
                 what="the store to drain after the quarantine")
    finally:
        agent.terminate()
        agent.wait(30)
    st = sync_status(store)
    assert st["blocked"] is None and st["last_error"] is None
    assert differences(store, hub.url, hub.admin_token) == []  # exact: nothing lost or doubled
    code, summary = hub.admin("/hub/v1/stores/S1/summary")
    assert summary["acked_through"] == outbox.last_seq() and summary["quarantined"] == 1
    code, cust = hub.admin("/hub/v1/customers/+79165550001")
    assert code == 404  # never applied
    store.close()


def test_quarantine_only_takes_the_next_seq_and_resends_are_acknowledged(hub):
    tok = hub.add_store("S2")
    good = event("S2", 1, "stock.moved", {"lines": [{"sku": "A", "qty": "1.000"}]})
    bad = event("S2", 2, "stock.moved", {"lines": [{"sku": "A", "qty": "1e308"}]})
    after = event("S2", 3, "stock.moved", {"lines": [{"sku": "A", "qty": "2.000"}]})
    r = push_raw(hub.url, tok, "S2", [good, bad, after])
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"]["code"] == "event_rejected" and body["seq"] == 2
    assert body["acked_through"] == 0 and body["error"]["field"] == "events[1].payload.lines[0].qty"
    assert hub.admin("/hub/v1/stores/S2/stock")[1]["items"] == {}  # nothing of the batch
    assert hub.admin(f"/hub/v1/rejected/{hub.admin('/hub/v1/rejected?store_id=S2')[1]['items'][0]['id']}/quarantine", method="POST")[0] == 409  # seq 1 is not held yet
    assert push_raw(hub.url, tok, "S2", [good]).json() == {"acked_through": 1}
    r = push_raw(hub.url, tok, "S2", [bad, after])
    assert r.status_code == 400
    [rej] = hub.admin("/hub/v1/rejected?store_id=S2")[1]["items"]
    assert rej["count"] == 2
    assert hub.admin("/hub/v1/rejected/999/quarantine", method="POST")[0] == 404
    assert hub.admin(f"/hub/v1/rejected/{rej['id']}/quarantine", method="POST")[0] == 200
    r = push_raw(hub.url, tok, "S2", [bad, after])
    assert r.status_code == 200 and r.json()["acked_through"] == 3
    r = push_raw(hub.url, tok, "S2", [good, bad, after])  # a full resend: all held
    assert r.status_code == 200 and r.json()["acked_through"] == 3
    items = hub.admin("/hub/v1/stores/S2/stock")[1]["items"]
    assert items == {"A": "3.000"}  # the quarantined move was never applied
    r = requests.get(hub.url + "/hub/v1/rejected", timeout=30)
    assert r.status_code == 401


@pytest.mark.parametrize("engine", ["sqlite"])
def test_store_hub_rejected_cli_lists_and_quarantines(engine, hub, tmp_path):
    tok = hub.add_store("S3")
    bad = event("S3", 1, "customer.upserted", {"phone": "+79165550001", "name": "a\u202eb"})
    assert push_raw(hub.url, tok, "S3", [bad]).status_code == 400
    env_args = ["--db", hub.db_url, "--secret-file", str(tmp_path / "hub.secret")]
    run = lambda *a: subprocess.run([sys.executable, "-m", "sync.hub.cli", *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=60)
    out = run("rejected", "list", *env_args)
    assert out.returncode == 0, out.stderr
    assert "S3" in out.stdout and "seq 1" in out.stdout and "U+202E" in out.stdout
    rid = out.stdout.split("\t", 1)[0]
    out = run("rejected", "quarantine", rid, *env_args)
    assert out.returncode == 0 and "quarantined" in out.stdout, out.stderr
    out = run("rejected", "quarantine", "12345", *env_args)
    assert out.returncode == 1 and "Traceback" not in out.stderr and out.stderr.count("\n") == 1
