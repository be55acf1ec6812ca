"""What the console's pages read (plain queries over the hub's tables)."""

from __future__ import annotations

import json

from .feed import _qty
from .sql import Sql


def z_reports(db, store_id: str, limit: int = 30) -> list[dict]:
    """Each closed shift's Z report (the store's totals) next to what the hub holds for the
    shift: its sales and how many the fiscal register took (fiscal document numbers)."""
    sql = Sql(db)
    out = []
    for shift_id, register_id, number, z in sql.rows(
            "SELECT shift_id, register_id, number, z_report FROM hub_shift WHERE store_id = ? "
            "AND z_report IS NOT NULL ORDER BY shift_id DESC LIMIT ?", (store_id, limit)):
        try:
            report = json.loads(z) if z else {}
        except ValueError:
            report = {}
        count, total, fiscal = sql.one(
            "SELECT COUNT(*), SUM(total), COUNT(fiscal_document_number) FROM hub_sale WHERE "
            "store_id = ? AND shift_id = ? AND voided_seq IS NULL", (store_id, shift_id))
        z_count = report.get("sales_count") if isinstance(report, dict) else None
        z_total = report.get("sales_total") if isinstance(report, dict) else None
        out.append({"shift_id": shift_id, "register_id": register_id, "number": number,
                    "closed_at": report.get("closed_at") if isinstance(report, dict) else None,
                    "z_count": z_count, "z_total": z_total, "hub_count": int(count or 0),
                    "hub_total": int(total or 0), "fiscalized": int(fiscal or 0),
                    "diverges": (z_count, z_total) != (int(count or 0), int(total or 0))
                    or int(fiscal or 0) not in (0, int(count or 0))})
    return out


def sync_history(db, store_id: str, limit: int = 20) -> list[dict]:
    """The store's latest deliveries: events received together, by receipt time."""
    return [{"received_at": at, "events": int(n), "first_seq": int(lo), "last_seq": int(hi)}
            for at, n, lo, hi in Sql(db).rows(
                "SELECT received_at, COUNT(*), MIN(seq), MAX(seq) FROM hub_event WHERE "
                "store_id = ? GROUP BY received_at ORDER BY received_at DESC LIMIT ?",
                (store_id, limit))]


def stock(db, q: str | None, limit: int = 200) -> list[dict]:
    """On hand per SKU across the chain and the stores where it is out (≤ 0); the name is the
    catalog's, else the one the stores sold it under."""
    sql = Sql(db)
    where, params = "", []
    if q:
        where = "WHERE st.sku LIKE ? OR p.name LIKE ?"
        params = [f"%{q}%", f"%{q}%"]
    rows = sql.rows(
        "SELECT st.sku, COALESCE(MAX(p.name), (SELECT MAX(l.name) FROM hub_sale_line l WHERE "
        "l.sku = st.sku)), SUM(st.on_hand_milli), "
        "SUM(CASE WHEN st.on_hand_milli <= 0 THEN 1 ELSE 0 END), COUNT(*) FROM hub_stock st "
        f"LEFT JOIN hub_product p ON p.sku = st.sku {where} GROUP BY st.sku "
        "ORDER BY st.sku LIMIT ?", params + [limit])
    out = []
    for sku, name, milli, empty, n in rows:
        missing = []
        if empty:
            missing = [s for (s,) in sql.rows("SELECT store_id FROM hub_stock WHERE sku = ? AND "
                                              "on_hand_milli <= 0 ORDER BY store_id LIMIT 20",
                                              (sku,))]
        out.append({"sku": sku, "name": name, "on_hand": _qty(int(milli or 0)),
                    "stores": int(n), "out_in": missing})
    return out
