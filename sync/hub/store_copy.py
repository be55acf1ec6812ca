"""A store reads back the hub's copy of its own events (a restored store's catch-up).

``GET /hub/v1/stores/{id}/events?after=SEQ&limit=N`` (the store's token and signature, only
its own id) answers ``{"store_id", "acked_through", "events": [envelopes], "last_seq"}``:
the events after SEQ in seq order, exactly as the hub received them.  A quarantined event
(a poison event the operator let pass, never applied at the hub) comes back as the store
sent it with ``"quarantined": true``.
"""

from __future__ import annotations

import json

from flask import jsonify

from .errors import Forbidden, NotFound
from .params import int_arg
from .sql import Sql

MAX_LIMIT = 2000
QUARANTINED = "quarantined"  # sync.hub.rejected.quarantine's hub_event type


def read(db, store_id: str, after: int, limit: int) -> dict:
    sql = Sql(db)
    acked = sql.scalar("SELECT acked_through FROM hub_store WHERE store_id = ?", (store_id,))
    if acked is None:
        raise NotFound(f"no store {store_id}", field="store_id")
    rows = sql.rows('SELECT seq, event_id, type, "schema", occurred_at, payload FROM hub_event '
                    "WHERE store_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (store_id, after, limit))
    events = [_envelope(store_id, int(s), e, t, int(sc), at, p) for s, e, t, sc, at, p in rows]
    return {"store_id": store_id, "acked_through": int(acked), "events": events,
            "last_seq": events[-1]["seq"] if events else after}


def _envelope(store_id: str, seq: int, event_id: str, type_: str, schema: int, at: str,
              payload: str) -> dict:
    if type_ == QUARANTINED:
        # the operator's quarantine holds the seq with the event as the store sent it (never
        # applied here); the store gets back its own event, marked, so its copy is whole
        try:
            raw = json.loads(payload)
        except ValueError:
            raw = None
        if isinstance(raw, dict):
            return {"event_id": raw.get("event_id"), "store_id": store_id, "seq": seq,
                    "type": raw.get("type"), "schema": raw.get("schema", 1),
                    "occurred_at": raw.get("occurred_at") or at, "payload": raw.get("payload"),
                    "quarantined": True}
        return {"event_id": event_id, "store_id": store_id, "seq": seq, "type": type_,
                "schema": schema, "occurred_at": at, "payload": None, "quarantined": True}
    return {"event_id": event_id, "store_id": store_id, "seq": seq, "type": type_,
            "schema": schema, "occurred_at": at, "payload": json.loads(payload)}



def register_store_copy(app, db, auth) -> None:
    @app.get("/hub/v1/stores/<store_id>/events")
    def own_events(store_id):
        caller = auth.store()
        if caller != store_id:
            raise Forbidden("a store reads only its own events", field="store_id")
        after = int_arg("after", 0, 0, 2**62)
        limit = int_arg("limit", 500, 1, MAX_LIMIT)
        return jsonify(read(db, store_id, after, limit))
