"""Quick keys and the on-screen keyboard in a real browser: a grid from [quick_keys] skus
adds a piece on a press and a weighed product with the (emulated) scale's weight; the letter
keyboard types a search in Russian and, switched, in English."""

from __future__ import annotations

import pytest

from drivers.emulators.scale import VirtualScale
from tests.e2e.conftest import Http, norm

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


@pytest.fixture
def scale():
    s = VirtualScale("0.450").start()
    yield s
    s.close()


def test_quick_keys_add_a_piece_and_a_weighed_product_from_the_scale(make_agent, screen_for, scale):
    agent = make_agent(quick_keys={"skus": ["BREAD", "CHEESE", "WATER"]},
                       devices={"scale": f"{scale.port}?baudrate=9600"})
    s = screen_for(agent).open()
    s.login("anna").open_shift()
    page = s.page
    keys = page.locator("#quick-keys .quick-key")
    expect(keys).to_have_count(3)
    expect(keys.nth(1)).to_have_attribute("data-unit", "kg")
    page.click("#quick-keys .quick-key[data-sku='BREAD']")
    page.click("#quick-keys .quick-key[data-sku='BREAD']")
    expect(page.locator("#cart-body tr .qty-value")).to_have_text("2")
    expect(page.locator("#scan")).to_be_focused()  # back to scanning
    page.click("#quick-keys .quick-key[data-sku='CHEESE']")
    expect(page.locator("#weight-input")).to_have_value("0,450")  # read from the scale
    page.keyboard.press("Enter")
    s.wait_lines(2)
    s.wait_quoted()
    # 2 × 54,50 + 0,450 kg × 899,00 = 109,00 + 404,55
    expect(page.locator("#total")).to_contain_text("513,55")
    s.shot("19-quick-keys")
    assert not s.errors


def test_the_letter_keyboard_types_a_search_in_both_layouts(make_agent, screen_for):
    agent = make_agent(ui={"touch_keyboard": True})
    s = screen_for(agent).open()
    s.login("anna").open_shift()
    page = s.page
    expect(page.locator("#quick-keys")).to_be_hidden()  # none configured
    page.keyboard.press("F2")
    expect(page.locator("#osk")).to_have_attribute("data-layout", "ru")
    for c in "хлеб":
        page.click(f"#osk [data-char='{c}']")
    expect(page.locator("#search-input")).to_have_value("хлеб")
    expect(page.locator("#search-results .result .r-sku")).to_have_text(["BREAD"])
    page.click("#osk-clear")
    page.click("#osk-layout")
    expect(page.locator("#osk")).to_have_attribute("data-layout", "en")
    for c in "milk":
        page.click(f"#osk [data-char='{c}']")
    page.click("#osk-back")
    expect(page.locator("#search-input")).to_have_value("mil")
    expect(page.locator("#search-results .result .r-sku")).to_have_text(["MILK"])  # by SKU
    page.click("#search-results .result")
    s.wait_lines(1)
    expect(page.locator("#cart-body tr .line-name")).to_have_text("Молоко 3.2% 1 л")
    assert not s.errors


def test_no_keyboard_unless_configured(agent, screen):
    screen.login("anna").open_shift()
    screen.page.keyboard.press("F2")
    screen.page.wait_for_selector("#search-input")
    expect(screen.page.locator("#osk")).to_have_count(0)
    assert norm("1 2") == "1 2" and Http(agent.base_url).get("/healthz")[0] == 200
