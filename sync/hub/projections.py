"""What a store's events mean at the hub: its sales, returns, sale lines, shifts, stock,
transfers, orders and bonuses, written set-based for a batch of events (``ingest`` applies
a pushed batch inline; ``projector`` applies held events later, deferred).  ``mark`` is the
store's position in the projections, moved in the same transaction."""

from __future__ import annotations

import json
from collections import defaultdict

from .errors import Conflict
from .loyalty import LoyaltyBatch
from .orders import HANDLERS as ORDER_HANDLERS
from .sale_lines import LineBatch
from .sql import ROWS_PER_STATEMENT, Sql
from .stock_doc_events import HANDLERS as STOCK_DOC_HANDLERS
from .validate import Event

CHUNK = ROWS_PER_STATEMENT
LOYALTY_TYPES = ("loyalty.posted", "customer.upserted")


def mark(store_id: str, through: int) -> tuple:
    """The statement that says the store's projections hold its events ``1..through``."""
    return ("INSERT INTO hub_projection (store_id, projected_through) VALUES (?, ?) "
            "ON CONFLICT (store_id) DO UPDATE SET projected_through = excluded.projected_through",
            (store_id, through))


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
                held, seen = {g[0] for g in got}, set()
                twice = {r[1] for r in part if r[1] in seen or seen.add(r[1])}
                dup = sorted(({r[1] for r in part} - held) | twice)[0]
                same = [r for r in part if r[1] == dup]  # the one not inserted is to blame
                at = [c.strip() for c in cols.split(",")].index("seq")
                raise Conflict(f"{what} {dup} of store {self.store_id} is already recorded "
                               "by another event", field=f"{what}_id", code="event_conflict",
                               seq=(same[-1] if dup in held else same[0])[at])

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
