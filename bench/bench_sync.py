"""Sync throughput, each figure against a floor measured in the same run:

1. drain: 10,000 events queued at a store, pushed by the agent's own pusher to a
   ``store-hub serve`` (SQLite), against bare POST round trips to a do-nothing app on the
   same server stack (waitress + Flask) with the same client (requests, keep-alive);
2. ingest: 50 stores pushing at once to two ``store-hub serve`` workers on PostgreSQL,
   against the raw rate of inserting the same event rows with psycopg2 from 50 connections,
   and against bare POSTs of the same bodies from 50 clients.

    python -m bench.bench_sync            # 10,000 events; 50 stores x 10 x 200 events
    python -m bench.bench_sync --quick    # 1,000 events; 10 stores x 3 x 100 events
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from bench.common import free_port, machine, make_data_dir, save, write_csv

PG = os.environ.get("STORE_HUB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-" + "b" * 24
ADMIN = "bench-admin-" + "a" * 20


# -- servers in their own processes ---------------------------------------------------
def serve_bare(port: int, threads: int) -> None:
    """A do-nothing app on the hub's server stack: the HTTP floor."""
    from flask import Flask, request
    from waitress import serve
    app = Flask("bare")

    @app.post("/bare")
    def bare():
        request.get_data()
        return {"acked_through": 0}
    serve(app, host="127.0.0.1", port=port, threads=threads, connection_limit=512, _quiet=True)


def spawn(args: list[str], port: int) -> subprocess.Popen:
    env = dict(os.environ, STORE_HUB_SECRET=SECRET)
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return proc
        except requests.RequestException:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited") from None
            time.sleep(0.05)
    raise RuntimeError(f"{args} did not start")


def hub_cli(*args, db: str) -> None:
    env = dict(os.environ, STORE_HUB_SECRET=SECRET)
    subprocess.run([sys.executable, "-m", "sync.hub.cli", *args, "--db", db], env=env,
                   check=True, capture_output=True)


def hub_server(db: str, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = spawn([sys.executable, "-m", "sync.hub.cli", "serve", "--db", db, "--port",
                  str(port), "--threads", str(threads)], port)
    return proc, f"http://127.0.0.1:{port}"


def bare_server(threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = spawn([sys.executable, "-m", "bench.bench_sync", "--serve-bare", str(port),
                  "--threads", str(threads)], port)
    return proc, f"http://127.0.0.1:{port}"


def stop(*procs) -> None:
    for p in procs:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


# -- 1. drain -----------------------------------------------------------------------
def queue_events(data_dir: Path, n: int) -> int:
    """A store with n business events waiting in its outbox (sales, receipts)."""
    from agent import cashiers, outbox, sales, shifts, stock
    from agent.csv_import import import_csv
    from agent.store import Store
    store = Store.open(data_dir)
    with open(write_csv(data_dir / "catalog.csv", 50), encoding="utf-8") as fh:
        import_csv(store, fh)
    tok, _ = cashiers.login(store, "bench", "1234", "1")
    session = cashiers.session_for(store, tok)
    shifts.open_shift(store, session, 0)
    skus = [f"SKU{i:07d}" for i in range(50)]
    rng = random.Random(1)
    while outbox.last_seq() < n:
        with store.db.write():
            for _ in range(min(500, n - outbox.last_seq())):
                lines = [{"sku": rng.choice(skus), "qty": str(rng.randint(1, 3))}
                         for _ in range(rng.randint(1, 4))]
                if rng.random() < 0.95:
                    sales.commit(store, session, {"client_ref": uuid.uuid4().hex, "lines": lines,
                                                  "payments": [{"method": "cash",
                                                                "amount": 10**8}]})
                else:
                    stock.post_document(store, "receipt", uuid.uuid4().hex, lines)
    return store


def bare_post_rate(url: str, body: bytes, n: int, clients: int = 1) -> float:
    per = max(1, n // clients)

    def client():
        with requests.Session() as s:
            for _ in range(per):
                s.post(url + "/bare", data=body, headers={"Content-Type": "application/json"})
    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    return per * clients / (time.perf_counter() - t0)


def drain(n: int, work: Path) -> dict:
    from agent import outbox
    from sync.client import HubClient
    from sync.pusher import OutboxPusher, envelope_json
    from sync.state import LiveState

    db = f"sqlite:///{work / 'hub.db'}"
    hub_cli("init", "--admin-token", ADMIN, db=db)
    token = "bench-store-token-" + uuid.uuid4().hex
    hub_cli("add-store", "BENCH", "--token", token, db=db)
    hub, hub_url = hub_server(db, 8)
    bare, bare_url = bare_server(8)
    try:
        store = queue_events(make_data_dir(work / "store", "BENCH", hub={"url": hub_url,
                                                                          "token": token}), n)
        queued = outbox.last_seq()
        sample = outbox.pending(0, 1)[0]
        one_event = ('{"store_id":"BENCH","events":[' + envelope_json(sample, "BENCH") + "]}").encode()
        floor = bare_post_rate(bare_url, one_event, max(500, n // 10))
        pusher = OutboxPusher(store, HubClient(hub_url, token, "BENCH"), LiveState(),
                              batch_events=500, batch_bytes=1_000_000)
        t0 = time.perf_counter()
        pusher.run_once()
        took = time.perf_counter() - t0
        assert outbox.acked_through() == queued, "the drain did not finish"
        rate = queued / took
        store.close()
    finally:
        stop(hub, bare)
    return {"drain_events": queued, "drain_seconds": round(took, 3),
            "drain_events_per_s": round(rate), "bare_post_per_s": round(floor),
            "drain_vs_bare_post": round(rate / floor, 2)}


# -- 2. ingest from 50 stores on PostgreSQL -------------------------------------------
def store_batches(store_id: str, batches: int, size: int, rng: random.Random) -> list[list]:
    out, seq, sale_id, entry = [], 0, 0, 0
    for _ in range(batches):
        batch = []
        for _ in range(size):
            seq += 1
            roll = rng.random()
            if roll < 0.8:
                sale_id += 1
                lines = [{"line_id": sale_id * 10 + k, "sku": f"SKU{rng.randint(0, 999):04d}",
                          "name": "Товар", "qty": "1.000", "price": 5000, "amount": 5000,
                          "discount": 0, "vat": "20", "bonus_earned": 0} for k in range(3)]
                payload = {"sale_id": sale_id, "client_ref": uuid.uuid4().hex, "total": 15000,
                           "subtotal": 15000, "paid": 15000, "change": 0, "lines": lines,
                           "payments": [{"method": "card", "amount": 15000}]}
                etype = "sale.completed"
            elif roll < 0.9:
                etype, payload = "stock.moved", {"kind": "receipt", "lines": [
                    {"sku": f"SKU{rng.randint(0, 999):04d}", "qty": "10.000"}]}
            else:
                entry += 1
                etype, payload = "loyalty.posted", {
                    "entry_id": entry, "phone": f"+7916{rng.randint(0, 9999):07d}",
                    "kind": "accrual", "amount": 750}
            batch.append({"event_id": str(uuid.uuid4()), "store_id": store_id, "seq": seq,
                          "type": etype, "schema": 1, "occurred_at": "2026-03-01T10:00:00Z",
                          "payload": payload})
        out.append(batch)
    return out


def raw_insert_rate(schema: str, work: dict[str, list[list]],
                    connections: int | None = None) -> float:
    """The DB floor: the same event rows, one multi-row INSERT and COMMIT per batch, from
    one connection per store (or the batches shared among ``connections``)."""
    import psycopg2
    from psycopg2.extras import execute_values
    conn = psycopg2.connect(PG)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE TABLE "{schema}".raw_event (store_id TEXT, seq BIGINT, '
                          "event_id TEXT UNIQUE, payload TEXT, PRIMARY KEY (store_id, seq))")
    conn.close()

    def client(batches):
        c = psycopg2.connect(PG, options=f"-c search_path={schema}")
        with c.cursor() as cur:
            for batch in batches:
                execute_values(cur, "INSERT INTO raw_event VALUES %s",
                               [(e["store_id"], e["seq"], e["event_id"],
                                 json.dumps(e["payload"], ensure_ascii=False)) for e in batch],
                               page_size=len(batch))
                c.commit()
        c.close()
    shares = list(work.values())
    if connections:
        batches = [b for bs in shares for b in bs]
        shares = [batches[i::connections] for i in range(connections)]
    threads = [threading.Thread(target=client, args=(b,)) for b in shares]
    total = sum(len(b) for bs in work.values() for b in bs)
    t0 = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    return total / (time.perf_counter() - t0)


def ingest(stores: int, batches: int, size: int) -> dict:
    try:
        import psycopg2
        psycopg2.connect(PG, connect_timeout=3).close()
    except Exception as e:  # noqa: BLE001
        return {"ingest_skipped": f"PostgreSQL not reachable at {PG}: {type(e).__name__}"}
    from sync import signing
    from sync.hub.app import bind
    from sync.hub.registry import add_store, init_hub
    from sync.hub.vault import _from_text

    schema = "bench_" + uuid.uuid4().hex[:12]
    db_url = f"{PG}?schema={schema}"
    db = bind(db_url)
    secret = _from_text(SECRET)
    init_hub(db, ADMIN, secret)
    rng = random.Random(7)
    tokens = {f"S{i:03d}": f"bench-token-{i:03d}-" + uuid.uuid4().hex for i in range(stores)}
    for sid, tok in tokens.items():
        add_store(db, sid, tok, secret)
    db.close_all()
    work = {sid: store_batches(sid, batches, size, rng) for sid in tokens}
    bodies = {sid: [json.dumps({"store_id": sid, "batch_id": uuid.uuid4().hex, "events": b},
                               ensure_ascii=False).encode() for b in bs] for sid, bs in work.items()}
    total = stores * batches * size
    hubs = [hub_server(db_url, 16) for _ in range(2)]
    bare = [bare_server(16) for _ in range(2)]
    errors = []

    def push(sid, urls, path):
        with requests.Session() as s:
            for i, body in enumerate(bodies[sid]):
                h = {"Authorization": f"Bearer {tokens[sid]}", "Content-Type": "application/json",
                     signing.HEADER: signing.header_value(tokens[sid], body, None, "POST", path)}
                r = s.post(urls[i % len(urls)] + path, data=body, headers=h, timeout=300)
                if r.status_code != 200:
                    errors.append((sid, r.status_code, r.text[:200]))
                    return

    def run(urls, path) -> float:
        threads = [threading.Thread(target=push, args=(sid, urls, path)) for sid in tokens]
        t0 = time.perf_counter()
        [t.start() for t in threads]
        [t.join() for t in threads]
        return time.perf_counter() - t0
    try:
        bare_s = run([u for _, u in bare], "/bare")
        hub_s = run([u for _, u in hubs], "/hub/v1/events")
        if errors:
            raise RuntimeError(f"ingest failed: {errors[:3]}")
        s = requests.get(hubs[0][1] + "/hub/v1/stores/S000/summary",
                         headers={"Authorization": f"Bearer {ADMIN}"}).json()
        assert s["acked_through"] == batches * size
    finally:
        stop(*[p for p, _ in hubs], *[p for p, _ in bare])
    raw = raw_insert_rate(schema, work)
    import psycopg2
    conn = psycopg2.connect(PG)
    conn.autocommit = True
    conn.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
    conn.close()
    rate = total / hub_s
    return {"ingest_stores": stores, "ingest_events": total, "ingest_batch": size,
            "ingest_events_per_s": round(rate), "raw_pg_insert_rows_per_s": round(raw),
            "ingest_vs_raw_insert": round(rate / raw, 3),
            "bare_post_batches_per_s": round(stores * batches / bare_s),
            "ingest_batches_per_s": round(stores * batches / hub_s),
            "ingest_vs_bare_post": round(bare_s / hub_s, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=8, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare, args.threads)
        return 0
    n = 1000 if args.quick else 10_000
    stores, batches, size = (10, 3, 100) if args.quick else (50, 10, 200)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        figures = drain(n, Path(tmp))
    print(f"drain   {figures['drain_events']} queued events in {figures['drain_seconds']} s: "
          f"{figures['drain_events_per_s']} events/s")
    print(f"  floor bare POST round trips (1 client, keep-alive): {figures['bare_post_per_s']}/s"
          f"  -> drain = {figures['drain_vs_bare_post']} x the bare POST rate")
    more = ingest(stores, batches, size)
    figures.update(more)
    if "ingest_skipped" in more:
        print(f"ingest  skipped: {more['ingest_skipped']}")
    else:
        print(f"ingest  {stores} stores at once, {more['ingest_events']} events in batches of "
              f"{size}, 2 hub workers on PostgreSQL: {more['ingest_events_per_s']} events/s")
        print(f"  floor raw PostgreSQL inserts of the same rows (psycopg2, {stores} "
              f"connections): {more['raw_pg_insert_rows_per_s']} rows/s -> ingest = "
              f"{more['ingest_vs_raw_insert']} of it")
        print(f"  floor bare POSTs of the same bodies ({stores} clients): "
              f"{more['bare_post_batches_per_s']} batches/s -> ingest = "
              f"{more['ingest_vs_bare_post']} of it ({more['ingest_batches_per_s']} batches/s)")
    save("sync", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
