"""The shift in a real browser: open with cash, X report, cash out, close with the Z report."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BARCODES

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def test_open_sell_x_report_cash_out_close_and_z_report(agent, screen):
    page = screen.page
    screen.login("boris")
    # No shift open: the screen goes to opening it, and the top bar says so.
    page.wait_for_selector("#shift-opening")
    expect(page.locator("#tb-meta")).to_contain_text("Смена закрыта")
    for key in "1500":
        page.click(f"#part-shift .kp-key:text-is('{key}')")
    page.click("#shift-open")
    page.wait_for_selector("body[data-view='sale']")
    expect(page.locator("#tb-meta")).to_contain_text("Смена 1")

    screen.scan(BARCODES["BREAD"])
    screen.wait_lines(1)
    screen.wait_quoted()
    page.keyboard.press("F5")
    page.fill("#pay-cash", "100")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-panel:not([hidden])")

    page.keyboard.press("F7")
    page.wait_for_selector("#x-report")
    expect(page.locator("#shift-title")).to_have_text("Смена 1 · X-отчёт")
    expect(page.locator("#x-report")).to_contain_text("54,50")
    expect(page.locator("#x-expected")).to_have_text(re.compile(r"1\s554,50\s₽"))

    page.keyboard.press("F4")                     # cash out
    page.fill("#cash-move-amount", "500")
    page.locator(".chip", has_text="Инкассация").click()
    page.fill("#cash-move-login", "maria")        # cash out needs a manager by default
    page.fill("#cash-move-pin", "9999")
    page.keyboard.press("Enter")
    expect(page.locator("#x-expected")).to_have_text(re.compile(r"1\s054,50\s₽"))
    screen.shot("07-shift-x-report")

    page.keyboard.press("F8")
    page.wait_for_selector("#shift-counted")
    page.fill("#shift-counted", "1050")
    page.keyboard.press("Enter")
    page.wait_for_selector("#z-report")
    expect(page.locator("#shift-title")).to_have_text("Смена 1 закрыта · Z-отчёт")
    expect(page.locator("#z-counted")).to_have_text(re.compile(r"1\s050,00\s₽"))
    expect(page.locator("#z-difference")).to_have_attribute("data-kind", "short")
    expect(page.locator("#z-difference")).to_contain_text("Недостача")
    expect(page.locator("#z-difference")).to_contain_text("4,50")
    expect(page.locator("#tb-meta")).to_contain_text("Смена закрыта")
    screen.shot("08-shift-z-report", doc=False)

    # With the shift closed the sale screen says so, and selling is refused with a reason.
    page.keyboard.press("Escape")
    expect(page.locator("#shift-banner")).to_be_visible()
    screen.scan(BARCODES["MILK"])
    screen.wait_lines(1)
    page.keyboard.press("F5")
    expect(page.locator("#msgbar")).to_contain_text("Смена не открыта")
