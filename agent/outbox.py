"""The outbox: events for the hub, written in the same transaction as what they describe.

``seq`` is gapless per store because it is assigned as MAX+1 inside the writer's
``BEGIN IMMEDIATE`` transaction (one writer at a time) and rows are never deleted.
"""

from __future__ import annotations

import json
import uuid

from . import clock, event_schema, sql
from .errors import Invalid
from .models import Outbox, SyncState, database


def dumps(payload) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def emit(event_type: str, payload: dict, schema: int = 1) -> Outbox:
    """Append one event.  Must run inside a write transaction.

    The event is checked against ``event_schema`` first: what the hub would refuse is
    refused here with ``Invalid``, so the business transaction rolls back and nothing of
    the action is written (a store never commits an event that would stop its sync)."""
    if not database.in_transaction():
        raise RuntimeError("outbox.emit must run inside the business transaction")
    try:
        event_schema.check(event_type, payload)
    except event_schema.SchemaError as e:
        raise Invalid(f"{e.field} {e.reason}", field=e.field, code="invalid_event") from None
    row = Outbox(seq=(sql.scalar("SELECT MAX(seq) FROM outbox") or 0) + 1,
                 event_id=str(uuid.uuid4()), type=event_type, schema=schema,
                 occurred_at=clock.iso(), payload=dumps(payload))
    sql.insert("INSERT INTO outbox (seq, event_id, type, schema, occurred_at, payload)"
               " VALUES (?, ?, ?, ?, ?, ?)",
               (row.seq, row.event_id, row.type, row.schema, row.occurred_at, row.payload))
    return row


def envelope(row: Outbox, store_id: str) -> dict:
    return {
        "event_id": row.event_id,
        "store_id": store_id,
        "seq": row.seq,
        "type": row.type,
        "schema": row.schema,
        "occurred_at": row.occurred_at,
        "payload": json.loads(row.payload),
    }


def get_state(key: str, default: str | None = None) -> str | None:
    row = SyncState.get_or_none(SyncState.key == key)
    return row.value if row else default


def set_state(key: str, value) -> None:
    SyncState.insert(key=key, value=str(value)).on_conflict_replace().execute()


def acked_through() -> int:
    return int(get_state("acked_through", "0"))


def last_seq() -> int:
    return Outbox.select(Outbox.seq).order_by(Outbox.seq.desc()).limit(1).scalar() or 0


def pending(after: int, limit: int, max_bytes: int | None = None) -> list[Outbox]:
    """Events after ``after`` in seq order, at most ``limit`` and (roughly) ``max_bytes``."""
    rows, size = [], 0
    for row in Outbox.select().where(Outbox.seq > after).order_by(Outbox.seq).limit(limit):
        size += len(row.payload) + 200
        if rows and max_bytes and size > max_bytes:
            break
        rows.append(row)
    return rows


def mark_acked(through: int) -> int:
    """Record the hub's contiguous ack; never moves backwards.  Caller holds the write lock."""
    through = min(int(through), last_seq())
    current = acked_through()
    if through <= current:
        return current
    now = clock.iso()
    Outbox.update(acked_at=now).where((Outbox.seq > current) & (Outbox.seq <= through)).execute()
    set_state("acked_through", through)
    return through
