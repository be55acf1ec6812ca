"""The hub console in Chromium: sign-in, stale stores first, the sales chart drawn by the
vendored uPlot under the strict CSP, store-sent text shown as text, ru/en."""

from __future__ import annotations

import os
import random
import shutil
import uuid

import pytest

from tests.sync.hubkit import HubServer
from tests.sync.test_hub_console_orders import HOSTILE_REASON, HOSTILE_SKU, PHONE, seed_orders
from tests.sync.test_hub_fleet import at, push

from .conftest import DOC_SHOTS, SHOTS, XSS_NAME

HOSTILE_REGISTER = "<script>alert(2)</script>"
PRODUCTS = [("MILK", "Молоко 3,2% 1 л", 8990, "10"), ("BREAD", "Хлеб «Бородинский»", 5490, "10"),
            ("TEA", "Чай чёрный «Цейлон»", 32900, "20"), ("XSS", XSS_NAME, 1000, "20")]


def _store_events(store_id, rng, lateness=0.3):
    when = at(lateness)
    events, seq = [], 0

    def add(etype, payload):
        nonlocal seq
        seq += 1
        events.append({"event_id": str(uuid.uuid4()), "store_id": store_id, "seq": seq,
                       "type": etype, "schema": 1, "occurred_at": when, "payload": payload})
    add("shift.opened", {"shift_id": 1, "register_id": HOSTILE_REGISTER})
    sale_id = 0
    for day in range(14, -1, -1):
        for _ in range(rng.randint(2, 6)):
            sale_id += 1
            lines = []
            for sku, name, price, vat in rng.sample(PRODUCTS, 2):
                qty = rng.randint(1, 3)
                lines.append({"line_id": sale_id * 10 + len(lines), "sku": sku, "name": name,
                              "qty": f"{qty}.000", "price": price, "amount": price * qty,
                              "discount": 0, "vat": vat})
            add("sale.completed", {"sale_id": sale_id, "total": sum(x["amount"] for x in lines),
                                   "shift_id": 1, "created_at": at(day * 86400 + 3600),
                                   "lines": lines})
    add("shift.closed", {"shift_id": 1, "register_id": HOSTILE_REGISTER, "number": 1,
                         "sales_count": sale_id, "sales_total": 0})
    return events


@pytest.fixture
def chain(tmp_path):
    hub = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, timezone="Europe/Moscow")
    rng = random.Random(18)
    pushed = {}
    for i in range(1, 9):
        sid = f"S{i:02d}"
        tok = hub.add_store(sid)
        if sid == "S05":
            continue  # registered, never called: dead
        events = _store_events(sid, rng, lateness=600 if sid == "S03" else 0.3)
        push(hub, tok, sid, events, head=len(events))
        pushed[sid] = (sid, tok, len(events))
    seed_orders(hub, {"S1": pushed["S01"], "S2": pushed["S02"]})  # pick-up orders, 2 overdue
    yield hub
    hub.stop()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("STORE_AGENT_UPDATE_DOC_SHOTS"):  # refresh the README's pictures
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SHOTS / f"{name}.png")


def test_console_in_chromium(browser, chain):
    from playwright.sync_api import expect
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale="ru-RU")
    page = ctx.new_page()
    dialogs, csp = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text
            else None)
    try:
        page.goto(chain.url + "/")
        expect(page).to_have_url(chain.url + "/login")
        page.fill("input[name=token]", "wrong-token-000")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_have_text("Неверный токен администратора")
        page.fill("input[name=token]", chain.admin_token)
        page.click("button[type=submit]")
        rows = page.locator("#stores tbody tr")
        expect(rows).to_have_count(8)
        assert rows.nth(0).get_attribute("data-store") == "S05"
        assert rows.nth(0).get_attribute("data-status") == "dead"
        assert rows.nth(1).get_attribute("data-store") == "S03"
        assert rows.nth(1).get_attribute("data-status") == "lagging"
        assert page.locator("#stores tbody tr[data-status=ok]").count() == 6
        _shot(page, "console-stores")

        page.click("text=Продажи")
        expect(page.locator("#chart .uplot")).to_have_count(1)  # our script ran under the CSP
        names = page.locator("#by-product td:nth-child(2)")
        assert XSS_NAME in names.all_inner_texts()  # shown as text
        assert page.locator("#by-product img").count() == 0
        _shot(page, "console-sales")

        page.goto(chain.url + "/console/stores/S01")
        z = page.locator("#z tbody tr").first
        expect(z).to_contain_text(HOSTILE_REGISTER)
        assert page.locator("main script").count() == 0
        _shot(page, "console-store")

        page.click("header nav >> text=Заказы")
        orders = page.locator("#orders tbody tr")
        expect(orders).to_have_count(7)
        assert [orders.nth(i).get_attribute("data-overdue") for i in range(3)] == [
            "yes", "yes", "no"]
        assert orders.nth(0).get_attribute("data-order") == "O-LATEST"
        expect(orders.nth(0).locator(".status.dead")).to_have_text("просрочен")
        assert orders.nth(0).evaluate("tr => getComputedStyle(tr.cells[0]).borderLeftWidth") \
            == "4px"  # highlighted by the stylesheet the CSP lets in
        phones = page.locator("#orders td.phone").all_inner_texts()
        assert set(phones) == {"•••" + PHONE[-4:]}
        assert HOSTILE_SKU in page.locator("#orders").inner_text()  # shown as text
        assert page.locator("#orders img").count() == 0
        _shot(page, "console-orders")
        page.select_option("select[name=store_id]", "S02")
        page.click(".filters button")
        expect(orders).to_have_count(2)
        page.click("#orders a:text-is('O-LATE')")
        expect(page.locator("h1")).to_contain_text("O-LATE")
        expect(page.locator("#order-history tbody tr")).to_have_count(4)
        assert "O-LATEST" not in page.locator("h1").inner_text()
        page.goto(chain.url + "/console/orders/O-HOSTILE")
        expect(page.locator("#reason")).to_have_text(HOSTILE_REASON)
        assert page.locator("main script").count() == 0

        page.goto(chain.url + "/console/stores/S01")
        page.click("button[value=en]")
        expect(page.locator("h1")).to_contain_text("Store S01")
        expect(page.locator("#orders tbody tr")).to_have_count(3)
        page.goto(chain.url + "/console/stock")
        expect(page.locator("#stock")).to_contain_text(XSS_NAME)
        assert page.locator("#stock img").count() == 0
        assert dialogs == [] and csp == []
    finally:
        ctx.close()
