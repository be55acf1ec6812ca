"""In-store weighed-goods barcodes: the template, resolving a label, and selling by it."""

import pytest

from agent import catalog, stock, weighed
from agent.barcodes import check_digit
from agent.errors import Invalid
from agent.money import line_amount
from agent.sales import price_lines


def label(body12: str) -> str:
    assert len(body12) == 12 and body12.isdigit()
    return body12 + str(check_digit(body12))


def add(store, sku, name, price, unit="kg", **extra):
    with store.db.write():
        return catalog.upsert(sku, name, price, unit, "10", [], **extra)[0]


@pytest.fixture
def ham(store):
    return add(store, "HAM-1C", "Ветчина весовая", 79900, plu=123)


# -- the template ----------------------------------------------------------------------------

def test_default_template_reads_2x_plu_grams_check():
    t = weighed.parse_template("2PPPPPWWWWWC")
    assert (t.fixed, t.plu, t.value, t.by_price) == ("2", slice(2, 7), slice(7, 12), False)


def test_price_template_and_a_full_13_digit_one():
    t = weighed.parse_template("22PPPPP$$$$$C")
    assert (t.fixed, t.plu, t.value, t.by_price) == ("22", slice(2, 7), slice(7, 12), True)
    t = weighed.parse_template("2XPPPPPP$$$$C")
    assert (t.plu, t.value, t.by_price) == (slice(2, 8), slice(8, 12), True)


@pytest.mark.parametrize("bad", ["", "2PPPPPC", "2PPWWPPWWWC", "2PPPPPWWWWW", "2PPPP$$WWWWC",
                                 "2PPPPPWWWWWCC", "22PPPPPPWWWWWC", "2PPPPPWW1WWC", "WWWWC"])
def test_templates_that_cannot_work_are_refused(bad):
    with pytest.raises(Invalid) as e:
        weighed.parse_template(bad)
    assert e.value.field == "catalog.weighed_template"


def test_prefix_ranges_and_lists():
    assert weighed.parse_prefixes("20-29") == (("20", "29"),)
    assert weighed.parse_prefixes("21, 22,25-27") == (("21", "21"), ("22", "22"), ("25", "27"))
    for bad in ("2-29", "29-20", "x", "20-"):
        with pytest.raises(Invalid):
            weighed.parse_prefixes(bad)


# -- resolving a label -----------------------------------------------------------------------

def test_weight_label_gives_the_product_and_grams_as_thousandths(ham):
    product, qty, amount = weighed.resolve(label("210012301250"))
    assert (product.sku, qty, amount) == ("HAM-1C", 1250, None)


def test_price_label_gives_the_amount_in_kopecks(ham):
    cfg = {"weighed_template": "2PPPPP$$$$$C", "weighed_prefixes": "20-29"}
    product, qty, amount = weighed.resolve(label("200012304567"), cfg)
    assert (product.sku, qty, amount) == ("HAM-1C", None, 4567)
    assert weighed.line_qty(product, qty, amount) == (4567 * 1000 // 79900, 4567)


def test_bad_check_digit_is_not_a_label(ham):
    good = label("210012301250")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert weighed.resolve(bad) is None


def test_codes_outside_the_prefixes_or_template_are_not_labels(ham):
    assert weighed.resolve(label("460012301250")) is None  # not 20-29
    assert weighed.resolve(label("210012301250"), {"weighed_prefixes": "22-23",
                                                   "weighed_template": "2PPPPPWWWWWC"}) is None
    assert weighed.resolve(label("250012301250"), {"weighed_prefixes": "20-29",
                                                   "weighed_template": "22PPPPPWWWWWC"}) is None
    assert weighed.resolve("21001230125") is None  # 12 digits
    assert weighed.resolve(label("219999901250")) is None  # no product with PLU 99999


def test_plu_falls_back_to_a_numeric_sku_of_up_to_five_digits(store, ham):
    add(store, "00777", "Колбаса из CSV", 50000)
    add(store, "123", "Товар с числовым SKU", 100)  # PLU 123 belongs to HAM-1C: the column wins
    assert weighed.resolve(label("200077700500"))[0].sku == "00777"
    assert weighed.resolve(label("200012300500"))[0].sku == "HAM-1C"
    add(store, "123456", "Шестизначный", 100)
    assert weighed.by_plu(123456) is None


# -- selling by a label ----------------------------------------------------------------------

def test_sale_takes_the_weight_from_the_label(store, ham, cashier, open_shift):
    code = label("210012301250")
    q = cashier.post("/api/v1/sales/quote", json={"lines": [{"barcode": code, "qty": 1}]}).get_json()
    line = q["lines"][0]
    assert (line["sku"], line["qty"], line["amount"]) == ("HAM-1C", "1.250", line_amount(79900, 1250))
    sale = cashier.sell([{"barcode": code, "qty": 1}])
    got = cashier.get(f"/api/v1/sales/{sale['sale_id']}").get_json()["lines"][0]
    assert (got["barcode"], got["qty"]) == (code, "1.250")
    assert stock.on_hand_milli(ham.id) == -1250


def test_price_label_keeps_its_amount_exactly(store, ham):
    cfg = {"weighed_template": "2PPPPP$$$$$C", "weighed_prefixes": "20-29"}
    [line] = price_lines([{"barcode": label("200012304567")}], cfg)
    assert (line["qty_milli"], line["amount"], line["price"]) == (57, 4567, 79900)


def test_plain_barcodes_still_win_over_the_template(store, cashier):
    # CHEESE's own code 2000001000007 looks like a 20-prefixed label; the catalog answers first
    r = cashier.get("/api/v1/products/lookup?barcode=2000001000007").get_json()
    assert r["sku"] == "CHEESE" and "qty" not in r
    [line] = price_lines([{"barcode": "2000001000007", "qty": "0.500"}], store.config)
    assert line["qty_milli"] == 500


def test_lookup_answers_the_decoded_weight(ham, cashier):
    r = cashier.get(f"/api/v1/products/lookup?barcode={label('210012300350')}")
    assert r.status_code == 200
    body = r.get_json()
    assert (body["sku"], body["qty"], body["price"], body["unit"]) == ("HAM-1C", "0.350", 79900, "kg")
    assert cashier.get(f"/api/v1/products/lookup?barcode={label('219999900350')}").status_code == 404


def test_labels_of_nothing_or_of_hidden_goods_are_refused(store, ham, cashier, open_shift):
    r = cashier.post("/api/v1/sales/quote", json={"lines": [{"barcode": label("210012300000")}]})
    assert r.status_code == 400 and "no weight" in r.get_json()["error"]["message"]
    add(store, "HAM-1C", "Ветчина весовая", 79900, plu=123, hidden=True)
    r = cashier.post("/api/v1/sales/quote", json={"lines": [{"barcode": label("210012301000")}]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "product_hidden"
