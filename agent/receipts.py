"""The receipt document (docs/receipt-shape.md) of a committed sale or return.

Built from what is on disk, at print time, so a reprint or a receipt printed after the
fiscal register confirmed carries the fiscal data.  Drivers render it; they never see models.
"""

from __future__ import annotations

from . import loyalty
from .errors import NotFound
from .models import Sale, SaleReturn
from .money import qty_str, vat_breakdown


def _store(store) -> dict:
    s = store.config.section("store")
    return {"id": s["id"], "name": s["name"], "address": s["address"], "inn": s["inn"]}


def _fiscal(row) -> dict | None:
    if row.fiscal_status == "done":
        return {"document_number": row.fiscal_document_number, "fiscal_sign": row.fiscal_sign}
    return None


def for_sale(store, sale_id: int, copy: bool = False) -> dict:
    sale = Sale.get_or_none(Sale.id == sale_id)
    if sale is None:
        raise NotFound(f"no sale {sale_id}", field="sale_id")
    lines = [{"name": ln.name, "sku": ln.sku, "qty": qty_str(ln.qty_milli), "unit": ln.unit,
              "price": ln.price, "amount": ln.amount, "discount": ln.discount, "vat": ln.vat}
             for ln in sale.lines.order_by(sale.lines.model.line_no)]
    bonus = None
    if sale.customer_phone:
        bonus = {"earned": sale.bonus_earned, "redeemed": sale.bonus_redeemed,
                 "balance": loyalty.balance(sale.customer_phone)}
    return {
        "kind": "sale", "sale_id": sale.id, "return_id": None, "copy": copy,
        "store": _store(store), "register_id": sale.register_id, "cashier": sale.cashier.name,
        "shift_number": sale.shift.number, "receipt_number": sale.number,
        "created_at": sale.created_at, "lines": lines, "total": sale.total, "vat": vat_breakdown(lines),
        "payments": [{"method": p.method, "amount": p.amount} for p in sale.payments],
        "change": sale.change, "bonus": bonus, "customer_phone": sale.customer_phone,
        "qr": None, "fiscal": _fiscal(sale),
    }


def for_return(store, return_id: int, copy: bool = False) -> dict:
    ret = SaleReturn.get_or_none(SaleReturn.id == return_id)
    if ret is None:
        raise NotFound(f"no return {return_id}", field="return_id")
    lines = []
    for rl in ret.lines:
        sl = rl.sale_line
        discount = sl.discount * rl.qty_milli // sl.qty_milli if sl.qty_milli else 0
        lines.append({"name": sl.name, "sku": sl.sku, "qty": qty_str(rl.qty_milli),
                      "unit": sl.unit, "price": sl.price, "amount": rl.amount + discount,
                      "discount": discount, "vat": sl.vat})
    sale = ret.sale
    bonus = None
    if sale.customer_phone:
        bonus = {"earned": -ret.bonus_reversed, "redeemed": -ret.bonus_restored,
                 "balance": loyalty.balance(sale.customer_phone)}
    return {
        "kind": "return", "sale_id": sale.id, "return_id": ret.id, "copy": copy,
        "store": _store(store), "register_id": sale.register_id, "cashier": ret.cashier.name,
        "shift_number": ret.shift.number, "receipt_number": ret.number,
        "created_at": ret.created_at, "lines": lines, "total": ret.total, "vat": vat_breakdown(lines),
        "payments": [{"method": r.method, "amount": r.amount} for r in ret.refunds],
        "change": 0, "bonus": bonus, "customer_phone": sale.customer_phone,
        "qr": None, "fiscal": _fiscal(ret),
    }
