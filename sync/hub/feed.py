"""The per-store feed: catalog and prices, other stores' stock, loyalty balances (of the
customers the store has seen: customer data reaches a store on demand, not broadcast).

The feed is not a log that grows with every change: each kind of item is the *latest*
state of one row (a product, a store's SKU, a customer), so a SKU that changed a thousand
times is sent once.  A change sets the row's ``feed_cursor`` to NULL in the transaction
that made it; ``publish`` then numbers the unpublished rows from one counter, under that
counter's row lock, so cursors grow in commit order and a store that read up to N never
misses a row later published below N.  A store reads ``cursor > after`` and keeps the
answer's cursor (in the same transaction as the items, on its side).
"""

from __future__ import annotations

import json

from .db import retrying
from .errors import BadRequest
from .sql import Sql, iso
from .validate import qty_milli

TABLES = {  # table -> key columns
    "hub_product": ("sku",),
    "hub_stock": ("store_id", "sku"),
    "hub_customer": ("phone",),
    "hub_delivery": ("id",),  # expected deliveries and incoming transfers: stock_docs.py
    "hub_transfer": ("transfer_id",),
    "hub_order": ("order_id",),  # pick-up orders placed or cancelled: orders.py
}
PUBLISH_CHUNK = 20000
UPSERT_CHUNK = 1000  # rows per multi-row INSERT (8 columns: within SQLite's 32,766 variables)
UNITS, VATS = ("pcs", "kg"), ("22", "20", "10", "0", "none")


def _qty(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    milli = abs(int(milli))
    return f"{sign}{milli // 1000}.{milli % 1000:03d}"


def publish(db) -> int:
    """Give every unpublished row a cursor; returns the feed's newest cursor."""
    sql = Sql(db)
    if not any(sql.one(f"SELECT 1 FROM {t} WHERE feed_cursor IS NULL LIMIT 1") for t in TABLES):
        return int(sql.scalar("SELECT value FROM hub_counter WHERE name = 'feed'"))

    def tx():
        sql = Sql(db)
        top = start = int(sql.scalar(
            f"SELECT value FROM hub_counter WHERE name = 'feed'{sql.for_update}"))
        more = False
        for table, keys in TABLES.items():
            cols = ", ".join(keys)
            skip = " FOR UPDATE SKIP LOCKED" if sql.pg else ""
            # set-based: the unpublished rows of this table numbered top+1, top+2, ... in
            # one statement (was one UPDATE per row: a 100k catalog took 100k statements)
            done = sql.run(  # no WITH: sqlite3 reports no rowcount for a statement led by WITH
                f"UPDATE {table} SET feed_cursor = numbered.n FROM (SELECT {cols}, "
                f"? + ROW_NUMBER() OVER (ORDER BY {cols}) AS n FROM (SELECT {cols} FROM {table} "
                f"WHERE feed_cursor IS NULL LIMIT {PUBLISH_CHUNK}{skip}) AS picked) AS numbered "
                "WHERE " + " AND ".join(f"{table}.{k} = numbered.{k}" for k in keys),
                (top,)).rowcount
            if done < 0:  # a driver that cannot count would renumber the feed
                raise RuntimeError("the feed publish could not count its rows")
            top += done
            more = more or done == PUBLISH_CHUNK
        if top != start:
            sql.run("UPDATE hub_counter SET value = ? WHERE name = 'feed'", (top,))
        return top, more
    while True:
        top, more = retrying(db, tx)
        if not more:
            return top


def read(db, store_id: str, after: int, limit: int = 500) -> dict:
    """Items for one store with ``after < cursor``, oldest first, and the cursor to keep."""
    top = publish(db)
    sql = Sql(db)
    reset = after > top  # the hub's feed was reset: start again (applying is idempotent)
    if reset:
        after = 0
    items = []
    for cursor, sku, name, price, unit, vat, barcodes, hidden in sql.rows(
            "SELECT feed_cursor, sku, name, price, unit, vat, barcodes, hidden FROM hub_product "
            "WHERE feed_cursor > ? AND feed_cursor <= ? ORDER BY feed_cursor LIMIT ?",
            (after, top, limit)):
        items.append({"cursor": int(cursor), "type": "product.upserted", "payload": {
            "sku": sku, "name": name, "price": int(price), "unit": unit, "vat": vat,
            "barcodes": json.loads(barcodes or "[]"), "hidden": bool(hidden)}})
    for cursor, sid, sku, milli in sql.rows(
            "SELECT feed_cursor, store_id, sku, on_hand_milli FROM hub_stock WHERE feed_cursor > ? "
            "AND feed_cursor <= ? AND store_id <> ? ORDER BY feed_cursor LIMIT ?",
            (after, top, store_id, limit)):
        items.append({"cursor": int(cursor), "type": "stock.level",
                      "payload": {"store_id": sid, "sku": sku, "on_hand": _qty(milli)}})
    customers = sql.rows(  # only those this store has seen (looked up, registered, served)
        "SELECT feed_cursor, phone, name, balance, ledger_seq, store_entries, updated_at "
        "FROM hub_customer WHERE feed_cursor > ? AND feed_cursor <= ? AND phone IN "
        "(SELECT phone FROM hub_customer_seen WHERE store_id = ?) "
        "ORDER BY feed_cursor LIMIT ?", (after, top, store_id, limit))
    from .membership import notes
    said = notes(sql, [r[1] for r in customers])
    for cursor, phone, name, balance, ledger_seq, entries, updated in customers:
        items.append({"cursor": int(cursor), "type": "loyalty.balance", "payload": {
            "phone": phone, "name": name, "balance": int(balance), "as_of": updated,
            "ledger_seq": int(ledger_seq), "store_entries": json.loads(entries or "{}"),
            **({"notes": said[phone]} if phone in said else {})}})
    from .stock_docs import feed_items
    items += feed_items(sql, store_id, after, top, limit)
    from .orders import feed_items as order_items
    items += order_items(sql, store_id, after, top, limit)
    items.sort(key=lambda it: it["cursor"])
    if len(items) >= limit:
        items = items[:limit]
        return {"items": items, "cursor": items[-1]["cursor"], "reset": reset}
    return {"items": items, "cursor": top, "reset": reset}


def _product(raw, i: int) -> list:
    f = f"items[{i}]"
    if not isinstance(raw, dict):
        raise BadRequest(f"{f} must be an object", field=f)
    sku, name = raw.get("sku"), raw.get("name")
    if not isinstance(sku, str) or not 0 < len(sku) <= 64:
        raise BadRequest(f"{f}.sku is required", field=f"{f}.sku")
    if not isinstance(name, str) or not 0 < len(name) <= 255:
        raise BadRequest(f"{f}.name is required", field=f"{f}.name")
    price = raw.get("price")
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise BadRequest(f"{f}.price must be whole kopecks", field=f"{f}.price")
    unit, vat = raw.get("unit", "pcs"), str(raw.get("vat", "none"))
    if unit not in UNITS:
        raise BadRequest(f"{f}.unit must be pcs or kg", field=f"{f}.unit")
    if vat not in VATS:
        raise BadRequest(f"{f}.vat must be one of {', '.join(VATS)}", field=f"{f}.vat")
    codes = raw.get("barcodes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in codes):
        raise BadRequest(f"{f}.barcodes must be a list of texts", field=f"{f}.barcodes")
    return [sku, name, price, unit, vat, json.dumps(codes), bool(raw.get("hidden", False))]


def upsert_catalog(db, body) -> int:
    """Admin: products (with prices) for every store's feed.  All items or none."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise BadRequest("items must be a non-empty list", field="items")
    rows = {}
    for i, raw in enumerate(items):  # one row per SKU: the last of a SKU sent twice wins
        row = _product(raw, i)
        rows.pop(row[0], None)
        rows[row[0]] = row
    rows = list(rows.values())

    def tx():
        sql, now = Sql(db), iso()
        differs = " IS DISTINCT FROM " if sql.pg else " IS NOT "
        # set-based: multi-row upserts; a product sent again unchanged keeps its cursor, so
        # re-sending the whole catalog sends only what changed down to the stores
        tail = ("ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price = excluded.price, "
                "unit = excluded.unit, vat = excluded.vat, barcodes = excluded.barcodes, "
                "hidden = excluded.hidden, updated_at = excluded.updated_at, feed_cursor = NULL "
                "WHERE " + " OR ".join(f"hub_product.{c}{differs}excluded.{c}" for c in
                                       ("name", "price", "unit", "vat", "barcodes", "hidden")))
        values = [(sku, name, price, unit, vat, codes, hidden if sql.pg else int(hidden), now)
                  for sku, name, price, unit, vat, codes, hidden in rows]
        for i in range(0, len(values), UPSERT_CHUNK):
            sql.insert_rows("INSERT INTO hub_product (sku, name, price, unit, vat, barcodes, "
                            "hidden, updated_at)", values[i:i + UPSERT_CHUNK], tail)
        return len(rows)
    n = retrying(db, tx)
    publish(db)  # numbered now, once for every store, not on the first store's read
    return n


__all__ = ["publish", "read", "upsert_catalog", "qty_milli"]
