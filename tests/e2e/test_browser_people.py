"""The manager's back office in a real browser: the cashiers (add, new PIN, deactivate,
unlock) and the paper reports (X now, Z again, a receipt again) on an emulated printer; a
senior sees the reports but not the cashiers, and the server refuses them anyway."""

from __future__ import annotations

import pytest

from drivers.emulators.printer import VirtualNetworkPrinter
from tests.e2e.conftest import BARCODES, Http

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def test_a_manager_runs_the_cashiers_from_the_screen(agent, screen, screen_for):
    page = screen.page
    screen.login("maria")
    page.keyboard.press("F11")
    page.wait_for_selector("body[data-view='backoffice']")
    page.keyboard.press("F9")
    rows = page.locator("#bo-cashiers tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#bo-cashiers tr[data-login='maria'] .people-actions button")).to_have_count(1)  # no self-deactivate

    page.fill("#bo-add-login", "olga")
    page.fill("#bo-add-name", "<b>Ольга</b>")
    page.select_option("#bo-add-role", "senior")
    page.fill("#bo-add-pin", "12")  # too short: refused, nothing added
    page.click("#bo-add-cashier")
    expect(page.locator("#bo-people-msg")).to_be_visible()
    assert Http(agent.base_url, "maria").get("/api/v1/cashiers")[1]["items"].__len__() == 3
    page.fill("#bo-add-pin", "5555")
    page.keyboard.press("F6")
    expect(page.locator("#bo-cashiers tr[data-login='olga'] td").nth(1)).to_have_text("<b>Ольга</b>")
    assert Http(agent.base_url).post("/api/v1/session", {"login": "olga", "pin": "5555"})[0] == 200

    page.click("#bo-pin-anna")
    page.fill("#bo-new-pin", "4444")
    page.click("#bo-save-pin")
    expect(page.locator("#bo-people-msg")).to_contain_text("Анна")
    assert Http(agent.base_url).post("/api/v1/session", {"login": "anna", "pin": "1111"})[0] == 401
    assert Http(agent.base_url).post("/api/v1/session", {"login": "anna", "pin": "4444"})[0] == 200

    other = screen_for(agent).open()  # boris signed in at another till, then deactivated
    other.login("boris")
    page.click("#bo-deactivate-boris")
    expect(page.locator("#bo-cashiers tr[data-login='boris']")).to_have_attribute("data-active", "false")
    expect(page.locator("#bo-activate-boris")).to_be_visible()
    other.page.keyboard.press("F11")  # his next request: signed out
    other.page.wait_for_selector("#view-login:not([hidden])")
    assert Http(agent.base_url).post("/api/v1/session", {"login": "boris", "pin": "2222"})[0] == 401

    for _ in range(agent.store.config.get("security", "pin_attempts")):
        Http(agent.base_url).post("/api/v1/session", {"login": "olga", "pin": "0000"})
    page.keyboard.press("F9")  # the list again
    expect(page.locator("#bo-cashiers tr[data-login='olga']")).to_have_attribute("data-locked", "true")
    page.click("#bo-unlock-olga")
    expect(page.locator("#bo-cashiers tr[data-login='olga']")).to_have_attribute("data-locked", "false")
    assert Http(agent.base_url).post("/api/v1/session", {"login": "olga", "pin": "5555"})[0] == 200
    page.fill("#bo-add-login", "petr")  # F6 after the list was redrawn: the form on screen
    page.fill("#bo-add-name", "Пётр")
    page.fill("#bo-add-pin", "6666")
    page.keyboard.press("F6")
    expect(page.locator("#bo-cashiers tr[data-login='petr']")).to_have_count(1)
    expect(page.locator("#bo-people-msg")).to_contain_text("Пётр")
    screen.shot("19-backoffice-cashiers")
    assert not screen.errors


def test_the_english_screen_and_a_senior_without_the_cashiers_tab(make_agent, screen_for):
    agent = make_agent(ui={"language": "en"})
    s = screen_for(agent).open()
    s.login("boris")
    s.page.keyboard.press("F11")
    s.page.wait_for_selector("body[data-view='backoffice']")
    expect(s.page.locator("#bo-tab-reports")).to_contain_text("Reports")
    expect(s.page.locator("#bo-tab-people")).to_have_count(0)
    s.page.keyboard.press("F9")  # nothing: the tab is not his
    expect(s.page.locator("#bo-people-form")).to_have_count(0)
    assert Http(agent.base_url, "boris").get("/api/v1/cashiers")[0] == 403


@pytest.fixture
def printer():
    p = VirtualNetworkPrinter().start()
    yield p
    p.close()


def test_reports_and_a_reprint_come_out_of_the_emulated_printer(make_agent, screen_for, printer):
    agent = make_agent(devices={"printer": f"escpos+tcp://127.0.0.1:{printer.port}",
                                "print_retry_max": 0.5})
    anna = Http(agent.base_url, "anna")
    assert anna.post("/api/v1/shifts/open", {"opening_cash": 10000})[0] == 201
    status, sale = anna.post("/api/v1/sales", {"client_ref": "r1", "lines": [{"barcode": BARCODES["BREAD"], "qty": 1}],
                                               "payments": [{"method": "card", "amount": 5450}]})
    assert status == 201, sale
    printer.wait_for_jobs(1, timeout=15)
    s = screen_for(agent).open()
    s.login("maria")
    page = s.page
    page.keyboard.press("F11")
    page.wait_for_selector("body[data-view='backoffice']")
    page.keyboard.press("F7")
    page.wait_for_selector("#bo-print-x")  # the tab has loaded
    page.keyboard.press("F6")  # the X report
    expect(page.locator("#bo-reports-msg")).to_contain_text("X")
    printer.wait_for_jobs(2, timeout=15)
    assert "X-ОТЧЁТ" in printer.text(1)
    page.click(f"#bo-reprint-{sale['sale_id']}")
    printer.wait_for_jobs(3, timeout=15)
    assert "Хлеб" in printer.text(2)
    assert anna.post("/api/v1/shifts/close", {"counted_cash": 10000})[0] == 200
    printer.wait_for_jobs(4, timeout=15)  # the Z at close
    assert "Z-ОТЧЁТ" in printer.text(3)
    page.keyboard.press("F7")  # the list again: the closed shift
    page.click("#bo-reports-form [data-shift-id] button")
    printer.wait_for_jobs(5, timeout=15)
    assert "Z-ОТЧЁТ" in printer.text(4)
    assert not s.errors
