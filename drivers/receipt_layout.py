"""Receipt layout: the receipt (docs/receipt-shape.md) -> layout ops -> text/HTML/bytes.

What goes on a receipt is decided once, here, as a list of small ops for a column width
(32, 42 or 48); the cashier-screen preview (HTML), logs (plain text) and the printer
(ESC/POS bytes) are three renderers of the same ops, so the preview shows what prints.
Nothing here opens a connection.

All text from outside (names, addresses) is stripped of control characters, so a product
name cannot smuggle printer commands, and HTML output is escaped everywhere.
A line's ``gross`` is qty x price; ``discount`` (bonus redeemed allocated to the line) comes
off it, and ``amount`` is what the line costs; ``total`` is the sum of the amounts.
The title says КАССОВЫЙ ЧЕК only when the fiscal register confirmed the receipt. Bonus
figures are kopecks, like all money; on a return the agent sends the accrual taken back
and the redemption given back as negative ``earned``/``redeemed``.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from drivers.formatting import clean, fit, format_money, format_qty, justify
from drivers.receipt_view import ReceiptDocument, receipt_view

__all__ = [
    "CUT_MARK", "QR", "Cut", "Op", "Separator", "Text", "layout_document", "layout_receipt",
    "receipt_escpos", "receipt_html", "receipt_text", "render_escpos", "render_html", "render_text", "rows",
]

CUT_MARK = "[cut]"


@dataclass(frozen=True)
class Text:
    """One logical line: ``left`` flush left (or aligned) and optional ``right`` flush
    right. Double lines are double width and height, so they get half the columns."""

    left: str
    right: str = ""
    align: str = "left"
    bold: bool = False
    double: bool = False


@dataclass(frozen=True)
class Separator:
    char: str = "-"


@dataclass(frozen=True)
class QR:
    data: str


@dataclass(frozen=True)
class Cut:
    pass


Op = Text | Separator | QR | Cut

LABELS = {
    "ru": {
        "title": "КАССОВЫЙ ЧЕК", "slip": "ТОВАРНЫЙ ЧЕК",
        "not_fiscal": "НЕ ФИСКАЛЬНЫЙ ДОКУМЕНТ", "sale": "ПРИХОД", "return": "ВОЗВРАТ ПРИХОДА",
        "copy": "КОПИЯ", "inn": "ИНН", "register": "Касса", "shift": "Смена",
        "receipt": "Чек №", "return_of": "Возврат по продаже №", "cashier": "Кассир",
        "discount": "Скидка", "total": "ИТОГ", "vat": "в т.ч. НДС {rate}%",
        "no_vat": "Без НДС", "pay_cash": "Наличными", "pay_card": "Картой", "pay_bonus": "Бонусами",
        "pay_advance": "Зачёт аванса",
        "change": "Сдача", "earned": "Начислено бонусов", "redeemed": "Списано бонусов",
        "balance": "Баланс бонусов",
        "earned_back": "Отменено начисление бонусов", "redeemed_back": "Возвращено бонусов", "customer": "Покупатель",
        "document": "Документ", "reason": "Причина", "bought_in": "Куплено: магазин {store}, чек {sale}", "fn": "ФН", "fd": "ФД",
        "fs": "ФП", "kg": "кг", "date": "%d.%m.%Y %H:%M",
    },
    "en": {
        "title": "FISCAL RECEIPT", "slip": "SALES RECEIPT",
        "not_fiscal": "NOT A FISCAL RECEIPT", "sale": "SALE", "return": "RETURN", "copy": "COPY",
        "inn": "INN", "register": "Register", "shift": "Shift", "receipt": "Receipt #",
        "return_of": "Return of sale #", "cashier": "Cashier", "discount": "Discount",
        "total": "TOTAL", "vat": "incl. VAT {rate}%", "no_vat": "No VAT", "pay_cash": "Cash",
        "pay_card": "Card", "pay_bonus": "Bonuses", "pay_advance": "Prepaid", "change": "Change", "earned": "Bonuses earned",
        "redeemed": "Bonuses redeemed", "balance": "Bonus balance",
        "earned_back": "Bonus accrual reversed", "redeemed_back": "Bonuses given back", "customer": "Customer",
        "document": "Document", "reason": "Reason", "bought_in": "Bought in store {store}, sale {sale}",
        "fn": "FN", "fd": "FD", "fs": "FS", "kg": "kg", "date": "%Y-%m-%d %H:%M",
    },
}

def rows(op: Text, columns: int) -> list[str]:
    """The fixed-width rows a text op occupies on paper (right-trimmed)."""
    width = columns // 2 if op.double else columns
    left, right = clean(op.left), clean(op.right)
    if right and len(left) + 1 + len(right) <= width:
        return [justify(left, right, width).rstrip()]
    wrapped = textwrap.wrap(left, width) if left.strip() else [""]
    out = [fit(row, width, op.align).rstrip() for row in wrapped]
    if right:
        out.append(right[:width].rjust(width))
    return out


def _when(value: str | None, lang: str, tz: tzinfo | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz).strftime(LABELS[lang]["date"])


def _return_party(r, lb: dict) -> list[Op]:
    """A return without a receipt or of another store's sale: where it was bought, who
    returned it (name and document, as the law asks) and why."""
    ops: list[Op] = []
    origin = getattr(r, "origin_store", None)
    if origin:
        ops.append(Text(lb["bought_in"].format(store=origin,
                                               sale=getattr(r, "origin_sale", None) or "")))
    for key, label in (("customer_name", "customer"), ("customer_document", "document"),
                       ("reason", "reason")):
        value = getattr(r, key, None)
        if value:
            ops.append(Text(f"{lb[label]}: {value}"))
    return ops


def layout_receipt(receipt: ReceiptDocument, columns: int = 42, lang: str = "ru",
                   tz: tzinfo | None = None) -> list[Op]:
    """Lay out a sale or return receipt. ``tz`` is the zone for the printed time
    (default: this machine's local zone; ``created_at`` is UTC)."""
    if columns not in (32, 42, 48):
        raise ValueError(f"columns must be 32, 42 or 48, not {columns}")
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, not {lang!r}")
    if isinstance(receipt, Mapping) and receipt.get("kind") == "document":
        # a plain summary (e.g. a delivery's act), not a receipt
        return layout_document(receipt)
    r = receipt_view(receipt)
    kind = r.kind or "sale"
    if kind not in ("sale", "return"):
        raise ValueError(f"receipt kind must be 'sale' or 'return', not {kind!r}")
    if not r.lines:
        raise ValueError("a receipt needs lines")
    if isinstance(r.total, bool) or not isinstance(r.total, int):
        raise TypeError(f"the total must be integer kopecks, not {r.total!r}")
    lb = LABELS[lang]
    ops: list[Op] = []
    store = r.store
    for key, fmt in (("name", "{}"), ("address", "{}"), ("inn", lb["inn"] + " {}")):
        value = getattr(store, key, None) if store is not None else None
        if value:
            ops.append(Text(fmt.format(value), align="center", bold=(key == "name")))
    # a fiscal receipt only once the register confirmed it; a slip without a register is
    # a sales slip (товарный чек)
    fiscal = r.fiscal
    title = lb["title"] if fiscal else (lb["not_fiscal"] if r.fiscal_register else lb["slip"])
    ops += [Separator(), Text(title, align="center", bold=True),
            Text(lb[kind], align="center", bold=True)]
    if r.copy:
        ops.append(Text(lb["copy"], align="center", bold=True))
    ops.append(Text(f"{lb['register']} {r.register_id or ''}",
                    f"{lb['shift']} {r.shift_number or ''}"))
    ops.append(Text(f"{lb['receipt']} {r.receipt_number or ''}",
                    _when(r.created_at, lang, tz)))
    if kind == "return" and r.sale_number is not None:
        of = f"{lb['return_of']}{r.sale_number}"
        if r.sale_shift_number is not None:
            of += f" ({lb['shift'].lower()} {r.sale_shift_number})"
        ops.append(Text(of))
    if r.cashier:
        ops.append(Text(f"{lb['cashier']}: {r.cashier}"))
    if kind == "return":
        ops += _return_party(r, lb)
    ops.append(Separator())
    for line in r.lines:
        unit = line.unit or "pcs"
        qty = format_qty(line.qty, unit) + (f" {lb['kg']}" if unit == "kg" else "")
        gross = line.gross if line.gross is not None else line.amount
        ops.append(Text(line.name))
        ops.append(Text(f"  {qty} x {format_money(line.price)}", f"={format_money(gross)}"))
        if line.discount:
            ops.append(Text(f"  {lb['discount']}", f"-{format_money(line.discount)}"))
            ops.append(Text("", f"={format_money(line.amount)}"))
    ops += [Separator(), Text(lb["total"], format_money(r.total), bold=True, double=True)]
    for vat in r.vat or ():
        label = lb["no_vat"] if vat.rate == "none" else lb["vat"].format(rate=vat.rate)
        ops.append(Text(label, format_money(vat.amount)))
    payments = r.payments or ()
    for payment in payments:
        ops.append(Text(lb.get(f"pay_{payment.method}", str(payment.method)),
                        format_money(payment.amount)))
    change = r.change or 0
    if kind == "sale" and (change or any(p.method == "cash" for p in payments)):
        ops.append(Text(lb["change"], format_money(change), bold=True))
    bonus = r.bonus
    if bonus:
        ops.append(Separator())
        for key in ("earned", "redeemed", "balance"):
            value = getattr(bonus, key, None)
            if value is None or (key != "balance" and not value):
                continue
            if kind == "return" and key != "balance":
                key, value = f"{key}_back", abs(value)
            ops.append(Text(lb[key], format_money(value)))
    if r.customer_phone_shown:  # masked by the core; the full phone is never printed
        ops.append(Text(f"{lb['customer']}: {clean(r.customer_phone_shown)}"))
    if fiscal:
        ops.append(Separator())
        for key, label in (("fn", "fn"), ("document_number", "fd"), ("fiscal_sign", "fs")):
            value = getattr(fiscal, key, None)
            if value not in (None, ""):
                ops.append(Text(lb[label], str(value)))
    if r.qr:
        ops.append(QR(clean(r.qr)))
    ops.append(Cut())
    return ops


def layout_document(doc: dict) -> list[Op]:
    """A plain document, not a receipt: ``{"kind": "document", "title", "rows": [[left,
    right?], ...]}``; an empty row is a separator.  Never carries a fiscal receipt's words."""
    ops: list[Op] = [Text(clean(str(doc.get("title") or "")), align="center", bold=True),
                     Separator()]
    for row in doc.get("rows") or []:
        if not row:
            ops.append(Separator())
            continue
        right = clean(str(row[1])) if len(row) > 1 and row[1] not in (None, "") else ""
        ops.append(Text(clean(str(row[0])), right))
    ops.append(Cut())
    return ops


def render_text(ops: list[Op], columns: int) -> str:
    """Plain text, one paper row per line (logs, terminal preview)."""
    out: list[str] = []
    for op in ops:
        if isinstance(op, Text):
            out += rows(op, columns)
        elif isinstance(op, Separator):
            out.append(op.char * columns)
        elif isinstance(op, QR):
            out.append(f"[QR: {op.data}]")
        elif isinstance(op, Cut):
            out.append(CUT_MARK)
    return "\n".join(out) + "\n"


def render_html(ops: list[Op], columns: int) -> str:
    """A ``<pre>`` block for the cashier screen; every piece of text is escaped."""
    out: list[str] = []
    for op in ops:
        if isinstance(op, Text):
            for row in rows(op, columns):
                row = html.escape(row, quote=True)
                if op.double:
                    row = f'<b class="r-double" style="font-size:2em;line-height:1">{row}</b>'
                elif op.bold:
                    row = f"<b>{row}</b>"
                out.append(row)
        elif isinstance(op, Separator):
            out.append(html.escape(op.char * columns))
        elif isinstance(op, QR):
            out.append(f'<span class="r-qr" data-qr="{html.escape(op.data, quote=True)}">'
                       f"[QR]</span>")
    body = "\n".join(out)
    return f'<pre class="receipt" data-columns="{int(columns)}">{body}</pre>'


def render_escpos(ops: list[Op], columns: int, codepage: str = "cp866",
                  codepage_table: int = 17, profile: str | None = None) -> bytes:
    """ESC/POS bytes for one job: init + code page, the rows, QR, cut."""
    from drivers.escpos_job import EscposJob  # python-escpos only where bytes are made

    job = EscposJob(codepage=codepage, codepage_table=codepage_table, profile=profile)
    job.init()
    for op in ops:
        if isinstance(op, Text):
            job.style(bold=op.bold, double=op.double)
            for row in rows(op, columns):
                job.line(row)
            job.style(bold=False, double=False)
        elif isinstance(op, Separator):
            job.line(op.char * columns)
        elif isinstance(op, QR):
            job.qr(op.data)
        elif isinstance(op, Cut):
            job.cut()
    return job.data


def receipt_text(receipt: dict, columns: int = 42, lang: str = "ru",
                 tz: tzinfo | None = None) -> str:
    """Plain-text receipt."""
    return render_text(layout_receipt(receipt, columns, lang, tz), columns)


def receipt_html(receipt: dict, columns: int = 42, lang: str = "ru",
                 tz: tzinfo | None = None) -> str:
    """HTML receipt preview (escaped)."""
    return render_html(layout_receipt(receipt, columns, lang, tz), columns)


def receipt_escpos(receipt: dict, columns: int = 42, lang: str = "ru",
                   tz: tzinfo | None = None, codepage: str = "cp866",
                   codepage_table: int = 17, profile: str | None = None) -> bytes:
    """ESC/POS bytes of a receipt."""
    return render_escpos(layout_receipt(receipt, columns, lang, tz), columns, codepage,
                         codepage_table, profile)
