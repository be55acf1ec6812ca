"""Discounts in a real browser (issue 19): Alt+S on the sale screen, a line or the whole
receipt, percent or amount, a reason; past the cashier's limit a manager's login and PIN in
place (the returns screen's fields), and the sale goes through at the discounted total."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BARCODES, Http

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def test_a_line_discount_within_the_limit_then_a_receipt_discount_a_manager_approves(agent, screen):
    page = screen.page
    screen.login("anna")
    screen.open_shift("2000")
    screen.scan(BARCODES["COFFEE"])          # 459,00
    screen.scan(BARCODES["MILK"])            # 89,90
    screen.wait_lines(2)
    screen.wait_quoted()
    page.locator("#cart-body tr").nth(0).click()

    # 10 % off the coffee line: within the cashier's limit, no manager.
    page.keyboard.press("Alt+s")
    page.wait_for_selector("#disc-value")
    page.fill("#disc-value", "10")
    page.keyboard.press("Enter")             # no reason yet: refused in place
    expect(page.locator(".dialog .form-msg")).to_have_text("Для скидки нужна причина.")
    page.fill("#disc-reason", "витринный образец")
    page.keyboard.press("Enter")
    page.wait_for_selector("#disc-value", state="detached")
    screen.wait_quoted()
    expect(page.locator("#total")).to_have_text(re.compile(r"503,00\s₽"))   # 413,10 + 89,90

    # 20 % off the whole receipt: over the limit, a manager approves with login and PIN.
    page.locator("#btn-discount").click()
    page.wait_for_selector("#disc-value")
    page.locator("#disc-scope-receipt").click()
    page.fill("#disc-value", "20")
    page.fill("#disc-reason", "жалоба покупателя")
    page.keyboard.press("Enter")
    page.wait_for_selector("#disc-approval:not([hidden])")
    page.fill("#disc-login", "boris")         # a senior will not do
    page.fill("#disc-pin", "2222")
    page.keyboard.press("Enter")
    expect(page.locator(".dialog .form-msg")).to_contain_text("не менеджера")
    page.fill("#disc-login", "maria")
    page.fill("#disc-pin", "")
    page.click("#disc-pin")
    for digit in "9999":
        page.click(f".dialog .kp-key:text-is('{digit}')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#disc-value", state="detached")
    screen.wait_quoted()
    expect(page.locator("#total")).to_have_text(re.compile(r"402,40\s₽"))   # 503,00 - 100,60
    screen.shot("07-discount")

    page.keyboard.press("F5")
    page.wait_for_selector("#pay-cash")
    expect(page.locator("#pay-due")).to_have_text(re.compile(r"402,40\s₽"))
    page.locator("#pay-cash").type("500", delay=40)
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-panel:not([hidden])")
    http = Http(agent.base_url)
    http.token = page.evaluate("sessionStorage.getItem('pos.token')")
    sale = http.get("/api/v1/sales?limit=1")[1]["items"][0]
    assert sale["total"] == 40240 and sale["discount_approved_by"] == "maria"
    assert [ln["manual_discount"] for ln in sale["lines"]] == [4590 + 8262, 1798]
    assert "approval" not in page.evaluate("JSON.stringify(sessionStorage)")  # no PIN kept
    assert "9999" not in page.evaluate("JSON.stringify(sessionStorage)")
    assert not screen.errors
