"""The hub at chain scale (issue 22), each figure against a floor measured in the same run:

1. burst: 240 stores pushing 100-event batches at once to ``store-hub serve`` on
   PostgreSQL, with 1 and with 2 workers behind one port, against raw psycopg2 multi-row
   inserts of the same event rows (one commit per batch, 16 connections); batch p50/p99 as
   the stores saw them;
2. trickle: the same stores pushing 5-event batches (the online rhythm), against bare
   signed POSTs of the same bodies to a do-nothing app on the same server stack;
3. recovery: a store with events queued while the hub is down (10 s here, the field's
   90 s outage shortened): the first ack after the hub answers again, with the pusher's
   catch-up policy and with the old 60 s cap; and the spread of 240 stores' first tries
   after the return (the real wait strategy, simulated clocks): no thundering herd.

    python -m bench.bench_hub            # 240 stores x 5 x 100; 240 x 20 x 5; 10 s outage x 3
    python -m bench.bench_hub --quick    # 24 stores x 2 x 100; 24 x 5 x 5; 3 s outage x 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from bench.bench_sync import (
    ADMIN,
    PG,
    SECRET,
    bare_server,
    hub_cli,
    queue_events,
    raw_insert_rate,
    spawn,
    stop,
    store_batches,
)
from bench.common import free_port, machine, make_data_dir, pct, save

RAW_CONNECTIONS = 16


def hub_workers(db: str, workers: int, threads: int = 16, port: int | None = None,
                projection: str = "auto"):
    port = port or free_port()
    proc = spawn([sys.executable, "-m", "sync.hub.cli", "serve", "--db", db, "--port", str(port),
                  "--threads", str(threads), "--workers", str(workers),
                  "--projection", projection], port)
    return proc, f"http://127.0.0.1:{port}"


class PgHub:
    """A fresh hub schema with ``stores`` registered stores."""

    def __init__(self, stores: int):
        from sync.hub.app import bind
        from sync.hub.registry import add_store, init_hub
        from sync.hub.vault import _from_text
        self.schema = "bench_" + uuid.uuid4().hex[:12]
        self.url = f"{PG}?schema={self.schema}"
        db = bind(self.url)
        secret = _from_text(SECRET)
        init_hub(db, ADMIN, secret)
        self.tokens = {f"S{i:03d}": f"bench-token-{i:03d}-" + uuid.uuid4().hex
                       for i in range(stores)}
        for sid, tok in self.tokens.items():
            add_store(db, sid, tok, secret)
        db.close_all()

    def drop(self) -> None:
        import psycopg2
        conn = psycopg2.connect(PG)
        conn.autocommit = True
        conn.cursor().execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        conn.close()


CLIENT_PROCESSES = 4  # the stores' threads spread over processes: no GIL convoy in the client


def _stores_client(urls, path, stores, ready, go, out) -> None:
    from sync import signing
    latencies, errors, lock = [], [], threading.Lock()

    def store(k, sid, tok, bodies):
        with requests.Session() as s:
            go.wait()
            for body in bodies:
                h = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json",
                     signing.HEADER: signing.header_value(tok, body, None, "POST", path)}
                t0 = time.perf_counter()
                r = s.post(urls[k % len(urls)] + path, data=body, headers=h, timeout=300)
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    if r.status_code != 200:
                        errors.append((sid, r.status_code, r.text[:200]))
    threads = [threading.Thread(target=store, args=st) for st in stores]
    [t.start() for t in threads]
    ready.put(1)
    [t.join() for t in threads]
    import resource
    used = resource.getrusage(resource.RUSAGE_SELF)
    out.put((latencies, errors, used.ru_utime + used.ru_stime))


def push_all(urls: list[str], path: str, tokens: dict,
             bodies: dict) -> tuple[float, list, float]:
    """Every store pushes its bodies back to back, all stores at once (threads in
    ``CLIENT_PROCESSES`` processes); (seconds, latencies, the stores' CPU seconds)."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    stores = [(k, sid, tok, bodies[sid]) for k, (sid, tok) in enumerate(tokens.items())]
    procs = [ctx.Process(target=_stores_client,
                         args=(urls, path, stores[i::CLIENT_PROCESSES], ready, go, out))
             for i in range(CLIENT_PROCESSES)]
    [p.start() for p in procs]
    for _ in procs:
        ready.get(timeout=120)
    t0 = time.perf_counter()
    go.set()
    latencies, errors, client_cpu = [], [], 0.0
    for _ in procs:
        lat, err, cpu = out.get(timeout=1800)
        latencies += lat
        errors += err
        client_cpu += cpu
    took = time.perf_counter() - t0
    [p.join(30) for p in procs]
    if errors:
        raise RuntimeError(f"push failed: {errors[:3]}")
    return took, latencies, client_cpu


def bodies_for(work: dict) -> dict:
    return {sid: [json.dumps({"store_id": sid, "batch_id": uuid.uuid4().hex, "events": b},
                             ensure_ascii=False).encode() for b in bs] for sid, bs in work.items()}


BURST_MODES = (("inline", 1), ("deferred", 1), ("deferred", 2))


def projected_after(url: str) -> float:
    """Seconds until the hub's projections hold every acknowledged event (a read waits
    for them: one admin GET does it)."""
    t0 = time.perf_counter()
    r = requests.get(url + "/hub/v1/stores", headers={"Authorization": f"Bearer {ADMIN}"},
                     timeout=600)
    r.raise_for_status()
    return time.perf_counter() - t0


def burst(stores: int, batches: int, size: int) -> dict:
    out = {"burst_stores": stores, "burst_batch": size}
    for mode, workers in BURST_MODES:
        hub = PgHub(stores)
        work = {sid: store_batches(sid, batches, size, random.Random(7)) for sid in hub.tokens}
        proc, url = hub_workers(hub.url, workers, threads=16 // workers, projection=mode)
        key = f"burst_{mode}_{workers}w"
        try:
            took, lat, client_cpu = push_all([url], "/hub/v1/events", hub.tokens,
                                             bodies_for(work))
            if mode == "deferred":
                out[f"{key}_projected_after_s"] = round(projected_after(url), 2)
        finally:
            stop(proc)
        events = stores * batches * size
        out[f"{key}_events_per_s"] = round(events / took)
        out[f"{key}_batch_p50_s"] = round(pct(lat, 50), 3)
        out[f"{key}_batch_p99_s"] = round(pct(lat, 99), 3)
        out[f"{key}_client_cpu_share"] = round(client_cpu / (took * (os.cpu_count() or 1)), 2)
        if "raw_pg_insert_rows_per_s" not in out:
            out["raw_pg_insert_rows_per_s"] = round(raw_insert_rate(hub.schema, work, RAW_CONNECTIONS))
        hub.drop()
    for mode, workers in BURST_MODES:
        key = f"burst_{mode}_{workers}w"
        out[f"{key}_vs_raw_insert"] = round(
            out[f"{key}_events_per_s"] / out["raw_pg_insert_rows_per_s"], 3)
    return out


def trickle(stores: int, batches: int, size: int = 5) -> dict:
    hub = PgHub(stores)
    work = {sid: store_batches(sid, batches, size, random.Random(9)) for sid in hub.tokens}
    bodies = bodies_for(work)
    proc, url = hub_workers(hub.url, 2)
    bare, bare_url = bare_server(16)
    try:
        bare_s = push_all([bare_url], "/bare", hub.tokens, bodies)[0]
        hub_s, lat, _ = push_all([url], "/hub/v1/events", hub.tokens, bodies)
    finally:
        stop(proc, bare)
        hub.drop()
    n = stores * batches
    return {"trickle_stores": stores, "trickle_batch": size,
            "trickle_events_per_s": round(n * size / hub_s),
            "trickle_batch_p99_s": round(pct(lat, 99), 3),
            "bare_signed_post_per_s": round(n / bare_s),
            "trickle_vs_bare_post": round(bare_s / hub_s, 3)}


def first_ack_after_outage(work: Path, outage: float, events: int, cap: float | None) -> dict:
    """Hub down while the store queues events; the pusher keeps trying; the hub comes back
    on the same port: seconds from its first healthy answer to the first ack."""
    from sync.client import HubClient
    from sync.pusher import OutboxPusher
    from sync.state import LiveState

    db = f"sqlite:///{work / 'hub.db'}"
    hub_cli("init", "--admin-token", ADMIN, db=db)
    tok = "bench-store-token-" + uuid.uuid4().hex
    hub_cli("add-store", "BENCH", "--token", tok, db=db)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    store = queue_events(make_data_dir(work / "store", "BENCH", hub={"url": url, "token": tok}),
                         events)
    acks: list[float] = []

    class Timed(HubClient):
        def push(self, body):
            acked = super().push(body)
            acks.append(time.monotonic())
            return acked
    pusher = OutboxPusher(store, Timed(url, tok, "BENCH", timeout=5), LiveState(),
                          interval=0.5, batch_events=500)
    if cap is not None:
        pusher.catch_up_cap = cap
    pusher.start()
    time.sleep(outage)  # the hub is down; the pusher keeps failing and backing off
    proc = spawn([sys.executable, "-m", "sync.hub.cli", "serve", "--db", db, "--port",
                  str(port), "--threads", "8"], port)
    back = time.monotonic()  # spawn returns once /healthz answers
    try:
        deadline = back + 120
        while not acks and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        pusher.stop()
        stop(proc)
        store.close()
    return {"first_ack_s": round(acks[0] - back, 2) if acks else None}


def recovery(outage: float, events: int, trials: int) -> dict:
    out = {"outage_s": outage, "recovery_events": events}
    for label, cap in (("catch_up", None), ("old_60s_cap", 60.0)):
        got = []
        for _ in range(trials):
            with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
                got.append(first_ack_after_outage(Path(tmp), outage, events, cap)["first_ack_s"])
        out[f"first_ack_{label}_s"] = got
    return out


def herd(stores: int = 240, outage: float = 90.0) -> dict:
    """240 stores failing since the outage began (each at its own moment in the first
    push interval); after the hub returns, when does each try again?  The real wait strategy
    of the pusher (its tenacity wait), simulated clocks."""
    from sync.pusher import CATCH_UP_CAP
    from sync.worker import Worker

    class State:
        def __init__(self, n):
            self.attempt_number = n
    w = Worker()
    wait = w.retrying(True, max_wait=min(CATCH_UP_CAP, w.backoff[1])).wait
    rng = random.Random(1)
    after = []
    for _ in range(stores):
        t, n = rng.uniform(0, 2.0), 1
        while t < outage:
            t += wait(State(n))
            n += 1
        after.append(t - outage)
    after.sort()
    peak = max(sum(1 for x in after if a <= x < a + 0.1) for a in after)
    return {"herd_stores": stores, "herd_first_try_p50_s": round(pct(after, 50), 2),
            "herd_first_try_max_s": round(after[-1], 2),
            "herd_peak_per_100ms": peak}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*", choices=("burst", "trickle", "recovery", "herd"))
    args = ap.parse_args(argv)
    q = args.quick
    parts = args.only or ["burst", "trickle", "recovery", "herd"]
    print(f"machine: {machine()}")
    figures: dict = {}
    if "burst" in parts or "trickle" in parts:
        try:
            import psycopg2
            psycopg2.connect(PG, connect_timeout=3).close()
        except Exception as e:  # noqa: BLE001
            print(f"burst/trickle skipped: PostgreSQL not reachable at {PG}: {type(e).__name__}")
            parts = [p for p in parts if p not in ("burst", "trickle")]
    if "burst" in parts:
        f = burst(*((24, 2, 100) if q else (240, 5, 100)))
        figures.update(f)
        print(f"burst   {f['burst_stores']} stores at once, batches of {f['burst_batch']}, "
              f"PostgreSQL; floor raw inserts ({RAW_CONNECTIONS} connections): "
              f"{f['raw_pg_insert_rows_per_s']} rows/s")
        for mode, w in BURST_MODES:
            key = f"burst_{mode}_{w}w"
            after = (f"; projections caught up {f[key + '_projected_after_s']} s after the "
                     "last ack" if mode == "deferred" else "")
            print(f"  {mode} projection, {w} worker(s): {f[key + '_events_per_s']} events/s = "
                  f"{f[key + '_vs_raw_insert']} of raw; batch p50 {f[key + '_batch_p50_s']} s, "
                  f"p99 {f[key + '_batch_p99_s']} s{after}; the simulated stores took "
                  f"{f[key + '_client_cpu_share']:.0%} of the machine's CPU")
    if "trickle" in parts:
        f = trickle(*((24, 5) if q else (240, 20)))
        figures.update(f)
        print(f"trickle {f['trickle_stores']} stores, batches of {f['trickle_batch']}, 2 workers: "
              f"{f['trickle_events_per_s']} events/s, batch p99 {f['trickle_batch_p99_s']} s; "
              f"floor bare signed POSTs {f['bare_signed_post_per_s']}/s -> "
              f"{f['trickle_vs_bare_post']} of it")
    if "recovery" in parts:
        f = recovery(*((3.0, 500, 1) if q else (10.0, 5000, 3)))
        figures.update(f)
        print(f"recovery {f['outage_s']} s outage, {f['recovery_events']} events queued: first "
              f"ack after the hub answers: {f['first_ack_catch_up_s']} s (catch-up policy), "
              f"{f['first_ack_old_60s_cap_s']} s (the old 60 s cap)")
    if "herd" in parts:
        f = herd()
        figures.update(f)
        print(f"herd    {f['herd_stores']} stores down 90 s: first tries after the return "
              f"p50 {f['herd_first_try_p50_s']} s, last {f['herd_first_try_max_s']} s, "
              f"at most {f['herd_peak_per_100ms']} stores in any 100 ms")
    save("hub", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
