"""CommerceML import rules on small hand-written exchanges: deltas, hiding, variants, price
types, warehouses, rests as count corrections, barcodes, encodings."""

import json
from pathlib import Path

import pytest

from agent import catalog, stock
from agent.cli import main as cli_main
from agent.commerceml import import_files, importer
from agent.models import Barcode, Outbox, Product, StockDoc, StockMove
from tests.conftest import make_store

NS = 'xmlns="urn:1C.ru:commerceml_2"'


def doc(body: str, ns: str = NS) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация {ns} '
            f'ВерсияСхемы="2.08">{body}</КоммерческаяИнформация>')


def product(pid, name, sku=None, barcodes=(), group=None, vat="20", unit=None, extra="",
            attrs=""):
    return (f"<Товар{attrs}><Ид>{pid}</Ид>"
            + "".join(f"<Штрихкод>{b}</Штрихкод>" for b in barcodes)
            + (f"<Артикул>{sku}</Артикул>" if sku is not None else "")
            + f"<Наименование>{name}</Наименование>"
            + (unit or '<БазоваяЕдиница Код="796">шт</БазоваяЕдиница>')
            + (f"<Группы><Ид>{group}</Ид></Группы>" if group else "")
            + (f"<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>{vat}"
               "</Ставка></СтавкаНалога></СтавкиНалогов>" if vat else "")
            + extra + "</Товар>")


def catalog_xml(products, delta=False, cat="CAT", groups=""):
    return doc(f"<Классификатор><Ид>{cat}</Ид>{groups}</Классификатор>"
               f'<Каталог СодержитТолькоИзменения="{str(delta).lower()}"><Ид>{cat}</Ид>'
               f"<Наименование>Каталог</Наименование><Товары>{''.join(products)}</Товары></Каталог>")


def offer(oid, price=None, qty=None, wh=(), features=(), sku=None, name=None, barcodes=(),
          pt="PT-R", extra="", rests=None):
    return ("<Предложение>" + f"<Ид>{oid}</Ид>"
            + (f"<Артикул>{sku}</Артикул>" if sku else "")
            + (f"<Наименование>{name}</Наименование>" if name else "")
            + "".join(f"<Штрихкод>{b}</Штрихкод>" for b in barcodes)
            + ("<ХарактеристикиТовара>" + "".join(
                f"<ХарактеристикаТовара><Наименование>{n}</Наименование><Значение>{v}</Значение>"
                "</ХарактеристикаТовара>" for n, v in features) + "</ХарактеристикиТовара>"
               if features else "")
            + (f"<Цены><Цена><ИдТипаЦены>{pt}</ИдТипаЦены><ЦенаЗаЕдиницу>{price}</ЦенаЗаЕдиницу>"
               "<Валюта>RUB</Валюта><Коэффициент>1</Коэффициент></Цена></Цены>"
               if price is not None else "")
            + (f"<Количество>{qty}</Количество>" if qty is not None else "")
            + "".join(f'<Склад ИдСклада="{w}" КоличествоНаСкладе="{q}"/>' for w, q in wh)
            + (rests or "") + extra + "</Предложение>")


def package(offers, delta=False, cat="CAT", types=(("PT-R", "Розничная"),), stores=()):
    return doc(f'<ПакетПредложений СодержитТолькоИзменения="{str(delta).lower()}">'
               f"<Ид>{cat}#</Ид><ИдКаталога>{cat}</ИдКаталога>"
               + ("<ТипыЦен>" + "".join(f"<ТипЦены><Ид>{i}</Ид><Наименование>{n}</Наименование>"
                                        "</ТипЦены>" for i, n in types) + "</ТипыЦен>"
                  if types else "")
               + ("<Склады>" + "".join(f"<Склад><Ид>{i}</Ид><Наименование>{n}</Наименование>"
                                       "</Склад>" for i, n in stores) + "</Склады>"
                  if stores else "")
               + f"<Предложения>{''.join(offers)}</Предложения></ПакетПредложений>")


@pytest.fixture
def put(tmp_path):
    n = [0]

    def put(text: str, name: str | None = None, encoding: str = "utf-8") -> Path:
        n[0] += 1
        path = tmp_path / "x" / (name or f"f{n[0]}.xml")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode(encoding))
        return path
    return put


def sku(ext):
    return Product.get(Product.external_id == ext).sku


def visible(ext) -> bool:
    return not Product.get(Product.external_id == ext).hidden


THREE = [product("A", "Кольцо золотое", "R-1", ["4600000000015"]),
         product("B", "Серьги", "E-1"), product("C", "Цепочка", "C-1")]


def test_full_import_hides_absent_products_of_its_catalog_only(store, put):
    import_files(store, [put(catalog_xml(THREE)), put(catalog_xml([product("Z", "Чужой")],
                                                                   cat="OTHER"))])
    s = import_files(store, [put(catalog_xml(THREE[:2]))])
    assert s.hidden == 1 and not visible("C") and visible("A") and visible("Z")
    assert not catalog.product_by_sku("MILK").hidden  # a CSV product belongs to no catalog
    assert Product.select().where(Product.external_id == "C").count() == 1  # hidden, not deleted
    s = import_files(store, [put(catalog_xml(THREE))])  # listed again: shown again
    assert visible("C") and s.updated == 1


def test_a_full_catalog_without_products_hides_nothing(store, put):
    import_files(store, [put(catalog_xml(THREE))])
    s = import_files(store, [put(catalog_xml([]))])
    assert s.hidden == 0 and all(visible(x) for x in "ABC") and s.notes


def test_delta_leaves_absent_products_alone(store, put):
    import_files(store, [put(catalog_xml(THREE))])
    s = import_files(store, [put(catalog_xml([product("B", "Серьги с фианитом", "E-1")], delta=True))])
    assert (s.updated, s.unchanged, s.hidden) == (1, 0, 0)
    assert all(visible(x) for x in "ABC")
    assert catalog.product_by_sku("E-1").name == "Серьги с фианитом"


def test_delta_flag_as_an_element_of_old_versions(store, put):
    import_files(store, [put(catalog_xml(THREE))])
    old = doc("<Каталог><СодержитТолькоИзменения>true</СодержитТолькоИзменения><Ид>CAT</Ид>"
              f"<Товары>{THREE[0]}</Товары></Каталог>")
    assert import_files(store, [put(old)]).hidden == 0 and visible("B")


def test_a_failed_file_hides_nothing_for_absence(store, put):
    import_files(store, [put(catalog_xml(THREE))])
    broken = catalog_xml([product("A", "Кольцо", "R-1"), product("D", "Новое", "D-1")])[:-30]
    s = import_files(store, [put(broken)])
    assert not s.ok and s.rejected[0]["field"] == "file" and "not well-formed" in s.rejected[0]["message"]
    assert visible("B") and visible("C") and s.hidden == 0
    assert catalog.product_by_sku("D-1")  # what came before the fault was imported


@pytest.mark.parametrize("mark", ["<ПометкаУдаления>true</ПометкаУдаления>",
                                  "<Статус>Удален</Статус>"])
def test_deletion_mark_hides_but_old_sales_still_show_it(store, put, cashier, open_shift, mark):
    import_files(store, [put(catalog_xml(THREE)), put(package([offer("A", "100.00")]))])
    sale = cashier.sell([{"barcode": "4600000000015", "qty": 1}])
    s = import_files(store, [put(catalog_xml([product("A", "Кольцо золотое", "R-1", extra=mark)],
                                             delta=True))])
    assert s.hidden == 1 and not visible("A")
    assert cashier.get(f"/api/v1/sales/{sale['sale_id']}").get_json()["lines"][0]["sku"] == "R-1"
    assert catalog.search("кольцо") == []
    r = cashier.post("/api/v1/sales/quote", json={"lines": [{"sku": "R-1", "qty": 1}]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "product_hidden"


TYPES = (("PT-W", "Оптовая"), ("PT-R", "Розничная"))


@pytest.mark.parametrize("setting, expected", [("", 1000), ("Розничная", 123450), ("розничная", 123450),
                                               ("PT-R", 123450), ("PT-W", 1000)])
def test_price_type_from_config_by_name_or_id_else_the_first(tmp_path, put, setting, expected):
    st = make_store(tmp_path / "s", catalog={"price_type": setting})
    try:
        pkg = package(["<Предложение><Ид>A</Ид><Цены>"
                       "<Цена><ИдТипаЦены>PT-W</ИдТипаЦены><ЦенаЗаЕдиницу>10</ЦенаЗаЕдиницу></Цена>"
                       "<Цена><ИдТипаЦены>PT-R</ИдТипаЦены><ЦенаЗаЕдиницу>1 234,50</ЦенаЗаЕдиницу>"
                       "</Цена></Цены></Предложение>"], types=TYPES)
        s = import_files(st, [put(catalog_xml(THREE)), put(pkg)])
        assert catalog.product_by_sku("R-1").price == expected and s.prices == 1
    finally:
        st.close()


def test_prices_are_exact_kopecks_and_fractions_of_a_kopeck_are_refused(store, put):
    import_files(store, [put(catalog_xml(THREE)),
                         put(package([offer("A", "99.9"), offer("B", "0,07"), offer("C", "12")]))])
    assert [catalog.product_by_sku(s).price for s in ("R-1", "E-1", "C-1")] == [9990, 7, 1200]
    s = import_files(store, [put(package([offer("A", "10.005")], delta=True))])
    assert s.rejected[0]["field"] == "price" and "fraction of a kopeck" in s.rejected[0]["message"]
    assert catalog.product_by_sku("R-1").price == 9990  # kept


def test_rests_set_on_hand_by_count_moves_with_one_event_per_chunk(store, put, cashier,
                                                                   open_shift, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    import_files(store, [put(catalog_xml(THREE))])
    s = import_files(store, [put(package([offer("A", "100", qty=5), offer("B", "10", qty=2),
                                          offer("C", "10", qty="0")]))])
    assert (s.stock_lines, s.stock_docs) == (2, 1)  # C: 0 -> 0 needs no move
    cashier.sell([{"sku": "R-1", "qty": 2}])  # on hand 3 now
    before = Outbox.select().count()
    s = import_files(store, [put(package([offer("A", qty="8"), offer("B", qty="2"),
                                          offer("C", qty="1.000")], delta=True))])
    assert (s.stock_lines, s.stock_docs) == (2, 2)  # chunks [A, B] and [C]
    a, c = catalog.product_by_sku("R-1"), catalog.product_by_sku("C-1")
    assert stock.on_hand_milli(a.id) == 8000 and stock.on_hand_milli(c.id) == 1000
    assert sum(m.qty_milli for m in StockMove.select().where(StockMove.product == a.id)) == 8000
    events = list(Outbox.select().where(Outbox.seq > before).order_by(Outbox.seq))
    assert [e.type for e in events] == ["stock.counted", "stock.counted"]
    first = json.loads(events[0].payload)
    assert first["kind"] == "count" and first["lines"] == [
        {"sku": "R-1", "counted": "8.000", "qty": "5.000"}]
    doc_row = StockDoc.get(StockDoc.id == first["doc_id"])
    assert doc_row.kind == "count" and doc_row.client_ref == first["client_ref"]
    assert StockMove.get(StockMove.doc_id == doc_row.id).kind == "count"


def test_rests_per_warehouse_in_the_newer_layout(tmp_path, put):
    st = make_store(tmp_path / "s", catalog={"warehouses": ["W1", "Склад 3"]})
    try:
        rests = ("<Остатки><Остаток><Склад><Ид>W1</Ид><Количество>4</Количество></Склад></Остаток>"
                 "<Остаток><Склад><Ид>W2</Ид><Количество>7</Количество></Склад></Остаток>"
                 "<Остаток><Склад><Ид>W3</Ид><Количество>1,5</Количество></Склад></Остаток>"
                 "</Остатки>")
        kg = '<БазоваяЕдиница Код="166" МеждународноеСокращение="KGM">кг</БазоваяЕдиница>'
        s = import_files(st, [put(catalog_xml([product("A", "Сыр", "CH", unit=kg), THREE[1]])),
                              put(package([offer("A", rests=rests), offer("B", qty=9)],
                                          stores=(("W3", "Склад 3"),)))])
        ch = catalog.product_by_sku("CH")
        assert ch.unit == "kg" and stock.on_hand_milli(ch.id) == 5500  # W1 + W3 (by name)
        assert stock.on_hand_milli(catalog.product_by_sku("E-1").id) == 0  # no per-warehouse rests
        assert any("none per warehouse" in n for n in s.notes)
    finally:
        st.close()


def test_variants_get_their_own_rows_skus_barcodes_prices_and_stock(store, put):
    cat = catalog_xml([product("RING", "Кольцо", "R-100", ["4600000000015"])])
    offers = package([
        offer("RING#17aaaaaa-0000", "1500", qty=2, sku="R-100", name="Кольцо (17, фианит)",
              features=[("Размер", "17"), ("Камень", "фианит")], barcodes=["4600000000022"]),
        offer("RING#18bbbbbb-0000", "1700,50", qty=1, sku="R-100-18", name="Кольцо (18)",
              features=[("Размер", "18")], barcodes=["4600000000039"])])
    s = import_files(store, [put(offers), put(cat)])
    assert (s.added, s.variants) == (3, 2)
    v17, v18 = (Product.get(Product.external_id == f"RING#{x}") for x in ("17aaaaaa-0000", "18bbbbbb-0000"))
    assert (v17.sku, v17.parent_sku, v17.variant) == ("R-100#17aaaaaa", "R-100", "Размер: 17, Камень: фианит")
    assert (v18.sku, v18.parent_sku, v18.price) == ("R-100-18", "R-100", 170050)
    assert catalog.product_by_barcode("4600000000022").sku == "R-100#17aaaaaa"
    assert stock.on_hand_milli(v17.id) == 2000 and v17.vat == "20"
    assert [p.sku for p in catalog.search("фианит")] == ["R-100#17aaaaaa"]
    items = [(p.sku, p.parent_sku) for p in catalog.search("кольцо")]
    assert items == [("R-100", None), ("R-100#17aaaaaa", "R-100"), ("R-100-18", "R-100")]
    # a variant marked deleted hides alone; the product hidden hides its variants
    import_files(store, [put(package([offer("RING#18bbbbbb-0000", extra="<ПометкаУдаления>true"
                                            "</ПометкаУдаления>")], delta=True))])
    assert v17.sku in [p.sku for p in catalog.search("кольцо")]
    assert "R-100-18" not in [p.sku for p in catalog.search("кольцо")]
    import_files(store, [put(catalog_xml([product("RING", "Кольцо", "R-100",
                                                  attrs=' Статус="Удален"')], delta=True))])
    assert catalog.search("кольцо") == []


def test_a_renamed_article_renames_the_sku_and_its_variants_follow(store, put):
    import_files(store, [put(catalog_xml([product("RING", "Кольцо", "R-100")])),
                         put(package([offer("RING#17aaaaaa", "10", name="Кольцо 17")]))])
    import_files(store, [put(catalog_xml([product("RING", "Кольцо", "R-200")], delta=True))])
    assert sku("RING") == "R-200" and Product.get(Product.external_id == "RING#17aaaaaa").parent_sku == "R-200"


def test_split_newer_exchange_in_any_order_and_absent_variants_hidden(store, put):
    files = [
        put(package(["<Предложение><Ид>A</Ид><Остатки><Остаток><Количество>3</Количество>"
                     "</Остаток></Остатки></Предложение>"], types=()), "rests.xml"),
        put(package([offer("A", "12.34")]), "prices.xml"),
        put(package([offer("A#v1", name="Кольцо 16", features=[("Размер", "16")]),
                     offer("A#v2", name="Кольцо 17", features=[("Размер", "17")])], types=()),
            "offers.xml"),
        put(catalog_xml(THREE), "import.xml")]
    s = import_files(store, files)
    assert s.ok and s.files == ["import.xml", "offers.xml", "prices.xml", "rests.xml"]
    assert catalog.product_by_sku("R-1").price == 1234
    assert stock.on_hand_milli(catalog.product_by_sku("R-1").id) == 3000
    s = import_files(store, [put(package([offer("A#v1", name="Кольцо 16")], types=()))])
    assert s.hidden == 1 and visible("A#v1") and not visible("A#v2")


def test_names_without_namespace_with_a_prefix_and_in_windows_1251(store, put):
    plain = catalog_xml([product("N1", "Без пространства имён", "N-1")], cat="C1").replace(NS, "")
    prefixed = ('<?xml version="1.0" encoding="windows-1251"?>'
                '<cml:КоммерческаяИнформация xmlns:cml="urn:1C.ru:commerceml_2"><cml:Каталог>'
                "<cml:Ид>C2</cml:Ид><cml:Товары><cml:Товар><cml:Ид>N2</cml:Ид>"
                "<cml:Артикул>N-2</cml:Артикул><cml:Наименование>Ёжик в тумане</cml:Наименование>"
                "</cml:Товар></cml:Товары></cml:Каталог></cml:КоммерческаяИнформация>")
    s = import_files(store, [put(plain), put(prefixed, encoding="cp1251")])
    assert s.added == 2 and catalog.product_by_sku("N-2").name == "Ёжик в тумане"
    assert [p.sku for p in catalog.search("ежик")] == ["N-2"]


def test_barcode_of_another_product_is_rejected_and_csv_product_adopted(store, put):
    s = import_files(store, [put(catalog_xml([product("X1", "Новинка", "NEW", ["4607001234562"]),
                                              product("X2", "Хлеб 1С", "BREAD", ["4600000000046"])]))])
    assert s.rejected_count == 1 and "already belongs to SKU MILK" in s.rejected[0]["message"]
    assert catalog.product_by_sku("NEW").name == "Новинка"
    bread = catalog.product_by_sku("BREAD")  # the CSV product, now known by its 1C Ид
    assert bread.external_id == "X2" and bread.name == "Хлеб 1С"
    assert Product.select().where(Product.sku == "BREAD").count() == 1
    assert Barcode.select().where(Barcode.product == bread.id).count() == 2


def test_vat_unit_and_plu_from_requisites(store, put):
    req = ("<ЗначенияРеквизитов>" + "".join(
        f"<ЗначениеРеквизита><Наименование>{k}</Наименование><Значение>{v}</Значение>"
        "</ЗначениеРеквизита>" for k, v in (("ПЛУ", "00123"), ("Код", "999"))) + "</ЗначенияРеквизитов>")
    code_only = ("<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Код</Наименование>"
                 "<Значение>УТ-00017</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>")
    s = import_files(store, [put(catalog_xml([
        product("P1", "Сыр весовой", "P-1", vat="10%", extra=req,
                unit='<БазоваяЕдиница Код="166" НаименованиеКраткое="кг"/>'),
        product("P2", "Вода", "P-2", vat="Без НДС", extra=code_only),
        product("P3", "Старый", "P-3", vat="18")]))])
    p1, p2 = catalog.product_by_sku("P-1"), catalog.product_by_sku("P-2")
    assert (p1.unit, p1.vat, p1.plu) == ("kg", "10", 123)
    assert (p2.unit, p2.vat, p2.plu) == ("pcs", "none", None)
    assert s.rejected_count == 1 and s.rejected[0]["field"] == "vat" and "'18'" in s.rejected[0]["message"]


def test_progress_and_the_command_line(tmp_path, put, capsys):
    st = make_store(tmp_path / "s")
    seen = []
    folder = put(catalog_xml(THREE), "import.xml").parent
    put(package([offer("A", "1"), offer("B", "2")]), "offers.xml")
    s = import_files(st, [folder], progress=seen.append)
    st.close()
    assert seen == sorted(seen) and seen[-1] == 5 and s.ok
    rc = cli_main(["import-catalog", "--data-dir", str(tmp_path / "s"), str(folder)])
    out = capsys.readouterr().out
    assert rc == 0 and "2 file(s) read: import.xml, offers.xml" in out and "0 rejected" in out
    rc = cli_main(["import-catalog", "--data-dir", str(tmp_path / "s"), "--format", "commerceml",
                   str(tmp_path / "missing.xml")])
    assert rc == 1 and "no such file" in capsys.readouterr().err
    empty = tmp_path / "exchange"  # the wrong folder, or 1C has not written into it yet
    empty.mkdir()
    rc = cli_main(["import-catalog", "--data-dir", str(tmp_path / "s"), str(empty)])
    err = capsys.readouterr().err
    assert rc == 1 and "holds no .xml files" in err and len(err.strip().splitlines()) == 1
