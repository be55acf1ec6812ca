import io

import pytest

from agent import catalog
from agent.csv_import import import_csv
from agent.errors import Invalid
from agent.models import Barcode, Outbox, Product, StockMove
from agent.stock import on_hand_milli

HEADER = "sku,name,barcodes,price,unit,vat,stock\n"


def run(store, text):
    return import_csv(store, io.StringIO(HEADER + text))


def test_bad_rows_are_reported_by_line_and_good_rows_still_imported(store):
    s = run(store, "N1,Новый товар,4600000000015,10.00,pcs,20,5\n"
                   "N2,,4600000000022,10.00,pcs,20,\n"
                   "N3,Цена,4600000000039,10.999,pcs,20,\n"
                   "N4,Ед,4600000000046,1.00,box,20,\n"
                   "N5,НДС,4600000000053,1.00,pcs,18,\n"
                   "N6,ШК,4600000000011,1.00,pcs,20,\n"
                   "N7,Вес,,1.00,kg,10,0.250\n"
                   "N8,Дубль ШК,4607001234562,1.00,pcs,20,\n")
    assert s.added == 2
    assert {r["line"]: r["field"] for r in s.rejected} == {
        3: "name", 4: "price", 5: "unit", 6: "vat", 7: "barcodes", 9: "barcodes"}
    assert "MILK" in [r for r in s.rejected if r["line"] == 9][0]["message"]
    assert Product.get_or_none(Product.sku == "N8") is None  # refused row left nothing
    assert on_hand_milli(catalog.product_by_sku("N1").id) == 5000
    assert on_hand_milli(catalog.product_by_sku("N7").id) == 250


def test_reimport_updates_adds_barcodes_never_duplicates(store):
    before_products, before_moves = Product.select().count(), StockMove.select().count()
    s = run(store, "MILK,Молоко 2.5% 1 л,4607001234562|4600000000015,95.00,pcs,10,999\n")
    assert (s.added, s.updated) == (0, 1)
    milk = catalog.product_by_sku("MILK")
    assert milk.name == "Молоко 2.5% 1 л" and milk.price == 9500
    assert Barcode.select().where(Barcode.product == milk).count() == 2
    assert Product.select().count() == before_products
    assert StockMove.select().count() == before_moves  # stock only for new products
    s = run(store, "MILK,Молоко 2.5% 1 л,4607001234562|4600000000015,95.00,pcs,10,\n")
    assert (s.added, s.updated, s.unchanged) == (0, 0, 1)


def test_initial_stock_is_a_receipt_with_an_outbox_event(store):
    n = Outbox.select().count()
    run(store, "N1,Новый,4600000000015,10.00,pcs,20,7\n")
    ev = Outbox.select().order_by(Outbox.seq.desc()).first()
    assert Outbox.select().count() == n + 1 and ev.type == "stock.moved"
    assert '"qty":"7.000"' in ev.payload and '"sku":"N1"' in ev.payload


def test_missing_header_column_refuses_the_file(store):
    with pytest.raises(Invalid) as e:
        import_csv(store, io.StringIO("sku,name,price\nA,B,1\n"))
    assert "barcodes" in e.value.message


def test_search_is_case_insensitive_in_cyrillic(store):
    names = [p.name for p in catalog.search("МОЛОКО")]
    assert names == ["Молоко 3.2% 1 л"]
    assert [p.sku for p in catalog.search("арабика 250")] == ["COFFEE"]
    assert [p.sku for p in catalog.search("milk")] == ["MILK"]  # by SKU too
    assert catalog.search("%") == []  # LIKE wildcards are literal
