"""Deferred projections: the hub's sales, lines, stock and bonuses, a moment after the push.

At 240 stores pushing at once, a push that only stores its events (one multi-row insert
and the store's position) is acknowledged several times faster than one that also writes
the sale, its lines, the stock and the ledger in the same transaction.  With
``store-hub serve --projection deferred`` (the default on PostgreSQL) ``ingest`` does the
first and this module the rest:

* ``hub_projection.projected_through`` says how far each store's events are applied; it
  moves in the same transaction as the projections it covers, so an event is applied
  exactly once whatever crashes or how many workers run (the row is locked while a store is
  projected; a second worker skips that store, a reader waits for it).
* a store's events are applied in seq order, in chunks, by the same ``Projections`` an
  inline push uses; a chunk one event of which is refused by its projection (a sale id the
  store already used for another sale — a store's defect) is applied event by event, and
  the refused one is listed with the rejected events as ``not_applied`` and skipped (one bad
  event never stops a store's projections).
* every read of the hub (``app``) first waits until everything acknowledged is projected,
  so what any API answers is as exact as with inline projection; ``Projector`` is the
  worker thread that does it in the background, yielding to pushes in flight.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from peewee import DataError, IntegrityError

from agent import event_schema

from .db import retrying
from .errors import HubApiError
from .projections import Projections, mark
from .sql import Sql, iso
from .validate import Event

log = logging.getLogger("store_hub.projector")
LIMIT = 2000  # events of one store applied per transaction
YIELD = 3.0  # while pushes are in flight, a projector thread rests 3x the time it worked
IDLE = 0.5  # seconds between looks for work when idle (a push in this worker wakes it)
PENDING = ("SELECT s.store_id, s.acked_through FROM hub_store s LEFT JOIN hub_projection p ON "
           "p.store_id = s.store_id WHERE s.acked_through > COALESCE(p.projected_through, 0) "
           "ORDER BY s.store_id")


# what one event's projection may raise that is about that event, not about the database:
# the event is left out (``not_applied``), the store's others are applied
POISON = (HubApiError, IntegrityError, DataError, KeyError, TypeError, ValueError,
          AttributeError, IndexError, ArithmeticError)


def stored_events(sql: Sql, store_id: str, after: int, through: int) -> list[Event]:
    """The store's held events ``after < seq <= through`` as ``Event`` (checked when they
    were pushed: only their stock lines are worked out again).  One that cannot be read
    back carries the reason in ``problem``."""
    out = []
    for seq, event_id, etype, schema, occurred, digest, payload in sql.rows(
            'SELECT seq, event_id, type, "schema", occurred_at, digest, payload FROM hub_event '
            "WHERE store_id = ? AND seq > ? AND seq <= ? ORDER BY seq", (store_id, after, through)):
        ev = Event(store_id, int(seq), event_id, etype, int(schema), occurred, {}, digest, payload)
        if etype != "quarantined":  # held by the operator: never applied
            try:
                ev.payload = json.loads(payload)
                ev.lines = event_schema.stock_lines(etype, ev.payload)
            except POISON as e:  # held by an older hub with other rules
                ev.problem = _reason(e)
        out.append(ev)
    return out


def _reason(e: BaseException) -> str:
    if isinstance(e, HubApiError):
        return e.message
    return f"the hub could not apply it ({type(e).__name__}: {str(e)[:300]})"


def _lock(sql: Sql, store_id: str, wait: bool) -> int | None:
    """Lock the store's mark; its ``projected_through`` (None: another worker holds it).
    A store without a mark yet (registered after step 12, nothing applied) gets one."""
    lock = "" if not sql.pg else " FOR UPDATE" if wait else " FOR UPDATE SKIP LOCKED"
    query = f"SELECT projected_through FROM hub_projection WHERE store_id = ?{lock}"
    row = sql.one(query, (store_id,))
    if row is None:  # no mark, or (SKIP LOCKED) another worker's
        sql.run("INSERT INTO hub_projection (store_id, projected_through) VALUES (?, 0) "
                "ON CONFLICT DO NOTHING", (store_id,))
        row = sql.one(query, (store_id,))
    return None if row is None else int(row[0])


def _apply(sql: Sql, store_id: str, events: list[Event], through: int) -> None:
    projections = Projections(sql, store_id, iso())
    applied = [e for e in events if e.type != "quarantined"]
    if applied:
        projections.apply(applied)
    projections.tail.append(mark(store_id, through))
    sql.script(projections.tail)


def _apply_range(sql: Sql, store_id: str, after: int, through: int) -> None:
    """Apply the held events ``after < seq <= through``: as one chunk; an event that cannot
    be read back, or whose projection refuses or fails, is left out and listed (the events
    around it are applied in as few chunks as a bisection needs)."""
    events = stored_events(sql, store_id, after, through)
    start = 0
    for k, e in enumerate(events):
        if e.problem:  # the readable ones before it, then it, listed
            _apply_chunk(sql, store_id, events[start:k])
            _leave_out(sql, store_id, e, e.problem)
            start = k + 1
    _apply_chunk(sql, store_id, events[start:])


def _apply_chunk(sql: Sql, store_id: str, events: list[Event]) -> None:
    if not events:
        return
    try:
        with sql.db.atomic():  # a savepoint: a refused chunk is undone alone
            _apply(sql, store_id, events, events[-1].seq)
        return
    except POISON as refused:
        if len(events) == 1:
            if not isinstance(refused, HubApiError):
                log.exception("store %s seq %s: projection failed", store_id, events[0].seq)
            _leave_out(sql, store_id, events[0], _reason(refused))
            return
        blamed = refused.extra.get("seq") if isinstance(refused, HubApiError) else None
        at = next((k for k, e in enumerate(events) if e.seq == blamed), None)
        if at is not None:  # the refusal names its event: the others in two chunks
            _apply_chunk(sql, store_id, events[:at])
            _apply_chunk(sql, store_id, events[at:at + 1])
            _apply_chunk(sql, store_id, events[at + 1:])
            return
    half = len(events) // 2  # else bisect
    _apply_chunk(sql, store_id, events[:half])
    _apply_chunk(sql, store_id, events[half:])


def _leave_out(sql: Sql, store_id: str, e: Event, problem: str) -> None:
    """List an event its projection cannot apply (``not_applied``) and move past it."""
    from .rejected import write
    raw = {"event_id": e.event_id, "store_id": store_id, "seq": e.seq, "type": e.type,
           "schema": e.schema, "occurred_at": e.occurred_at, "payload": e.payload or e.text}
    write(sql, store_id, raw, problem, status="not_applied")
    sql.run(*mark(store_id, e.seq))
    log.warning("store %s seq %s held but not applied: %s", store_id, e.seq, problem)


def catch_up(sql: Sql, store_id: str, through_seq: int) -> None:
    """Inside the caller's transaction (an inline push): wait for the store's mark and apply
    its held events through ``through_seq`` first."""
    projected = _lock(sql, store_id, wait=True) or 0
    while projected < through_seq:
        through = min(through_seq, projected + LIMIT)
        _apply_range(sql, store_id, projected, through)
        projected = through


def project_store(db, store_id: str, wait: bool = True, limit: int = LIMIT,
                  upto: int | None = None) -> int:
    """Apply the next ``limit`` held events of a store (through ``upto`` at most) in one
    transaction; how many.  With ``wait=False`` a store another worker is projecting is
    skipped (0)."""
    def run() -> int:
        sql = Sql(db)
        projected = _lock(sql, store_id, wait)
        if projected is None:
            return 0
        acked = int(sql.scalar("SELECT acked_through FROM hub_store WHERE store_id = ?",
                               (store_id,), 0))
        if upto is not None:
            acked = min(acked, upto)
        if projected >= acked:
            return 0
        through = min(acked, projected + limit)
        _apply_range(sql, store_id, projected, through)
        return through - projected
    return retrying(db, run)


def _project_through(db, store_id: str, acked: int, wait: bool = True) -> int:
    done = 0
    while True:
        n = project_store(db, store_id, wait, upto=acked)
        done += n
        if not n:
            return done


def drain_store(db, store_id: str) -> int:
    """Apply what the hub holds of one store, as of now (waiting for another worker that
    is at it); how many events."""
    acked = Sql(db).scalar("SELECT acked_through FROM hub_store WHERE store_id = ?",
                           (store_id,))
    return 0 if acked is None else _project_through(db, store_id, int(acked))


def pending(db) -> list[tuple[str, int]]:
    """``(store_id, acked_through)`` of the stores with acknowledged events not yet
    projected."""
    return [(r[0], int(r[1])) for r in Sql(db).rows(PENDING)]


def backlog(db) -> int:
    """Acknowledged events not yet projected, over all stores."""
    return int(Sql(db).scalar(
        "SELECT SUM(s.acked_through - COALESCE(p.projected_through, 0)) FROM hub_store s "
        "LEFT JOIN hub_projection p ON p.store_id = s.store_id", (), 0))


def mentioning(db, phone: str) -> set[str]:
    """The stores whose held, not yet applied events name the customer ``phone`` (as the
    bonus entry's or the customer's ``phone``, or the sale's ``customer_phone``: the
    canonical payload text holds it as ``phone":"+7..."``)."""
    return {r[0] for r in Sql(db).rows(
        "SELECT DISTINCT e.store_id FROM hub_event e JOIN hub_store s ON s.store_id = "
        "e.store_id LEFT JOIN hub_projection p ON p.store_id = e.store_id WHERE e.seq > "
        "COALESCE(p.projected_through, 0) AND e.seq <= s.acked_through AND e.payload LIKE ?",
        (f'%phone":"{phone}"%',))}


def drain(db, wait: bool = True, phone: str | None = None) -> int:
    """Project everything acknowledged before the call (``wait``: also what another worker
    is busy with, so the caller reads it applied; what is pushed meanwhile is left to the
    projector); how many events this call applied.  ``phone``: only the stores whose held
    events name that customer (a till's bonus check need not wait for a chain's backlog)."""
    done = 0
    stores = pending(db)
    if phone is not None and stores:
        named = mentioning(db, phone)
        stores = [s for s in stores if s[0] in named]
    for store_id, acked in stores:
        try:
            done += _project_through(db, store_id, acked, wait)
        except Exception:  # noqa: BLE001 - one store's failure is not every read's
            log.exception("store %s: its held events could not be applied now; this read "
                          "answers without them", store_id)
    return done


class Projector:
    """The background threads of a hub worker with deferred projection: apply what the
    pushes acknowledged, store by store (``threads`` stores at once: one thread's database
    round trips overlap another's Python); while pushes are in flight each takes at most
    about half the time (a push's acknowledgement waits for nothing of it)."""

    def __init__(self, db, pushes_in_flight=lambda: 0, idle: float = IDLE, threads: int = 2):
        self.db, self.in_flight, self.idle, self.threads = db, pushes_in_flight, idle, threads
        self.stopping, self._wake = threading.Event(), threading.Event()
        self._workers: list[threading.Thread | None] = []
        self._start = threading.Lock()

    def start(self) -> "Projector":
        """Start the threads (again, any that died)."""
        with self._start:
            if self.stopping.is_set():
                return self
            if not self._workers:
                self._workers = [None] * self.threads
            for k, t in enumerate(self._workers):
                if t is None or not t.is_alive():
                    t = threading.Thread(target=self._run, args=(k,), daemon=True,
                                         name=f"hub-projector-{k}")
                    self._workers[k] = t
                    t.start()
        return self

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()
        for t in self._workers:
            if t is not None:
                t.join(timeout=10)

    def _round(self, k: int) -> int:
        done = 0
        stores = pending(self.db)
        shift = k * len(stores) // max(self.threads, 1)  # each thread starts elsewhere
        for store_id, _ in stores[shift:] + stores[:shift]:
            while not self.stopping.is_set():
                started = time.monotonic()
                n = project_store(self.db, store_id, wait=False)
                done += n
                if not n:
                    break
                if self.in_flight():  # yield to the pushes: YIELD x as long as this chunk took
                    self.stopping.wait(min((time.monotonic() - started) * YIELD, 2.0))
        return done

    def _run(self, k: int) -> None:
        while not self.stopping.is_set():
            done = 0
            try:
                self.db.connect(reuse_if_open=True)
                done = self._round(k)
            except Exception:  # noqa: BLE001 - the database may be briefly away; go on
                log.exception("the projector could not apply held events")
                self.stopping.wait(1.0)
            finally:
                try:
                    self.db.close()
                except Exception:  # noqa: BLE001
                    pass
            if not done:
                self._wake.wait(self.idle)
                self._wake.clear()
