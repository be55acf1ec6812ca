"""Stock documents through the store's API: deliveries and their act, transfers, counts,
write-offs; every bad input a 4xx with nothing written."""

from __future__ import annotations

import uuid

import pytest

from agent import deliveries, sql
from agent.catalog import product_by_sku
from agent.models import RemoteStock

TABLES = ("outbox", "stock_move", "stock_doc", "delivery", "delivery_line", "transfer",
          "transfer_line", "print_job")


def snapshot():
    return {t: sql.scalar(f"SELECT COUNT(*) FROM {t}") for t in TABLES} | {
        "levels": sql.rows("SELECT product_id, on_hand_milli FROM stock_level ORDER BY 1")}


def on_hand(api, sku):
    return api.get(f"/api/v1/stock?sku={sku}").get_json()["on_hand"]


def ref():
    return uuid.uuid4().hex


@pytest.fixture
def senior(anon):
    return anon.login("boris")


def expect(store, lines, ref_="hub:D1", number="УПД-17", supplier='ООО "Молочный <b>завод</b>"'):
    with store.db.write():
        d, _ = deliveries.add_expected(ref_, "hub", number, supplier, [
            {"product": product_by_sku(sku), "name": product_by_sku(sku).name, "qty": q,
             "price": 5000} for sku, q in lines])
    return d.id


def test_receiving_an_expected_delivery_records_stock_act_and_event_at_once(store, senior):
    d = expect(store, [("MILK", 10000), ("BREAD", 5000), ("COFFEE", 4000)])
    listed = senior.get("/api/v1/deliveries?status=expected").get_json()["items"]
    assert [x["delivery_id"] for x in listed] == [d]
    body = {"client_ref": ref(), "lines": [
        {"sku": "MILK", "qty": "8"},  # shortage 2
        {"barcode": "4607001234579", "qty": 3}, {"sku": "BREAD", "qty": "3"},  # surplus 1
        {"sku": "COFFEE", "qty": "4", "damaged_qty": "1"},  # one damaged
        {"sku": "WATER", "qty": "2"}]}  # not on the document
    r = senior.post(f"/api/v1/deliveries/{d}/receive", json=body)
    assert r.status_code == 201, r.get_json()
    act = {ln["sku"]: ln for ln in r.get_json()["act"]["lines"]}
    assert act["MILK"] | {} == act["MILK"] and (act["MILK"]["shortage"], act["MILK"]["surplus"]) == ("2.000", "0.000")
    assert (act["BREAD"]["received"], act["BREAD"]["surplus"]) == ("6.000", "1.000")
    assert (act["COFFEE"]["damaged"], act["COFFEE"]["shortage"]) == ("1.000", "0.000")
    assert (act["WATER"]["expected"], act["WATER"]["surplus"]) == ("0.000", "2.000")
    assert r.get_json()["act"]["number"] == 1
    assert on_hand(senior, "MILK") == "108.000" and on_hand(senior, "BREAD") == "56.000"
    assert on_hand(senior, "COFFEE") == "23.000" and on_hand(senior, "WATER") == "202.000"
    ev = sql.one("SELECT type, payload FROM outbox ORDER BY seq DESC LIMIT 1")
    assert ev["type"] == "delivery.received" and '"COFFEE","qty":"3.000"' not in ev["payload"]
    again = senior.post(f"/api/v1/deliveries/{d}/receive", json=body)
    assert again.status_code == 200 and again.get_json() == r.get_json()
    before = snapshot()
    twice = senior.post(f"/api/v1/deliveries/{d}/receive", json={**body, "client_ref": ref()})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_received"
    assert snapshot() == before
    assert sql.scalar("SELECT COUNT(*) FROM print_job WHERE kind = 'document'") == 1
    assert senior.post(f"/api/v1/deliveries/{d}/act/print").status_code == 202
    assert sql.scalar("SELECT COUNT(*) FROM print_job WHERE kind = 'document'") == 2
    assert senior.post("/api/v1/deliveries/999/act/print").status_code == 404


def test_the_act_is_printable_html_with_names_escaped(store, senior, app):
    with store.db.write():
        from agent import catalog
        catalog.upsert("EVIL", "<script>alert(1)</script> Сок", 1000, "pcs", "20", [])
    d = expect(store, [("EVIL", 2000)])
    senior.post(f"/api/v1/deliveries/{d}/receive",
                json={"client_ref": ref(), "lines": [{"sku": "EVIL", "qty": 1}]})
    r = senior.get(f"/api/v1/deliveries/{d}/act")
    assert r.status_code == 200 and r.content_type.startswith("text/html")
    page = r.get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Сок" in page
    assert "&lt;b&gt;завод&lt;/b&gt;" in page and "0330202" in page
    assert "Content-Security-Policy" in r.headers


def test_a_delivery_with_no_document_is_received_as_counted(senior):
    body = {"client_ref": ref(), "supplier": "ИП Петров", "number": "15",
            "lines": [{"sku": "WATER", "qty": 12, "damaged_qty": 2}]}
    r = senior.post("/api/v1/deliveries", json=body)
    assert r.status_code == 201, r.get_json()
    (ln,) = r.get_json()["act"]["lines"]
    assert (ln["expected"], ln["received"], ln["damaged"], ln["shortage"]) == (
        "12.000", "12.000", "2.000", "0.000")
    assert on_hand(senior, "WATER") == "210.000"
    assert senior.post("/api/v1/deliveries", json=body).status_code == 200
    assert on_hand(senior, "WATER") == "210.000"


@pytest.mark.parametrize("lines, field", [
    ([{"sku": "NOPE", "qty": 1}], "sku"),
    ([{"sku": "MILK", "qty": 0}], "lines[0].qty"),
    ([{"sku": "MILK", "qty": -2}], "lines[0].qty"),
    ([{"sku": "MILK", "qty": "1.5"}], "lines[0].qty"),
    ([{"sku": "MILK", "qty": 1, "damaged_qty": 3}], "lines[0].damaged_qty"),
    ([], "lines"),
])
def test_bad_receiving_lines_are_refused_and_change_nothing(store, senior, lines, field):
    d = expect(store, [("MILK", 1000)])
    before = snapshot()
    r = senior.post(f"/api/v1/deliveries/{d}/receive", json={"client_ref": ref(), "lines": lines})
    assert 400 <= r.status_code < 500 and r.get_json()["error"]["field"] == field
    assert snapshot() == before


def test_a_cashier_may_not_receive_and_unknown_delivery_is_404(store, cashier, senior):
    d = expect(store, [("MILK", 1000)])
    body = {"client_ref": ref(), "lines": [{"sku": "MILK", "qty": 1}]}
    assert cashier.post(f"/api/v1/deliveries/{d}/receive", json=body).status_code == 403
    assert senior.post("/api/v1/deliveries/999/receive", json=body).status_code == 404
    assert senior.get(f"/api/v1/deliveries/{d}/act").status_code == 409


def _know_store(store, store_id):
    with store.db.write():
        RemoteStock.create(store_id=store_id, sku="MILK", on_hand_milli=0, updated_at="x")


def test_a_transfer_leaves_at_once_and_refuses_self_or_unknown(store, senior):
    _know_store(store, "S2")
    before = snapshot()
    for to, code in (("S1", "same_store"), ("S9", "unknown_store"), ("", "invalid")):
        r = senior.post("/api/v1/transfers", json={"client_ref": ref(), "to_store": to,
                                                   "lines": [{"sku": "MILK", "qty": 1}]})
        assert r.status_code == 400 and r.get_json()["error"]["code"] == code
    assert snapshot() == before
    body = {"client_ref": ref(), "to_store": "S2", "lines": [{"sku": "MILK", "qty": 4}]}
    r = senior.post("/api/v1/transfers", json=body)
    assert r.status_code == 201 and r.get_json()["status"] == "sent"
    assert r.get_json()["transfer_id"] == "S1:T1" and on_hand(senior, "MILK") == "96.000"
    assert senior.post("/api/v1/transfers", json=body).status_code == 200
    assert on_hand(senior, "MILK") == "96.000"
    out = senior.get("/api/v1/transfers?direction=outgoing").get_json()
    assert [t["transfer_id"] for t in out["items"]] == ["S1:T1"] and out["stores"] == ["S2"]
    before = snapshot()  # our own outgoing transfer is not ours to receive
    r = senior.post("/api/v1/transfers/S1:T1/receive",
                    json={"client_ref": ref(), "lines": [{"sku": "MILK", "qty": 4}]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "wrong_store"
    assert snapshot() == before


def test_an_incoming_transfer_is_received_with_its_discrepancies(store, senior):
    from agent import transfers
    with store.db.write():
        transfers.incoming(store, {"transfer_id": "S2:T7", "from_store": "S2", "to_store": "S1",
                                   "lines": [{"sku": "MILK", "qty": "5.000"},
                                             {"sku": "BREAD", "qty": "2.000"}]})
        assert not transfers.incoming(store, {"transfer_id": "S3:T1", "from_store": "S3",
                                              "to_store": "S4", "lines": []})
    inc = senior.get("/api/v1/transfers?direction=incoming").get_json()["items"]
    assert [t["transfer_id"] for t in inc] == ["S2:T7"]
    body = {"client_ref": ref(), "lines": [{"sku": "MILK", "qty": 4}, {"sku": "WATER", "qty": 1}]}
    r = senior.post("/api/v1/transfers/S2:T7/receive", json=body)
    assert r.status_code == 201, r.get_json()
    gaps = {d["sku"]: (d["shortage"], d["surplus"]) for d in r.get_json()["discrepancies"]}
    assert gaps == {"MILK": ("1.000", "0.000"), "BREAD": ("2.000", "0.000"),
                    "WATER": ("0.000", "1.000")}
    assert on_hand(senior, "MILK") == "104.000" and on_hand(senior, "BREAD") == "50.000"
    before = snapshot()
    r = senior.post("/api/v1/transfers/S2:T7/receive", json={**body, "client_ref": ref()})
    assert r.status_code == 409 and snapshot() == before
    assert senior.post("/api/v1/transfers/S2:T7/receive", json=body).status_code == 200
    assert senior.post("/api/v1/transfers/S2:T99/receive",
                       json={**body, "client_ref": ref()}).status_code == 404


def test_a_count_is_blind_and_a_full_count_zeroes_what_it_does_not_list(senior):
    r = senior.post("/api/v1/counts", json={"client_ref": ref(), "scope": "partial",
                                            "lines": [{"sku": "MILK", "counted": "97"},
                                                      {"sku": "BREAD", "counted": 0}]})
    assert r.status_code == 201, r.get_json()
    got = {c["sku"]: c for c in r.get_json()["corrections"]}
    assert got["MILK"] == {"sku": "MILK", "before": "100.000", "counted": "97.000",
                           "delta": "-3.000"}
    assert got["BREAD"]["delta"] == "-50.000" and on_hand(senior, "COFFEE") == "20.000"
    body = {"client_ref": ref(), "scope": "full", "lines": [{"barcode": "4607001234593",
                                                            "counted": 19}]}
    r = senior.post("/api/v1/counts", json=body)
    assert r.status_code == 201
    got = {c["sku"]: c["delta"] for c in r.get_json()["corrections"]}
    assert got == {"COFFEE": "-1.000", "CHEESE": "-10.000", "MILK": "-97.000",
                   "WATER": "-200.000"}
    assert senior.post("/api/v1/counts", json=body).get_json() == r.get_json()
    assert on_hand(senior, "WATER") == "0.000" and on_hand(senior, "COFFEE") == "19.000"


def test_bad_counts_and_write_offs_change_nothing(senior, store):
    before = snapshot()
    for body in ({"scope": "some", "lines": [{"sku": "MILK", "counted": 1}]},
                 {"scope": "partial", "lines": [{"sku": "MILK", "counted": -1}]},
                 {"scope": "partial", "lines": [{"sku": "NOPE", "counted": 1}]}):
        r = senior.post("/api/v1/counts", json={"client_ref": ref(), **body})
        assert 400 <= r.status_code < 500, r.get_json()
    for body in ({"reason": "lost in space", "lines": [{"sku": "MILK", "qty": 1}]},
                 {"reason": "damaged", "lines": [{"sku": "MILK", "qty": 0}]},
                 {"reason": "damaged", "lines": [{"sku": "NOPE", "qty": 1}]}):
        r = senior.post("/api/v1/writeoffs", json={"client_ref": ref(), **body})
        assert 400 <= r.status_code < 500, r.get_json()
    assert snapshot() == before


def test_a_write_off_takes_a_configured_reason(senior):
    assert senior.get("/api/v1/writeoffs/reasons").get_json()["items"] == [
        "damaged", "expired", "theft", "internal_use"]
    r = senior.post("/api/v1/writeoffs", json={"client_ref": ref(), "reason": "expired",
                                               "lines": [{"sku": "MILK", "qty": 2}]})
    assert r.status_code == 201 and r.get_json()["reason"] == "expired"
    assert on_hand(senior, "MILK") == "98.000"
    ev = sql.one("SELECT type, payload FROM outbox ORDER BY seq DESC LIMIT 1")
    assert ev["type"] == "stock.moved" and '"reason":"expired"' in ev["payload"]


@pytest.mark.parametrize("extra", [{"kind": "transfer_out", "to_store": "S2"},
                                   {"kind": "receipt", "supplier": "ООО Ромашка"},
                                   {"kind": "receipt", "expected": [{"sku": "MILK", "qty": 1}]}])
def test_stock_moves_never_silently_ignores_a_document_field(senior, extra):
    before = snapshot()
    r = senior.post("/api/v1/stock/moves", json={"client_ref": ref(), **extra,
                                                 "lines": [{"sku": "MILK", "qty": 1}]})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "use_stock_documents"
    assert "/api/v1/" in r.get_json()["error"]["message"] and snapshot() == before


@pytest.mark.parametrize("lines", [[{"sku": "NOPE", "qty": 1}], [{"sku": "MILK", "qty": 0}],
                                   [{"sku": "MILK", "qty": -3}], [{"barcode": "000", "qty": 1}],
                                   "MILK", [{"qty": 1}]])
def test_bad_transfer_lines_are_refused_on_both_sides_with_nothing_written(store, senior, lines):
    from agent import transfers
    _know_store(store, "S2")
    with store.db.write():
        transfers.incoming(store, {"transfer_id": "S2:T1", "from_store": "S2", "to_store": "S1",
                                   "lines": [{"sku": "MILK", "qty": "1.000"}]})
    before = snapshot()
    r = senior.post("/api/v1/transfers", json={"client_ref": ref(), "to_store": "S2", "lines": lines})
    assert 400 <= r.status_code < 500, r.get_json()
    r = senior.post("/api/v1/transfers/S2:T1/receive", json={"client_ref": ref(), "lines": lines})
    assert 400 <= r.status_code < 500, r.get_json()
    assert snapshot() == before
