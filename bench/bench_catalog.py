"""The catalog through the hub against the store's own CSV import of the same products.

1. floor: ``import_csv`` of N products (2 barcodes each) into a fresh store;
2. publish: ``POST /hub/v1/catalog`` of the same products, 5,000 a request, to a
   ``store-hub serve`` on PostgreSQL (SQLite when PostgreSQL is not reachable);
3. pull: a fresh store's feed puller takes the whole catalog (the hub numbers the feed on
   the first read, so that is in the figure too);
4. delta: new prices for 10,000 products, published and pulled.

    python -m bench.bench_catalog            # 100,000 products, delta 10,000
    python -m bench.bench_catalog --quick    # 5,000 products, delta 1,000
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench.bench_import import our_import
from bench.bench_sync import ADMIN, PG, hub_cli, hub_server, stop
from bench.common import catalog_rows, make_data_dir, save, write_csv


def pg_or_sqlite(work: Path) -> tuple[str, str | None]:
    try:
        import psycopg2
        psycopg2.connect(PG, connect_timeout=3).close()
    except Exception:  # noqa: BLE001 - no PostgreSQL here: the SQLite hub
        return f"sqlite:///{work / 'hub.db'}", None
    schema = "bench_" + uuid.uuid4().hex[:12]
    return f"{PG}?schema={schema}", schema


def drop_schema(schema: str | None) -> None:
    if schema:
        import psycopg2
        conn = psycopg2.connect(PG)
        conn.autocommit = True
        conn.cursor().execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()


def items(n: int, price_bump: int = 0, every: int = 1) -> list[dict]:
    return [{"sku": sku, "name": name, "price": price + price_bump, "unit": unit, "vat": vat,
             "barcodes": codes}
            for i, (sku, name, codes, price, unit, vat) in enumerate(catalog_rows(n))
            if i % every == 0]


def post_catalog(url: str, products: list[dict]) -> float:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {ADMIN}"
    t0 = time.perf_counter()
    for i in range(0, len(products), 5000):
        r = s.post(url + "/hub/v1/catalog", json={"items": products[i:i + 5000]}, timeout=300)
        assert r.status_code == 200, r.text[:300]
    return time.perf_counter() - t0


def pull(store) -> tuple[float, int]:
    from sync.state import LiveState
    from sync.wiring import build_workers
    puller = build_workers(store, LiveState())[1][1]
    t0 = time.perf_counter()
    n = puller.run_once()
    return time.perf_counter() - t0, n


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--products", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.products or (5_000 if args.quick else 100_000)
    delta = max(1, n // 10)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = write_csv(tmp / "catalog.csv", n)
        csv_s = our_import(make_data_dir(tmp / "csv"), csv_path)
        db, schema = pg_or_sqlite(tmp)
        try:
            hub_cli("init", "--admin-token", ADMIN, db=db)
            token = "bench-store-token-" + uuid.uuid4().hex
            hub_cli("add-store", "BENCH", "--token", token, db=db)
            hub, url = hub_server(db, 4)
            try:
                products = items(n)
                publish_s = post_catalog(url, products)
                from agent.store import Store
                store = Store.open(make_data_dir(tmp / "s", "BENCH",
                                                 hub={"url": url, "token": token}))
                pull_s, pulled = pull(store)
                assert pulled == n, pulled
                changed = items(n, price_bump=7, every=n // delta)
                delta_publish_s = post_catalog(url, changed)
                delta_pull_s, got = pull(store)
                assert got == len(changed), got
                store.close()
            finally:
                stop(hub)
        finally:
            drop_schema(schema)
    engine = "PostgreSQL" if schema else "SQLite"
    print(f"catalog of {n} products ({2 * n} barcodes): CSV import {csv_s:.2f} s (floor); "
          f"through the hub ({engine}): publish {publish_s:.2f} s, pull {pull_s:.2f} s -> "
          f"pull {pull_s / csv_s:.2f}x the floor, publish + pull "
          f"{(publish_s + pull_s) / csv_s:.2f}x")
    print(f"delta of {len(changed)} prices: publish {delta_publish_s:.2f} s, "
          f"pull {delta_pull_s:.2f} s")
    figures = {"products": n, "hub_engine": engine, "csv_import_s": round(csv_s, 3),
               "publish_s": round(publish_s, 3), "pull_s": round(pull_s, 3),
               "pull_vs_csv": round(pull_s / csv_s, 2),
               "publish_and_pull_vs_csv": round((publish_s + pull_s) / csv_s, 2),
               "delta_products": len(changed), "delta_publish_s": round(delta_publish_s, 3),
               "delta_pull_s": round(delta_pull_s, 3)}
    save("catalog", figures)
    return figures


if __name__ == "__main__":
    main()
