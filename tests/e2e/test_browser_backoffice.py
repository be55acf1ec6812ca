"""The back office in a real browser: a manager receives an expected delivery by scanning
(a shortage, a surplus, a damaged item), sees the act, counts blind, writes off and sends a
transfer; a cashier does not get in."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import BARCODES, XSS_BARCODE, XSS_NAME, Http, norm

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def expect_delivery(agent):
    from agent import deliveries
    from agent.catalog import product_by_sku
    store = agent.store
    with store.db.write():
        d, _ = deliveries.add_expected("hub:H9", "hub", "УТ-77", "ООО <Поставщик>", [
            {"product": product_by_sku(sku), "name": product_by_sku(sku).name, "qty": q}
            for sku, q in (("MILK", 4000), ("BREAD", 2000), ("COFFEE", 1000), ("XSS", 1000))])
    return d.id


def stock(http, sku):
    return http.get(f"/api/v1/stock?sku={sku}")[1]["on_hand"]


def test_a_manager_receives_a_delivery_by_scanning_and_sees_the_act(agent, screen):
    did = expect_delivery(agent)
    page = screen.page
    screen.login("maria")
    page.keyboard.press("F11")
    page.wait_for_selector("body[data-view='backoffice']")
    expect(page.locator("#bo-delivery")).to_contain_text("УТ-77 — ООО <Поставщик>")
    expect(page.locator("#bo-receive-scan")).to_be_focused()
    for _ in range(3):
        screen.scan(BARCODES["MILK"])  # 3 of 4: a shortage
    screen.scan("3*" + BARCODES["BREAD"])  # 3 of 2: a surplus
    screen.scan(XSS_BARCODE)
    expect(page.locator("#bo-receive-body tr[data-sku='MILK']")).to_have_attribute("data-qty", "3000")
    page.keyboard.press("F8")  # the next scan is a damaged item
    screen.scan(BARCODES["COFFEE"])
    expect(page.locator("#bo-receive-body tr[data-sku='COFFEE'] input[data-role='damaged']")).to_have_value("1")
    expect(page.locator("#bo-receive-body tr[data-sku='XSS'] input[data-role='damaged']")).to_have_value("")
    screen.shot("10-backoffice-receive", doc=True)
    page.keyboard.press("F6")
    expect(page.locator("#bo-act-title")).to_contain_text("№ 1")
    rows = page.locator("#bo-act-lines tbody tr")
    expect(rows).to_have_count(4)
    milk = norm(page.locator("#bo-act-lines tr[data-sku='MILK']").inner_text())
    assert re.search(r"4\s+3\s+1\s+0\s+0", milk), milk
    bread = norm(page.locator("#bo-act-lines tr[data-sku='BREAD']").inner_text())
    assert re.search(r"2\s+3\s+0\s+1\s+0", bread), bread
    expect(page.locator("#bo-act-lines tr[data-sku='XSS'] td").first).to_have_text(XSS_NAME)
    expect(page.locator("#bo-received [data-delivery-id]")).to_have_count(1)  # the lists follow
    expect(page.locator("#bo-expected [data-delivery-id]")).to_have_count(0)
    page.click("#bo-print-act")
    expect(page.locator("#bo-act > .form-msg")).to_have_text("Сводка поставлена в очередь печати.")
    screen.shot("11-backoffice-act", doc=True)
    http = Http(agent.base_url, "maria")
    assert (stock(http, "MILK"), stock(http, "BREAD"), stock(http, "COFFEE")) == (
        "103.000", "53.000", "20.000")
    import requests
    act = requests.get(f"{agent.base_url}/api/v1/deliveries/{did}/act", timeout=10,
                       headers={"Authorization": f"Bearer {http.token}"})
    assert act.status_code == 200 and "&lt;img src=x" in act.text and "ООО &lt;Поставщик&gt;" in act.text
    assert not screen.dialogs  # the product named like markup never ran


def test_a_blind_count_a_write_off_and_a_transfer_from_the_screen(agent, screen):
    from agent.models import RemoteStock
    with agent.store.db.write():
        RemoteStock.create(store_id="S2", sku="MILK", on_hand_milli=0, updated_at="x")
    page = screen.page
    screen.login("boris")  # a senior
    page.click("#tb-backoffice")
    page.keyboard.press("F4")
    expect(page.locator("#bo-blind-hint")).to_be_visible()
    screen.scan("7*" + BARCODES["WATER"])
    form = norm(page.locator("#bo-count-form").inner_text())
    assert "200" not in form  # the book quantity is not shown before posting
    page.keyboard.press("F6")
    expect(page.locator("#bo-corrections tr[data-sku='WATER']")).to_contain_text("200")
    assert re.search(r"200\s+7\s+−193", norm(page.locator("#bo-corrections tr[data-sku='WATER']").inner_text()))

    page.keyboard.press("F5")
    page.select_option("#bo-reason", "expired")
    screen.scan(BARCODES["MILK"])
    page.keyboard.press("F6")
    expect(page.locator("#bo-writeoff-form > .form-msg")).to_contain_text("проведено")

    page.keyboard.press("F3")
    page.wait_for_selector("#bo-send")
    page.click("#bo-send h2")  # the focus left the field: a scan still reaches it
    expect(page.locator("#bo-transfer-scan")).not_to_be_focused()
    screen.scan("2*" + BARCODES["MILK"])
    page.keyboard.press("F6")
    expect(page.locator("#bo-send > .form-msg")).to_have_text("Выберите магазин-получатель.")
    page.select_option("#bo-to-store", "S2")
    page.keyboard.press("F6")
    expect(page.locator("#bo-transfer-title")).to_contain_text("S1:T1: S1 → S2 · в пути")
    expect(page.locator("#bo-outgoing [data-transfer-id='S1:T1']")).to_have_count(1)
    http = Http(agent.base_url, "maria")
    assert (stock(http, "WATER"), stock(http, "MILK")) == ("7.000", "97.000")


def test_a_cashier_has_no_back_office(agent, screen):
    page = screen.page
    screen.login("anna")
    expect(page.locator("#tb-backoffice")).to_be_hidden()
    page.keyboard.press("F11")
    assert page.locator("body[data-view='backoffice']").count() == 0
