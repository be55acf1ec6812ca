"""Issue 13 items 2 and 3: a voided sale is never returned; a product with no price is never
sold for 0."""


from agent.commerceml import import_files
from agent.models import Outbox, Product
from tests.agent.test_commerceml_rules import catalog_xml, offer, package, product, put  # noqa: F401
from tests.drivers.test_store_fiscal_money import shop, wait_for  # noqa: F401


def test_a_voided_sale_cannot_be_returned_and_stock_comes_back_once(shop):  # noqa: F811
    api, emu, store = shop
    wait_for(lambda: any(d["type"] == "shift_open" for d in emu.journal))
    emu.expire_shift()
    on_hand = api.get("/api/v1/stock?sku=COFFEE").json()["on_hand"]
    sale = api.sell([{"sku": "COFFEE", "qty": 2}], [{"method": "card", "amount": 91800}])
    assert api.settled(f"/api/v1/sales/{sale['sale_id']}")["status"] == "failed"
    body = {"client_ref": "r-v", "sale_id": sale["sale_id"],
            "lines": [{"line_id": sale["lines"][0]["line_id"], "qty": 2}]}
    r = api.post("/api/v1/returns", body)  # never fiscalised: nothing for a return to undo
    assert r.status_code == 409 and r.json()["error"]["code"] == "sale_not_fiscalized"
    assert api.post(f"/api/v1/sales/{sale['sale_id']}/void", {}).status_code == 200
    r = api.post("/api/v1/returns", body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "sale_voided"
    assert "voided" in r.json()["error"]["message"]
    assert api.get("/api/v1/stock?sku=COFFEE").json()["on_hand"] == on_hand
    x = api.get("/api/v1/shifts/current").json()
    assert (x["sales_count"], x["returns_count"], x["returns_total"]) == (0, 0, 0)
    assert Outbox.select().where(Outbox.type == "sale.returned").count() == 0
    assert Outbox.select().where(Outbox.type == "sale.voided").count() == 1


def test_a_product_without_a_price_is_refused_409_no_price(cashier, open_shift):
    Product.update(price=0).where(Product.sku == "BREAD").execute()
    for path in ("/api/v1/sales/quote", "/api/v1/sales"):
        r = cashier.post(path, json={"client_ref": "np-1", "lines": [{"sku": "BREAD", "qty": 1}],
                                     "payments": []})
        assert r.status_code == 409, r.get_json()
        err = r.get_json()["error"]
        assert err["code"] == "no_price" and "no price" in err["message"]
    assert cashier.get("/api/v1/sales").get_json()["items"] == []
    assert cashier.get("/api/v1/products/lookup?barcode=4607001234579").get_json()[
        "sellable"] is False


def test_commerceml_parent_without_an_offer_price_is_not_sellable(store, put, cashier,  # noqa: F811
                                                                   open_shift):
    cat = catalog_xml([product("RING", "Кольцо", "R-100", ["4600000000015"])])
    offers = package([offer("RING#17aaaaaa-0000", "1500", qty=2, sku="R-100-17",
                            features=[("Размер", "17")], barcodes=["4600000000022"])])
    summary = import_files(store, [put(cat), put(offers)])
    assert any("no price" in note for note in summary.notes), summary.notes
    r = cashier.post("/api/v1/sales", json={"client_ref": "cml-1", "payments": [],
                                            "lines": [{"barcode": "4600000000015"}]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_price"
    sold = cashier.sell([{"barcode": "4600000000022"}])
    assert sold["total"] == 150000


def test_csv_price_zero_is_refused(store):
    import io

    from agent.csv_import import import_csv
    result = import_csv(store, io.StringIO("sku,name,barcodes,price,unit,vat,stock\n"
                                           "FREE,Даром,,0.00,pcs,20,1\n"))
    assert Product.get_or_none(Product.sku == "FREE") is None
    assert "price" in str(result)


