"""The search answer reads barcodes and stock for all its products at once: each item is
what a barcode lookup of the same product answers."""


def test_each_search_item_is_what_a_lookup_of_it_answers(cashier):
    items = cashier.get("/api/v1/products?q=&limit=50").get_json()["items"]
    assert len(items) >= 3
    with_stock = 0
    for item in items:
        if item["barcode"] is None:
            continue
        looked_up = cashier.get(f"/api/v1/products/lookup?barcode={item['barcode']}").get_json()
        assert item == looked_up, item["sku"]
        with_stock += item["stock"] not in ("0", "0.000")
    assert with_stock >= 1  # stock is read, not defaulted


def test_nothing_found_is_an_empty_list(cashier):
    assert cashier.get("/api/v1/products?q=zzzzzzzzzz").get_json() == {"items": []}
