"""Ingest: store each event once and apply it to the projections in the same transaction.

Exactly once in effect, whatever the number of deliveries and hub workers: an event row is
inserted with ``ON CONFLICT DO NOTHING`` under the unique ``(store_id, seq)`` and
``event_id``, and only an event whose row this transaction inserted is applied.  A second
worker holding the same batch waits on the first one's uncommitted rows, then finds them
and acknowledges without applying.  A repeat must match the stored digest; the same
event_id or seq with a different body is a conflict (409) and nothing of the batch applies.

Batches are contiguous per store: one starting past ``acked_through + 1`` is answered with
the seq the hub expects (409 ``expected_seq``), so the hub's events of a store are always
``1..acked_through`` without holes.

Set-based: a batch is a handful of statements whatever its size (the push's replay record
and the store's position in one, the events in one multi-row insert, then one per
projection table that the batch touches, and one commit); loyalty rows are locked and
written only for a batch that carries loyalty events.

Deferred projections (``deferred=True``, what ``store-hub serve`` does on PostgreSQL): the
push's transaction holds the events and the store's position only, and is acknowledged;
the projections (sales, lines, stock, bonuses) follow in ``projector`` a moment later, in
seq order per store, and every read of the hub waits for them first.  A batch whose
projection could refuse it (a return or void of a sale the hub has not seen projected, a
transfer, a delivery, an order, a return of another store's sale) is projected inline, after
the store's earlier events: what the store is told is the same in both modes.
"""

from __future__ import annotations

from .db import retrying
from .errors import Conflict, Gap, Inconsistent, NotFound
from .projections import Projections, mark
from .projector import catch_up
from .sql import ROWS_PER_STATEMENT, Sql, iso
from .validate import Event

CHUNK = ROWS_PER_STATEMENT


# the event types whose projection never refuses a batch (a return or void also, when its
# sale is already projected or in the same batch): the ones a deferred push only stores
DEFERRABLE = frozenset({"sale.completed", "sale.returned", "sale.voided", "sale.fiscalized",
                        "return.fiscalized", "stock.moved", "stock.counted", "shift.opened",
                        "shift.closed", "cash.moved", "customer.upserted", "loyalty.posted"})
POSITION = ("SELECT acked_through, (SELECT projected_through FROM hub_projection "
            "WHERE store_id = ?) FROM hub_store WHERE store_id = ?")


def ingest(db, store_id: str, events: list[Event], replay=None, deferred: bool = False) -> int:
    """Apply a checked, contiguous batch; returns the store's ``acked_through``.
    ``replay`` (``auth.Replay``): the push's signature, remembered in the same transaction
    (a replay raises 401 and nothing applies).  ``deferred``: leave the projections to the
    projector when the batch allows it (see the module's text)."""
    origins = {e.payload.get("origin_store") for e in events
               if e.type == "return.without_sale" and e.payload.get("kind") == "foreign"}
    origins.discard(None)
    if origins:  # a return of another store's sale reads that sale: what the hub holds of
        from .projector import drain_store  # its store is applied first, as inline
        for origin in sorted(origins):
            if origin != store_id:
                drain_store(db, origin)
    return retrying(db, lambda: _ingest(Sql(db), store_id, events, replay, deferred))


def _position(sql: Sql, store_id: str, replay) -> tuple[int | None, int]:
    """The store's ``(acked_through, projected_through)``, claiming the push's signature on
    the way."""
    if replay is None or not sql.pg:
        if replay is not None:
            replay.claim(sql)
        row = sql.one(POSITION, (store_id, store_id))
        return (row[0], int(row[1] or 0)) if row else (None, 0)
    from .auth import REMEMBER
    row = sql.one(f"WITH seen AS ({REMEMBER} RETURNING 1) SELECT (SELECT count(*) FROM seen), "
                  f"p.* FROM ({POSITION}) AS p", (*replay.params, store_id, store_id))
    if not row[0]:
        raise replay.refused()
    return row[1], int(row[2] or 0)


def _ingest(sql: Sql, store_id: str, events: list[Event], replay=None,
            deferred: bool = False) -> int:
    acked, projected = _position(sql, store_id, replay)
    if acked is None:
        raise NotFound(f"store {store_id} is not registered", field="store_id")
    if not events:
        return acked
    if events[0].seq > acked + 1:
        raise Gap(acked + 1)
    now = iso()
    old = [e for e in events if e.seq <= acked]
    if old:
        _check_repeats(sql, store_id, old)
    fresh = [e for e in events if e.seq > acked]
    inserted = _insert_events(sql, store_id, fresh, now)
    repeats = [e for e in fresh if e.seq not in inserted]
    if repeats:
        _check_repeats(sql, store_id, repeats)
    applied = [e for e in fresh if e.seq in inserted]
    if not applied:
        return max(acked, events[-1].seq)
    last = applied[-1].seq
    position = ("UPDATE hub_store SET acked_through = ?, last_event_at = ? "
                "WHERE store_id = ? AND acked_through < ?", (last, now, store_id, last))
    if deferred and _deferrable(sql, store_id, applied):
        sql.run(*position)  # the projector applies them; reads wait for it
        return max(acked, events[-1].seq)
    before = applied[0].seq - 1  # every event below it is held (committed) by now
    if projected < before:  # the store's earlier events first, under its mark
        catch_up(sql, store_id, before)
    _check_sales_known(sql, store_id, applied)
    projections = Projections(sql, store_id, now)
    projections.apply(applied)
    projections.tail.append(position)
    projections.tail.append(mark(store_id, last))
    sql.script(projections.tail)  # the writes nothing waits for: one round trip
    return max(acked, events[-1].seq)


def _deferrable(sql: Sql, store_id: str, events: list[Event]) -> bool:
    """Nothing in the batch can be refused by its projection, and nothing in it depends on
    the order it is applied in against other stores (a welcome bonus: the first one the
    hub acknowledged for a phone stands)."""
    if any(e.type not in DEFERRABLE or (e.type == "loyalty.posted" and
                                        e.payload.get("kind") == "welcome") for e in events):
        return False
    return not _unknown_sales(sql, store_id, events)


def _unknown_sales(sql: Sql, store_id: str, events: list[Event]) -> list[Event]:
    """The returns and voids of the batch whose sale is neither in the batch nor projected."""
    seen, wanted = set(), []
    for e in events:
        if e.type == "sale.completed":
            seen.add(e.payload["sale_id"])
        elif e.type in ("sale.returned", "sale.voided") and e.payload["sale_id"] not in seen:
            wanted.append(e)
    if not wanted:
        return []
    ids = sorted({e.payload["sale_id"] for e in wanted})
    known = set()
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        known.update(r[0] for r in sql.rows(
            f"SELECT sale_id FROM hub_sale WHERE store_id = ? AND sale_id IN "
            f"({','.join('?' * len(part))})", [store_id] + part))
    return [e for e in wanted if e.payload["sale_id"] not in known]


def _check_sales_known(sql: Sql, store_id: str, events: list[Event]) -> None:
    """A store's events arrive in seq order, so a return or void always follows its sale:
    one for a sale the hub never received is truly inconsistent (the rest is not checked)."""
    for e in _unknown_sales(sql, store_id, events)[:1]:
        what = "a return" if e.type == "sale.returned" else "a void"
        raise Inconsistent(e, f"seq {e.seq} is {what} of sale {e.payload['sale_id']}, which "
                              f"store {store_id} never sent", field=f"seq {e.seq}: sale_id")


def _insert_events(sql: Sql, store_id: str, events: list[Event], now: str) -> set[int]:
    done = set()
    for i in range(0, len(events), CHUNK):
        part = events[i:i + CHUNK]
        rows = sql.insert_rows(
            'INSERT INTO hub_event (store_id, seq, event_id, type, "schema", occurred_at, '
            "digest, payload, received_at)",
            [(store_id, e.seq, e.event_id, e.type, e.schema, e.occurred_at, e.digest, e.text, now)
             for e in part], "ON CONFLICT DO NOTHING RETURNING seq")
        done.update(r[0] for r in rows)
    return done


def _check_repeats(sql: Sql, store_id: str, events: list[Event]) -> None:
    """Each repeated event must be the very event the hub holds."""
    held = {}
    for i in range(0, len(events), CHUNK):
        part = events[i:i + CHUNK]
        marks = ",".join("?" * len(part))
        for seq, event_id, digest in sql.rows(
                f"SELECT seq, event_id, digest FROM hub_event WHERE store_id = ? AND seq IN ({marks})",
                [store_id] + [e.seq for e in part]):
            held[seq] = (event_id, digest)
    for e in events:
        got = held.get(e.seq)
        if got is None:  # the seq is free, so the event_id must be taken by another event
            raise Conflict(f"event_id {e.event_id} is already held for another event",
                           field=f"seq {e.seq}: event_id", code="event_conflict", seq=e.seq)
        if got != (e.event_id, e.digest):
            raise Conflict(f"seq {e.seq} is held with a different body (event {got[0]}); "
                           "an event never changes", field=f"seq {e.seq}", code="event_conflict",
                           seq=e.seq)
