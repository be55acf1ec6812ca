"""The Orders tab in a real browser: the list (overdue first), accept, assemble by scanning
every unit, ready, hand over into the sale screen; a site's order with a hostile product
name shows as text; Russian and English."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import BARCODES, XSS_BARCODE, XSS_NAME, Http, norm

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def place(agent, order_id, lines, **extra):
    from agent import orders
    store = agent.store
    with store.db.write():
        orders.placed(store, {"order_id": order_id, "store_id": store.store_id,
                              "lines": lines, **extra})


def test_a_cashier_assembles_by_scanning_and_hands_an_order_over(agent, screen):
    from agent import stock
    from agent.catalog import product_by_sku
    with agent.store.db.write():  # the hostile-named product needs stock to be reserved
        stock.record_move(product_by_sku("XSS").id, "receipt", 5000)
    place(agent, "WEB-7", [{"barcode": BARCODES["MILK"], "qty": "2", "price": 8990},
                           {"barcode": XSS_BARCODE, "qty": "1", "price": 1000}],
          customer_phone="+79001234567", prepaid=5000)
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    page.keyboard.press("Alt+o")
    page.wait_for_selector("body[data-view='orders']")
    expect(page.locator("#orders-list [data-order-id='WEB-7']")).to_have_attribute("data-status", "new")
    page.click("#orders-list [data-order-id='WEB-7']")
    expect(page.locator("#ord-title")).to_contain_text("WEB-7 · Новый")
    expect(page.locator("#ord-lines tr[data-sku='XSS'] td").first).to_have_text(XSS_NAME)
    assert "null" not in page.locator("#orders-detail").inner_text()
    page.keyboard.press("F6")  # accept: the goods are reserved
    expect(page.locator("#ord-title")).to_contain_text("Принят")
    expect(page.locator("#ord-scan")).to_be_focused()
    expect(page.locator("#ord-assembled")).to_be_disabled()
    screen.scan(BARCODES["MILK"])
    screen.scan(BARCODES["BREAD"])  # not in the order: refused, nothing counted
    expect(page.locator("#ord-lines tr[data-sku='MILK']")).to_have_attribute("data-picked", "1")
    expect(page.locator("#orders-detail [role='alert']")).to_contain_text(BARCODES["BREAD"])
    screen.scan(BARCODES["MILK"])
    screen.scan(XSS_BARCODE)
    expect(page.locator("#ord-assembled")).to_be_enabled()
    screen.shot("20-orders-assemble", doc=True)
    page.keyboard.press("F6")
    expect(page.locator("#ord-title")).to_contain_text("Собран")
    page.keyboard.press("F6")
    expect(page.locator("#ord-title")).to_contain_text("Готов к выдаче")
    http = Http(agent.base_url, "anna")
    assert http.get("/api/v1/stock?sku=MILK")[1]["reserved"] == "2.000"
    page.keyboard.press("F6")  # hand over: 189.80 due less 50.00 prepaid
    page.fill("#ord-cash", "200")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-view='sale']")
    expect(page.locator("#receipt-panel")).to_be_visible()
    assert "60,20" in norm(page.locator("#receipt-panel").inner_text())  # the change
    got = http.get("/api/v1/orders/WEB-7")[1]
    assert got["status"] == "collected" and got["sale_id"]
    milk = http.get("/api/v1/stock?sku=MILK")[1]
    assert (milk["on_hand"], milk["reserved"]) == ("98.000", "0.000")
    assert not screen.dialogs


def test_overdue_orders_come_first_in_english(make_agent, screen_for, monkeypatch):
    from agent import clock, orders
    agent = make_agent(ui={"language": "en"})
    place(agent, "A-NEW", [{"sku": "BREAD", "qty": "1", "price": 5450}])
    place(agent, "B-OLD", [{"sku": "WATER", "qty": "1", "price": 4500}])
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() - timedelta(hours=49))
    with agent.store.db.write():  # made ready 49 hours ago by the store's clock
        from agent import sql
        row = sql.one("SELECT * FROM pickup_order WHERE order_id = 'B-OLD'")
        for status in ("accepted", "assembled", "ready"):
            row = orders._move(row, status, "test")
    monkeypatch.undo()
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("anna")
    page.click("#tb-orders")
    page.wait_for_selector("body[data-view='orders']")
    items = page.locator("#orders-list .order-item")
    expect(items).to_have_count(2)
    expect(items.first).to_have_attribute("data-order-id", "B-OLD")
    expect(items.first).to_have_attribute("data-overdue", "1")
    expect(items.first).to_contain_text("overdue")
    items.first.click()
    expect(page.locator("#ord-overdue")).to_contain_text("call the customer")
    page.fill("#ord-reason", "not collected")
    page.click("#ord-cancel")
    expect(items).to_have_count(1)
    http = Http(agent.base_url, "anna")
    assert http.get("/api/v1/stock?sku=WATER")[1]["reserved"] == "0.000"
    assert http.get("/api/v1/orders/B-OLD")[1]["reason"] == "not collected"
    page.keyboard.press("Escape")
    page.wait_for_selector("body[data-view='sale']")
    assert not screen.errors
