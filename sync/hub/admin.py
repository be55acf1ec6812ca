"""Admin routes (``Authorization: Bearer <admin token>``): what the chain's office reads."""

from __future__ import annotations

from flask import current_app, jsonify, request

from . import feed, loyalty, rejected, validate
from .errors import BadRequest, NotFound
from .feed import _qty
from .sql import Sql


def store_summary(db, store_id: str) -> dict:
    sql = Sql(db)
    row = sql.one("SELECT acked_through, last_event_at FROM hub_store WHERE store_id = ?",
                  (store_id,))
    if row is None:
        raise NotFound(f"no store {store_id}", field="store_id")
    sales = sql.one("SELECT COUNT(*), SUM(total), SUM(bonus_earned), SUM(bonus_redeemed), "
                    "SUM(manual_discount) "
                    "FROM hub_sale WHERE store_id = ? AND voided_seq IS NULL", (store_id,))
    rets = sql.one("SELECT COUNT(*), SUM(total) FROM hub_return WHERE store_id = ?", (store_id,))
    open_shifts = sql.scalar("SELECT COUNT(*) FROM hub_shift WHERE store_id = ? AND "
                             "closed_seq IS NULL", (store_id,), 0)
    n = lambda v: int(v or 0)  # noqa: E731  (SUM of BIGINT is NUMERIC on PostgreSQL)
    return {"store_id": store_id, "acked_through": n(row[0]), "last_event_at": row[1],
            "sales_count": n(sales[0]), "sales_total": n(sales[1]),
            "bonus_earned": n(sales[2]), "bonus_redeemed": n(sales[3]),
            "discounts_total": n(sales[4]),
            "returns_count": n(rets[0]), "returns_total": n(rets[1]),
            "open_shifts": n(open_shifts),
            "quarantined": rejected.count_quarantined(db, store_id),
            "not_applied": rejected.count_quarantined(db, store_id, "not_applied")}


def register_admin(app, db, auth) -> None:
    @app.get("/hub/v1/rejected")
    def rejected_events():
        auth.admin()
        status = request.args.get("status")
        if status not in (None, "rejected", "quarantined", "not_applied"):
            raise BadRequest("status must be rejected, quarantined or not_applied",
                             field="status")
        return jsonify({"items": rejected.listing(db, request.args.get("store_id"), status)})

    @app.post("/hub/v1/rejected/<int(min=1, max=9223372036854775807):rejected_id>/quarantine")
    def quarantine(rejected_id):
        auth.admin()
        return jsonify(rejected.quarantine(db, rejected_id))

    @app.get("/hub/v1/stores")
    def stores():
        auth.admin()
        from .fleet import stores as fleet
        return jsonify({"items": fleet(db, current_app.config["HUB_LIMITS"])})

    @app.get("/hub/v1/reports/sales")
    def sales_report():
        auth.admin()
        from .params import int_arg
        from .reports import BY, sales
        by = request.args.get("by", "day")
        if by not in BY:
            raise BadRequest("by must be day, store or product", field="by")
        limits = current_app.config["HUB_LIMITS"]
        return jsonify(sales(db, by, int_arg("days", 30, 1, 3660), limits.timezone,
                             request.args.get("store_id") or None))

    @app.get("/hub/v1/stores/<store_id>/summary")
    def summary(store_id):
        auth.admin()
        return jsonify(store_summary(db, store_id))

    @app.get("/hub/v1/stores/<store_id>/stock")
    def store_stock(store_id):
        auth.admin()
        rows = Sql(db).rows("SELECT sku, on_hand_milli FROM hub_stock WHERE store_id = ? "
                            "ORDER BY sku", (store_id,))
        return jsonify({"store_id": store_id, "items": {s: _qty(m) for s, m in rows}})

    @app.get("/hub/v1/stock")
    def stock():
        auth.admin()
        sku = request.args.get("sku")
        if not sku:
            raise BadRequest("sku is required", field="sku")
        rows = Sql(db).rows("SELECT store_id, on_hand_milli FROM hub_stock WHERE sku = ? "
                            "ORDER BY store_id", (sku,))
        from .stock_docs import in_transit  # goods between two stores count for the chain
        moving = in_transit(Sql(db), sku)
        on_hand = sum(int(m) for _, m in rows)
        transit = sum(validate.qty_milli(t["in_transit"], "in_transit") for t in moving)
        return jsonify({"sku": sku, "stores": {s: _qty(m) for s, m in rows},
                        "on_hand": _qty(on_hand), "in_transit": moving,
                        "total": _qty(on_hand + transit)})

    @app.get("/hub/v1/customers/<phone>")
    def admin_customer(phone):
        auth.admin()
        return jsonify(loyalty.ledger_view(db, validate.phone(phone, "phone")))

    @app.get("/hub/v1/loyalty/overdrafts")
    def overdrafts():
        auth.admin()
        return jsonify({"items": loyalty.overdrafts(db)})

    @app.post("/hub/v1/catalog")
    def catalog():
        auth.admin()
        body = validate.parse_json(request.get_data(cache=True) or b"null")
        return jsonify({"upserted": feed.upsert_catalog(db, body)})
