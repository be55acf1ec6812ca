"""Sales: ``quote`` prices a cart from the catalog; ``commit`` records it in one transaction.

The server never trusts a price from the client: lines carry a barcode or SKU and a
quantity; a price override or a manual discount (``agent.discounts``) is a decision with a
reason, past the cashier's limit a manager's.  ``client_ref`` makes commit idempotent: a retried request returns the sale the
first one made (HTTP 200 instead of 201), it never makes a second sale.
"""

from __future__ import annotations

from collections import defaultdict

from . import cashiers, clock, discounts, outbox, shifts, sql, stock, weighed
from .catalog import product_by_sku
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .models import Product, Sale
from .money import line_amount, parse_qty, qty_str, require_amount, vat_breakdown

PAY_METHODS = ("cash", "card")
MAX_LINES = 500


def _require_list(value, field, allow_empty=False):
    if not isinstance(value, list) or (not value and not allow_empty):
        raise Invalid(f"{field} must be a non-empty list", field=field)
    return value


def price_lines(lines, config=None) -> list[dict]:
    """Cart lines -> priced lines from the catalog (the only source of prices).

    An in-store weighed label (``weighed.find``, read by ``config``'s template) sets the
    line's quantity from its weight, or derives it from its price; then the line's amount is
    the label's price exactly.  The quantity the client sent is ignored for such a label.
    """
    _require_list(lines, "lines")
    if len(lines) > MAX_LINES:
        raise Invalid(f"a sale may have at most {MAX_LINES} lines", field="lines")
    by_code, by_sku = _prefetch(lines)
    priced = []
    for i, line in enumerate(lines):
        f = f"lines[{i}]"
        if not isinstance(line, dict):
            raise Invalid(f"{f} must be an object", field=f)
        barcode = line.get("barcode")
        if barcode is not None and not isinstance(barcode, str):
            barcode = str(barcode)
        label_qty = label_amount = None
        if barcode and barcode.strip() in by_code:
            product = by_code[barcode.strip()]
        elif barcode:
            product, label_qty, label_amount = weighed.find(barcode, config, f"{f}.barcode")
        elif line.get("sku"):
            sku = line["sku"]
            product = by_sku.get(sku.strip()) if isinstance(sku, str) else None
            product = product or product_by_sku(sku)
        else:
            raise Invalid(f"{f} needs a barcode or a sku", field=f"{f}.barcode")
        qty = label_qty or parse_qty(line.get("qty", 1), f"{f}.qty")
        if product.unit == "pcs" and qty % 1000:
            raise Invalid(f"{f}.qty must be whole: {product.name} is sold in pieces",
                          field=f"{f}.qty")
        if product.hidden:
            raise Conflict(f"{product.name} is no longer sold", field=f"{f}.sku",
                           code="product_hidden")
        if not product.price or product.price <= 0:  # never sold for 0 by accident
            raise Conflict(f"{product.name} has no price: it cannot be sold until the catalog "
                           "gives it one", field=f"{f}.sku", code="no_price", sku=product.sku)
        priced.append({
            "line_no": i + 1, "product_id": product.id, "sku": product.sku, "name": product.name,
            "barcode": barcode or None, "unit": product.unit, "vat": product.vat,
            "qty_milli": qty, "qty": qty_str(qty), "price": product.price,
            "amount": line_amount(product.price, qty) if label_amount is None else label_amount,
            "discount": 0, "bonus_earned": 0,
        })
    return priced


def _prefetch(lines: list) -> tuple[dict, dict]:
    """The cart's products in two queries (by barcode, by SKU) instead of one per line."""
    codes, skus = set(), set()
    for line in lines:
        if isinstance(line, dict):
            if isinstance(line.get("barcode"), str) and line["barcode"].strip():
                codes.add(line["barcode"].strip())
            elif isinstance(line.get("sku"), str) and line["sku"].strip():
                skus.add(line["sku"].strip())
    by_code, by_sku = {}, {}
    if codes:
        marks = ",".join("?" * len(codes))
        for row in sql.rows("SELECT b.code AS scanned_code, p.* FROM barcode b JOIN product p"
                            f" ON p.id = b.product_id WHERE b.code IN ({marks})", tuple(codes)):
            by_code[row.pop("scanned_code")] = Product(**row)
    if skus:
        marks = ",".join("?" * len(skus))
        for row in sql.rows(f"SELECT * FROM product WHERE sku IN ({marks})", tuple(skus)):
            by_sku[row["sku"]] = Product(**row)
    return by_code, by_sku


def _stock_warnings(store, lines: list[dict]) -> list[dict]:
    need = defaultdict(int)
    for ln in lines:
        need[(ln["product_id"], ln["sku"])] += ln["qty_milli"]
    marks = ",".join("?" * len(need))
    have = dict(sql.database.execute_sql(
        f"SELECT product_id, on_hand_milli FROM stock_level WHERE product_id IN ({marks})",
        tuple(pid for pid, _ in need)).fetchall()) if need else {}
    held = stock.reserved_milli([pid for pid, _ in need])
    mode = store.config.get("orders", "reserved_stock")
    warnings = []
    for (pid, sku), qty in need.items():
        left = have.get(pid, 0) - qty
        if held.get(pid) and left < held[pid]:  # a walk-in takes what an order reserved
            text = (f"{sku}: this sale takes goods reserved for pick-up orders "
                    f"({qty_str(held[pid])} reserved, {qty_str(max(left + qty, 0))} on hand)")
            if mode == "refuse":
                raise Conflict(text, field="lines", code="reserved_stock", sku=sku)
            warnings.append({"code": "reserved_stock", "sku": sku,
                             "reserved": qty_str(held[pid]), "message": text})
        if left < 0:
            if not store.config.get("stock", "allow_negative"):
                raise Conflict(f"not enough {sku} in stock ({qty_str(left + qty)} on hand)",
                               field="lines", code="insufficient_stock", sku=sku)
            warnings.append({"code": "negative_stock", "sku": sku, "on_hand": qty_str(left)})
    return warnings


def _plan(store, body: dict, session=None, committing: bool = False) -> dict:
    lines = price_lines(body.get("lines"), store.config)
    manual = discounts.apply(lines, body["lines"], body,
                             store.config.get("sales", "cashier_discount_limit"))
    subtotal = sum(ln["amount"] for ln in lines)
    phone = body.get("customer_phone") or None
    redeem = body.get("redeem_bonus") or 0
    bonus = None
    if phone or redeem:
        from . import loyalty  # bonus rules live in one place
        bonus = loyalty.plan(store, phone, lines, redeem, committing=committing,
                             client_ref=body.get("client_ref"))
    redeemed = bonus["redeem"] if bonus else 0
    total = subtotal - redeemed
    return {
        "lines": lines, "subtotal": subtotal, "discount_total": redeemed, "total": total,
        "vat": vat_breakdown(lines), "customer_phone": bonus["phone"] if bonus else None,
        "bonus": bonus, "bonus_redeemed": redeemed,
        "bonus_earned": bonus["earn"] if bonus else 0,
        "manual_discount": manual["manual_discount"], "approval_required":
        manual["needs_approval"], "discount": manual,
    }


def _public_lines(lines):
    return [{k: v for k, v in ln.items() if k not in ("product_id", "qty_milli", "catalog_amount")}
            for ln in lines]


def quote(store, body: dict, session=None) -> dict:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", field="body")
    plan = _plan(store, body, session)
    out = {k: v for k, v in plan.items() if k not in ("lines", "discount")}
    out["lines"] = _public_lines(plan["lines"])
    out["warnings"] = _stock_warnings(store, plan["lines"]) if plan["lines"] else []
    return out


def check_payments(payments, total: int) -> tuple[list[tuple[str, int]], int, int]:
    """-> (payments, paid, change).  Change comes only out of cash."""
    _require_list(payments, "payments", allow_empty=(total == 0))
    out, by_method = [], defaultdict(int)
    for i, p in enumerate(payments):
        f = f"payments[{i}]"
        if not isinstance(p, dict):
            raise Invalid(f"{f} must be an object", field=f)
        method = p.get("method")
        if method not in PAY_METHODS:
            raise Invalid(f"{f}.method must be cash or card, got {method!r}", field=f"{f}.method")
        amount = require_amount(p.get("amount"), f"{f}.amount", allow_zero=False)
        out.append((method, amount))
        by_method[method] += amount
    paid = sum(by_method.values())
    if paid < total:
        raise Invalid(f"payments are short of the total by {total - paid} kopecks",
                      field="payments", code="payment_short")
    if by_method["card"] > total:
        raise Invalid("the card payment is more than is due", field="payments",
                      code="card_overpaid")
    return out, paid, paid - total


def commit(store, session, body: dict) -> tuple[dict, bool]:
    """Record a sale.  Returns (sale, created); created is False for a repeated client_ref."""
    client_ref = require_client_ref(body)
    existing = sql.scalar("SELECT id FROM sale WHERE client_ref = ?", (client_ref,))
    if existing:
        return get(existing), False
    plan = _plan(store, body, session, committing=True)
    payments, paid, change = check_payments(body.get("payments"), plan["total"])
    approver = None
    if plan["approval_required"]:  # a PIN is checked outside the write transaction
        limit = store.config.get("sales", "cashier_discount_limit")
        approver = cashiers.approve(store, session, f"a price override or a discount over "
                                    f"{limit}%", body.get("approval_pin"),
                                    body.get("approval_login"))
    with store.db.write():
        existing = sql.scalar("SELECT id FROM sale WHERE client_ref = ?", (client_ref,))
        if existing:  # a racing retry
            return get(existing), False
        sale, shift, warnings = record(store, session, client_ref, plan, payments, paid, change,
                                       approver)
    result = _answer(sale, shift, session, plan, payments)
    result["warnings"] = warnings
    store.notify("sale.committed", sale_id=sale.id)
    return result, True


def record(store, session, client_ref: str, plan: dict, payments, paid: int, change: int,
           approver=None):
    """Write a planned sale (the caller holds the write transaction): the sale, its lines,
    stock moves, payments, its event, its bonus entries and the audit of a manual discount
    (``approver``: the manager who approved it).  -> (sale, shift, warnings)."""
    shift = shifts.require_open(session.register_id)
    if plan["bonus"]:
        from . import loyalty
        loyalty.recheck(store, plan)  # balance may have moved since the plan
    warnings = _stock_warnings(store, plan["lines"])
    number = shift.last_receipt_number + 1
    sql.insert("UPDATE shift SET last_receipt_number = ? WHERE id = ?", (number, shift.id))
    now = clock.iso()
    manual = plan.get("manual_discount", 0)  # an order's plan has no manual discounts
    sale = Sale(
        client_ref=client_ref, shift=shift, register_id=session.register_id,
        number=number, cashier=session.cashier,
        customer_phone=plan["customer_phone"], subtotal=plan["subtotal"], total=plan["total"],
        paid=paid, change=change, bonus_earned=plan["bonus_earned"],
        bonus_redeemed=plan["bonus_redeemed"], fiscal_status=store.fiscal_initial_status(),
        manual_discount=manual, discount_approved_by=approver.login if approver else None,
        created_at=now)
    sale.id = sql.insert(
        "INSERT INTO sale (client_ref, shift_id, register_id, number, cashier_id,"
        " customer_phone, subtotal, total, paid, change, bonus_earned, bonus_redeemed,"
        " fiscal_status, manual_discount, discount_approved_by, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (client_ref, shift.id, sale.register_id, number, session.cashier.id,
         sale.customer_phone, sale.subtotal, sale.total, paid, change, sale.bonus_earned,
         sale.bonus_redeemed, sale.fiscal_status, sale.manual_discount,
         sale.discount_approved_by, now))
    db = sql.database
    db.cursor().executemany(
        "INSERT INTO sale_line (sale_id, line_no, product_id, sku, name, barcode, unit,"
        " vat, qty_milli, price, amount, discount, bonus_earned, gross, manual_discount,"
        " discount_reason, catalog_price) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(sale.id, ln["line_no"], ln["product_id"], ln["sku"], ln["name"],
          ln["barcode"], ln["unit"], ln["vat"], ln["qty_milli"], ln["price"], ln["amount"],
          ln["discount"], ln["bonus_earned"], ln.get("gross", ln["amount"]),
          ln.get("manual_discount", 0), ln.get("discount_reason"), ln.get("catalog_price"))
         for ln in plan["lines"]])
    line_ids = db.execute_sql("SELECT id FROM sale_line WHERE sale_id = ? ORDER BY line_no",
                              (sale.id,)).fetchall()  # the ids SQLite gave them
    for ln, (line_id,) in zip(plan["lines"], line_ids, strict=True):
        ln["line_id"] = line_id
    stock.record_moves([(ln["product_id"], -ln["qty_milli"]) for ln in plan["lines"]],
                       "sale", sale_id=sale.id, at=now)
    db.cursor().executemany("INSERT INTO payment (sale_id, method, amount) VALUES (?, ?, ?)",
                            [(sale.id, m, a) for m, a in payments])
    outbox.emit("sale.completed", event_payload(sale, shift, plan["lines"], payments))
    by_hand = plan.get("discount") if isinstance(plan.get("discount"), dict) else {}
    overrides = by_hand.get("overrides")
    if manual or overrides:
        cashiers.audit("sale.discounted", approver or session.cashier, sale_id=sale.id,
                       for_cashier=session.cashier.login, manual_discount=manual,
                       overrides=overrides, reasons=by_hand.get("reasons"),
                       approved_by=approver.login if approver else None)
    if plan["bonus"]:
        from . import loyalty
        loyalty.post_sale(store, sale, plan)
    return sale, shift, warnings


def _line_view(ln: dict, back_milli: int = 0) -> dict:
    """One sale line as the API shows it (``ln``: a priced line with its ``line_id``)."""
    return {"line_id": ln["line_id"], "line_no": ln["line_no"], "sku": ln["sku"],
            "name": ln["name"], "barcode": ln["barcode"], "unit": ln["unit"], "vat": ln["vat"],
            "qty": qty_str(ln["qty_milli"]), "price": ln["price"], "amount": ln["amount"],
            "discount": ln["discount"], "bonus_earned": ln["bonus_earned"],
            "gross": ln["amount"] if ln.get("gross") is None else ln["gross"],
            "manual_discount": ln.get("manual_discount") or 0,
            "discount_reason": ln.get("discount_reason"),
            "catalog_price": ln.get("catalog_price"),
            "returned_qty": qty_str(back_milli),
            "returnable_qty": qty_str(ln["qty_milli"] - back_milli)}


def _view(sale: dict, lines: list[dict], payments: list[dict], returns: list[dict]) -> dict:
    """The one shape of a sale in the API (``commit``'s answer and ``get``); ``sale`` holds
    the sale row's columns plus ``shift_number``, ``cashier_login`` and ``cashier_name``."""
    out = {
        "sale_id": sale["id"], "client_ref": sale["client_ref"], "number": sale["number"],
        "shift_id": sale["shift_id"], "shift_number": sale["shift_number"],
        "register_id": sale["register_id"], "cashier": sale["cashier_login"],
        "cashier_name": sale["cashier_name"], "created_at": sale["created_at"],
        "customer_phone": sale["customer_phone"], "subtotal": sale["subtotal"],
        "total": sale["total"], "paid": sale["paid"], "change": sale["change"],
        "bonus_earned": sale["bonus_earned"], "bonus_redeemed": sale["bonus_redeemed"],
        "manual_discount": sale.get("manual_discount") or 0,
        "discount_approved_by": sale.get("discount_approved_by"), "lines": lines, "vat": vat_breakdown(lines), "payments": payments, "returns": returns,
    }
    if sale["fiscal_status"] is not None:
        out["fiscal"] = {"status": sale["fiscal_status"],
                         "document_number": sale["fiscal_document_number"],
                         "fiscal_sign": sale["fiscal_sign"], "error": sale["fiscal_error"]}
    return out


def _answer(sale: Sale, shift, session, plan: dict, payments) -> dict:
    """The new sale as ``get`` would read it back, from what commit already holds."""
    head = {"id": sale.id, "client_ref": sale.client_ref, "number": sale.number,
            "shift_id": shift.id, "shift_number": shift.number, "register_id": sale.register_id,
            "cashier_login": session.cashier.login, "cashier_name": session.cashier.name,
            "created_at": sale.created_at, "customer_phone": sale.customer_phone,
            "subtotal": sale.subtotal, "total": sale.total, "paid": sale.paid,
            "change": sale.change, "bonus_earned": sale.bonus_earned,
            "bonus_redeemed": sale.bonus_redeemed, "fiscal_status": sale.fiscal_status,
            "manual_discount": sale.manual_discount,
            "discount_approved_by": sale.discount_approved_by,
            "fiscal_document_number": None, "fiscal_sign": None, "fiscal_error": None}
    return _view(head, [_line_view(ln) for ln in plan["lines"]],
                 [{"method": m, "amount": a} for m, a in payments], [])


EVENT_LINE_KEYS = ("line_id", "sku", "name", "barcode", "qty", "price", "amount", "discount",
                   "vat", "bonus_earned", "gross", "manual_discount", "discount_reason",
                   "catalog_price")


def event_payload(sale: Sale, shift, lines, payments) -> dict:
    return {
        "sale_id": sale.id, "client_ref": sale.client_ref, "number": sale.number,
        "shift_id": shift.id, "shift_number": shift.number, "register_id": sale.register_id,
        "cashier": sale.cashier.login, "created_at": sale.created_at,
        "customer_phone": sale.customer_phone, "subtotal": sale.subtotal, "total": sale.total,
        "paid": sale.paid, "change": sale.change, "bonus_earned": sale.bonus_earned,
        "bonus_redeemed": sale.bonus_redeemed, "manual_discount": sale.manual_discount,
        "discount_approved_by": sale.discount_approved_by,
        "lines": [{k: view[k] for k in EVENT_LINE_KEYS}
                  for view in (_line_view(ln) for ln in lines)],
        "payments": [{"method": m, "amount": a} for m, a in payments],
    }


def get(sale_id) -> dict:
    try:
        sale_id = int(sale_id)
    except (TypeError, ValueError):
        raise NotFound("no such sale", field="sale_id") from None
    if not 0 < sale_id < 2**63:
        raise NotFound(f"no sale {sale_id}", field="sale_id")
    sale = sql.one("SELECT s.*, sh.number AS shift_number, c.login AS cashier_login,"
                   " c.name AS cashier_name FROM sale s JOIN shift sh ON sh.id = s.shift_id"
                   " JOIN cashier c ON c.id = s.cashier_id WHERE s.id = ?", (sale_id,))
    if sale is None:
        raise NotFound(f"no sale {sale_id}", field="sale_id")
    lines = [_line_view({**ln, "line_id": ln["id"]}, ln["back"]) for ln in sql.rows(
        "SELECT l.*, COALESCE((SELECT SUM(r.qty_milli) FROM return_line r"
        " WHERE r.sale_line_id = l.id), 0) AS back FROM sale_line l"
        " WHERE l.sale_id = ? ORDER BY l.line_no", (sale_id,))]
    return _view(
        sale, lines,
        sql.rows("SELECT method, amount FROM payment WHERE sale_id = ? ORDER BY id", (sale_id,)),
        [{"return_id": r["id"], "number": r["number"], "total": r["total"],
          "created_at": r["created_at"]} for r in sql.rows(
              "SELECT id, number, total, created_at FROM sale_return"
              " WHERE sale_id = ? ORDER BY id", (sale_id,))])


def find(register_id=None, shift_number=None, number=None, limit=20) -> list[dict]:
    """Recent sales, newest first, narrowed by register / shift number / receipt number."""
    from .models import Shift
    q = Sale.select(Sale.id).join(Shift)
    if register_id:
        q = q.where(Sale.register_id == str(register_id))
    if shift_number is not None:
        q = q.where(Shift.number == int(shift_number))
    if number is not None:
        q = q.where(Sale.number == int(number))
    return [get(s.id) for s in q.order_by(Sale.id.desc()).limit(max(1, min(int(limit), 100)))]

