"""Hostile text and numbers get a clear 400 naming the field and change nothing."""

import io
import json
import uuid

import pytest

from agent.csv_import import import_csv
from agent.models import Customer, Outbox, Product


def _count():
    return Outbox.select().count()


@pytest.mark.parametrize("bad, code", [("Ива\u0000н", "U+0000"), ("a\u0007b", "U+0007"),
                                       ("x\u0085y", "U+0085"), ("evil\u202eкод", "U+202E"),
                                       ("a\u2066b", "U+2066"), ("a\ud800b", "U+D800")])
def test_control_and_bidi_characters_are_refused_naming_the_field(cashier, bad, code):
    before = _count()
    r = cashier.client.post("/api/v1/customers", headers=cashier._h(),  # escaped, as on the wire
                            data=json.dumps({"phone": "+79165550001", "name": bad}),
                            content_type="application/json")
    assert r.status_code == 400, r.get_json()
    err = r.get_json()["error"]
    assert err["field"] == "name" and code in err["message"]
    assert Customer.select().count() == 0 and _count() == before


def test_text_is_stored_nfc(cashier):
    r = cashier.post("/api/v1/customers", json={"phone": "+79165550001", "name": "Андреи\u0306"})
    assert r.status_code == 201, r.get_json()
    assert Customer.get().name == "Андре\u0439"  # и + combining breve composed into й


def test_nested_json_is_400_not_500(cashier):
    before = _count()
    for depth in (40, 100_000):
        raw = "[" * depth + "]" * depth
        r = cashier.client.post("/api/v1/sales", data='{"lines":' + raw + "}",
                                headers={**cashier._h(), "Content-Type": "application/json"})
        assert r.status_code == 400, r.get_json()
        assert "nested" in r.get_json()["error"]["message"]
    assert _count() == before


@pytest.mark.parametrize("qty", ["1e308", 10**30, "1_000", "\u0661\u0662", "\uff11\uff12",
                                 "1E2", "NaN", "Infinity", "-1", "0x10", " 1.0001"])
def test_quantities_are_strict_ascii_decimals(cashier, open_shift, qty):
    before = _count()
    r = cashier.post("/api/v1/sales/quote", json={"lines": [{"sku": "MILK", "qty": qty}]})
    assert r.status_code == 400, (qty, r.get_json())
    assert r.get_json()["error"]["field"] == "lines[0].qty"
    r = cashier.post("/api/v1/sales", json={"client_ref": uuid.uuid4().hex, "lines": [
        {"sku": "MILK", "qty": qty}], "payments": [{"method": "card", "amount": 8990}]})
    assert r.status_code == 400
    assert _count() == before


def test_quantity_json_number_with_huge_exponent_is_400(cashier, open_shift):
    raw = '{"lines": [{"sku": "CHEESE", "qty": 1e308}]}'
    r = cashier.client.post("/api/v1/sales/quote", data=raw,
                            headers={**cashier._h(), "Content-Type": "application/json"})
    assert r.status_code == 400, r.get_json()


@pytest.mark.parametrize("path", ["/api/v1/sales/9223372036854775808",
                                  "/api/v1/returns/99999999999999999999999",
                                  "/api/v1/receipts/9223372036854775808"])
def test_ids_beyond_64_bits_in_paths_are_not_500(cashier, path):
    r = cashier.get(path)
    assert r.status_code in (400, 404), r.get_json()
    assert r.get_json()["error"]["code"] in ("not_found", "invalid")


def test_ids_beyond_64_bits_in_bodies_are_400(cashier, open_shift):
    r = cashier.post("/api/v1/returns", json={"client_ref": "r1", "sale_id": 2**63,
                                              "lines": [{"line_id": 2**64, "qty": "1"}]})
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["field"] == "sale_id"


def test_a_huge_bonus_adjustment_never_enters_an_event(tmp_path):
    """(A chain that lets its store managers adjust: issue 17 made it off by default.)"""
    from pos_ui import create_app
    from tests.conftest import Api, make_store
    store = make_store(tmp_path / "adj", loyalty={"store_adjustments": True})
    try:
        _huge_adjustment(Api(create_app(store).test_client()).login("maria"))
    finally:
        store.close()


def _huge_adjustment(manager):
    assert manager.post("/api/v1/customers", json={"phone": "+79165550001"}).status_code == 201
    before = _count()
    r = manager.post("/api/v1/customers/+79165550001/adjustments",
                     json={"amount": 10**16, "reason": "typo"})
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["field"] == "amount"
    assert _count() == before


def test_csv_import_rejects_control_characters_by_line_and_strips_bidi(store):
    csv_text = ("sku,name,barcodes,price,unit,vat,stock\n"
                "NUL1,Мол\x00око,,10.00,pcs,10,\n"
                "BIDI1,Сыр\u202eабв,,10.00,pcs,10,\n"
                "DIG1,Вода,,\u0661\u0662.00,pcs,10,\n")
    summary = import_csv(store, io.StringIO(csv_text))
    rejected = {r["line"]: r for r in summary.rejected}
    assert rejected[2]["field"] == "name" and "U+0000" in rejected[2]["message"]
    assert rejected[4]["field"] == "price"
    assert Product.get(Product.sku == "BIDI1").name == "Сырабв"
    assert Product.get_or_none(Product.sku == "NUL1") is None


def test_control_characters_in_query_strings_and_paths_are_400(cashier):
    """Found by schemathesis: a NUL in the search query broke the FTS5 query (500)."""
    for path in ("/api/v1/products?q=r%00x", "/api/v1/products/lookup?barcode=46%0007",
                 "/api/v1/customers?phone=%2B7%00916", "/api/v1/customers/%2B7916%00/ledger",
                 "/api/v1/products?q=%E2%80%AEabc"):
        r = cashier.get(path)
        assert r.status_code == 400, (path, r.get_json())
    assert cashier.get("/api/v1/products?q=молоко").status_code == 200
