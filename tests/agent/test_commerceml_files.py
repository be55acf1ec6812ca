"""The CommerceML import against real 1C exports (two MIT-licensed repositories' test data:
carono/php-commerceml and dobromyslov/commerceml-parser, CommerceML 2.07)."""

import os
from pathlib import Path

import pytest

from agent import catalog, stock
from agent.commerceml import import_files
from agent.models import Barcode, Outbox, Product, StockDoc
from tests.conftest import make_store

# shared/ stands beside the checkout (as on developers' machines and in CI)
DATA = Path(os.environ.get("STORE_AGENT_TEST_DATA") or
            Path(__file__).resolve().parents[3] / "shared" / "data") / "commerceml"
CARONO = DATA / "carono-php-commerceml"
DOBRO = DATA / "dobromyslov-commerceml-parser"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"the real CommerceML exports are not at {DATA} "
    "(shared/ beside the checkout, or STORE_AGENT_TEST_DATA)")


def by_ext(ext_id: str) -> Product:
    return Product.get(Product.external_id == ext_id)


def on_hand(sku: str) -> int:
    return stock.on_hand_milli(catalog.product_by_sku(sku).id)


def test_carono_exchange_in_any_order_gives_products_variants_prices_and_stock(store):
    s = import_files(store, [CARONO / "offers.xml", CARONO / "import.xml", CARONO / "classifier.xml"])
    assert s.ok, s.report()
    assert s.files == ["classifier.xml", "import.xml", "offers.xml"]  # read in a working order
    assert (s.added, s.variants, s.rejected_count) == (7, 5, 0)
    boots = catalog.product_by_sku("Б-130001")
    assert boots.name == "Женские ботфорты коричневые" and boots.parent_sku is None
    assert boots.external_id == "bd72d910-55bc-11d9-848a-00112f43529a"
    assert boots.group_name == "Обувь / Обувь"  # nested group: the path from the top
    assert catalog.product_by_barcode("2000018987155").sku == "Б-130001"
    v = by_ext("bd72d910-55bc-11d9-848a-00112f43529a#90c55447-d3a8-11e4-9423-e0cb4ed5eed4")
    assert (v.sku, v.parent_sku, v.name) == ("Б-130001#90c55447", "Б-130001",
                                            "Женские ботфорты коричневые (38)")
    assert v.variant == "Размер: 40, Тип кожи: натуральная кожа, Цвет: Коричневый"
    assert (v.price, v.group_name, v.unit) == (171900, "Обувь / Обувь", "pcs")
    assert stock.on_hand_milli(v.id) == 20_000
    plain = by_ext("bd72d910-55bc-11d9-848a-00112f43529a#e5a4c316-a659-11dd-acee-0015e9b8c48d")
    assert (plain.variant, plain.price) == ("39", 149600)  # no characteristics: the name says it
    variants = Product.select().where(Product.parent_sku == "Б- 130005").order_by(Product.name)
    assert [(p.name, p.price) for p in variants] == [
        ("Ботинки женские демисезонные (35)", 130900), ("Ботинки женские демисезонные (36)", 130900),
        ("Ботинки женские демисезонные (37)", 127100)]
    assert s.stock_lines == 5 and StockDoc.select().where(StockDoc.kind == "count").count() == 1


def test_carono_folder_reports_the_orders_file_it_cannot_use(store):
    s = import_files(store, [CARONO])
    assert not s.ok and s.rejected_count == 1
    assert s.rejected[0]["file"] == "orders.xml" and "no CommerceML" in s.rejected[0]["message"]
    assert s.added == 7


def test_search_groups_variants_under_their_product(store):
    import_files(store, [CARONO / "import.xml", CARONO / "offers.xml"])
    found = catalog.search("ботфорты")
    assert [p.sku for p in found] == ["Б-130001", "Б-130001#90c55447", "Б-130001#e5a4c316"]
    assert [p.parent_sku for p in found] == [None, "Б-130001", "Б-130001"]
    assert [p.sku for p in catalog.search("б-130001")][:1] == ["Б-130001"]


def test_dobromyslov_catalog_offers_deleted_product_and_unknown_offers(store):
    s = import_files(store, [DOBRO / "import0_1.xml", DOBRO / "offers0_1.xml"])
    assert (s.added, s.variants) == (36, 0)
    mat = catalog.product_by_sku("PM-421-WP")
    assert mat.name == "Портативный коврик Portable 140x200x1 см, Деревянные лошадки"
    assert (mat.price, mat.vat, mat.unit, mat.group_name) == (10000, "20", "pcs", "Коврики для дома")
    assert catalog.product_by_barcode("8809288404089").sku == "PM-421-WP"
    assert on_hand("PM-421-WP") == 377_000  # no warehouses configured: Количество
    deleted = catalog.product_by_sku("KM-245-BC")  # <Товар Статус="Удален">
    assert deleted.hidden and s.hidden == 1
    assert "KM-245-BC" not in [p.sku for p in catalog.search("коврик mini")]
    # offers0_1 prices 44 goods, 8 of them only in the other (nested) catalog file
    assert s.rejected_count == 8 and {r["field"] for r in s.rejected} == {"offer"}
    assert {r["sku"] for r in s.rejected} >= {"HKS-345-SW", "RKS-454-FP"}


@pytest.mark.parametrize("warehouses, expected", [
    (["Москва"], 376_000),  # by name
    (["6abdb0b5-18fd-11e7-80c2-0cc47ab29cd1", "d2a52d49-19c9-11e7-80c2-0cc47ab29cd1"], 1_000),
])
def test_dobromyslov_rests_of_the_store_warehouses_only(tmp_path, warehouses, expected):
    st = make_store(tmp_path / "s", catalog={"warehouses": warehouses})
    try:
        import_files(st, [DOBRO / "import0_1.xml", DOBRO / "offers0_1.xml"])
        assert on_hand("PM-421-WP") == expected
        ev = Outbox.select().where(Outbox.type == "stock.counted").get()
        assert '"sku":"PM-421-WP"' in ev.payload
    finally:
        st.close()


def test_dobromyslov_nested_groups_and_bad_barcodes_reported_not_imported(store):
    s = import_files(store, [DOBRO / "import0_1_with_nested_groups.xml"])
    assert (s.added, s.rejected_count) == (283, 2)
    assert sorted(r["message"] for r in s.rejected) == [
        "barcode 8809288409103 has a wrong EAN-13 check digit",
        "barcode 8809398300548 has a wrong EAN-13 check digit"]
    assert {r["sku"] for r in s.rejected} == {"JB-IN-01", "EC-243-FL"}
    assert not catalog.product_by_sku("JB-IN-01").hidden  # the product itself is imported
    assert Barcode.get_or_none(Barcode.code == "8809398300548") is None
    ext_products = Product.select().where(Product.external_id.is_null(False))
    assert Barcode.select().join(Product).where(Product.external_id.is_null(False)).count() == 240
    assert ext_products.count() == 283
    assert catalog.product_by_sku("PM-421-WP").group_name == "Детские товары / Коврики для дома"
    delivery = by_ext("02a24e38-3b63-11e7-80c2-0cc47ab29cd1")  # <Артикул/>: SKU = Ид
    assert (delivery.sku, delivery.name) == ("02a24e38-3b63-11e7-80c2-0cc47ab29cd1", "Доставка")
    groups = {p.group_name for p in ext_products}
    assert len(groups) == 10 and all(g.startswith("Детские товары / ") for g in groups)
    assert ext_products.where(Product.group_name == "Детские товары / Детские манежи").count() == 76


def test_reimporting_the_same_files_changes_nothing(store):
    files = [DOBRO / "import0_1.xml", DOBRO / "offers0_1.xml"]
    import_files(store, files)
    events, docs = Outbox.select().count(), StockDoc.select().count()
    s = import_files(store, files)
    assert (s.added, s.updated, s.hidden, s.stock_lines) == (0, 0, 0, 0)
    assert s.unchanged == 36 + 36
    assert (Outbox.select().count(), StockDoc.select().count()) == (events, docs)
