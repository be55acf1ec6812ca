"""Voiding a sale the fiscal register never took: a manager's decision, audited.

Only a sale whose fiscalisation *failed* (the register confirmed nothing was printed) can
be voided; a completed sale is undone by a return, and a pending one must first be settled
by the register (it may have printed the receipt).  The void puts the goods back, gives back
the bonus the sale spent and takes back what it earned, in one transaction with a
``sale.voided`` event for the hub.
"""

from __future__ import annotations

from . import cashiers, clock, outbox, stock
from .errors import Conflict, NotFound
from .models import Sale, SaleLine, SaleReturn
from .money import qty_str


def why_not_voidable(sale: Sale) -> str | None:
    """Why this sale cannot be voided, or None: the one rule the void and the screen's list
    of receipts to retry or void both follow."""
    why = {None: "a completed sale is undone by a return",
           "done": "it has a fiscal receipt: make a return",
           "pending": "the fiscal register has not settled it yet: wait or retry",
           "voided": "it is already voided"}.get(sale.fiscal_status)
    if why is None and SaleReturn.select().where(SaleReturn.sale == sale.id).exists():
        why = "it has returns"
    return why


def void_sale(store, session, sale_id: int, approval_pin=None, approval_login=None) -> dict:
    approver = cashiers.approve(store, session, "voiding a sale", approval_pin, approval_login)
    with store.db.write():
        sale = Sale.get_or_none(Sale.id == sale_id)
        if sale is None:
            raise NotFound(f"no sale {sale_id}", field="sale_id")
        why = why_not_voidable(sale)
        if why:
            raise Conflict(f"sale {sale_id} cannot be voided: {why}", code="not_voidable")
        Sale.update(fiscal_status="voided").where(Sale.id == sale.id).execute()
        now = clock.iso()
        lines = list(SaleLine.select().where(SaleLine.sale == sale.id))
        for ln in lines:
            stock.record_move(ln.product_id, "void", ln.qty_milli, sale_id=sale.id, at=now)
        if sale.customer_phone:
            from . import loyalty
            loyalty.post(store, sale.customer_phone, "restore", sale.bonus_redeemed,
                         sale_id=sale.id, cashier=approver.login, reason="sale voided")
            loyalty.post(store, sale.customer_phone, "reversal", -sale.bonus_earned,
                         sale_id=sale.id, cashier=approver.login, reason="sale voided")
        outbox.emit("sale.voided", {
            "sale_id": sale.id, "total": sale.total, "approved_by": approver.login,
            "cashier": session.cashier.login, "customer_phone": sale.customer_phone,
            "lines": [{"line_id": ln.id, "sku": ln.sku, "qty": qty_str(ln.qty_milli)}
                      for ln in lines], "voided_at": now})
        cashiers.audit("sale.voided", approver, sale_id=sale.id, total=sale.total)
    from .sales import get
    return get(sale_id)
