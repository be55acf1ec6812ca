"""Orders for pick-up in a store, at the hub: the site's API (place, read, cancel, the
overdue list), the orders going down the store's feed, the stores' ``order.status`` events
making the history, and availability per store for the website.

An order is placed by a channel (or the admin), idempotent by ``order_id``; it reaches its
store through the feed (``order.placed``, also when the store was offline: the feed is read
from the store's cursor).  A cancellation from the site sets the order ``cancelled`` at
once and goes down the feed again; the store releases the reservation when it hears of it.
The store's events say what the store did: its status (``store_status``) decides what is
reserved, so ``available = on_hand - reserved`` at the hub is the store's own arithmetic
as of the last event the hub holds from it (``as_of``), and converges exactly after any
outage because the events arrive exactly once and in order.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

from flask import jsonify, request

from agent import event_schema

from . import order_bonus, validate
from .db import retrying
from .errors import BadRequest, Conflict, NotFound
from .sql import Sql, iso

RESERVING = ("accepted", "assembled", "ready")
FINAL = ("collected", "cancelled")
MAX_LINES = 200
COLLECT_HOURS = 48  # [orders] collect_hours at the stores; the hub's own: HubConfig


def now() -> datetime:
    """The hub's clock (tests move it)."""
    return datetime.now(timezone.utc)


def _qty(milli: int) -> str:
    return f"{milli // 1000}.{milli % 1000:03d}"


def _order_body(sql: Sql, data) -> dict:
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    order_id = data.get("order_id")
    if not isinstance(order_id, str) or not event_schema.ID_RE.match(order_id):
        raise BadRequest("order_id must be 1-64 letters, digits or _.:-", field="order_id")
    store_id = data.get("store_id")
    if not isinstance(store_id, str) or sql.one(
            "SELECT 1 FROM hub_store WHERE store_id = ?", (store_id,)) is None:
        raise BadRequest(f"store_id {str(store_id)[:64]!r} is not a store of this hub",
                         field="store_id")
    phone = validate.phone(data.get("customer_phone"), "customer_phone", optional=True)
    raw = data.get("lines")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        raise BadRequest(f"lines must be a non-empty list (at most {MAX_LINES})", field="lines")
    lines, total = [], 0
    for i, ln in enumerate(raw):
        f = f"lines[{i}]"
        if not isinstance(ln, dict):
            raise BadRequest(f"{f} must be an object", field=f)
        out = {}
        if ln.get("barcode") is not None:
            out["barcode"] = validate._str(ln["barcode"], f"{f}.barcode", limit=64)
        elif ln.get("sku") is not None:
            out["sku"] = validate._str(ln["sku"], f"{f}.sku", limit=64)
        else:
            raise BadRequest(f"{f} needs a sku or a barcode", field=f"{f}.sku")
        milli = validate.qty_milli(ln.get("qty"), f"{f}.qty", positive=True)
        price = ln.get("price")
        if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= 10**12:
            raise BadRequest(f"{f}.price must be whole kopecks", field=f"{f}.price")
        out.update(qty=_qty(milli), price=price)
        total += (price * milli + 500) // 1000
        lines.append(out)
    money = {}
    for key in ("prepaid", "bonus_redeemed"):
        v = data.get(key, 0)
        if v is None:
            v = 0
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10**12:
            raise BadRequest(f"{key} must be whole kopecks", field=key)
        money[key] = v
    if money["prepaid"] + money["bonus_redeemed"] > total:
        raise BadRequest(f"prepaid and bonus_redeemed exceed the order's total ({total})",
                         field="prepaid")
    return {"order_id": order_id, "store_id": store_id, "customer_phone": phone,
            "lines": lines, "total": total, **money}


def place(db, data, by: str) -> tuple[int, dict]:
    def tx():
        sql = Sql(db)
        o = _order_body(sql, data)
        text = json.dumps(o, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        held = sql.one("SELECT digest, created_by FROM hub_order WHERE order_id = ?",
                       (o["order_id"],))
        if held is not None:  # another channel's order: a conflict that shows none of it
            if held[0] != digest or not _sees(by, held[1]):
                raise Conflict(f"order {o['order_id']} was already placed with other content",
                               field="order_id", code="order_conflict")
            return 200, order_view(sql, o["order_id"])
        at = iso()
        sql.run("INSERT INTO hub_order (order_id, store_id, status, customer_phone, lines, "
                "prepaid, bonus_redeemed, total, digest, created_by, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (o["order_id"], o["store_id"], "new", o["customer_phone"],
                 json.dumps(o["lines"], ensure_ascii=False), o["prepaid"], o["bonus_redeemed"],
                 o["total"], digest, by, at, at))
        order_bonus.redeem(sql, o, by)  # refused: the order is not written either
        _history(sql, o["order_id"], "new", at, by)
        return 201, order_view(sql, o["order_id"])
    return retrying(db, tx)


def cancel(db, order_id: str, data, by: str) -> dict:
    reason = data.get("reason") if isinstance(data, dict) else None
    if reason is not None:
        reason = validate._str(reason, "reason", limit=255)
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", field="body")

    def tx():
        sql = Sql(db)
        row = sql.one(f"SELECT status, created_by FROM hub_order WHERE order_id = ?"
                      f"{sql.for_update}", (order_id,))
        if row is None or not _sees(by, row[1]):
            raise NotFound(f"no order {order_id}", field="order_id")
        if row[0] == "collected":
            raise Conflict(f"order {order_id} was already collected", field="order_id",
                           code="status_not_allowed", status="collected")
        if row[0] != "cancelled":
            at = iso()
            sql.run("UPDATE hub_order SET status = 'cancelled', reason = ?, updated_at = ?, "
                    "feed_cursor = NULL WHERE order_id = ?",
                    (reason or "cancelled by the site", at, order_id))
            _history(sql, order_id, "cancelled", at, by, reason or "cancelled by the site")
            order_bonus.give_back(sql, order_id)
        return order_view(sql, order_id)
    return retrying(db, tx)


def _sees(by: str, created_by: str) -> bool:
    """An order belongs to the channel that placed it; the admin sees every order."""
    return by == "admin" or by == created_by


def _history(sql: Sql, order_id, status, at, by, reason=None, seq=None) -> None:
    sql.run("INSERT INTO hub_order_history (order_id, status, at, by, reason, seq) "
            "VALUES (?,?,?,?,?,?)", (order_id, status, at, by, reason, seq))


def _overdue(status, ready_at, hours: int) -> bool:
    if status != "ready" or not ready_at:
        return False
    at = datetime.fromisoformat(ready_at.replace("Z", "+00:00"))
    return at + timedelta(hours=hours) < now()


COLS = ("order_id, store_id, status, store_status, customer_phone, lines, prepaid, "
        "bonus_redeemed, total, reason, sale_id, ready_at, created_at, updated_at, problem")


def shape(sql: Sql, r, hours: int = COLLECT_HOURS, history: bool = True) -> dict:
    """One order as the API answers it (a row of ``COLS``), with ``overdue`` by the hub's
    clock and, unless told otherwise, its history."""
    (oid, sid, status, store_status, phone, lines, prepaid, bonus, total, reason, sale_id,
     ready_at, created_at, updated_at, problem) = r
    out = {"order_id": oid, "store_id": sid, "status": status, "store_status": store_status,
           "overdue": _overdue(status, ready_at, hours), "customer_phone": phone,
           "lines": json.loads(lines), "total": int(total), "prepaid": int(prepaid),
           "bonus_redeemed": int(bonus), "reason": reason,
           "sale_id": int(sale_id) if sale_id is not None else None, "ready_at": ready_at,
           "created_at": created_at, "updated_at": updated_at}
    if problem:
        out["problem"] = problem
    if sale_id is not None and int(prepaid):
        out["advance_refunds"] = _advance_refunds(sql, sid, int(sale_id))
        out["advance_refunded"] = sum(r["amount"] for r in out["advance_refunds"])
    if history:
        out["history"] = [
            {k: v for k, v in (("status", s), ("at", at), ("by", by), ("reason", why)) if v}
            for s, at, by, why in sql.rows(
                "SELECT status, at, by, reason FROM hub_order_history WHERE order_id = ? "
                "ORDER BY id", (oid,))]
    return out


def _advance_refunds(sql: Sql, store_id: str, sale_id: int) -> list[dict]:
    """What the store's returns of the collecting sale gave back to the site's prepayment
    (refund method ``advance``): the site refunds it to the customer's card."""
    out = []
    for return_id, seq, created_at in sql.rows(
            "SELECT return_id, seq, created_at FROM hub_return WHERE store_id = ? AND "
            "sale_id = ? ORDER BY return_id", (store_id, sale_id)):
        payload = sql.scalar("SELECT payload FROM hub_event WHERE store_id = ? AND seq = ?",
                             (store_id, seq))
        refunds = (json.loads(payload).get("refunds") or []) if payload else []
        amount = sum(int(r.get("amount") or 0) for r in refunds if r.get("method") == "advance")
        if amount:
            out.append({"return_id": int(return_id), "amount": amount, "at": created_at})
    return out


def order_view(sql: Sql, order_id: str, hours: int = COLLECT_HOURS, by: str = "admin") -> dict:
    r = sql.one(f"SELECT {COLS}, created_by FROM hub_order WHERE order_id = ?", (order_id,))
    if r is None or not _sees(by, r[-1]):  # 404, not 403: another channel's order is unseen
        raise NotFound(f"no order {order_id}", field="order_id")
    return shape(sql, r[:-1], hours)


def overdue_list(sql: Sql, hours: int = COLLECT_HOURS, by: str = "admin") -> list[dict]:
    mine, args = ("", ()) if by == "admin" else (" AND created_by = ?", (by,))
    rows = sql.rows(f"SELECT {COLS} FROM hub_order WHERE status = 'ready'{mine} "
                    "ORDER BY ready_at, order_id", args)
    return [o for o in (shape(sql, r, hours, history=False) for r in rows) if o["overdue"]]


def feed_items(sql: Sql, store_id: str, after: int, top: int, limit: int) -> list[dict]:
    """This store's orders placed or cancelled at the hub in (after, top]."""
    items = []
    for cursor, oid, status, phone, lines, prepaid, bonus, reason, created_at in sql.rows(
            "SELECT feed_cursor, order_id, status, customer_phone, lines, prepaid, "
            "bonus_redeemed, reason, created_at FROM hub_order WHERE feed_cursor > ? AND "
            "feed_cursor <= ? AND store_id = ? ORDER BY feed_cursor LIMIT ?",
            (after, top, store_id, limit)):
        p = {"order_id": oid, "store_id": store_id, "customer_phone": phone,
             "lines": json.loads(lines), "prepaid": int(prepaid), "bonus_redeemed": int(bonus),
             "placed_at": created_at}
        if status == "cancelled":
            p.update(cancelled=True, reason=reason)
        items.append({"cursor": int(cursor), "type": "order.placed", "payload": p})
    return items


def on_order_status(proj, e) -> None:
    """A store's ``order.status``: the store's status, its lines, the history; a ``ready``
    queues the customer's notification (sent later by the notifier, never here)."""
    p, sql, sid = e.payload, proj.sql, proj.store_id
    oid, status, at = p["order_id"], p["status"], p.get("at") or e.occurred_at
    lines: dict[str, int] = {}
    for ln in p["lines"]:
        lines[ln["sku"]] = lines.get(ln["sku"], 0) + event_schema.qty_milli(ln["qty"], "qty")
    held = sql.one(f"SELECT status, store_id FROM hub_order WHERE order_id = ?{sql.for_update}",
                   (oid,))
    if held is None:  # an order the hub does not hold (a hub rebuilt without it)
        sql.run("INSERT INTO hub_order (order_id, store_id, status, customer_phone, lines, "
                "prepaid, bonus_redeemed, total, digest, created_by, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (oid, sid, status, p.get("customer_phone"),
                 json.dumps([{"sku": s, "qty": _qty(m)} for s, m in lines.items()]),
                 p["prepaid"], p["bonus_redeemed"], p["total"], "", f"store:{sid}", at, at))
        held = (status, sid)
    elif held[1] != sid:
        return  # another store's order: not this store's to move
    hub_cancelled = held[0] == "cancelled" and status not in FINAL
    sql.run("UPDATE hub_order SET status = ?, store_status = ?, ready_at = ?, sale_id = ?, "
            "reason = COALESCE(?, reason), updated_at = ?, problem = NULL WHERE order_id = ?",
            ("cancelled" if hub_cancelled else status, status, p.get("ready_at"),
             p.get("sale_id"), p.get("reason") if status == "cancelled" else None, at, oid))
    for sku, milli in sorted(lines.items()):
        sql.run("INSERT INTO hub_order_line (order_id, sku, store_id, qty_milli) VALUES "
                "(?,?,?,?) ON CONFLICT (order_id, sku) DO UPDATE SET qty_milli = "
                "excluded.qty_milli", (oid, sku, sid, milli))
    if status == "cancelled" and held[0] != "cancelled":
        order_bonus.give_back(sql, oid)  # the store let it go (not collected in time)
    who = p.get("by")
    by = f"store:{sid}" + (f" ({who})" if who and who != "hub" else "")
    _history(sql, oid, status, at, by, p.get("reason") if status == "cancelled" else None,
             e.seq)
    if status == "ready":
        from .notify import queue
        queue(sql, oid, "ready", {"order_id": oid, "store_id": sid, "status": "ready",
                                  "customer_phone": p.get("customer_phone"), "at": at})


def on_order_problem(proj, e) -> None:
    """A store could not take an order of its feed (``order.problem``): the order stays as it
    is (``new``) and answers the store's ``problem`` so the site learns it."""
    p = e.payload
    proj.sql.run("UPDATE hub_order SET problem = ? WHERE order_id = ? AND store_id = ? AND "
                 "store_status IS NULL", (p["problem"], p["order_id"], proj.store_id))


HANDLERS = {"order.status": on_order_status, "order.problem": on_order_problem}


def availability(sql: Sql, sku: str) -> dict:
    """Per store: on_hand (the store's ledger), reserved (its accepted, assembled and ready
    orders), available, and as_of (when the last event the hub holds from it happened)."""
    return {"sku": sku, "stores": [{k: v for k, v in r.items() if k != "sku"}
                                   for r in availability_rows(sql, sku=sku)]}


def availability_rows(sql: Sql, sku: str | None = None, store_id: str | None = None,
                      limit: int | None = None) -> list[dict]:
    """The one availability arithmetic (the site's API and the console): per store and SKU
    ``on_hand``, ``reserved``, ``available``, ``as_of``, for one SKU or one store or both,
    ordered by store and SKU."""
    where, params = [], []
    for col, value in (("sku", sku), ("store_id", store_id)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    cond = " AND ".join(where) or "1 = 1"
    on_hand = {(s, k): m for s, k, m in sql.rows(
        f"SELECT store_id, sku, on_hand_milli FROM hub_stock WHERE {cond}", params)}
    lcond = " AND ".join(f"l.{w}" for w in where) or "1 = 1"
    reserved = {(s, k): m for s, k, m in sql.rows(
        "SELECT l.store_id, l.sku, SUM(l.qty_milli) FROM hub_order_line l JOIN hub_order o ON "
        f"o.order_id = l.order_id WHERE {lcond} AND o.store_status IN (?, ?, ?) "
        "GROUP BY l.store_id, l.sku", (*params, *RESERVING))}
    as_of = dict(sql.rows(
        "SELECT s.store_id, e.occurred_at FROM hub_store s JOIN hub_event e ON "
        "e.store_id = s.store_id AND e.seq = s.acked_through"))
    out = []
    for sid, k in sorted(set(on_hand) | set(reserved))[:limit]:
        have, held = int(on_hand.get((sid, k), 0)), int(reserved.get((sid, k), 0))
        out.append({"store_id": sid, "sku": k, "on_hand": _signed(have), "reserved": _qty(held),
                    "available": _signed(have - held), "as_of": as_of.get(sid)})
    return out


def _signed(milli: int) -> str:
    return ("-" if milli < 0 else "") + _qty(abs(milli))


def _sku_of_barcode(sql: Sql, code: str) -> str | None:
    for sku, codes in sql.rows("SELECT sku, barcodes FROM hub_product WHERE barcodes LIKE ?",
                               (f'%"{code}"%',)):
        if code in json.loads(codes or "[]"):
            return sku
    return None


def register_orders(app, db, auth, collect_hours: int = COLLECT_HOURS) -> None:
    from .channels import admin_or_channel

    def caller() -> str:
        return admin_or_channel(db, auth)

    @app.post("/hub/v1/orders")
    def hub_place_order():
        by = caller()
        status, answer = place(db, validate.parse_json(request.get_data(cache=True) or b"null"),
                               by)
        answer["overdue"] = _overdue(answer["status"], answer["ready_at"], collect_hours)
        return jsonify(answer), status

    @app.get("/hub/v1/orders")
    def hub_orders():
        by = caller()
        if request.args.get("overdue") not in ("1", "true"):
            raise BadRequest("overdue=1 is required (the list of overdue orders)",
                             field="overdue")
        return jsonify({"items": overdue_list(Sql(db), collect_hours, by)})

    @app.get("/hub/v1/orders/<order_id>")
    def hub_order(order_id):
        return jsonify(order_view(Sql(db), order_id, collect_hours, caller()))

    @app.post("/hub/v1/orders/<order_id>/cancel")
    def hub_cancel_order(order_id):
        by = caller()
        data = validate.parse_json(request.get_data(cache=True) or b"null")
        answer = cancel(db, order_id, data, by)
        answer["overdue"] = False
        return jsonify(answer), 200

    @app.get("/hub/v1/availability")
    def hub_availability():
        caller()
        sql = Sql(db)
        sku, code = request.args.get("sku"), request.args.get("barcode")
        if code and not sku:
            sku = _sku_of_barcode(sql, code.strip())
            if sku is None:
                raise NotFound(f"no product with barcode {code}", field="barcode")
        if not sku or not sku.strip():
            raise BadRequest("sku or barcode is required", field="sku")
        out = availability(sql, sku.strip())
        if code:
            out["barcode"] = code.strip()
        return jsonify(out)
