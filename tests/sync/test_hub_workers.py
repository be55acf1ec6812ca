"""``store-hub serve --workers N``: several processes behind one port over one database;
the same store's batches pushed concurrently (overlapping, repeated, past a gap) are applied
once each, the 409 gap answers name the seq the hub expects, a dead worker is replaced."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import uuid
from pathlib import Path

import pytest
import requests

from .hubkit import HubProcess, hub_db_url, pg_drop, signed, token, wait_for
from .test_faults import _rounds

ADMIN = "admin-" + "w" * 20


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(c) for c in path.read_text().split()} if path.exists() else set()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def push_concurrently(url: str, tok: str, events: list, seed: int, threads: int = 4):
    """Threads push slices from around the hub's position until it holds everything;
    returns (answers, problems)."""
    state, lock, answers, problems = {"acked": 0}, threading.Lock(), [], []

    def run(rng: random.Random):
        while True:
            with lock:
                acked = state["acked"]
            if acked >= len(events) or problems:
                return
            start = max(1, acked + 1 + rng.choice([-4, -1, 0, 0, 0, 1, 3]))
            batch = events[start - 1:start - 1 + rng.randint(1, 25)]
            if not batch:
                continue
            body = json.dumps({"store_id": "S1", "batch_id": uuid.uuid4().hex,
                               "events": batch}).encode()
            r = requests.post(url + "/hub/v1/events", data=body, headers=signed(tok, body),
                              timeout=60)
            data = r.json()
            with lock:
                answers.append((start, r.status_code, data))
                if r.status_code == 200 and data["acked_through"] >= batch[-1]["seq"]:
                    state["acked"] = max(state["acked"], data["acked_through"])
                elif not (r.status_code == 409 and 0 < data.get("expected_seq", 0) < start):
                    problems.append((start, r.status_code, data))

    pool = [threading.Thread(target=run, args=(random.Random(seed + i),)) for i in range(threads)]
    [t.start() for t in pool]
    [t.join(300) for t in pool]
    return answers, problems


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_behind_one_port_apply_a_stores_concurrent_batches_once(tmp_path):
    url, schema = hub_db_url("postgres", tmp_path, "shared.db")
    hub = HubProcess(url, "secret-" + "s" * 24, workers=2)
    try:
        assert hub.run_cli("init", "--admin-token", ADMIN).returncode == 0
        tok = token()
        assert hub.run_cli("add-store", "S1", "--token", tok).returncode == 0
        hub.start()
        first = wait_for(lambda: len(children(hub.proc.pid)) == 2 and children(hub.proc.pid),
                         what="two worker processes")
        events = [e for batch in _rounds("S1", 12, 25, random.Random(3)) for e in batch]
        before = {pid: cpu_ticks(pid) for pid in first}
        answers, problems = push_concurrently(hub.url, tok, events, seed=1)
        assert problems == []
        assert all(cpu_ticks(pid) > before[pid] for pid in first)  # both workers served
        assert any(status == 409 for _, status, _ in answers)  # the gap path was taken
        admin = {"Authorization": f"Bearer {ADMIN}"}
        s = requests.get(hub.url + "/hub/v1/stores/S1/summary", headers=admin, timeout=30).json()
        sales = [e["payload"]["total"] for e in events if e["type"] == "sale.completed"]
        assert (s["acked_through"], s["sales_count"], s["sales_total"]) == \
            (len(events), len(sales), sum(sales))
        for phone in ("+79161230001", "+79161230002"):
            view = requests.get(hub.url + f"/hub/v1/customers/{phone}", headers=admin,
                                timeout=30).json()
            assert view["balance"] == sum(e["payload"]["amount"] for e in events
                                          if e["type"] == "loyalty.posted"
                                          and e["payload"]["phone"] == phone)

        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)  # a worker dies: the parent starts another
        wait_for(lambda: len(children(hub.proc.pid) - {victim}) == 2,
                 what="a replacement worker")
        for _ in range(20):  # the port keeps answering
            assert requests.get(hub.url + "/healthz", timeout=30).status_code == 200
        workers = children(hub.proc.pid)
        hub.proc.send_signal(signal.SIGTERM)
        assert hub.proc.wait(30) == 0
        assert not any(Path(f"/proc/{pid}").exists() and
                       "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
                       for pid in workers)
    finally:
        hub.stop()
        if schema:
            pg_drop(schema)


def test_a_chains_worth_of_idle_keep_alive_connections_does_not_lock_the_next_store_out(
        tmp_path):
    """Each store's pusher keeps its connection open between pushes; waitress' default
    connection limit (100) made the 101st store wait until another connection closed."""
    import socket
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = HubProcess(url, "secret-" + "s" * 24)
    assert hub.run_cli("init", "--admin-token", ADMIN).returncode == 0
    hub.start()
    idle = []
    try:
        for _ in range(150):
            idle.append(socket.create_connection(("127.0.0.1", hub.port), timeout=10))
        wait_for(lambda: _answers(hub), timeout=30, what="an answer past 150 open connections")
    finally:
        for s in idle:
            s.close()
        hub.stop()


def _answers(hub) -> bool:
    try:
        return requests.get(hub.url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_workers_out_of_range_is_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = HubProcess(url, "secret-" + "s" * 24)
    assert hub.run_cli("init", "--admin-token", ADMIN).returncode == 0
    r = hub.run_cli("serve", "--workers", "0", "--port", "0")
    assert r.returncode != 0 and r.stderr.strip().count("\n") == 0
    assert "--workers" in r.stderr and "Traceback" not in r.stderr
