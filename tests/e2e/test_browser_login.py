"""Signing in, lockout, idle lock, where the token lives, and the interface language."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BARCODES, Http

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def test_a_wrong_pin_is_refused_and_repeated_ones_lock_the_cashier_out(make_agent, screen_for):
    agent = make_agent(security={"pin_attempts": 3, "lockout_minutes": 15})
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("anna", pin="1234", expect_ok=False)
    expect(page.locator("#login-error")).to_have_text("Неверный логин или PIN. Осталось попыток: 2.")
    expect(page.locator("#view-pos")).to_be_hidden()
    expect(page.locator("#login-pin")).to_have_value("")
    assert page.evaluate("sessionStorage.getItem('pos.token')") is None
    screen.shot("01-login-wrong-pin")

    screen.login("anna", pin="4321", expect_ok=False)
    expect(page.locator("#login-error")).to_have_text("Неверный логин или PIN. Осталось попыток: 1.")
    screen.login("anna", pin="5555", expect_ok=False)
    expect(page.locator("#login-error")).to_have_text(re.compile(r"Вход заблокирован на 15 мин"))
    # now even the right PIN is refused until the lockout ends
    screen.login("anna", expect_ok=False)
    expect(page.locator("#login-error")).to_have_attribute("data-code", "locked_out")
    expect(page.locator("#view-pos")).to_be_hidden()
    # another cashier is not affected
    screen.login("boris")
    expect(page.locator("#tb-cashier")).to_have_text("Борис")


def test_the_token_lives_in_session_storage_only_and_dies_with_sign_out(agent, screen):
    page = screen.page
    screen.login("anna")
    token = page.evaluate("sessionStorage.getItem('pos.token')")
    assert token and len(token) > 20
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    assert Http(agent.base_url).call("GET", "/api/v1/session")[0] == 401
    http = Http(agent.base_url)
    http.token = token
    assert http.get("/api/v1/session")[0] == 200
    page.click("#tb-lock")                                 # lock, then "switch cashier" = sign out
    expect(page.locator("#lock")).to_be_visible()
    page.click("#lock-switch")
    expect(page.locator("#view-login")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('pos.token')") is None
    assert http.get("/api/v1/session")[0] == 401          # closed on the agent too
    # a new tab (new browsing context) has no session at all
    other = page.context.browser.new_context()
    try:
        p2 = other.new_page()
        p2.goto(agent.base_url + "/")
        expect(p2.locator("#view-login")).to_be_visible()
    finally:
        other.close()


def test_idle_lock_keeps_the_sale_and_unlocks_with_the_pin(make_agent, screen_for):
    agent = make_agent(ui={"idle_lock_seconds": 2})
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    screen.scan(BARCODES["MILK"])
    screen.wait_lines(1)
    token = page.evaluate("sessionStorage.getItem('pos.token')")
    expect(page.locator("#lock")).to_be_visible(timeout=5000)
    expect(page.locator("#lock-who")).to_contain_text("Анна")
    assert page.evaluate("sessionStorage.getItem('pos.token')") is None
    http = Http(agent.base_url)
    http.token = token
    assert http.get("/api/v1/session")[0] == 401          # the old session is closed
    screen.scan(BARCODES["BREAD"])         # a scan reaches neither the sale nor the PIN check
    expect(page.locator("#lock-error")).to_contain_text("скан штрихкода")
    expect(page.locator("#lock-pin")).to_have_value("")
    page.fill("#lock-pin", "2222")                         # someone else's PIN: refused
    page.keyboard.press("Enter")
    expect(page.locator("#lock-error")).to_contain_text("Неверный логин или PIN")
    page.fill("#lock-pin", "1111")
    page.keyboard.press("Enter")
    expect(page.locator("#lock")).to_be_hidden()
    screen.wait_lines(1)
    expect(page.locator("#cart-body .line-name")).to_have_text("Молоко 3.2% 1 л")
    expect(page.locator("#scan")).to_be_focused()


def test_english_interface_with_its_money_format(make_agent, screen_for):
    agent = make_agent(ui={"language": "en"})
    screen = screen_for(agent).open()
    page = screen.page
    expect(page.locator(".login-title")).to_have_text("Sign in")
    assert page.locator("html").get_attribute("lang") == "en"
    screen.login("anna")
    screen.open_shift("1000")
    for _ in range(12):
        screen.scan(BARCODES["COFFEE"])
    screen.wait_lines(1)
    screen.wait_quoted()
    expect(page.locator("#total")).to_have_text("₽5,508.00")
    expect(page.locator("#btn-pay")).to_contain_text("Pay")
    expect(page.locator("#btn-pay kbd")).to_have_text("F5")


def test_the_page_is_served_with_a_strict_csp_and_no_outside_assets(agent, screen):
    page = screen.page
    resp = page.goto(agent.base_url + "/")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    html = resp.text()
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html
    urls = []
    page.on("request", lambda r: urls.append(r.url))
    page.reload()
    screen.login("anna")
    page.wait_for_timeout(200)
    assert urls and all(u.startswith(agent.base_url) for u in urls), urls
    assert not screen.console_errors or all("409" in e or "CONFLICT" in e for e in screen.console_errors)
