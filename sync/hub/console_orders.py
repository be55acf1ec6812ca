"""The console's pick-up orders: the list (overdue first), an order with its history, the
counts the stores pages show, and availability per store on the stock page.

What an order is and when it is overdue is ``orders``' business (the site's API reads the
same functions): an order ``ready`` longer than the hub's ``collect_hours``.  The customer's
phone is personal data: the console shows only its last four digits.
"""

from __future__ import annotations

from flask import current_app, request

from . import orders
from .errors import NotFound
from .sql import Sql, equal_to

STATUSES = ("new", "accepted", "assembled", "ready", "collected", "cancelled")
OPEN = tuple(s for s in STATUSES if s not in orders.FINAL)
FINAL_SHOWN = 200  # collected and cancelled orders: the latest this many
QUERY_ARGS = {"/console/orders": {"store_id", "status"},
              "/console/stock": {"q", "store_id", "sku"}}


def mask_phone(phone: str | None) -> str | None:
    """Only the last four digits; the rest (and how long it is) stays hidden."""
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isdigit())
    return "•••" + digits[-4:] if len(digits) > 4 else "•••"


def _for_console(o: dict) -> dict:
    o["customer_phone"] = mask_phone(o["customer_phone"])
    o["due"] = o["total"] - o["prepaid"] - o["bonus_redeemed"]
    return o


def listing(db, hours: int, store_id: str | None = None, status: str | None = None,
            open_only: bool = False) -> list[dict]:
    """Orders by status, overdue pick-ups first (longest waiting first), then the open ones
    by stage, then the latest collected and cancelled."""
    sql = Sql(db)
    where, params = equal_to(store_id=store_id, status=status)
    cond = (" AND ".join(where) + " AND ") if where else ""
    rows = sql.rows(f"SELECT {orders.COLS} FROM hub_order WHERE {cond}status IN (?,?,?,?) "
                    "ORDER BY created_at, order_id", (*params, *OPEN))
    if not open_only:
        rows += sql.rows(f"SELECT {orders.COLS} FROM hub_order WHERE {cond}status IN (?,?) "
                         "ORDER BY updated_at DESC, order_id LIMIT ?",
                         (*params, *orders.FINAL, FINAL_SHOWN))
    found = [_for_console(orders.shape(sql, r, hours, history=False)) for r in rows]
    rank = {s: i for i, s in enumerate(STATUSES)}
    found.sort(key=lambda o: (not o["overdue"], o["ready_at"] or "" if o["overdue"] else "",
                              rank.get(o["status"], 9)))
    return found


def one(db, order_id: str, hours: int) -> dict | None:
    try:
        return _for_console(orders.order_view(Sql(db), order_id, hours))
    except NotFound:
        return None


def counts(db, hours: int, store_id: str | None = None) -> dict:
    """{"open": {store: n}, "overdue": {store: n}} (the stores list and a store's page)."""
    sql = Sql(db)
    where, params = ("AND store_id = ? ", (store_id,)) if store_id else ("", ())
    open_ = dict(sql.rows("SELECT store_id, COUNT(*) FROM hub_order WHERE status IN "
                          f"(?,?,?,?) {where}GROUP BY store_id", (*OPEN, *params)))
    overdue: dict[str, int] = {}
    for o in orders.overdue_list(sql, hours):
        if store_id is None or o["store_id"] == store_id:
            overdue[o["store_id"]] = overdue.get(o["store_id"], 0) + 1
    return {"open": {k: int(v) for k, v in open_.items()}, "overdue": overdue}


def store_ids(db) -> list[str]:
    return [s for (s,) in Sql(db).rows("SELECT store_id FROM hub_store ORDER BY store_id")]


def availability(db, store_id: str | None, sku: str | None, limit: int = 500) -> list[dict]:
    """On hand, reserved, available and as_of per store and SKU: the site's arithmetic."""
    if not store_id and not sku:
        return []
    return orders.availability_rows(Sql(db), sku=sku or None, store_id=store_id or None,
                                    limit=limit)


def hours() -> int:
    """The hub's ``collect_hours`` (``store-hub serve --collect-hours``)."""
    return current_app.config.get("HUB_COLLECT_HOURS", orders.COLLECT_HOURS)


def add_routes(bp, page) -> None:
    """The orders pages on the console's blueprint (``page`` renders with the console's
    words and session)."""

    @bp.get("/console/orders")
    def orders_page():
        db = current_app.config["HUB_DB"]
        store_id = (request.args.get("store_id") or "").strip()[:64] or None
        status = request.args.get("status") or None
        if status not in (None, *STATUSES):
            status = None
        items = listing(db, hours(), store_id, status)
        return page("orders", items=items, store_id=store_id, status=status,
                    statuses=STATUSES, stores=store_ids(db), hours=hours(),
                    overdue=sum(1 for o in items if o["overdue"]))

    @bp.get("/console/orders/<order_id>")
    def order_page(order_id):
        found = one(current_app.config["HUB_DB"], order_id, hours())
        if found is None:
            return page("missing", what="order", missing=order_id), 404
        return page("order", o=found, hours=hours())
