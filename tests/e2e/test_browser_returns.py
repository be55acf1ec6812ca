"""Returns in a real browser: find the receipt, choose lines, a manager's PIN in place."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import BARCODES, Http

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def sell(http, lines, payments):
    status, sale = http.post("/api/v1/sales", {"client_ref": uuid.uuid4().hex, "lines": lines,
                                                "payments": payments})
    assert status == 201, sale
    return sale


def test_return_part_of_a_receipt_with_the_managers_pin(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift("3000")
    http = Http(agent.base_url)
    http.token = page.evaluate("sessionStorage.getItem('pos.token')")   # the same register
    sell(http, [{"barcode": BARCODES["WATER"], "qty": 1}], [{"method": "cash", "amount": 4500}])
    sale = sell(http, [{"barcode": BARCODES["MILK"], "qty": 3}, {"barcode": BARCODES["COFFEE"], "qty": 1}],
                [{"method": "card", "amount": 72870}])

    page.keyboard.press("F6")
    page.wait_for_selector("#ret-number")
    expect(page.locator("#ret-number")).to_be_focused()
    screen.scan(str(sale["number"]))            # the receipt number, typed or scanned, + Enter
    expect(page.locator("#ret-title")).to_contain_text(f"Чек № {sale['number']}")
    milk = page.locator("#ret-sale tr[data-line-id]").nth(0)
    milk.locator("button.step", has_text="+").click()
    milk.locator("button.step", has_text="+").click()
    expect(page.locator("#ret-total")).to_have_text(re.compile(r"179,80\s₽"))

    # A cashier needs a manager: a wrong PIN is refused in place, nothing is returned.
    page.fill("#ret-login", "maria")
    page.fill("#ret-pin", "1111")
    page.keyboard.press("F5")
    expect(page.locator("#ret-sale .form-msg")).to_have_text("Неверный логин или PIN менеджера.")
    assert http.get(f"/api/v1/sales/{sale['sale_id']}")[1]["returns"] == []
    page.locator("#ret-method-card").click()
    for digit in "9999":
        page.click(f"#ret-sale .kp-key:text-is('{digit}')")
    screen.shot("05-return", doc=False)
    page.keyboard.press("F5")

    page.wait_for_selector("#ret-done")
    expect(page.locator("#ret-done")).to_contain_text("оформлен")
    expect(page.locator("#ret-done")).to_contain_text("Верните на карту")
    expect(page.locator("#ret-done")).to_contain_text("179,80")
    screen.shot("06-return-done")
    back = http.get(f"/api/v1/sales/{sale['sale_id']}")[1]
    assert len(back["returns"]) == 1 and back["returns"][0]["total"] == 17980
    assert back["lines"][0]["returned_qty"] == "2.000"
    ret = http.get(f"/api/v1/returns/{back['returns'][0]['return_id']}")[1]
    assert ret["approved_by"] == "maria" and ret["refunds"] == [{"method": "card", "amount": 17980}]

    # Only what is left can be returned: one milk more, not three.
    page.keyboard.press("Escape")
    page.wait_for_selector("body[data-view='sale']")
    page.keyboard.press("F6")
    page.fill("#ret-number", str(sale["number"]))
    page.keyboard.press("Enter")
    milk = page.locator("#ret-sale tr[data-line-id]").nth(0)
    for _ in range(3):
        milk.locator("button.step", has_text="+").click(force=True)
    expect(milk.locator("input.ret-qty")).to_have_value("1")


def test_a_manager_returns_without_a_pin_and_unknown_receipt_is_explained(agent, screen):
    page = screen.page
    screen.login("maria")
    screen.open_shift()
    http = Http(agent.base_url)
    http.token = page.evaluate("sessionStorage.getItem('pos.token')")
    sale = sell(http, [{"barcode": BARCODES["BREAD"], "qty": 2}], [{"method": "cash", "amount": 20000}])
    page.keyboard.press("F6")
    page.fill("#ret-number", "77")
    page.keyboard.press("Enter")
    expect(page.locator(".ret-find .form-msg")).to_have_text("Чек № 77 на этой кассе не найден.")
    page.locator(f".recent-item[data-sale-id='{sale['sale_id']}']").click()
    expect(page.locator("#ret-pin")).to_have_count(0)
    page.keyboard.press("F4")                   # everything
    expect(page.locator("#ret-total")).to_have_text(re.compile(r"109,00\s₽"))
    page.keyboard.press("F5")
    expect(page.locator("#ret-done")).to_contain_text("Выдайте наличными")
    expect(page.locator("#ret-done")).to_contain_text("109,00")


def test_a_return_without_a_receipt_with_the_customers_document_and_a_managers_pin(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift("3000")
    page.keyboard.press("F6")
    page.wait_for_selector("#ret-number")
    page.keyboard.press("F8")
    page.wait_for_selector("#nr-code")
    expect(page.locator("#nr-code")).to_be_focused()
    screen.scan(BARCODES["MILK"])
    expect(page.locator("#nr-lines tr")).to_have_count(1)
    page.fill("#nr-qty-0", "2")
    page.locator("#nr-qty-0").press("Tab")
    expect(page.locator("#nr-total")).to_have_text(re.compile(r"179,80\s₽"))
    page.keyboard.press("F5")                    # no customer, no PIN: refused in place
    expect(page.locator(".dialog .form-msg")).to_have_text("Нужен PIN менеджера.")
    page.fill("#nr-login", "maria")
    page.fill("#nr-pin", "9999")
    page.keyboard.press("F5")
    expect(page.locator(".dialog .form-msg")).not_to_be_empty()  # reason and customer missing
    page.fill("#nr-reason", "чек утерян")
    page.fill("#nr-name", "Иванов Иван <b>")
    page.fill("#nr-document", "паспорт 4510 123456")
    page.keyboard.press("F5")
    page.wait_for_selector("#ret-done")
    expect(page.locator("#ret-done")).to_contain_text("179,80")
    http = Http(agent.base_url)
    http.token = page.evaluate("sessionStorage.getItem('pos.token')")
    x = http.get("/api/v1/shifts/current")[1]
    assert x["returns_total"] == 17980
    assert not screen.errors


def test_a_sale_of_another_store_found_by_the_customers_phone_and_returned(make_agent,
                                                                          screen_for, tmp_path):
    """S2's returns screen asks the hub for the customer's sales in the chain by phone, the
    cashier picks S1's receipt, returns a line with a manager's PIN; the hub keeps count."""
    from tests.sync.hubkit import HubServer, wait_for
    hub = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    request_stop = []
    try:
        from tests.agent_process import AgentProcess
        from tests.conftest import make_store
        cfg = {"push_interval": 0.2, "feed_interval": 0.5, "timeout": 2.0}
        make_store(tmp_path / "S1", "S1", hub={"url": hub.url, "token": hub.add_store("S1"),
                                                **cfg}).close()  # its own process
        origin = AgentProcess(tmp_path / "S1").start()
        request_stop.append(origin.stop)
        procs = {"S2": make_agent("S2", store_id="S2", hub={
            "url": hub.url, "token": hub.add_store("S2"), **cfg})}
        s1 = Http(origin.url, "maria")
        assert s1.post("/api/v1/shifts/open", {"opening_cash": 0})[0] == 201
        assert s1.post("/api/v1/customers", {"phone": "+79165550022"})[0] in (200, 201)
        status, sale = s1.post("/api/v1/sales", {
            "client_ref": uuid.uuid4().hex, "customer_phone": "+79165550022",
            "lines": [{"barcode": BARCODES["MILK"], "qty": 2}],
            "payments": [{"method": "cash", "amount": 2 * 8990}]})
        assert status == 201, sale
        wait_for(lambda: hub.admin("/hub/v1/stores/S1/summary")[1]["sales_count"] == 1,
                 timeout=60, step=0.2, what="S1's sale at the hub")

        screen = screen_for(procs["S2"]).open()
        page = screen.page
        screen.login("anna")
        screen.open_shift("3000")
        page.keyboard.press("F6")
        page.wait_for_selector("#ret-phone")
        page.fill("#ret-phone", "8 916 555-00-22")
        page.click("#ret-find-phone")
        item = page.locator("#ret-recent .recent-item.foreign")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(f"S1 · №{sale['number']}")
        item.click()
        expect(page.locator("#ret-title")).to_contain_text(f"Магазин S1 · чек № {sale['number']}")
        page.locator("#ret-sale tr[data-line-id]").nth(0).locator("button.step",
                                                                  has_text="+").click()
        expect(page.locator("#ret-total")).to_have_text(re.compile(r"89,90\s₽"))
        page.fill("#ret-login", "maria")
        page.fill("#ret-pin", "9999")
        page.keyboard.press("F5")
        page.wait_for_selector("#ret-done")
        expect(page.locator("#ret-done")).to_contain_text("89,90")
        s2 = Http(procs["S2"].base_url, "maria")
        wait_for(lambda: hub.admin("/hub/v1/stores/S2/summary")[1]["returns_count"] == 1,
                 timeout=60, step=0.2, what="S2's return at the hub")
        left = s2.get("/api/v1/returns/lookup?phone=%2B79165550022")[1]["items"]
        assert left[0]["lines"][0]["returnable_qty"] == "1.000"
        assert not screen.errors, screen.errors
    finally:
        for stop in request_stop:
            stop()
        hub.stop()
