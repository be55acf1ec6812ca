"""A till restored from a backup that has not yet caught up with the hub says so in words
when the cashier tries to work, instead of a bare error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def test_a_recovering_till_explains_why_it_refuses(make_agent, screen_for):
    from agent import backup
    agent = make_agent()
    with agent.store.db.write():
        backup.mark_for_recovery(agent.store.db.db, "test")
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("anna")
    page.wait_for_selector("#shift-opening")
    page.fill("#shift-opening", "1000")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_contain_text("догоняет хаб")
    assert page.locator("#tb-meta[data-shift='open']").count() == 0
    assert screen.errors == []
