"""A large generated CommerceML exchange imports in bounded memory (the importing process's
own peak RSS, read from a launcher with os.wait4; see bench/bench_commerceml.py)."""

import sqlite3

import pytest

from bench.bench_commerceml import import_in_child, make_store, write_exchange


@pytest.mark.slow
def test_a_50_mb_exchange_imports_under_200_mb_of_memory(tmp_path):
    counts = write_exchange(tmp_path / "exchange", 50)
    assert counts["bytes"] > 45_000_000
    make_store(tmp_path / "store")
    run = import_in_child(tmp_path / "store", tmp_path / "exchange")
    assert run["rc"] == 0, run["output"]
    assert "0 rejected" in run["output"]
    assert run["peak_rss_mb"] < 200, f"peak RSS {run['peak_rss_mb']:.0f} MB"
    conn = sqlite3.connect(tmp_path / "store" / "store.db")
    try:
        rows = conn.execute("SELECT COUNT(*), COUNT(parent_sku), COUNT(plu) FROM product").fetchone()
        assert rows == (counts["products"] + counts["variants"], counts["variants"],
                        sum(1 for i in range(counts["products"]) if i % 50 == 7))
        indexed = conn.execute("SELECT COUNT(*) FROM product_fts WHERE product_fts MATCH"
                               " '\"кольцо\"*'").fetchone()[0]
        assert indexed > 0
    finally:
        conn.close()


def test_the_generator_and_launcher_work_on_a_small_exchange(tmp_path):
    counts = write_exchange(tmp_path / "exchange", 0.5)
    make_store(tmp_path / "store")
    run = import_in_child(tmp_path / "store", tmp_path / "exchange")
    assert run["rc"] == 0 and f"{counts['records']} products and offers" in run["output"]
    assert 10 < run["peak_rss_mb"] < 200
