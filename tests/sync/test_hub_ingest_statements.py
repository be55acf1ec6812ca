"""The hub's ingest is set-based: a push costs a few statements whatever the batch size, the
replay record shares the batch's transaction, and loyalty work only runs for loyalty events.
Counted at the driver (every cursor execute, commit and rollback on PostgreSQL; the
last writes of a batch go together in one execute)."""

from __future__ import annotations

import psycopg2.extensions
import pytest

from .hubkit import HubServer, event, push_raw
from .test_hub_ingest import PHONE, sale

pytestmark = pytest.mark.postgres
SEEN: list[str] = []


class CountingCursor(psycopg2.extensions.cursor):
    def execute(self, query, vars=None):
        SEEN.append(query.decode() if isinstance(query, bytes) else str(query))
        return super().execute(query, vars)


class CountingConnection(psycopg2.extensions.connection):
    def commit(self):
        SEEN.append("COMMIT")
        return super().commit()

    def rollback(self):
        SEEN.append("ROLLBACK")
        return super().rollback()


@pytest.fixture
def counted_hub(pg_url, tmp_path):
    hub = HubServer(pg_url, tmp_path)
    db = hub.app.config["HUB_DB"]
    db.close_all()
    db.connect_params.update(connection_factory=CountingConnection,
                                 cursor_factory=CountingCursor)
    yield hub
    hub.stop()


def statements(hub, tok, events) -> list[str]:
    SEEN.clear()
    r = push_raw(hub.url, tok, "S1", events)
    assert r.status_code == 200, r.text
    return [s for s in SEEN if s.strip().upper() != "BEGIN"]


def sales(first_seq, n, skus=7):
    return [sale(first_seq + i, first_seq + i, 100 + i, sku=f"SKU{i % skus}") for i in range(n)]


def test_a_batch_of_sales_costs_a_few_statements_whatever_its_size(counted_hub):
    hub = counted_hub
    tok = hub.add_store("S1")
    statements(hub, tok, sales(1, 5))  # warm up: the store's first contact is noted once
    small = statements(hub, tok, sales(6, 5))
    big = statements(hub, tok, sales(11, 500, skus=500))  # 500 events, 500 stock rows
    # auth; replay record + position; events; sales; sale lines; stock + holds + position;
    # commit
    assert len(big) == len(small) <= 7, big
    assert "SELECT 1" not in big  # a busy pool does not ping every connection it hands out
    assert sum(s == "COMMIT" for s in big) == 1, big  # the replay record is in the batch's
    assert not any("hub_customer" in s or "hub_ledger" in s for s in big), big  # no loyalty


def test_a_batch_with_loyalty_events_does_the_loyalty_work(counted_hub):
    hub = counted_hub
    tok = hub.add_store("S1")
    statements(hub, tok, sales(1, 1))
    seen = statements(hub, tok, [
        sale(2, 2, 8990, phone=PHONE),
        event("S1", 3, "loyalty.posted", {"entry_id": 1, "phone": PHONE, "kind": "accrual",
                                          "amount": 450, "sale_id": 2})])
    assert any("hub_ledger" in s for s in seen) and any("hub_customer" in s for s in seen)
    assert sum(s == "COMMIT" for s in seen) == 1, seen
