"""A store with 1M products: RSS after a day of reads, and search latency against a bare
request of the same server in the same run.

"A day of reads": four tills' worth of clients in parallel (so several server threads, each
with its own SQLite connection, are in use) doing barcode lookups, SKU searches and name
searches as a cashier types them (every prefix of a word, then two words).

    python -m bench.bench_store_scale            # 1,000,000 products, 20,000 reads
    python -m bench.bench_store_scale --quick    # 20,000 products, 2,000 reads
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from bench.bench_api import fill_catalog, latency
from bench.common import ServedAgent, free_port, make_data_dir, ms, pct, save

WORDS = ["молоко", "кефир", "сыр", "хлеб", "кофе", "чай", "шоколад", "вода", "мыло", "сок",
         "масло", "йогурт", "творог", "печенье"]
ADJECTIVES = ["классический", "отборный", "детский", "золотой", "фермерский"]


def typed_queries(rng: random.Random, n: int) -> list[str]:
    """What a cashier types: a word letter by letter, then a second word, or a SKU."""
    out = []
    while len(out) < n:
        word = rng.choice(WORDS)
        out += [word[:k] for k in range(2, len(word) + 1)]
        out.append(f"{word} {rng.choice(ADJECTIVES)[:rng.randint(3, 8)]}")
        out.append(f"SKU{rng.randint(0, 99999):05d}")
    return out[:n]


def day_of_reads(agent: ServedAgent, codes: list[str], reads: int, clients: int = 4) -> None:
    def till(seed):
        rng, s = random.Random(seed), agent.session()
        queries = typed_queries(rng, reads // clients)
        for i, q in enumerate(queries):
            if i % 3 == 0:
                s.get(f"{agent.url}/api/v1/products/lookup?barcode={rng.choice(codes)}")
            s.get(f"{agent.url}/api/v1/products?q={quote(q)}&limit=20")
    threads = [threading.Thread(target=till, args=(k,)) for k in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]


def interleaved(session, url: str, queries: list[str]) -> tuple[list[float], list[float]]:
    """A bare request, then a search, in turn: on a shared machine whose load swings, the
    floor and the search see the same moments (run one after the other, a burst of load
    lands on one of them only)."""
    bare, search = [], []
    for q in queries:
        bare += latency(session, url, ["/healthz"], 1)
        search += latency(session, url, [f"/api/v1/products?q={quote(q)}&limit=20"], 1)
    return bare, search


def in_process(db_path: Path, queries: list[str]) -> list[float]:
    """The same searches with no HTTP: catalog.search on the store's database."""
    from agent import catalog
    from agent.db import open_store_db
    sdb = open_store_db(db_path)
    try:
        for q in queries[:100]:  # warm the OS cache as the server had it
            catalog.search(q, 20)
        out = []
        for q in queries:
            t0 = time.perf_counter()
            catalog.search(q, 20)
            out.append(time.perf_counter() - t0)
        return out
    finally:
        sdb.close()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--products", type=int, default=None)
    ap.add_argument("--data", type=Path, default=None,
                    help="a data dir to reuse: filled on the first run (the 1M build takes"
                         " minutes), read as it is on the next ones")
    args = ap.parse_args(argv)
    n = args.products or (20_000 if args.quick else 1_000_000)
    reads = 2_000 if args.quick else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        if args.data and not (args.data / "store.db").exists():
            data = make_data_dir(args.data)
            fill_catalog(data, n)
        if args.data:
            data = args.data
            codes = [r[0] for r in __import__("sqlite3").connect(data / "store.db").execute(
                "SELECT code FROM barcode WHERE rowid % 7 = 0 LIMIT 100000")]
        else:
            data = make_data_dir(Path(tmp) / "s")
            codes = fill_catalog(data, n)
        agent = ServedAgent(data, free_port())
        agent.start()
        try:
            s = agent.session()
            latency(s, agent.url, ["/healthz"], 50)
            idle = agent.rss_mb()
            day_of_reads(agent, codes, reads)
            after = agent.rss_mb()
            bare, search = interleaved(s, agent.url, typed_queries(random.Random(7), 1000))
            again = agent.rss_mb()
        finally:
            agent.stop()
        direct = in_process(data / "store.db", typed_queries(random.Random(7), 1000))
    print(f"in-process catalog.search (no HTTP): p50 {ms(pct(direct, 50))}, "
          f"p99 {ms(pct(direct, 99))}")
    print(f"{n} products: RSS idle {idle:.1f} MB, after {reads} reads {after:.1f} MB "
          f"(then {again:.1f} MB)")
    print(f"search as typed: p50 {ms(pct(search, 50))}, p99 {ms(pct(search, 99))}; bare "
          f"GET /healthz p50 {ms(pct(bare, 50))}, p99 {ms(pct(bare, 99))} -> "
          f"{pct(search, 99) / pct(bare, 99):.1f}x the floor at p99")
    figures = {"products": n, "reads": reads, "rss_idle_mb": round(idle, 1),
               "rss_after_reads_mb": round(max(after, again), 1),
               "search_p50_ms": round(pct(search, 50) * 1000, 2),
               "search_p99_ms": round(pct(search, 99) * 1000, 2),
               "healthz_p50_ms": round(pct(bare, 50) * 1000, 2),
               "healthz_p99_ms": round(pct(bare, 99) * 1000, 2),
               "search_p99_to_healthz_p99": round(pct(search, 99) / pct(bare, 99), 2),
               "in_process_p50_ms": round(pct(direct, 50) * 1000, 2),
               "in_process_p99_ms": round(pct(direct, 99) * 1000, 2),
               "load_average": os.getloadavg()[0]}
    save("store_scale", figures)
    return figures


if __name__ == "__main__":
    main()
