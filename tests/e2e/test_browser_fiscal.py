"""Fiscal register trouble on the screen (issue 13): the sale screen says the receipt failed,
a manager lists the receipts the register did not take and voids one, shift close warns and
shows the register's Z pending or done."""

from __future__ import annotations

import time

import pytest

from drivers.fiscal.emulator import ShtrihEmulator
from tests.e2e.conftest import BARCODES

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api",
                             reason="the playwright package is not installed").expect


@pytest.fixture
def register():
    emu = ShtrihEmulator("tcp").start()
    yield emu
    emu.stop()


def sell_bread(screen, cash="100"):
    page = screen.page
    screen.scan(BARCODES["BREAD"])
    screen.wait_lines(1)
    screen.wait_quoted()
    page.keyboard.press("F5")
    page.fill("#pay-cash", cash)
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-panel:not([hidden])")


def test_failed_receipt_is_said_listed_voided_and_warned_at_close(make_agent, screen_for,
                                                                   register):
    agent = make_agent(devices={"fiscal": register.url + "?timeout=2"})
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("maria")
    screen.open_shift("0")
    deadline = time.monotonic() + 20
    while not any(d["type"] == "shift_open" for d in register.journal):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    register.expire_shift()  # the register refuses receipts until a person acts

    sell_bread(screen)
    fiscal = page.locator("#receipt-fiscal[data-status='failed']")
    expect(fiscal).to_contain_text("Чек не пробит ККТ", timeout=15000)
    expect(fiscal).to_contain_text("24")
    sell_bread(screen)
    expect(page.locator("#receipt-fiscal[data-status='failed']")).to_be_visible(timeout=15000)
    screen.shot("13-fiscal-failed-sale")

    page.keyboard.press("F7")
    page.wait_for_selector("#x-report")
    expect(page.locator("#shift-fiscal-warning")).to_contain_text("с ошибкой 2")
    page.click("#shift-fiscal")
    rows = page.locator("#fiscal-list .fiscal-row")
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".fiscal-retry")).to_be_visible()
    rows.first.locator(".fiscal-void").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "failed")
    screen.shot("13-fiscal-list")
    page.keyboard.press("Escape")

    page.click("#shift-close")
    expect(page.locator("#close-fiscal-warning")).to_contain_text("с ошибкой 1")
    page.fill("#shift-counted", "54,50")
    page.keyboard.press("Enter")
    page.wait_for_selector("#z-report")
    expect(page.locator("#z-fiscal")).to_contain_text("Z-отчёт ККТ")
    assert not screen.errors, screen.errors
