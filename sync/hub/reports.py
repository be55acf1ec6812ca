"""Sales reports for the office: by business day, by store, by product (admin; the console
draws them).  Money is kopecks, quantities decimal strings.

Voided sales (the fiscal register never took them) are left out; returns are taken off by
line (``hub_return_line``), on the day they happened.  Days are business dates in the hub's
time zone: rows are summed per UTC hour in SQL and the hours placed on local dates here
(exact for zones with whole-hour offsets, as all of Russia's are).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from .feed import _qty
from .sql import Sql, iso

BY = ("day", "store", "product")


def _local_date(hour: str, tz: ZoneInfo) -> str:
    dt = datetime.strptime(hour[:13], "%Y-%m-%dT%H").replace(tzinfo=timezone.utc)
    return dt.astimezone(tz).date().isoformat()


def _n(v) -> int:
    return int(v or 0)  # SUM of BIGINT is NUMERIC on PostgreSQL


def sales(db, by: str, days: int, tz_name: str, store_id: str | None = None,
          now: float | None = None) -> dict:
    sql, tz = Sql(db), ZoneInfo(tz_name)
    since = iso((time.time() if now is None else now) - days * 86400)
    where, params = "s.created_at >= ? AND s.voided_seq IS NULL", [since]
    rwhere, rparams = "r.created_at >= ?", [since]
    if store_id:
        where, rwhere = where + " AND s.store_id = ?", rwhere + " AND r.store_id = ?"
        params.append(store_id)
        rparams.append(store_id)
    if by == "product":
        return {"by": by, "since": since, "items": _by_product(sql, where, params, rwhere,
                                                               rparams)}
    key = "substr(s.created_at, 1, 13)" if by == "day" else "s.store_id"
    rkey = "substr(r.created_at, 1, 13)" if by == "day" else "r.store_id"
    got: dict = {}
    for k, count, total in sql.rows(f"SELECT {key}, COUNT(*), SUM(s.total) FROM hub_sale s "
                                    f"WHERE {where} GROUP BY {key}", params):
        k = _local_date(k, tz) if by == "day" else k
        row = got.setdefault(k, {"sales_count": 0, "sales_total": 0, "returns_total": 0})
        row["sales_count"] += _n(count)
        row["sales_total"] += _n(total)
    for k, total in sql.rows(f"SELECT {rkey}, SUM(r.total) FROM hub_return r WHERE {rwhere} "
                             f"GROUP BY {rkey}", rparams):
        k = _local_date(k, tz) if by == "day" else k
        row = got.setdefault(k, {"sales_count": 0, "sales_total": 0, "returns_total": 0})
        row["returns_total"] += _n(total)
    name = "date" if by == "day" else "store_id"
    items = [{name: k, **v, "net_total": v["sales_total"] - v["returns_total"]}
             for k, v in sorted(got.items())]
    return {"by": by, "since": since, "items": items}


def _by_product(sql: Sql, where: str, params: list, rwhere: str, rparams: list) -> list[dict]:
    got: dict = {}
    for sku, name, qty, amount, discount, net, vat in sql.rows(
            "SELECT l.sku, MAX(l.name), SUM(l.qty_milli), SUM(l.amount), SUM(l.discount), "
            "SUM(l.net), SUM(l.vat) FROM hub_sale_line l JOIN hub_sale s ON "
            "s.store_id = l.store_id AND s.sale_id = l.sale_id "
            f"WHERE {where} GROUP BY l.sku", params):
        got[sku] = {"sku": sku, "name": name, "qty_milli": _n(qty), "amount": _n(amount),
                    "discount": _n(discount), "net": _n(net), "vat": _n(vat),
                    "returned_milli": 0, "returned_amount": 0}
    for sku, qty, amount in sql.rows(
            "SELECT l.sku, SUM(l.qty_milli), SUM(l.amount) FROM hub_return_line l JOIN "
            "hub_return r ON r.store_id = l.store_id AND r.return_id = l.return_id "
            f"WHERE {rwhere} GROUP BY l.sku", rparams):
        row = got.setdefault(sku, {"sku": sku, "name": None, "qty_milli": 0, "amount": 0,
                                   "discount": 0, "net": 0, "vat": 0, "returned_milli": 0,
                                   "returned_amount": 0})
        row["returned_milli"] += _n(qty)
        row["returned_amount"] += _n(amount)
    items = []
    for row in sorted(got.values(), key=lambda r: (-r["net"], r["sku"])):
        qty, back = row.pop("qty_milli"), row.pop("returned_milli")
        items.append({**row, "qty": _qty(qty), "returned_qty": _qty(back),
                      "net_after_returns": row["net"] - row["returned_amount"]})
    return items
