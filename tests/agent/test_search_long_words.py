"""Words longer than the longest prefix index (6 characters): the index is asked for their
first 6 characters and the whole prefix is checked on the rows it streams.  Whatever path a
query takes, it finds exactly what FTS5's own prefix query finds."""

import random

from agent import catalog, catalog_search, sql
from agent.catalog_search import PREFIX_INDEX_MAX, fts_query


def skus(q, limit=50):
    return [p.sku for p in catalog.search(q, limit)]


def add(store, sku, name):
    with store.db.write():
        return catalog.upsert(sku, name, 1000, "pcs", "20", [])[0]


def fts_reference(q, limit=50):
    """What the index's own (unshortened) prefix query answers."""
    return [r["sku"] for r in sql.rows(catalog_search._SEARCH_FTS, (fts_query(q), limit))]


def test_the_index_is_asked_for_6_characters_of_a_longer_word():
    assert PREFIX_INDEX_MAX == 6
    assert fts_query("молоко классич", shorten=True) == '"молоко"* "класси"*'
    assert fts_query("молоко классич") == '"молоко"* "классич"*'
    assert fts_query("б-13000150", shorten=True) == '"б 130001"*'


def test_the_whole_long_prefix_must_start_a_word(store):
    add(store, "C1", "Сыр классический")
    add(store, "C2", "Сыр классика")  # shares the 6 indexed characters only
    add(store, "C3", "Сыр неклассический")  # has the text, not at the start of a word
    add(store, "C4", "Сырок классический-мини")
    assert skus("сыр классич") == ["C1", "C4"]  # "сыр" is a prefix of "сырок"
    assert skus("классическ") == ["C1", "C4"]
    assert skus("сыр классика") == ["C2"]
    assert skus("классичес сыро") == ["C4"]
    assert skus("классиз") == []


def test_a_long_last_part_of_a_word_with_a_dash_keeps_its_place(store):
    add(store, "Б-13000150", "Ботфорты женские")
    add(store, "Б-99130001", "Ботинки женские")
    assert skus("б-1300015") == ["Б-13000150"]
    assert skus("б-13000159") == []
    assert skus("130001") == ["Б-13000150"]


def test_accents_and_yo_fold_in_the_check_as_in_the_index(store):
    add(store, "NESTLE", "Nestlé Schokolädchen")
    add(store, "HONEY", "Мёд натуральнёйший")
    add(store, "MAYO", "Майонез провансаль")
    assert skus("schokoladchen") == skus("SCHOKOLÄD") == ["NESTLE"]
    assert skus("натуральнеи") == [] and skus("натуральней") == ["HONEY"]
    assert skus("маионез") == [] and skus("майонез прованс") == ["MAYO"]


def test_many_rows_turned_down_fall_back_to_the_full_query(store):
    """A rare long word beside a common shorter prefix: the shortened query streams rows
    the check turns down, then the full query answers (and finds the few)."""
    with store.db.write():
        ids = []
        for i in range(2 * catalog_search.CHECK_SCAN_MAX):
            p, _ = catalog.upsert(f"K{i:05d}", f"Сыр классика {i}", 1000, "pcs", "20", [])
            ids.append(p.id)
        p, _ = catalog.upsert("RARE", "Сыр классический", 1000, "pcs", "20", [])
    assert skus("сыр классич") == ["RARE"]
    assert skus("классическ сыр") == ["RARE"]


def test_any_query_finds_what_the_full_prefix_query_finds(store):
    rng = random.Random(5)
    stems = ["классический", "классика", "классичный", "шоколадный", "шоколадка", "Nestlé",
             "schokoladchen", "молочный", "молоко", "фермерский", "фермер", "йогуртовый"]
    with store.db.write():
        for i in range(600):
            name = " ".join(rng.choice(stems) for _ in range(rng.randint(1, 3)))
            catalog.upsert(f"R-{i:04d}{rng.choice(['', 'x7', '-15'])}", name, 100, "pcs", "20", [])
    queries = ["классич", "классичес", "классичн", "шоколадн", "шоколадк молоч", "nestle",
               "schokolad", "молочны ферм", "фермерск классик", "r-0001", "r-00015x",
               "йогуртов", "йогуртовый шоколадны", "классическийй", "молок фермерский"]
    for q in queries:
        for limit in (5, 50, 200):
            assert skus(q, limit) == fts_reference(q, limit), (q, limit)


def test_a_broad_long_word_orders_the_same_first_candidates_as_the_full_query(store):
    """More rows pass the check than SEARCH_CANDIDATES: the same first ones (by rowid) are
    ordered as with the full prefix query, whatever their names."""
    n = catalog_search.SEARCH_CANDIDATES + 500
    with store.db.write():
        for i in range(n):
            name = f"Сыр классика {i}" if i % 3 == 0 else f"Сыр классический {n - i:05d}"
            catalog.upsert(f"B{i:05d}", name, 1000, "pcs", "20", [])
    for q in ("сыр классич", "классичес", "классический сыр"):
        found = skus(q, 20)
        assert len(found) == 20 and found == fts_reference(q, 20), q
