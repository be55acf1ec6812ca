"""Poison events: what the hub refused, for the operator to see and clear.

A pushed event that fails validation is recorded in ``hub_rejected_event`` (store, seq,
event id, the body as received, the reason, first/last seen, how often) and the push is
answered 400 ``event_rejected`` with its ``seq`` (nothing of the batch applies; the store
then sends the events before it alone, and says "sync blocked at seq N: reason").

``quarantine`` is the operator's way out: the event's seq is taken by a ``quarantined``
row in ``hub_event`` (the store's events stay gapless ``1..acked_through``), it is never
applied to sales, stock or bonuses, and later pushes of the same event are acknowledged
without being checked again.  The store's totals therefore stay exactly the hub's.
"""

from __future__ import annotations

import hashlib
import json

from .db import retrying
from .errors import Conflict, NotFound
from .sql import Sql, equal_to, iso

FIELDS = ("id", "store_id", "seq", "event_id", "type", "body", "reason", "first_seen",
          "last_seen", "count", "status", "quarantined_at")


def _ascii(value, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(text, ensure_ascii=True)[1:-1][:limit]


def record(db, store_id: str, raw: dict, reason: str) -> None:
    """Remember a refused event (once per store and seq; a repeat counts up)."""
    retrying(db, lambda: write(Sql(db), store_id, raw, reason))


def write(sql: Sql, store_id: str, raw: dict, reason: str, status: str = "rejected") -> None:
    """``record`` inside the caller's transaction; ``status`` ``not_applied``: an event the
    hub holds and acknowledged whose projection refused it (``projector``)."""
    seq = raw.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < 2**63:
        return  # not addressable by seq: the refusal itself says what is wrong
    body = json.dumps(raw, ensure_ascii=True, sort_keys=True, default=str)[:200_000]
    now = iso()
    row = (store_id, seq, _ascii(raw.get("event_id", ""), 64), _ascii(raw.get("type", ""), 64),
           body, reason[:2000], now, now, 1, status)
    sql.run("INSERT INTO hub_rejected_event (store_id, seq, event_id, type, body, reason, "
            "first_seen, last_seen, count, status) VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (store_id, seq) DO UPDATE SET last_seen = excluded.last_seen, "
            "count = hub_rejected_event.count + 1, reason = excluded.reason, "
            "body = excluded.body, event_id = CASE WHEN excluded.status = 'not_applied' "
            "THEN excluded.event_id ELSE hub_rejected_event.event_id END, "
            "type = CASE WHEN excluded.status = 'not_applied' THEN excluded.type "
            "ELSE hub_rejected_event.type END, "
            "status = CASE WHEN excluded.status = 'not_applied' THEN 'not_applied' "
            "ELSE hub_rejected_event.status END", row)


def listing(db, store_id: str | None = None, status: str | None = None) -> list[dict]:
    where, params = equal_to(store_id=store_id, status=status)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = Sql(db).rows(f"SELECT {', '.join(FIELDS)} FROM hub_rejected_event{clause} "
                        "ORDER BY store_id, seq LIMIT 1000", params)
    return [dict(zip(FIELDS, r, strict=True)) for r in rows]


def get(db, rejected_id: int) -> dict:
    row = Sql(db).one(f"SELECT {', '.join(FIELDS)} FROM hub_rejected_event WHERE id = ?",
                      (rejected_id,))
    if row is None:
        raise NotFound(f"no rejected event {rejected_id}", field="id")
    return dict(zip(FIELDS, row, strict=True))


def quarantine(db, rejected_id: int) -> dict:
    """Accept a rejected event into quarantine: its seq is held, nothing is applied."""
    def run():
        sql = Sql(db)
        ev = get(db, rejected_id)
        if ev["status"] == "quarantined":
            return ev
        if ev["status"] == "not_applied":
            raise Conflict(f"seq {ev['seq']} of store {ev['store_id']} is held already (its "
                           "projection refused it and it was left out); nothing to quarantine",
                           field="id", code="not_applied")
        acked = sql.scalar(f"SELECT acked_through FROM hub_store WHERE store_id = ?"
                           f"{sql.for_update}", (ev["store_id"],))
        if acked is None:
            raise NotFound(f"store {ev['store_id']} is not registered", field="store_id")
        if int(acked) != ev["seq"] - 1:
            raise Conflict(f"the hub holds store {ev['store_id']}'s events through {acked}; "
                           f"only the next one ({int(acked) + 1}) can be quarantined",
                           field="seq", code="not_next")
        now = iso()
        digest = hashlib.sha256(ev["body"].encode()).hexdigest()
        event_id = f"quarantine:{ev['store_id']}:{ev['seq']}"[:64]
        sql.run('INSERT INTO hub_event (store_id, seq, event_id, type, "schema", occurred_at, '
                "digest, payload, received_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (ev["store_id"], ev["seq"], event_id, "quarantined", 1, now, digest,
                 ev["body"], now))
        sql.run("UPDATE hub_store SET acked_through = ?, last_event_at = ? WHERE store_id = ?",
                (ev["seq"], now, ev["store_id"]))
        sql.run("UPDATE hub_projection SET projected_through = ? WHERE store_id = ? AND "
                "projected_through = ?", (ev["seq"], ev["store_id"], ev["seq"] - 1))
        sql.run("UPDATE hub_rejected_event SET status = 'quarantined', quarantined_at = ? "
                "WHERE id = ?", (now, rejected_id))
        return get(db, rejected_id)
    return retrying(db, run)


def quarantined(db, store_id: str, seqs: list[int]) -> dict[int, str]:
    """{seq: event_id as received} of this store's quarantined events among ``seqs``."""
    seqs = [s for s in seqs if isinstance(s, int) and not isinstance(s, bool) and 0 < s < 2**63]
    if not seqs:
        return {}
    rows = Sql(db).rows("SELECT seq, event_id FROM hub_rejected_event WHERE store_id = ? AND "
                        "status = 'quarantined' AND seq BETWEEN ? AND ?",
                        (store_id, min(seqs), max(seqs)))
    return {int(s): e for s, e in rows}


def count_quarantined(db, store_id: str, status: str = "quarantined") -> int:
    """The store's events held and never applied: ``quarantined`` by the operator, or
    ``not_applied`` (refused by a deferred projection)."""
    return int(Sql(db).scalar("SELECT COUNT(*) FROM hub_rejected_event WHERE store_id = ? AND "
                              "status = ?", (store_id, status), 0))
