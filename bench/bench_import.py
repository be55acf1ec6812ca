"""CSV catalog import against a raw SQLite bulk insert of the same rows, in the same run.

    python -m bench.bench_import                 # 100,000 products / 200,000 barcodes
    python -m bench.bench_import --quick         # 5,000 products
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.common import catalog_rows, make_data_dir, save, write_csv


def raw_bulk_insert(path: Path, n: int) -> float:
    """The floor: the same products and barcodes, same schema and indexes, one executemany."""
    from agent import migrations
    from agent.catalog import search_key
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=FULL")
    for step in migrations.STEPS:
        for stmt in step:
            conn.execute(stmt)
    rows = list(catalog_rows(n))
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO product (id, sku, name, search_name, unit, vat, price, hidden,"
                     " updated_at) VALUES (?,?,?,?,?,?,?,0,'x')",
                     [(i + 1, r[0], r[1], search_key(r[1], r[0]), r[4], r[5], r[3])
                      for i, r in enumerate(rows)])
    conn.executemany("INSERT INTO barcode (code, product_id) VALUES (?, ?)",
                     [(c, i + 1) for i, r in enumerate(rows) for c in r[2]])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def our_import(data_dir: Path, csv_path: Path, first: bool = True) -> float:
    from agent.csv_import import import_csv
    from agent.store import Store
    store = Store.open(data_dir)
    t0 = time.perf_counter()
    with open(csv_path, encoding="utf-8", newline="") as fh:
        summary = import_csv(store, fh)
    elapsed = time.perf_counter() - t0
    assert not summary.rejected and (summary.added > 0) == first, summary.rejected[:3]
    store.close()
    return elapsed


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--products", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.products or (5_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = write_csv(tmp / "catalog.csv", n)
        raw = raw_bulk_insert(tmp / "raw.db", n)
        ours = our_import(make_data_dir(tmp / "s"), csv_path)
        again = our_import(tmp / "s", csv_path, first=False)  # a re-import: all unchanged
    print(f"CSV import of {n} products / {2 * n} barcodes: {ours:.2f} s ({n / ours:.0f} rows/s); "
          f"raw SQLite bulk insert of the same rows {raw:.2f} s -> {ours / raw:.2f}x the floor; "
          f"re-import {again:.2f} s ({again / raw:.2f}x)")
    figures = {"products": n, "import_s": ours, "raw_s": raw, "ratio": ours / raw,
               "reimport_s": again, "reimport_ratio": again / raw}
    save("import", figures)
    return figures


if __name__ == "__main__":
    main()
