"""Returns without a receipt (issue 19): lines by SKU at the catalog's or the manager's
price, a reason, the customer's name and document, a manager's approval; stock back, money
out of the drawer, a return receipt, one event; bad input writes nothing."""

import json
import uuid

import pytest

from agent import receipts, replay
from agent.documents import Receipt
from agent.models import Audit, Outbox, Refund, ReturnItem, SaleReturn, StockMove

CUSTOMER = {"name": "Иванов Иван", "document": "паспорт 4510 123456"}
MGR = {"approval_login": "maria", "approval_pin": "9999"}


def counts():
    return tuple(m.select().count() for m in (SaleReturn, ReturnItem, Refund, StockMove, Outbox))


def body(**over):
    b = {"client_ref": uuid.uuid4().hex, "sale_id": None,
         "lines": [{"sku": "MILK", "qty": 2}, {"sku": "BREAD", "price": 5000}],
         "reason": "чек утерян, есть выписка банка", "customer": CUSTOMER}
    b.update(over)
    return b


def test_a_return_without_a_receipt_puts_goods_back_and_pays_cash(store, cashier, open_shift):
    before = cashier.get("/api/v1/stock?sku=MILK").get_json()["on_hand"]
    r = cashier.post("/api/v1/returns", json=body(**MGR))
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert got["kind"] == "no_receipt" and got["sale_id"] is None
    assert got["total"] == 2 * 8990 + 5000 and got["approved_by"] == "maria"
    assert got["refunds"] == [{"method": "cash", "amount": 2 * 8990 + 5000}]
    assert got["customer"] == CUSTOMER and got["reason"].startswith("чек утерян")
    assert [(ln["sku"], ln["qty"], ln["price"]) for ln in got["lines"]] == [
        ("MILK", "2.000", 8990), ("BREAD", "1.000", 5000)]
    after = cashier.get("/api/v1/stock?sku=MILK").get_json()["on_hand"]
    assert float(after) == float(before) + 2
    x = cashier.get("/api/v1/shifts/current").get_json()
    assert x["returns_total"] == got["total"]
    ev = json.loads(Outbox.select().where(Outbox.type == "return.without_sale").get().payload)
    assert ev["kind"] == "no_receipt" and ev["customer_document"] == CUSTOMER["document"]
    assert [ln["sku"] for ln in ev["lines"]] == ["MILK", "BREAD"]
    doc = receipts.for_return(store, got["return_id"])
    assert doc.kind == "return" and doc.total == got["total"] and doc.sale_id is None
    assert Receipt.from_dict(doc.to_dict()) == doc
    assert Audit.select().where(Audit.action == "return.without_sale").count() == 1
    again = cashier.post("/api/v1/returns", json={**body(**MGR), "client_ref": got["client_ref"]})
    assert again.status_code == 200 and again.get_json()["return_id"] == got["return_id"]


def test_a_return_without_a_receipt_is_replayed_from_its_event(store, manager, open_shift):
    got = manager.post("/api/v1/returns", json=body()).get_json()
    ev = Outbox.select().where(Outbox.type == "return.without_sale").get()
    payload = json.loads(ev.payload)
    assert replay._HANDLERS["return.without_sale"]
    with store.db.write():
        SaleReturn.delete().where(SaleReturn.id == got["return_id"]).execute()
        replay._HANDLERS["return.without_sale"](
            store, payload, {"event_id": ev.event_id, "occurred_at": ev.occurred_at,
                             "type": ev.type})
    ret = SaleReturn.get_by_id(got["return_id"])
    assert ret.kind == "no_receipt" and ret.customer_name == CUSTOMER["name"]
    assert [it.sku for it in ret.items] == ["MILK", "BREAD"]


@pytest.mark.parametrize("over,status,field", [
    ({}, 403, "approval_pin"),  # a cashier without a manager
    ({"approval_login": "boris", "approval_pin": "2222"}, 403, "approval_login"),  # a senior
    ({**MGR, "customer": None}, 400, "customer"),
    ({**MGR, "customer": {"name": "Иванов"}}, 400, "customer.document"),
    ({**MGR, "customer": {"name": " ", "document": "паспорт"}}, 400, "customer.name"),
    ({**MGR, "reason": ""}, 400, "reason"),
    ({**MGR, "lines": [{"sku": "MILK", "price": -100}]}, 400, "lines[0].price"),
    ({**MGR, "lines": [{"sku": "MILK", "price": 0}]}, 400, "lines[0].price"),
    ({**MGR, "lines": [{"sku": "MILK", "qty": "1.5"}]}, 400, "lines[0].qty"),
    ({**MGR, "lines": []}, 400, "lines"),
    ({**MGR, "lines": [{"sku": "NOPE"}]}, 404, "sku"),
    ({**MGR, "refunds": [{"method": "card", "amount": 22980}]}, 400, "refunds"),
])
def test_bad_returns_without_a_receipt_write_nothing(cashier, open_shift, over, status, field):
    before = counts()
    r = cashier.post("/api/v1/returns", json=body(**over))
    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"].get("field") == field
    assert counts() == before


def test_the_return_slip_shows_the_customer_their_document_and_the_reason(store, cashier,
                                                                           open_shift):
    named = {"name": "Иванов <b>Иван</b>", "document": "паспорт 4510 123456"}
    got = cashier.post("/api/v1/returns", json=body(customer=named, **MGR))
    assert got.status_code == 201, got.get_json()
    shown = cashier.get(f"/api/v1/receipts/returns/{got.get_json()['return_id']}").get_json()
    assert "Покупатель: Иванов <b>Иван</b>" in shown["text"]
    assert "Документ: паспорт 4510 123456" in shown["text"]
    assert "Причина: чек утерян, есть выписка банка" in shown["text"]
    assert "<b>Иван" not in shown["html"] and "&lt;b&gt;Иван" in shown["html"]
    doc = receipts.for_return(store, got.get_json()["return_id"])
    assert (doc.customer_name, doc.reason) == (named["name"], "чек утерян, есть выписка банка")
    assert Receipt.from_dict(doc.to_dict()) == doc
