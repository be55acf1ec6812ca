"""Sale and return lines at the hub (schema step 8): what sold, by product, so the office
can report by product and see returns by line.

Filled from the ``sale.completed`` and ``sale.returned`` payloads the stores already send
(``agent/event_schema.py``), inside the same ingest transaction as the sale's header, once
per event (an event is applied only when its row is new).  ``amount`` is the line before its
discounts (manual and bonus), ``net`` after them, ``vat`` the VAT in ``net`` at the line's rate.
"""

from __future__ import annotations

from peewee import BigIntegerField, CharField, CompositeKey

from agent import event_schema
from agent.money import vat_included

from .models import HubModel
from .sql import ROWS_PER_STATEMENT as CHUNK


class HubSaleLine(HubModel):
    store_id = CharField(max_length=64)
    sale_id = BigIntegerField()
    line_no = BigIntegerField()  # 1.. in the sale's order
    line_id = BigIntegerField(null=True)  # the store's line id (returns name it)
    sku = CharField(max_length=64, index=True)
    name = CharField(null=True)
    qty_milli = BigIntegerField()
    price = BigIntegerField(default=0)
    amount = BigIntegerField(default=0)
    discount = BigIntegerField(default=0)
    net = BigIntegerField(default=0)
    vat_rate = CharField(max_length=8, null=True)
    vat = BigIntegerField(default=0)
    created_at = CharField(index=True)

    class Meta:
        primary_key = CompositeKey("store_id", "sale_id", "line_no")


class HubReturnLine(HubModel):
    store_id = CharField(max_length=64)
    return_id = BigIntegerField()
    line_no = BigIntegerField()
    sale_id = BigIntegerField()
    line_id = BigIntegerField(null=True)  # the sale line given back
    sku = CharField(max_length=64, index=True)
    qty_milli = BigIntegerField()
    amount = BigIntegerField(default=0)
    created_at = CharField(index=True)

    class Meta:
        primary_key = CompositeKey("store_id", "return_id", "line_no")


TABLES = [HubSaleLine, HubReturnLine]


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _id(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _vat(net: int, rate) -> int:
    try:
        return vat_included(net, rate) if isinstance(rate, str) else 0
    except ValueError:  # a rate this hub does not know: no VAT figure, the line still counts
        return 0


class LineBatch:
    """The lines of one ingest batch, written after the sales and returns."""

    def __init__(self, sql, store_id: str):
        self.sql, self.store_id = sql, store_id
        self.sales: list[tuple] = []
        self.returns: list[tuple] = []

    def on(self, e) -> None:
        if e.type == "sale.completed":
            self._sale(e)
        elif e.type == "sale.returned":
            self._return(e)

    def _sale(self, e) -> None:
        p = e.payload
        at = p.get("created_at") or e.occurred_at
        for no, ln in enumerate(p.get("lines") or [], 1):
            # ``amount`` in the event is after manual discounts (``gross`` before them);
            # the report's discount is both the manual one and the bonus share
            amount, discount = _int(ln.get("amount")), _int(ln.get("discount"))
            gross = amount if ln.get("gross") is None else _int(ln.get("gross"))
            net = amount - discount
            amount, discount = gross, discount + (gross - amount)
            name = ln.get("name") if isinstance(ln.get("name"), str) else None
            rate = ln.get("vat") if isinstance(ln.get("vat"), str) else None
            self.sales.append((self.store_id, p["sale_id"], no, _id(ln.get("line_id")),
                               ln["sku"], name, event_schema.qty_milli(ln["qty"], "qty"),
                               _int(ln.get("price")), amount, discount, net, rate,
                               _vat(net, rate), at))

    def _return(self, e) -> None:
        p = e.payload
        at = p.get("created_at") or e.occurred_at
        for no, ln in enumerate(p.get("lines") or [], 1):
            self.returns.append((self.store_id, p["return_id"], no, p["sale_id"],
                                 _id(ln.get("line_id")), ln["sku"],
                                 event_schema.qty_milli(ln["qty"], "qty"),
                                 _int(ln.get("amount")), at))

    def write(self) -> None:
        self._insert("hub_sale_line (store_id, sale_id, line_no, line_id, sku, name, qty_milli, "
                     "price, amount, discount, net, vat_rate, vat, created_at)", self.sales)
        self._insert("hub_return_line (store_id, return_id, line_no, sale_id, line_id, sku, "
                     "qty_milli, amount, created_at)", self.returns)

    def _insert(self, head: str, rows: list) -> None:
        for i in range(0, len(rows), CHUNK):
            self.sql.insert_rows(f"INSERT INTO {head}", rows[i:i + CHUNK],
                                 "ON CONFLICT DO NOTHING")


class _Held:
    """An event as the hub holds it (for the backfill)."""

    def __init__(self, etype: str, payload: str, occurred_at: str):
        import json
        self.type, self.payload, self.occurred_at = etype, json.loads(payload), occurred_at


def backfill(db) -> None:
    """Lines of the sales and returns a hub received before it kept lines (schema step 7)."""
    from .sql import Sql
    sql = Sql(db)
    for (store_id,) in sql.rows("SELECT store_id FROM hub_store ORDER BY store_id"):
        after = 0
        while True:
            rows = sql.rows("SELECT seq, type, payload, occurred_at FROM hub_event WHERE "
                            "store_id = ? AND seq > ? AND type IN ('sale.completed', "
                            "'sale.returned') ORDER BY seq LIMIT 500", (store_id, after))
            if not rows:
                break
            batch = LineBatch(sql, store_id)
            for _, etype, payload, occurred in rows:
                batch.on(_Held(etype, payload, occurred))
            batch.write()
            after = rows[-1][0]
