"""Fix 28 #2: refunds have limits.  A return line without a receipt (or of another store's
sale approved offline) is never priced above the catalog (409 price_above_catalog), and no
return pays more cash than the drawer should hold (409 not_enough_cash, saying how much is
there); both write nothing."""

import uuid

import pytest

from agent.models import Outbox, Refund, ReturnItem, ReturnLine, SaleReturn, StockMove
from tests.conftest import Api, make_store

MGR = {"approval_login": "maria", "approval_pin": "9999"}
CUSTOMER = {"name": "Иванов Иван", "document": "паспорт 4510 123456"}


def counts():
    return tuple(m.select().count()
                 for m in (SaleReturn, ReturnItem, ReturnLine, Refund, StockMove, Outbox))


def free(lines, **over):
    return {"client_ref": uuid.uuid4().hex, "sale_id": None, "lines": lines,
            "reason": "чек утерян", "customer": CUSTOMER, **MGR, **over}


def expected_cash(api):
    return api.get("/api/v1/shifts/current").get_json()["expected_cash"]


def test_a_no_receipt_line_above_the_catalog_price_is_refused(cashier, open_shift):
    before = counts()
    r = cashier.post("/api/v1/returns", json=free([{"sku": "COFFEE", "price": 9999999}]))
    assert r.status_code == 409, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == "price_above_catalog" and err["field"] == "lines[0].price"
    assert "459.00" in err["message"]
    assert counts() == before and expected_cash(cashier) == 100000
    at_catalog = cashier.post("/api/v1/returns", json=free([{"sku": "COFFEE", "price": 45900}]))
    assert at_catalog.status_code == 201, at_catalog.get_json()


def test_a_cash_refund_larger_than_the_drawer_is_refused(cashier, open_shift):
    before = counts()
    r = cashier.post("/api/v1/returns", json=free([{"sku": "COFFEE", "qty": 3}]))  # 1377.00
    assert r.status_code == 409, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == "not_enough_cash" and "1000.00" in err["message"]
    assert counts() == before and expected_cash(cashier) == 100000


def test_a_return_of_a_sale_here_cannot_overdraw_the_drawer(cashier, manager, open_shift):
    sale = cashier.post("/api/v1/sales", json={
        "client_ref": uuid.uuid4().hex, "lines": [{"sku": "COFFEE", "qty": 1}],
        "payments": [{"method": "cash", "amount": 45900}]}).get_json()
    out = manager.post("/api/v1/shifts/cash", json={"kind": "out", "amount": 120000,
                                                    "reason": "инкассация", **MGR})
    assert out.status_code in (200, 201), out.get_json()
    before = counts()
    r = cashier.post("/api/v1/returns", json={
        "client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"], **MGR,
        "lines": [{"line_id": sale["lines"][0]["line_id"], "qty": 1}]})
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["error"]["code"] == "not_enough_cash"
    assert "259.00" in r.get_json()["error"]["message"]
    assert counts() == before and expected_cash(cashier) == 25900


@pytest.fixture
def offline_store(tmp_path):
    s = make_store(tmp_path / "store", returns={"foreign_offline": "approve"})
    yield s
    s.close()


def test_an_offline_foreign_line_above_the_catalog_price_is_refused(offline_store):
    from pos_ui import create_app
    api = Api(create_app(offline_store).test_client()).login("maria")
    assert api.post("/api/v1/shifts/open", json={"opening_cash": 100000}).status_code == 201
    before = counts()
    r = api.post("/api/v1/returns", json={
        "client_ref": uuid.uuid4().hex, "origin": {"store_id": "S9", "sale_number": 3}, **MGR,
        "lines": [{"line_id": 7, "qty": 1, "sku": "COFFEE", "price": 99900}]})
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["error"]["code"] == "price_above_catalog"
    assert counts() == before
