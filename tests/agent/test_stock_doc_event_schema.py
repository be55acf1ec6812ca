"""The stock-document events (issue 15) are in the one event schema (issue 14): what the
store commits the hub accepts, and a bad value is refused at commit with its field."""

from __future__ import annotations

import pytest

from agent import event_schema
from agent.event_schema import SchemaError, check


def sent(**kw):
    p = {"transfer_id": "S1:T1", "from_store": "S1", "to_store": "S2", "client_ref": "c1",
         "sent_at": "2026-01-01T10:00:00+00:00", "cashier": "maria",
         "lines": [{"sku": "MILK", "qty": "2.000"}]}
    p.update(kw)
    return p


def delivery(**kw):
    p = {"delivery_id": 1, "ref": "upd:abc", "number": "УТ-1542", "supplier": "ООО Ромашка",
         "client_ref": "c2", "act_number": 1, "received_at": "2026-01-01T10:00:00+00:00",
         "cashier": "maria", "lines": [{"sku": "MILK", "qty": "8.000"}],
         "act": [{"line_no": 1, "sku": "MILK", "name": "Молоко", "unit": "pcs",
                  "expected": "10.000", "received": "8.000", "damaged": "0.000",
                  "shortage": "2.000", "surplus": "0.000", "price": 6250},
                 {"line_no": 2, "sku": None, "name": "Печенье", "unit": "pcs",
                  "expected": "3.000", "received": "0.000", "damaged": "0.000",
                  "shortage": "3.000", "surplus": "0.000"}]}
    p.update(kw)
    return p


def test_the_stock_document_types_are_known_with_their_stock_lines():
    assert {"transfer.sent", "transfer.received", "delivery.received"} <= set(event_schema.TYPES)
    assert check("transfer.sent", sent()) == [("MILK", -2000)]
    got = check("transfer.received", sent(lines=[{"sku": "MILK", "qty": "1.500"}],
                                          discrepancies=[{"sku": "MILK", "qty": "2.000",
                                                          "received": "1.500",
                                                          "shortage": "0.500",
                                                          "surplus": "0.000"}]))
    assert got == [("MILK", 1500)]
    assert check("delivery.received", delivery()) == [("MILK", 8000)]
    assert check("stock.counted", {"doc_id": 3, "kind": "count", "scope": "partial",
                                   "lines": [{"sku": "MILK", "counted": "4.000",
                                              "qty": "-1.000"}]}) == [("MILK", -1000)]
    assert check("stock.moved", {"doc_id": 4, "kind": "writeoff", "reason": "Бой",
                                 "lines": [{"sku": "MILK", "qty": "-1.000"}]}) == [("MILK", -1000)]


@pytest.mark.parametrize("etype, payload, field", [
    ("transfer.sent", sent(transfer_id="S1 T1"), "transfer_id"),
    ("transfer.sent", sent(to_store="S1"), "to_store"),
    ("transfer.sent", sent(to_store=""), "to_store"),
    ("transfer.sent", sent(to_store="S\u202e2"), "to_store"),
    ("transfer.sent", sent(lines=[{"sku": "MILK", "qty": "0"}]), "lines[0].qty"),
    ("transfer.sent", sent(lines=[{"sku": "MILK", "qty": "１.000"}]), "lines[0].qty"),
    ("transfer.received", sent(discrepancies=[{"sku": "MILK", "shortage": "x"}]),
     "discrepancies[0].shortage"),
    ("delivery.received", delivery(delivery_id=0), "delivery_id"),
    ("delivery.received", delivery(act_number="1"), "act_number"),
    ("delivery.received", delivery(number=""), "number"),
    ("delivery.received", delivery(number="A\x01"), "number"),
    ("delivery.received", delivery(supplier="x" * 256), "supplier"),
    ("delivery.received", delivery(act="none"), "act"),
    ("delivery.received", delivery(act=[{"line_no": 1, "name": "Мол\x85око"}]), "act[0].name"),
    ("delivery.received", delivery(act=[{"line_no": 1, "expected": "1e3"}]), "act[0].expected"),
    ("stock.counted", {"doc_id": 1, "kind": "count", "scope": "half",
                       "lines": [{"sku": "MILK", "qty": "1"}]}, "scope"),
    ("stock.counted", {"doc_id": 1, "kind": "count",
                       "lines": [{"sku": "MILK", "qty": "1", "counted": "-"}]},
     "lines[0].counted"),
    ("stock.moved", {"doc_id": 1, "kind": "writeoff", "reason": "\u2066x",
                     "lines": [{"sku": "MILK", "qty": "-1"}]}, "reason"),
])
def test_a_bad_stock_document_event_is_refused_naming_the_field(etype, payload, field):
    with pytest.raises(SchemaError) as e:
        check(etype, payload)
    assert e.value.field == field


def test_a_delivery_number_is_text_but_a_receipt_number_stays_a_whole_number():
    check("delivery.received", delivery(number="17"))
    with pytest.raises(SchemaError) as e:
        check("shift.opened", {"shift_id": 1, "number": "17"})
    assert e.value.field == "number"
