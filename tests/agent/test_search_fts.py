"""Product search on the FTS5 index of schema step 5: folding, prefixes, SKUs, speed."""

import sqlite3

from agent import catalog, migrations
from agent.catalog import search_key
from agent.db import open_store_db
from agent.models import Product


def skus(q, limit=20):
    return [p.sku for p in catalog.search(q, limit)]


def add(store, sku, name, **extra):
    with store.db.write():
        return catalog.upsert(sku, name, 1000, "pcs", "20", [], **extra)[0]


def test_cyrillic_case_is_folded_both_ways(store):
    assert skus("МОЛОКО") == ["MILK"]
    assert skus("мОлОкО") == ["MILK"]
    assert skus("бородинский") == ["BREAD"]


def test_every_word_is_a_prefix_of_some_word(store):
    assert skus("мол") == ["MILK"]
    assert skus("араб 25") == ["COFFEE"]
    assert skus("хле бор") == ["BREAD"]
    assert skus("олоко") == []  # prefixes, not substrings


def test_sku_and_its_parts_are_searched_too(store):
    add(store, "Б-130001", "Ботфорты женские")
    assert skus("milk") == ["MILK"]
    assert skus("COFF") == ["COFFEE"]
    assert skus("б-1300") == ["Б-130001"]
    assert skus("130001") == ["Б-130001"]


def test_yo_is_e_whatever_the_case(store):
    add(store, "HONEY", "Мёд липовый")
    add(store, "TREE", "ЁЛКА искусственная")
    for q in ("мед", "мёд", "МЁД", "МЕД ЛИП"):
        assert skus(q) == ["HONEY"], q
    assert skus("елка") == skus("Ёлка") == ["TREE"]


def test_latin_accents_fold_too(store):
    add(store, "NESTLE", "Nestlé шоколад")
    assert skus("nestle") == skus("NESTLÉ") == ["NESTLE"]


def test_index_follows_renames_and_hidden_products_are_left_out(store):
    add(store, "MILK", "Кефир 1%")
    assert skus("молоко") == [] and skus("кефир") == ["MILK"]
    add(store, "GONE", "Молоко снятое", hidden=True)
    assert skus("молоко") == []


def test_raw_sql_changes_and_deletes_are_followed_and_a_forgotten_row_heals(store):
    db = store.db.db
    with store.db.write():
        db.execute_sql("UPDATE product SET name = 'Сок', search_name = ? WHERE sku = 'WATER'",
                       (search_key("Сок яблочный", "WATER"),))
        db.execute_sql("DELETE FROM barcode WHERE product_id = (SELECT id FROM product"
                       " WHERE sku = 'BREAD')")
        db.execute_sql("DELETE FROM stock_move WHERE product_id = (SELECT id FROM product"
                       " WHERE sku = 'BREAD')")
        db.execute_sql("DELETE FROM product WHERE sku = 'BREAD'")
        db.execute_sql("INSERT INTO product (sku, name, search_name, unit, vat, price, hidden,"
                       " updated_at) VALUES ('RAW', 'Квас', 'квас raw', 'pcs', '20', 1, 0, 'x')")
    assert skus("вода") == [] and skus("яблоч") == ["WATER"] and skus("хлеб") == []
    assert skus("квас") == []  # written without products_changed: not indexed yet
    with store.db.write():
        db.execute_sql("UPDATE product SET search_name = 'квас хлебный raw' WHERE sku = 'RAW'")
    assert skus("квас") == skus("хлебн") == ["RAW"]
    assert db.execute_sql("INSERT INTO product_fts (product_fts, rank) VALUES"
                          " ('integrity-check', 1)") is not None


def test_input_is_text_not_query_syntax(store):
    for q in ('"', "мол*", "OR", "NEAR(мол", "молоко OR хлеб", "-мол", "^мол", "%", "_", "*"):
        catalog.search(q)  # never raises
    assert skus("%") == [] and skus("мол*") == ["MILK"]
    assert skus("молоко OR хлеб") == []  # OR is just a word here


def test_empty_query_lists_products_by_name(store):
    assert skus("", 3) == ["WATER", "COFFEE", "MILK"]


def test_variants_sit_next_to_their_product(store):
    add(store, "RING", "Кольцо золотое")
    add(store, "RING-16", "Кольцо золотое 16", parent_sku="RING", variant="Размер: 16")
    add(store, "RING-15", "Кольцо золотое 15", parent_sku="RING", variant="Размер: 15")
    add(store, "BRACELET", "Браслет кольцо-цепь")
    add(store, "ZRING", "Кольцо серебряное")
    assert skus("кольцо") == ["BRACELET", "RING", "RING-15", "RING-16", "ZRING"]
    found = catalog.search("кольцо 16")
    assert [(p.sku, p.parent_sku) for p in found] == [("RING-16", "RING")]


def test_an_older_store_gets_its_products_indexed_on_upgrade(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for step in migrations.STEPS[:4]:
        for stmt in step:
            conn.execute(stmt)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO product (sku, name, search_name, unit, vat, price, hidden, updated_at)"
                 " VALUES ('OLD', 'Старый Йогурт', ?, 'pcs', '20', 100, 0, 'x')",
                 (search_key("Старый Йогурт", "OLD"),))
    conn.commit()
    conn.close()
    sdb = open_store_db(path)
    try:
        assert skus("йогурт") == ["OLD"]
        assert sdb.db.execute_sql("PRAGMA user_version").fetchone()[0] == migrations.current_version()
    finally:
        sdb.close()


def test_finds_as_typed_at_100000_products(store):
    """Prefix, multi-word and SKU queries answer from the index at 100k products (the speed
    itself is measured in bench/bench_store_scale.py, not asserted here: shared machines)."""
    words = ["Молоко", "Кефир", "Сыр", "Хлеб", "Кофе", "Чай", "Шоколад", "Вода", "Кольцо",
             "Серьги", "Мыло", "Сок", "Масло", "Йогурт", "Творог", "Печенье"]
    rows = []
    for i in range(100_000):
        name, sku = f"{words[i % 16]} {('классический', 'отборный', 'детский')[i % 3]} {i}", f"S{i:07d}"
        rows.append((sku, name, search_key(name, sku)))
    with store.db.write():
        store.db.db.cursor().executemany(
            "INSERT INTO product (sku, name, search_name, unit, vat, price, hidden, updated_at)"
            " VALUES (?, ?, ?, 'pcs', '20', 100, 0, 'x')", rows)
        catalog.products_changed([r[0] for r in store.db.db.execute_sql(
            "SELECT id FROM product WHERE sku LIKE 'S%'")])
    assert Product.select().count() > 100_000

    for q in ("м", "мол", "молоко отб", "s00999", "сыр 9998"):
        assert catalog.search(q, 40), q
    assert [p.sku for p in catalog.search("сыр детский 99986", 40)] == ["S0099986"]


def test_a_step_8_store_gets_prefix_indexes_up_to_6_characters_and_keeps_its_index(tmp_path):
    path = tmp_path / "step8.db"
    conn = sqlite3.connect(path)
    for step in migrations.STEPS[:8]:
        for stmt in step:
            conn.execute(stmt)
    conn.execute("PRAGMA user_version = 8")
    conn.execute("INSERT INTO product (sku, name, search_name, unit, vat, price, hidden, updated_at)"
                 " VALUES ('CHOC', 'Шоколад детский', ?, 'pcs', '20', 100, 0, 'x')",
                 (search_key("Шоколад детский", "CHOC"),))
    conn.commit()
    conn.close()
    sdb = open_store_db(path)
    try:
        ddl = sdb.db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'product_fts'"
                                 ).fetchone()[0]
        assert "prefix='1 2 3 4 5 6'" in ddl
        assert skus("шокола") == skus("шоколад детск") == skus("шоколад") == ["CHOC"]
        with sdb.write():  # the triggers of step 5 still follow a renamed product
            sdb.db.execute_sql("UPDATE product SET name = 'Вафли', search_name = ? "
                               "WHERE sku = 'CHOC'", (search_key("Вафли", "CHOC"),))
        assert skus("шоколад") == [] and skus("вафл") == ["CHOC"]
    finally:
        sdb.close()
