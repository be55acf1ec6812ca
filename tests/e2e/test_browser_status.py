"""The status bar: hub online/offline with the queue, the printer, always on top."""

from __future__ import annotations

import socket

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]          # closed again when the socket goes


def test_hub_unreachable_shows_offline_and_the_events_waiting(make_agent, screen_for):
    try:
        import sync.wiring  # noqa: F401
    except ImportError:
        pytest.skip("sync.wiring (the outbox pusher) is not in this build yet")
    agent = make_agent(hub={"url": f"http://127.0.0.1:{closed_port()}", "token": "t" * 32,
                            "push_interval": 0.2, "timeout": 1.0})
    screen = screen_for(agent).open()
    page = screen.page
    screen.login("anna")
    screen.open_shift("1000")                 # shift.opened is an event to send
    hub = page.locator("#st-hub")
    expect(hub).to_have_attribute("data-state", "bad", timeout=15000)
    expect(hub).to_contain_text("Хаб: нет связи")
    expect(hub).to_contain_text("в очереди")
    screen.shot("09-status-hub-offline")


def test_printer_and_hub_states_are_shown_in_words(agent, screen):
    agent.status_sources["sync"] = lambda: {"pending": 0, "acked_through": 7, "hub_reachable": True,
                                            "hub_configured": True, "last_push_at": None,
                                            "last_error": None}
    agent.status_sources["printer"] = lambda: {"state": "paper_out", "message": "no paper"}
    page = screen.page
    screen.login("anna")
    expect(page.locator("#st-hub")).to_have_attribute("data-state", "ok")
    expect(page.locator("#st-hub")).to_have_text("Хаб: на связи")
    expect(page.locator("#st-printer")).to_have_text("Принтер: нет бумаги")
    expect(page.locator("#st-printer")).to_have_attribute("data-state", "bad")
    agent.status_sources["sync"] = lambda: {"pending": 12, "hub_reachable": False}
    agent.status_sources.pop("printer")
    page.click("#status")                     # a tap refreshes it now (else every 5 s)
    expect(page.locator("#st-hub")).to_have_text("Хаб: нет связи · в очереди 12")
    expect(page.locator("#st-printer")).to_have_text("Принтер: —")


def test_a_poison_event_shows_sync_blocked_at_its_seq(make_agent, screen_for, tmp_path):
    """The store's own pusher meets a real hub that refuses one event for good."""
    from tests.sync.hubkit import HubServer
    from tests.sync.test_poison_events import plant_poison
    hub = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    try:
        agent = make_agent(hub={"url": hub.url, "token": hub.add_store("S1"),
                                "push_interval": 0.1})
        seq = plant_poison(agent.store)
        screen = screen_for(agent).open()
        page = screen.page
        screen.login("anna")
        pill = page.locator("#st-hub")
        expect(pill).to_contain_text(f"синхронизация остановлена на событии {seq}", timeout=15000)
        expect(pill).to_contain_text("U+0000")
        expect(pill).to_have_attribute("data-state", "bad")
        screen.shot("10-status-sync-blocked")
        assert not screen.errors
    finally:
        hub.stop()
