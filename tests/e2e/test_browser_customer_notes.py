"""The cashier sees why the hub reversed a customer's second welcome bonus."""

import json
import sqlite3

import pytest

from tests.e2e.conftest import BARCODES

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def test_a_reversed_duplicate_welcome_is_explained_on_the_customer_card(make_agent, screen_for,
                                                                         tmp_path):
    agent = make_agent(loyalty={"welcome_bonus": 5000})
    note = {"kind": "welcome_duplicate", "store_id": "S1", "by": "hub", "amount": -5000,
            "reason": "welcome_duplicate", "at": "2026-03-01T10:00:00.000000Z"}
    conn = sqlite3.connect(tmp_path / "store" / "store.db")  # as the hub's feed left it
    with conn:
        conn.execute("INSERT INTO customer (phone, name, created_at, hub_balance, "
                     "hub_confirmed_at, hub_ledger_seq, hub_own_entry, hub_notes) VALUES "
                     "('+79161234567', 'Ольга', '2026-03-01T09:00:00Z', 5000, "
                     "'2026-03-01T10:00:01Z', 3, 0, ?)", (json.dumps([note]),))
    conn.close()
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("anna")
    screen.open_shift()
    screen.scan(BARCODES["COFFEE"])
    screen.wait_lines(1)
    page.keyboard.press("F4")
    page.locator("#cust-phone").type("8 916 123-45-67", delay=20)
    page.keyboard.press("Enter")
    expect(page.locator("#cust-found-name")).to_have_text("Ольга")
    expect(page.locator(".cust-note")).to_contain_text("повторный отменён")
    assert not screen.errors
