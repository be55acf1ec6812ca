"""Stock documents at the hub: expected deliveries sent down a store's feed, the stores'
received deliveries with their acts, transfers in transit per pair of stores, counts and
write-offs.

The tables are the hub's schema step 5 (``migrations``).  ``hub_delivery`` and ``hub_transfer`` carry a
``feed_cursor`` and are published by ``feed.publish`` like every feed table.
"""

from __future__ import annotations

import hashlib
import json

from flask import jsonify, request

from . import validate
from .db import retrying
from .errors import BadRequest, Conflict
from .sql import Sql, iso


def _qty(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    milli = abs(int(milli))
    return f"{sign}{milli // 1000}.{milli % 1000:03d}"


FEED_TABLES = {"hub_delivery": ("id",), "hub_transfer": ("transfer_id",)}


def feed_items(sql: Sql, store_id: str, after: int, top: int, limit: int) -> list[dict]:
    """This store's expected deliveries and incoming transfers published in (after, top]."""
    items = []
    for cursor, did, number, supplier, lines in sql.rows(
            "SELECT feed_cursor, id, number, supplier, lines FROM hub_delivery WHERE "
            "feed_cursor > ? AND feed_cursor <= ? AND store_id = ? ORDER BY feed_cursor LIMIT ?",
            (after, top, store_id, limit)):
        items.append({"cursor": int(cursor), "type": "delivery.expected", "payload": {
            "delivery_id": f"H{did}", "number": number, "supplier": supplier,
            "lines": json.loads(lines)}})
    for cursor, tid, frm, to, lines, sent_at in sql.rows(
            "SELECT feed_cursor, transfer_id, from_store, to_store, lines, sent_at FROM "
            "hub_transfer WHERE feed_cursor > ? AND feed_cursor <= ? AND to_store = ? AND "
            "sent_seq IS NOT NULL ORDER BY feed_cursor LIMIT ?", (after, top, store_id, limit)):
        items.append({"cursor": int(cursor), "type": "transfer.incoming", "payload": {
            "transfer_id": tid, "from_store": frm, "to_store": to, "sent_at": sent_at,
            "lines": json.loads(lines)}})
    return items


def in_transit(sql: Sql, sku: str | None = None) -> list[dict]:
    """Open transfer lines (sent - received != 0), per transfer."""
    where, params = ("WHERE sku = ?", (sku,)) if sku else ("", ())
    rows = sql.rows("SELECT transfer_id, from_store, to_store, sku, sent_milli, received_milli "
                    f"FROM hub_transfer_line {where} ORDER BY transfer_id, sku", params)
    return [{"transfer_id": t, "from_store": f, "to_store": to, "sku": s,
             "sent": _qty(int(a)), "received": _qty(int(b)), "in_transit": _qty(int(a) - int(b))}
            for t, f, to, s, a, b in rows if int(a) != int(b)]


def _delivery_body(sql: Sql, data) -> tuple[str, str, str, list]:
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    store_id = data.get("store_id")
    if not isinstance(store_id, str) or sql.one(
            "SELECT 1 FROM hub_store WHERE store_id = ?", (store_id,)) is None:
        raise BadRequest(f"store_id {store_id!r} is not a store of this hub", field="store_id")
    number = validate._str(data.get("number"), "number", limit=60)
    supplier = validate._str(data.get("supplier"), "supplier", limit=200)
    raw = data.get("lines")
    if not isinstance(raw, list) or not raw or len(raw) > 5000:
        raise BadRequest("lines must be a non-empty list (at most 5000)", field="lines")
    lines = []
    for i, ln in enumerate(raw):
        f = f"lines[{i}]"
        if not isinstance(ln, dict):
            raise BadRequest(f"{f} must be an object", field=f)
        out = {"sku": validate._str(ln.get("sku"), f"{f}.sku", limit=64),
               "qty": _qty(validate.qty_milli(ln.get("qty"), f"{f}.qty", positive=True))}
        if ln.get("price") is not None:
            out["price"] = validate._int(ln["price"], f"{f}.price", 0)
        if ln.get("name") is not None:
            out["name"] = validate._str(ln["name"], f"{f}.name")
        lines.append(out)
    return store_id, number, supplier, lines


def post_delivery(db, data, by: str) -> tuple[int, dict]:
    """An expected delivery for a store's feed; the same (store, supplier, number) again
    answers the first one (409 if its lines differ)."""
    def tx():
        sql = Sql(db)
        store_id, number, supplier, lines = _delivery_body(sql, data)
        text = json.dumps(lines, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        held = sql.one("SELECT id, digest, status FROM hub_delivery WHERE store_id = ? AND "
                       "supplier = ? AND number = ?", (store_id, supplier, number))
        if held is not None:
            if held[1] != digest:
                raise Conflict(f"delivery {number} of {supplier} for {store_id} is already "
                               "expected with other lines", field="number")
            return 200, {"delivery_id": f"H{held[0]}", "store_id": store_id, "status": held[2]}
        sql.run("INSERT INTO hub_delivery (store_id, number, supplier, lines, digest, status, "
                "created_by, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (store_id, number, supplier, text, digest, "expected", by, iso()))
        did = sql.scalar("SELECT id FROM hub_delivery WHERE store_id = ? AND supplier = ? AND "
                         "number = ?", (store_id, supplier, number))
        return 201, {"delivery_id": f"H{did}", "store_id": store_id, "status": "expected"}
    return retrying(db, tx)


def register_stock_docs(app, db, auth) -> None:
    from .channels import admin_or_channel as _caller

    def admin_or_channel() -> str:
        return _caller(db, auth)

    @app.post("/hub/v1/deliveries")
    def hub_post_delivery():
        by = admin_or_channel()
        status, answer = post_delivery(db, validate.parse_json(request.get_data(cache=True)
                                                               or b"null"), by)
        return jsonify(answer), status

    @app.get("/hub/v1/deliveries")
    def hub_deliveries():
        admin_or_channel()
        sql = Sql(db)
        store_id = request.args.get("store_id") or None
        rows = sql.rows("SELECT id, store_id, number, supplier, status, lines, act FROM "
                        "hub_delivery" + (" WHERE store_id = ?" if store_id else "") +
                        " ORDER BY id DESC LIMIT 500", (store_id,) if store_id else ())
        received = sql.rows("SELECT store_id, delivery_id, ref, number, supplier, act FROM "
                            "hub_delivery_receipt" + (" WHERE store_id = ?" if store_id else "")
                            + " ORDER BY seq DESC LIMIT 500", (store_id,) if store_id else ())
        return jsonify({
            "items": [{"delivery_id": f"H{i}", "store_id": s, "number": n, "supplier": sup,
                       "status": st, "lines": json.loads(ln),
                       "act": json.loads(a) if a else None}
                      for i, s, n, sup, st, ln, a in rows],
            "received": [{"store_id": s, "delivery_id": int(d), "ref": r, "number": n,
                          "supplier": sup, "act": json.loads(a)}
                         for s, d, r, n, sup, a in received]})

    @app.get("/hub/v1/transfers")
    def hub_transfers():
        auth.admin()
        sql = Sql(db)
        open_lines = in_transit(sql, request.args.get("sku") or None)
        pairs: dict[tuple, int] = {}
        for ln in open_lines:
            key = (ln["from_store"], ln["to_store"], ln["sku"])
            pairs[key] = pairs.get(key, 0) + validate.qty_milli(ln["in_transit"], "in_transit")
        return jsonify({"in_transit": open_lines, "pairs": [
            {"from_store": f, "to_store": t, "sku": s, "in_transit": _qty(m)}
            for (f, t, s), m in sorted(pairs.items()) if m]})

    @app.get("/hub/v1/stock-docs")
    def hub_stock_docs():
        auth.admin()
        store_id = request.args.get("store_id")
        if not store_id:
            raise BadRequest("store_id is required", field="store_id")
        rows = Sql(db).rows("SELECT doc_id, kind, reason, scope, lines, created_at FROM "
                            "hub_stock_doc WHERE store_id = ? ORDER BY seq DESC LIMIT 500",
                            (store_id,))
        return jsonify({"items": [{"doc_id": int(d), "kind": k, "reason": r, "scope": sc,
                                   "lines": json.loads(ln), "created_at": at}
                                  for d, k, r, sc, ln, at in rows]})
