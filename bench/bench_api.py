"""Barcode lookup and name search latency through the API at 10k/100k/1M products, and the
quote + checkout rate, each against bare round trips of the same server.

    python -m bench.bench_api            # 10k, 100k, 1M products
    python -m bench.bench_api --quick    # 2k products, small samples (CI smoke)
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import (
    ServedAgent,
    catalog_rows,
    free_port,
    make_data_dir,
    ms,
    pct,
    raw_sqlite_tx_rate,
    save,
)


def fill_catalog(data_dir: Path, n: int) -> list[str]:
    """Insert N products (2 barcodes each) straight into the store database (set-up only)."""
    from agent.catalog import search_key
    conn = sqlite3.connect(data_dir / "store.db")
    conn.execute("PRAGMA synchronous=OFF")
    now = "2026-01-01T00:00:00Z"
    codes = []
    batch_p, batch_b, batch_s = [], [], []
    for i, (sku, name, bcs, price, unit, vat) in enumerate(catalog_rows(n), start=1):
        batch_p.append((i, sku, name, search_key(name, sku), unit, vat, price, now))
        batch_b += [(c, i) for c in bcs]
        batch_s.append((i, 10000))
        if i % 7 == 0:
            codes.append(bcs[0])
        if len(batch_p) >= 50000:
            _flush(conn, batch_p, batch_b, batch_s)
            batch_p, batch_b, batch_s = [], [], []
    _flush(conn, batch_p, batch_b, batch_s)
    try:  # keep the full-text index in step when the schema has one
        conn.execute("INSERT INTO product_fts(product_fts) VALUES ('rebuild')")
    except sqlite3.OperationalError:
        pass
    conn.commit()
    conn.close()
    return codes


def _flush(conn, p, b, s):
    conn.executemany("INSERT INTO product (id, sku, name, search_name, unit, vat, price, hidden,"
                     " updated_at) VALUES (?,?,?,?,?,?,?,0,?)", p)
    conn.executemany("INSERT INTO barcode (code, product_id) VALUES (?,?)", b)
    conn.executemany("INSERT INTO stock_level (product_id, on_hand_milli) VALUES (?,?)", s)


def latency(session, url, paths, n) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        r = session.get(url + paths[i % len(paths)])
        out.append(time.perf_counter() - t0)
        assert r.status_code in (200, 404), r.text
    return out


def run_size(n: int, samples: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = make_data_dir(Path(tmp) / "s")
        codes = fill_catalog(data, n)
        agent = ServedAgent(data, free_port())
        agent.start()
        try:
            s = agent.session()
            latency(s, agent.url, ["/healthz"], 50)  # warm up
            bare = latency(s, agent.url, ["/healthz"], samples)
            rng = random.Random(1)
            look = latency(s, agent.url, [f"/api/v1/products/lookup?barcode={rng.choice(codes)}"
                                          for _ in range(samples)], samples)
            words = ["молоко", "кофе зол", "сыр отб", "SKU00012", "чай", "шоколад детский"]
            search = latency(s, agent.url, [f"/api/v1/products?q={w}&limit=20" for w in words],
                             max(50, samples // 4))
        finally:
            agent.stop()
    return {"products": n, "healthz_p50": pct(bare, 50), "healthz_p99": pct(bare, 99),
            "lookup_p50": pct(look, 50), "lookup_p99": pct(look, 99),
            "search_p50": pct(search, 50), "search_p99": pct(search, 99)}


def checkout_rate(sales: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = make_data_dir(Path(tmp) / "s")
        fill_catalog(data, 1000)
        floor_tx = raw_sqlite_tx_rate(Path(tmp) / "raw.db")
        agent = ServedAgent(data, free_port())
        agent.start()
        try:
            s = agent.session()
            s.post(agent.url + "/api/v1/shifts/open", json={"opening_cash": 0})
            t0 = time.perf_counter()
            for _ in range(sales):
                s.get(agent.url + "/healthz")
                s.get(agent.url + "/healthz")
            pair_rate = sales / (time.perf_counter() - t0)
            lines = [{"sku": f"SKU{i:07d}", "qty": 1} for i in (1, 2, 3)]
            t0 = time.perf_counter()
            for _ in range(sales):
                q = s.post(agent.url + "/api/v1/sales/quote", json={"lines": lines}).json()
                r = s.post(agent.url + "/api/v1/sales", json={
                    "client_ref": uuid.uuid4().hex, "lines": lines,
                    "payments": [{"method": "card", "amount": q["total"]}]})
                assert r.status_code == 201, r.text
            sale_rate = sales / (time.perf_counter() - t0)
        finally:
            agent.stop()
    return {"sales": sales, "checkout_per_s": sale_rate, "bare_pair_per_s": pair_rate,
            "ratio": sale_rate / pair_rate, "raw_sqlite_full_tx_per_s": floor_tx}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help="comma-separated product counts")
    args = ap.parse_args(argv)
    sizes = [2000] if args.quick else [10_000, 100_000, 1_000_000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    samples = 200 if args.quick else 2000
    rows = [run_size(n, samples) for n in sizes]
    print("lookup / search latency through the API (floor: GET /healthz of the same server)")
    print(f"{'products':>10} {'healthz p99':>12} {'lookup p50':>11} {'lookup p99':>11} "
          f"{'x floor':>8} {'search p50':>11} {'search p99':>11}")
    for r in rows:
        print(f"{r['products']:>10} {ms(r['healthz_p99']):>12} {ms(r['lookup_p50']):>11} "
              f"{ms(r['lookup_p99']):>11} {r['lookup_p99'] / r['healthz_p99']:>7.2f}x "
              f"{ms(r['search_p50']):>11} {ms(r['search_p99']):>11}")
    c = checkout_rate(100 if args.quick else 1000)
    print(f"\nquote + checkout: {c['checkout_per_s']:.0f} sales/s vs bare round-trip pairs "
          f"{c['bare_pair_per_s']:.0f}/s = {c['ratio']:.2f} of the floor "
          f"(raw SQLite synchronous=FULL: {c['raw_sqlite_full_tx_per_s']:.0f} tx/s)")
    save("api", {"latency": rows, "checkout": c})
    return rows, c


if __name__ == "__main__":
    main()
