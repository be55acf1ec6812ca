"""The receipt (agent.documents.Receipt) of a committed sale or return.

Built from what is on disk, so a reprint or a receipt printed after the fiscal register
confirmed carries the fiscal data.  Line amounts are net of the line's discount (the bonus
redeemed and allocated to it); on a return, net of the bonus withheld from the refund too,
so the lines always add up to what the customer paid or got back.  Drivers render it; they
never see models.
"""

from __future__ import annotations

from peewee import fn

from . import loyalty, sql
from .documents import (
    FiscalData,
    Receipt,
    ReceiptBonus,
    ReceiptLine,
    ReceiptPayment,
    StoreHeader,
    allocate,
)
from .errors import NotFound
from .models import ReturnItem, ReturnLine, Sale, SaleReturn
from .money import qty_str, share


def _store(store) -> StoreHeader:
    s = store.config.section("store")
    return StoreHeader(id=s["id"], name=s["name"], address=s["address"], inn=s["inn"])


def _fiscal(row) -> FiscalData | None:
    if row.fiscal_status == "done":
        return FiscalData(document_number=row.fiscal_document_number,
                          fiscal_sign=row.fiscal_sign)
    return None


def _balance_after(phone: str, column: str, row_id: int, created_at: str) -> int:
    """The customer's balance right after this sale/return: the balance now, less the local
    entries made after it (a reprint or a late print shows the balance the sale left)."""
    last = sql.scalar(f"SELECT MAX(id) FROM bonus_entry WHERE phone = ? AND {column} = ?",
                      (phone, row_id))
    if last is None:
        later = sql.scalar("SELECT SUM(amount) FROM bonus_entry WHERE phone = ?"
                           " AND created_at > ?", (phone, created_at))
    else:
        later = sql.scalar("SELECT SUM(amount) FROM bonus_entry WHERE phone = ? AND id > ?",
                           (phone, last))
    return loyalty.balance(phone) - (later or 0)


def _gross(line) -> int:
    """price x qty of a sale line (sales before manual discounts stored none: = amount)."""
    return line.amount if line.gross is None else line.gross


def for_sale(store, sale_id: int, copy: bool = False) -> Receipt:
    sale = Sale.get_or_none(Sale.id == sale_id)
    if sale is None:
        raise NotFound(f"no sale {sale_id}", field="sale_id")
    lines = tuple(ReceiptLine(name=ln.name, sku=ln.sku, qty=qty_str(ln.qty_milli), unit=ln.unit,
                              price=ln.price, gross=_gross(ln),
                              discount=_gross(ln) - ln.amount + ln.discount,
                              amount=ln.amount - ln.discount, vat=ln.vat)
                  for ln in sale.lines.order_by(sale.lines.model.line_no))
    bonus = None
    if sale.customer_phone:
        bonus = ReceiptBonus(earned=sale.bonus_earned, redeemed=sale.bonus_redeemed,
                             balance=_balance_after(sale.customer_phone, "sale_id", sale.id,
                                                    sale.created_at))
    return Receipt(
        kind="sale", sale_id=sale.id, copy=copy, store=_store(store),
        register_id=sale.register_id, cashier=sale.cashier.name,
        shift_number=sale.shift.number, receipt_number=sale.number,
        created_at=sale.created_at, lines=lines, total=sale.total,
        payments=tuple(ReceiptPayment(p.method, p.amount) for p in sale.payments),
        change=sale.change, bonus=bonus, customer_phone=sale.customer_phone,
        fiscal=_fiscal(sale), fiscal_register=sale.fiscal_status is not None)


def _for_return_without_sale(store, ret: SaleReturn, copy: bool) -> Receipt:
    """A return without a receipt or of another store's sale: its items at their price."""
    lines = tuple(ReceiptLine(name=it.name, sku=it.sku, qty=qty_str(it.qty_milli), unit=it.unit,
                              price=it.price, gross=it.amount, discount=0, amount=it.amount,
                              vat=it.vat) for it in ret.items.order_by(ReturnItem.id))
    return Receipt(
        kind="return", sale_id=None, return_id=ret.id, copy=copy, store=_store(store),
        register_id=ret.shift.register_id, cashier=ret.cashier.name,
        shift_number=ret.shift.number, receipt_number=ret.number, created_at=ret.created_at,
        lines=lines, total=ret.total,
        payments=tuple(ReceiptPayment(r.method, r.amount) for r in ret.refunds), change=0,
        customer_name=ret.customer_name, customer_document=ret.customer_document,
        reason=ret.reason, origin_store=ret.origin_store, origin_sale=ret.origin_sale,
        fiscal=_fiscal(ret), fiscal_register=ret.fiscal_status is not None)


def _returned_before(ret: SaleReturn, sale_line_id: int) -> int:
    return ReturnLine.select(fn.SUM(ReturnLine.qty_milli)).where(
        (ReturnLine.sale_line == sale_line_id) & (ReturnLine.sale_return < ret.id)).scalar() or 0


def for_return(store, return_id: int, copy: bool = False) -> Receipt:
    ret = SaleReturn.get_or_none(SaleReturn.id == return_id)
    if ret is None:
        raise NotFound(f"no return {return_id}", field="return_id")
    if ret.sale_id is None:
        return _for_return_without_sale(store, ret, copy)
    rls = list(ret.lines.order_by(ReturnLine.id))
    # the bonus withheld from the refund comes off the lines like a discount
    withheld = allocate(sum(rl.amount for rl in rls) - ret.total, [rl.amount for rl in rls])
    lines = []
    for rl, kept in zip(rls, withheld, strict=True):
        sl = rl.sale_line
        before = _returned_before(ret, sl.id)
        gross = max(share(_gross(sl), before + rl.qty_milli, sl.qty_milli)
                    - share(_gross(sl), before, sl.qty_milli), rl.amount)
        amount = rl.amount - kept
        lines.append(ReceiptLine(name=sl.name, sku=sl.sku, qty=qty_str(rl.qty_milli),
                                 unit=sl.unit, price=sl.price, gross=gross,
                                 discount=gross - amount, amount=amount, vat=sl.vat))
    sale = ret.sale
    bonus = None
    if sale.customer_phone:
        bonus = ReceiptBonus(earned=-ret.bonus_reversed, redeemed=-ret.bonus_restored,
                             balance=_balance_after(sale.customer_phone, "return_id", ret.id,
                                                    ret.created_at))
    return Receipt(
        kind="return", sale_id=sale.id, return_id=ret.id, copy=copy, store=_store(store),
        register_id=sale.register_id, cashier=ret.cashier.name,
        shift_number=ret.shift.number, receipt_number=ret.number,
        sale_number=sale.number, sale_shift_number=sale.shift.number,
        created_at=ret.created_at, lines=tuple(lines), total=ret.total,
        payments=tuple(ReceiptPayment(r.method, r.amount) for r in ret.refunds),
        change=0, bonus=bonus, customer_phone=sale.customer_phone,
        fiscal=_fiscal(ret), fiscal_register=ret.fiscal_status is not None)
