"""The sale screen in a real browser: scanning like a scanner, quantities, payment, receipt."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BARCODES, XSS_BARCODE, XSS_NAME, Http, norm

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def money_text(locator) -> str:
    return norm(locator.inner_text()).strip()


def test_scan_two_items_change_quantity_pay_cash_and_see_change_and_receipt(agent, screen):
    page = screen.page
    expect(page.locator("#view-login")).to_be_visible()
    screen.shot("01-login", doc=False)
    screen.login("anna")
    screen.open_shift("2000")

    # The scan field has the focus without anyone clicking it, and a scanner's burst lands.
    expect(page.locator("#scan")).to_be_focused()
    screen.scan(BARCODES["MILK"])
    screen.scan(BARCODES["BREAD"])          # straight after the first: no wait in between
    screen.wait_lines(2)
    rows = page.locator("#cart-body tr")
    expect(rows.nth(0).locator(".line-name")).to_have_text("Молоко 3.2% 1 л")
    expect(rows.nth(1).locator(".line-name")).to_have_text("Хлеб Бородинский")
    screen.wait_quoted()
    assert money_text(page.locator("#total")) == "144,40 ₽"

    # Quantity: select the milk line, F3, type 3, Enter.
    rows.nth(0).click()
    page.keyboard.press("F3")
    page.wait_for_selector("#qty-input")
    page.fill("#qty-input", "3")
    page.keyboard.press("Enter")
    expect(rows.nth(0).locator(".qty-value")).to_have_text("3")
    # ... and the + button of a line adds one more, - takes it back
    rows.nth(1).locator("button.step", has_text="+").click()
    expect(rows.nth(1).locator(".qty-value")).to_have_text("2")
    rows.nth(1).locator("button.step", has_text="−").click()
    expect(rows.nth(1).locator(".qty-value")).to_have_text("1")
    screen.wait_quoted()
    expect(page.locator("#total")).to_have_text(re.compile(r"324,20\s₽"))
    expect(page.locator("#scan")).to_be_focused()
    screen.shot("02-sale-cart", doc=True)

    # Payment: cash, 500 tendered, the change is shown large before paying.
    page.keyboard.press("F5")
    page.wait_for_selector("#pay-cash")
    expect(page.locator("#pay-due")).to_have_text(re.compile(r"324,20\s₽"))
    page.locator("#pay-cash").type("500", delay=60)          # a person on the keypad
    expect(page.locator("#pay-change")).to_have_text(re.compile(r"175,80\s₽"))
    screen.shot("03-payment", doc=True)
    page.keyboard.press("Enter")

    # The receipt preview and the change, large, until the next scan.
    page.wait_for_selector("#receipt-panel:not([hidden])")
    expect(page.locator("#total-label")).to_have_text("Сдача")
    expect(page.locator("#total")).to_have_text(re.compile(r"175,80\s₽"))
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("Молоко 3.2% 1 л")
    expect(receipt).to_contain_text("Хлеб Бородинский")
    expect(receipt).to_contain_text("324,20")
    page.wait_for_timeout(150)  # the agent's own preview replaces the local one
    screen.shot("04-receipt")

    # The agent recorded exactly this sale, once.
    http = Http(agent.base_url, "maria")
    status, found = http.get("/api/v1/sales?limit=5")
    assert status == 200 and len(found["items"]) == 1
    sale = found["items"][0]
    assert sale["total"] == 32420 and sale["paid"] == 50000 and sale["change"] == 17580
    assert [(ln["sku"], ln["qty"]) for ln in sale["lines"]] == [("MILK", "3.000"), ("BREAD", "1.000")]

    # The next scan starts a new sale at once.
    screen.scan(BARCODES["WATER"])
    screen.wait_lines(1)
    expect(page.locator("#receipt-panel")).to_be_hidden()
    expect(page.locator("#total-label")).to_have_text("К оплате")


def test_fast_scans_add_up_and_unknown_barcode_is_explained(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    for _ in range(3):
        screen.scan(BARCODES["MILK"])
    screen.scan("4600000000999")
    screen.wait_lines(1)
    expect(page.locator("#cart-body tr .qty-value")).to_have_text("3")
    expect(page.locator("#msgbar")).to_contain_text("Товар со штрихкодом 4600000000999 не найден")
    screen.wait_quoted()
    expect(page.locator("#total")).to_have_text(re.compile(r"269,70\s₽"))
    # a label that will not scan: the code typed on the on-screen pad
    for digit in BARCODES["WATER"]:
        page.click(f".code-pad .cp-key:text-is('{digit}')")
    page.click(".code-pad .cp-enter")
    screen.wait_lines(2)
    expect(page.locator("#cart-body tr").nth(1).locator(".line-name")).to_have_text("Вода 1.5 л")
    expect(page.locator("#scan")).to_be_focused()


def test_a_product_named_like_html_is_shown_as_text(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    screen.scan(XSS_BARCODE)
    screen.wait_lines(1)
    name = page.locator("#cart-body tr .line-name")
    expect(name).to_have_text(XSS_NAME)               # the literal text, visible
    expect(name).to_be_visible()
    assert page.locator("#cart-body img").count() == 0
    expect(page.locator("#msgbar")).to_contain_text(XSS_NAME)

    # the search results show it as text too
    page.keyboard.press("F2")
    page.fill("#search-input", "img")
    result = page.locator("#search-results .r-name")
    expect(result).to_have_text(XSS_NAME)
    assert page.locator("#search-results img").count() == 0
    page.keyboard.press("Escape")

    # and so does the receipt after paying by card
    page.keyboard.press("F5")
    page.keyboard.press("F3")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-panel:not([hidden])")
    expect(page.locator("#receipt-text")).to_contain_text(XSS_NAME)
    assert page.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert screen.dialogs == [], "a script in a product name ran"
    assert not screen.errors


def test_search_by_name_adds_the_chosen_item_and_weighed_item_asks_weight(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    page.keyboard.press("F2")
    page.locator("#search-input").type("хлеб", delay=20)
    expect(page.locator("#search-results .result")).to_have_count(1)
    page.keyboard.press("Enter")
    screen.wait_lines(1)
    expect(page.locator("#cart-body .line-name")).to_have_text("Хлеб Бородинский")

    screen.scan(BARCODES["CHEESE"])          # sold by weight: the screen asks for it
    page.wait_for_selector("#weight-input")
    expect(page.locator("#weight-input")).to_be_focused()
    page.locator("#weight-input").type("0,755", delay=40)
    expect(page.locator("#weight-preview")).to_contain_text("678,75")
    page.keyboard.press("Enter")
    screen.wait_lines(2)
    expect(page.locator("#cart-body tr").nth(1).locator(".qty-value")).to_have_text("0,755 кг")
    screen.wait_quoted()
    expect(page.locator("#total")).to_have_text(re.compile(r"733,25\s₽"))


def test_split_payment_card_and_cash(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    screen.scan(BARCODES["COFFEE"])
    screen.scan(BARCODES["COFFEE"])
    screen.wait_lines(1)
    expect(page.locator("#total")).to_have_text(re.compile(r"918,00\s₽"))  # both scans quoted
    page.keyboard.press("F5")
    page.wait_for_selector("#pay-cash")
    page.keyboard.press("F4")                      # split
    expect(page.locator("#pay-card")).to_be_focused()
    page.locator("#pay-card").type("600", delay=40)
    expect(page.locator("#pay-card")).to_have_value("600")
    page.locator("#pay-cash").click()
    page.locator("#pay-cash").type("400", delay=40)   # 918 - 600 = 318 due in cash
    expect(page.locator("#pay-change")).to_have_text(re.compile(r"82,00\s₽"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-panel:not([hidden])")
    sale = Http(agent.base_url, "maria").get("/api/v1/sales?limit=1")[1]["items"][0]
    assert sale["payments"] == [{"method": "card", "amount": 60000}, {"method": "cash", "amount": 40000}]
    assert sale["change"] == 8200


def test_a_scan_into_the_payment_screen_does_not_pay(agent, screen):
    """FIELD-NOTES: a scanner's Enter must never act as a keyboard action (pay, close)."""
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    screen.scan(BARCODES["MILK"])
    screen.wait_lines(1)
    screen.wait_quoted()
    page.keyboard.press("F5")
    page.wait_for_selector("#pay-cash")
    screen.scan(BARCODES["BREAD"])                 # 13 digits + Enter into the cash field
    expect(page.locator(".dialog-pay .form-msg")).to_contain_text("штрихкод")
    expect(page.locator("#pay-cash")).to_have_value("")
    assert Http(agent.base_url, "maria").get("/api/v1/sales?limit=1")[1]["items"] == []
    page.keyboard.press("Escape")
    expect(page.locator(".dialog-pay")).to_have_count(0)
    screen.wait_lines(1)


def test_voiding_the_whole_sale_needs_a_manager_pin(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    screen.scan(BARCODES["MILK"])
    screen.scan(BARCODES["WATER"])
    screen.wait_lines(2)
    page.keyboard.press("F10")
    page.wait_for_selector("#void-pin")
    page.fill("#void-login", "maria")
    page.fill("#void-pin", "1234")
    page.keyboard.press("Enter")
    expect(page.locator(".dialog .form-msg")).to_have_text("Неверный логин или PIN менеджера.")
    screen.wait_lines(2)
    page.fill("#void-pin", "9999")
    page.keyboard.press("Enter")
    screen.wait_lines(0)
    expect(page.locator("#msgbar")).to_contain_text("Мария")
    # removing a single line needs nobody
    screen.scan(BARCODES["MILK"])
    screen.wait_lines(1)
    page.keyboard.press("F8")
    screen.wait_lines(0)


def test_customer_by_phone_registered_attached_and_bonus_redeemed(make_agent, screen_for):
    agent = make_agent(loyalty={"welcome_bonus": 5000})
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    screen.scan(BARCODES["COFFEE"])
    screen.wait_lines(1)
    page.keyboard.press("F4")
    page.locator("#cust-phone").type("8 916 123-45-67", delay=20)
    page.keyboard.press("Enter")
    expect(page.locator("#cust-result")).to_contain_text("не найден")
    page.fill("#cust-new-name", "Ольга <b>")
    page.keyboard.press("F2")
    expect(page.locator("#cust-found-name")).to_have_text("Ольга <b>")
    page.keyboard.press("Enter")
    expect(page.locator("#cust-name")).to_have_text("Ольга <b>")
    expect(page.locator("#customer-box")).to_contain_text("+7 916 123-45-67")
    screen.wait_quoted()
    page.locator("#btn-redeem").click()
    page.wait_for_selector("#redeem-input")
    page.keyboard.press("Enter")                    # the suggested amount: the most allowed
    screen.wait_quoted()
    expect(page.locator("#total")).to_have_text(re.compile(r"409,00\s₽"))   # 459 - 50 bonus
    page.keyboard.press("F5")
    page.keyboard.press("F3")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-panel:not([hidden])")
    sale = Http(agent.base_url, "maria").get("/api/v1/sales?limit=1")[1]["items"][0]
    assert sale["customer_phone"] == "+79161234567" and sale["bonus_redeemed"] == 5000
    assert not screen.errors
