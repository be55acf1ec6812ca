"""Customer phones never reach the hub's log in full: masked as the receipt shows them
(+7916***4567)."""

from __future__ import annotations

import logging

import pytest

from agent.text import mask_phone

from .hubkit import HubServer, event, push_raw, wait_for

PHONE = "+79161234567"


@pytest.mark.parametrize("phone, shown", [(PHONE, "+7916***4567"), ("+12345678", "*******78"),
                                          ("+4915112345678", "+4915***5678"), ("12", "12"),
                                          (None, "-")])
def test_the_log_mask(phone, shown):
    """The same rule as the slip (the typed receipt's ``customer_phone_shown``)."""
    assert mask_phone(phone) == shown


def test_the_ready_notification_logs_a_masked_phone(tmp_path, caplog):
    hub = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, notify="log")
    try:
        tok = hub.add_store("S1")
        with caplog.at_level(logging.INFO, logger="store_hub.notify"):
            r = push_raw(hub.url, tok, "S1", [event("S1", 1, "order.status", {
                "order_id": "W2", "status": "ready", "prepaid": 0, "bonus_redeemed": 0,
                "total": 8990, "customer_phone": PHONE, "ready_at": "2026-03-01T10:00:00Z",
                "lines": [{"sku": "MILK", "qty": "1.000", "price": 8990}],
                "at": "2026-03-01T10:00:00.000000Z"})])
            assert r.status_code == 200, r.text
            wait_for(lambda: any("order W2" in m for m in caplog.messages), timeout=30,
                     what="the notification's log line")
        line = next(m for m in caplog.messages if "order W2" in m)
        assert "+7916***4567" in line and PHONE not in line, line
    finally:
        hub.stop()
