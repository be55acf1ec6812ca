"""The checker: the store's own totals against the hub's, which must be equal, exactly.

``store_totals`` reads the store database; ``hub_totals`` asks the hub's admin API;
``differences`` lists every mismatch (empty = consistent).  Compare only once the outbox
is drained (``pending == 0``): before that the hub is legitimately behind.
"""

from __future__ import annotations

from urllib.parse import quote

import requests
from peewee import fn

from agent.models import BonusEntry, Product, Sale, SaleReturn, StockLevel


def _qty(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    milli = abs(int(milli))
    return f"{sign}{milli // 1000}.{milli % 1000:03d}"


def store_totals(store) -> dict:
    sales = Sale.select(fn.COUNT(Sale.id), fn.SUM(Sale.total)).where(
        Sale.fiscal_status.is_null() | (Sale.fiscal_status != "voided")).tuples().get()
    rets = SaleReturn.select(fn.COUNT(SaleReturn.id), fn.SUM(SaleReturn.total)).tuples().get()
    stock = {sku: _qty(m) for sku, m in StockLevel.select(Product.sku, StockLevel.on_hand_milli)
             .join(Product).tuples() if m}
    bonus = dict(BonusEntry.select(BonusEntry.customer, fn.SUM(BonusEntry.amount))
                 .where(BonusEntry.origin == "store").group_by(BonusEntry.customer).tuples())
    return {"sales_count": sales[0] or 0, "sales_total": sales[1] or 0,
            "returns_count": rets[0] or 0, "returns_total": rets[1] or 0,
            "stock": stock, "bonus": {p: int(v) for p, v in bonus.items()}}


def hub_totals(hub_url: str, admin_token: str, store_id: str, phones=(), timeout=30.0) -> dict:
    base, h = hub_url.rstrip("/"), {"Authorization": f"Bearer {admin_token}"}

    def get(path):
        r = requests.get(base + path, headers=h, timeout=timeout)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()
    s = get(f"/hub/v1/stores/{quote(store_id)}/summary")
    stock = get(f"/hub/v1/stores/{quote(store_id)}/stock")["items"]
    bonus = {}
    for phone in phones:
        view = get(f"/hub/v1/customers/{quote(phone)}")
        if view is not None:
            bonus[phone] = sum(e["amount"] for e in view["ledger"] if e["store_id"] == store_id)
    return {"sales_count": s["sales_count"], "sales_total": s["sales_total"],
            "returns_count": s["returns_count"], "returns_total": s["returns_total"],
            "stock": {k: v for k, v in stock.items() if v not in ("0.000", "-0.000")},
            "bonus": bonus, "acked_through": s["acked_through"]}


def differences(store, hub_url: str, admin_token: str) -> list[str]:
    mine = store_totals(store)
    theirs = hub_totals(hub_url, admin_token, store.store_id, mine["bonus"].keys())
    out = []
    for key in ("sales_count", "sales_total", "returns_count", "returns_total"):
        if mine[key] != theirs[key]:
            out.append(f"{key}: store {mine[key]} hub {theirs[key]}")
    for sku in sorted(set(mine["stock"]) | set(theirs["stock"])):
        a, b = mine["stock"].get(sku, "0.000"), theirs["stock"].get(sku, "0.000")
        if a != b:
            out.append(f"stock {sku}: store {a} hub {b}")
    for phone in sorted(mine["bonus"]):
        a, b = mine["bonus"][phone], theirs["bonus"].get(phone)
        if a != b:
            out.append(f"bonus {phone}: store {a} hub {b}")
    return out
