"""A voided sale leaves the hub's totals and puts its goods back; fiscal data reaches the hub."""

from .hubkit import event, push_raw


def sale(seq, sale_id, total, qty="2.000"):
    return event("S1", seq, "sale.completed", {
        "sale_id": sale_id, "client_ref": f"c{sale_id}", "total": total, "paid": total,
        "change": 0, "lines": [{"line_id": sale_id, "sku": "MILK", "qty": qty, "price": 8990,
                                "amount": total}],
        "payments": [{"method": "card", "amount": total}]})


def test_void_and_fiscal_events_are_applied_in_any_batch_shape(any_hub):
    tok = any_hub.add_store("S1")
    # the sale and its fiscal data in one batch: the update must see the row it inserts
    r = push_raw(any_hub.url, tok, "S1", [
        sale(1, 1, 17980),
        event("S1", 2, "sale.fiscalized", {"sale_id": 1, "document_number": 7,
                                           "fiscal_sign": "123456"}),
        sale(3, 2, 8990, qty="1.000")])
    assert r.status_code == 200, r.text
    r = push_raw(any_hub.url, tok, "S1", [event("S1", 4, "sale.voided", {
        "sale_id": 2, "total": 8990, "lines": [{"line_id": 2, "sku": "MILK", "qty": "1.000"}]})])
    assert r.status_code == 200, r.text
    summary = any_hub.admin("/hub/v1/stores/S1/summary")[1]
    assert (summary["sales_count"], summary["sales_total"]) == (1, 17980)
    stock = any_hub.admin("/hub/v1/stock?sku=MILK")[1]
    assert stock["stores"] == {"S1": "-2.000"}  # 2 + 1 sold, the voided 1 back
    row = any_hub.db.execute_sql("SELECT fiscal_document_number, fiscal_sign FROM hub_sale "
                                 "WHERE store_id = 'S1' AND sale_id = 1").fetchone()
    assert (int(row[0]), row[1]) == (7, "123456")


def test_a_malformed_void_is_refused_naming_the_field(any_hub):
    tok = any_hub.add_store("S1")
    r = push_raw(any_hub.url, tok, "S1", [event("S1", 1, "sale.voided", {"lines": []})])
    assert r.status_code == 400 and "sale_id" in r.json()["error"]["field"]
