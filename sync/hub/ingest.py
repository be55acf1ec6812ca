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
"""

from __future__ import annotations

import json
from collections import defaultdict

from .db import retrying
from .errors import Conflict, Gap, Inconsistent, NotFound
from .loyalty import LoyaltyBatch
from .orders import HANDLERS as ORDER_HANDLERS
from .sale_lines import LineBatch
from .sql import ROWS_PER_STATEMENT, Sql, iso
from .stock_doc_events import HANDLERS as STOCK_DOC_HANDLERS
from .validate import Event

CHUNK = ROWS_PER_STATEMENT


LOYALTY_TYPES = ("loyalty.posted", "customer.upserted")


def ingest(db, store_id: str, events: list[Event], replay=None) -> int:
    """Apply a checked, contiguous batch; returns the store's ``acked_through``.
    ``replay`` (``auth.Replay``): the push's signature, remembered in the same transaction
    (a replay raises 401 and nothing applies)."""
    return retrying(db, lambda: _ingest(Sql(db), store_id, events, replay))


def _position(sql: Sql, store_id: str, replay) -> int | None:
    """The store's ``acked_through``, claiming the push's signature on the way."""
    if replay is None:
        return sql.scalar("SELECT acked_through FROM hub_store WHERE store_id = ?", (store_id,))
    if not sql.pg:
        replay.claim(sql)
        return sql.scalar("SELECT acked_through FROM hub_store WHERE store_id = ?", (store_id,))
    from .auth import REMEMBER
    row = sql.one(f"WITH seen AS ({REMEMBER} RETURNING 1) SELECT (SELECT count(*) FROM seen), "
                  "(SELECT acked_through FROM hub_store WHERE store_id = ?)",
                  (*replay.params, store_id))
    if not row[0]:
        raise replay.refused()
    return row[1]


def _ingest(sql: Sql, store_id: str, events: list[Event], replay=None) -> int:
    acked = _position(sql, store_id, replay)
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
    if applied:
        _check_sales_known(sql, store_id, applied)
        projections = Projections(sql, store_id, now)
        projections.apply(applied)
        last = applied[-1].seq
        projections.tail.append(("UPDATE hub_store SET acked_through = ?, last_event_at = ? "
                                 "WHERE store_id = ? AND acked_through < ?",
                                 (last, now, store_id, last)))
        sql.script(projections.tail)  # the writes nothing waits for: one round trip
    return max(acked, events[-1].seq)


def _check_sales_known(sql: Sql, store_id: str, events: list[Event]) -> None:
    """A store's events arrive in seq order, so a return or void always follows its sale:
    one for a sale the hub never received is truly inconsistent (the rest is not checked)."""
    seen, wanted = set(), []
    for e in events:
        if e.type == "sale.completed":
            seen.add(e.payload["sale_id"])
        elif e.type in ("sale.returned", "sale.voided") and e.payload["sale_id"] not in seen:
            wanted.append(e)
    if not wanted:
        return
    ids = sorted({e.payload["sale_id"] for e in wanted})
    known = set()
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        known.update(r[0] for r in sql.rows(
            f"SELECT sale_id FROM hub_sale WHERE store_id = ? AND sale_id IN "
            f"({','.join('?' * len(part))})", [store_id] + part))
    for e in wanted:
        if e.payload["sale_id"] not in known:
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


class Projections:
    """What the store's events mean at the hub: sales, returns, shifts, stock, loyalty."""

    def __init__(self, sql: Sql, store_id: str, now: str):
        self.sql, self.store_id, self.now = sql, store_id, now
        self.stock = defaultdict(int)
        self.sales, self.returns, self.release = [], [], []
        self.after: list[tuple[str, tuple]] = []  # updates of rows this batch may insert
        self.tail: list[tuple] = []  # the last writes, sent together (``Sql.script``)
        self.sale_refs: dict[int, str] = {}

    def apply(self, events: list[Event]) -> None:
        bonus = [e for e in events if e.type in LOYALTY_TYPES]
        loyalty = LoyaltyBatch(self.sql, self.store_id, self.now, self.sale_refs) if bonus \
            else None
        if loyalty is not None:
            loyalty.lock(bonus)
        lines = LineBatch(self.sql, self.store_id)  # sale and return lines (reports)
        for e in events:
            lines.on(e)
            for sku, milli in e.lines:
                self.stock[sku] += milli
            handler = getattr(self, "on_" + e.type.replace(".", "_"), None)
            if handler:
                handler(e)
            elif e.type in STOCK_DOC_HANDLERS:  # deliveries, transfers, counts, write-offs
                STOCK_DOC_HANDLERS[e.type](self, e)
            elif e.type in ORDER_HANDLERS:  # pick-up orders
                ORDER_HANDLERS[e.type](self, e)
            elif loyalty is not None and e.type in LOYALTY_TYPES:
                loyalty.apply(e)
        self._write_sales()
        self._write_returns()
        lines.write()
        if self.returns:  # the selling store's own returns: doubles with other stores'
            from .foreign_returns import flag_own_returns
            flag_own_returns(self.sql, self.store_id, {int(r[2]) for r in self.returns})
        if loyalty is not None:
            loyalty.finish(self.release)
        self.tail.extend(self.after)  # after the sales and returns they update
        self._write_stock()
        if self.release:
            marks = ",".join("?" * len(self.release))
            self.tail.append((f"UPDATE hub_hold SET released = ? WHERE store_id = ? AND "
                              f"client_ref IN ({marks})",
                              [self.sql.true(), self.store_id] + self.release))

    def on_sale_completed(self, e: Event) -> None:
        p = e.payload
        g = lambda k: p.get(k) or 0  # noqa: E731
        self.sales.append([self.store_id, p["sale_id"], p.get("client_ref"), p.get("number"),
                           p.get("shift_id"), p.get("register_id"), p.get("cashier"),
                           p.get("customer_phone"), g("subtotal"), p["total"], g("paid"),
                           g("change"), g("bonus_earned"), g("bonus_redeemed"),
                           p.get("created_at") or e.occurred_at, e.seq, g("manual_discount")])
        if p.get("client_ref"):
            self.sale_refs[p["sale_id"]] = p["client_ref"]
            if not g("bonus_redeemed"):  # else released when the redemption entry arrives
                self.release.append(p["client_ref"])

    def on_sale_returned(self, e: Event) -> None:
        p = e.payload
        self.returns.append([self.store_id, p["return_id"], p["sale_id"], p["total"],
                             p.get("bonus_reversed") or 0, p.get("bonus_restored") or 0,
                             p.get("created_at") or e.occurred_at, e.seq])

    def on_return_without_sale(self, e: Event) -> None:
        """A return without a receipt or of another store's sale: counted with the store's
        returns (``sale_id`` 0: no sale of this store behind it)."""
        p = e.payload
        self.returns.append([self.store_id, p["return_id"], 0, p["total"], 0, 0,
                             p.get("created_at") or e.occurred_at, e.seq])
        if p.get("kind") == "foreign":
            from .foreign_returns import ForeignReturns
            ForeignReturns(self.sql, self.store_id).apply(e)

    def on_sale_voided(self, e: Event) -> None:
        self.after.append(("UPDATE hub_sale SET voided_seq = ? WHERE store_id = ? AND sale_id = ?",
                           (e.seq, self.store_id, e.payload["sale_id"])))

    def on_sale_fiscalized(self, e: Event) -> None:
        p = e.payload
        self.after.append(("UPDATE hub_sale SET fiscal_document_number = ?, fiscal_sign = ? "
                           "WHERE store_id = ? AND sale_id = ?",
                           (p["document_number"], p["fiscal_sign"], self.store_id, p["sale_id"])))

    def on_return_fiscalized(self, e: Event) -> None:
        p = e.payload
        self.after.append(("UPDATE hub_return SET fiscal_document_number = ?, fiscal_sign = ? "
                           "WHERE store_id = ? AND return_id = ?",
                           (p["document_number"], p["fiscal_sign"], self.store_id,
                            p["return_id"])))

    def on_shift_opened(self, e: Event) -> None:
        p = e.payload
        self.sql.run("INSERT INTO hub_shift (store_id, shift_id, register_id, number, opened_seq) "
                     "VALUES (?,?,?,?,?) ON CONFLICT (store_id, shift_id) DO UPDATE SET "
                     "opened_seq = excluded.opened_seq",
                     (self.store_id, p["shift_id"], p.get("register_id"), p.get("number"), e.seq))

    def on_shift_closed(self, e: Event) -> None:
        p = e.payload
        self.sql.run("INSERT INTO hub_shift (store_id, shift_id, register_id, number, closed_seq, "
                     "z_report) VALUES (?,?,?,?,?,?) ON CONFLICT (store_id, shift_id) DO UPDATE "
                     "SET closed_seq = excluded.closed_seq, z_report = excluded.z_report",
                     (self.store_id, p["shift_id"], p.get("register_id"), p.get("number"), e.seq,
                      json.dumps(p, default=str)))

    def _write_sales(self) -> None:
        cols = ("store_id, sale_id, client_ref, number, shift_id, register_id, cashier, "
                'customer_phone, subtotal, total, paid, "change", bonus_earned, bonus_redeemed, '
                "created_at, seq, manual_discount")
        self._insert_once("hub_sale", cols, self.sales, "sale_id", "sale")

    def _write_returns(self) -> None:
        cols = ("store_id, return_id, sale_id, total, bonus_reversed, bonus_restored, "
                "created_at, seq")
        self._insert_once("hub_return", cols, self.returns, "return_id", "return")

    def _insert_once(self, table: str, cols: str, rows: list, key: str, what: str) -> None:
        for i in range(0, len(rows), CHUNK):
            part = rows[i:i + CHUNK]
            got = self.sql.insert_rows(f"INSERT INTO {table} ({cols})", part,
                                       f"ON CONFLICT DO NOTHING RETURNING {key}")
            if len(got) != len(part):
                dup = sorted({r[1] for r in part} - {g[0] for g in got})
                raise Conflict(f"{what} {dup[0]} of store {self.store_id} is already recorded "
                               "by another event", field=f"{what}_id", code="event_conflict")

    def _write_stock(self) -> None:
        items = sorted((sku, d) for sku, d in self.stock.items() if d)
        for i in range(0, len(items), CHUNK):
            part = items[i:i + CHUNK]
            self.tail.append((
                "INSERT INTO hub_stock (store_id, sku, on_hand_milli, updated_at)",
                [(self.store_id, sku, delta, self.now) for sku, delta in part],
                "ON CONFLICT (store_id, sku) DO UPDATE SET "
                "on_hand_milli = hub_stock.on_hand_milli + excluded.on_hand_milli, "
                "updated_at = excluded.updated_at, feed_cursor = NULL"))
