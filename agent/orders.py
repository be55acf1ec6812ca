"""Online orders picked up in the store (the contract's "Orders for pick-up in a store").

An order reaches the store from the hub's feed (``placed``) as ``new``; the staff move it
``new -> accepted -> assembled -> ready -> collected``, or ``cancelled`` from any status
before ``collected`` (the site cancels through the hub's feed).  Accepting reserves the
lines: ``stock.reserved_milli`` is the lines of accepted, assembled and ready orders, so a
reservation never changes on-hand (``available = on_hand - reserved``) and a status change
reserves or releases in its own transaction.  Acceptance runs inside the store's single
writer transaction, so of two orders racing for the last unit the second is refused with
the quantity still available.  Collecting is a sale for what is still due (the prepayment is
an ``advance`` payment the receipt settles) in the same transaction as the status change.
Every change is an ``order.status`` event carrying the whole order, so the hub's history
shows it and a restored store replays it (``replay``).  An order ``ready`` longer than
``[orders] collect_hours`` is ``overdue`` (by the store's clock, ``agent.clock``).
"""

from __future__ import annotations

from datetime import timedelta

from . import clock, outbox, sales, sql, stock
from .catalog import product_by_barcode, product_by_sku
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .money import line_amount, qty_str, share

MOVES = {"new": ("accepted", "cancelled"), "accepted": ("assembled", "cancelled"),
         "assembled": ("ready", "cancelled"), "ready": ("collected", "cancelled"),
         "collected": (), "cancelled": ()}
STAFF_MOVES = ("accepted", "assembled", "ready", "cancelled")
STATUSES = tuple(MOVES)


def _row(order_id) -> dict:
    if not isinstance(order_id, str) or not order_id.strip():
        raise NotFound("no such order", field="order_id")
    row = sql.one("SELECT * FROM pickup_order WHERE order_id = ?", (order_id.strip(),))
    if row is None:
        raise NotFound(f"no order {order_id} here (yet): orders reach the store through the "
                       "hub's feed", field="order_id")
    return row


def _lines(row_id: int) -> list[dict]:
    return sql.rows("SELECT * FROM pickup_order_line WHERE order_row_id = ? ORDER BY line_no",
                    (row_id,))


def is_overdue(store, row: dict, now=None) -> bool:
    if row["status"] != "ready" or not row["ready_at"]:
        return False
    hours = store.config.get("orders", "collect_hours")
    return clock.parse(row["ready_at"]) + timedelta(hours=hours) < (now or clock.now())


def view(store, row: dict, now=None) -> dict:
    lines = _lines(row["id"])
    history = sql.rows("SELECT status, at, by, reason FROM pickup_order_history WHERE "
                       "order_row_id = ? ORDER BY id", (row["id"],))
    return {
        "order_id": row["order_id"], "status": row["status"],
        "overdue": is_overdue(store, row, now), "customer_phone": row["customer_phone"],
        "total": row["total"], "prepaid": row["prepaid"],
        "bonus_redeemed": row["bonus_redeemed"],
        "due": max(row["total"] - row["bonus_redeemed"] - row["prepaid"], 0),
        "reason": row["reason"], "sale_id": row["sale_id"], "placed_at": row["placed_at"],
        "ready_at": row["ready_at"], "updated_at": row["updated_at"],
        "lines": [{"line_no": ln["line_no"], "sku": ln["sku"], "barcode": ln["barcode"],
                   "name": ln["name"], "qty": qty_str(ln["qty_milli"]), "price": ln["price"],
                   "amount": ln["amount"], "picked": qty_str(ln["picked_milli"])}
                  for ln in lines],
        "history": [{k: v for k, v in h.items() if v is not None} for h in history],
    }


def listing(store, status=None) -> list[dict]:
    """This store's orders, overdue first, then the oldest change first."""
    if status not in (None, "") and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", field="status")
    where, params = ("WHERE status = ?", (status,)) if status else (
        "WHERE status NOT IN ('collected', 'cancelled')", ())
    now = clock.now()
    out = [view(store, r, now) for r in sql.rows(
        f"SELECT * FROM pickup_order {where} ORDER BY updated_at, id LIMIT 500", params)]
    out.sort(key=lambda o: not o["overdue"])  # stable: the oldest first within each group
    return out


def get(store, order_id) -> dict:
    return view(store, _row(order_id))


def _event(row: dict, from_status, by) -> None:
    p = {"order_id": row["order_id"], "status": row["status"], "from_status": from_status,
         "customer_phone": row["customer_phone"], "prepaid": row["prepaid"],
         "bonus_redeemed": row["bonus_redeemed"], "total": row["total"],
         "reason": row["reason"], "sale_id": row["sale_id"], "at": row["updated_at"],
         "placed_at": row["placed_at"], "ready_at": row["ready_at"], "by": by,
         "lines": [{"sku": ln["sku"], "barcode": ln["barcode"], "name": ln["name"],
                    "qty": qty_str(ln["qty_milli"]), "price": ln["price"]}
                   for ln in _lines(row["id"])]}
    outbox.emit("order.status", p)


def _move(row: dict, to: str, by, reason=None, client_ref=None, sale_id=None,
          emit: bool = True) -> dict:
    """Change the status (caller holds the write transaction and checked the move)."""
    now = clock.iso()
    ready_at = now if to == "ready" else row["ready_at"]
    sql.insert("UPDATE pickup_order SET status = ?, updated_at = ?, ready_at = ?,"
               " reason = COALESCE(?, reason), sale_id = COALESCE(?, sale_id) WHERE id = ?",
               (to, now, ready_at, reason, sale_id, row["id"]))
    sql.insert("INSERT INTO pickup_order_history (order_row_id, status, at, by, reason,"
               " client_ref) VALUES (?,?,?,?,?,?)", (row["id"], to, now, by, reason, client_ref))
    new = sql.one("SELECT * FROM pickup_order WHERE id = ?", (row["id"],))
    if emit:
        _event(new, row["status"], by)
    return new


def _check_move(row: dict, to: str) -> None:
    if to not in MOVES[row["status"]]:
        raise Conflict(f"order {row['order_id']} is {row['status']}: it cannot become {to}",
                       field="status", code="status_not_allowed", status=row["status"])


def _check_available(row: dict) -> None:
    """Accepting reserves every line: refused, naming what is short, when the goods not
    yet reserved by other orders do not cover it."""
    lines = _lines(row["id"])
    need: dict[int, int] = {}
    for ln in lines:
        need[ln["product_id"]] = need.get(ln["product_id"], 0) + ln["qty_milli"]
    held = stock.reserved_milli(list(need))
    for pid, qty in need.items():
        on_hand = stock.on_hand_milli(pid)
        free = on_hand - held.get(pid, 0)
        if free < qty:
            sku = next(ln["sku"] for ln in lines if ln["product_id"] == pid)
            raise Conflict(f"order {row['order_id']} cannot be accepted: {qty_str(qty)} of "
                           f"{sku} needed, {qty_str(max(free, 0))} available ({qty_str(on_hand)}"
                           f" on hand, {qty_str(held.get(pid, 0))} reserved by other orders)",
                           field="lines", code="insufficient_available", sku=sku,
                           available=qty_str(max(free, 0)))


def change_status(store, order_id, body: dict, who=None) -> tuple[dict, bool]:
    """A staff move (accepted, assembled, ready, cancelled); the same client_ref again
    answers the order as it is (created False)."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", field="body")
    client_ref = require_client_ref(body)
    to = body.get("status")
    if to not in STAFF_MOVES:
        raise Invalid(f"status must be one of {', '.join(STAFF_MOVES)}", field="status")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 255):
        raise Invalid("reason must be a text of at most 255 characters", field="reason")
    if to == "cancelled" and not (reason or "").strip():
        reason = "cancelled in the store"
    with store.db.write():
        row = _row(order_id)
        done = sql.one("SELECT order_row_id, status FROM pickup_order_history WHERE"
                       " client_ref = ?", (client_ref,))
        if done is not None:
            if done["order_row_id"] != row["id"] or done["status"] != to:
                raise Conflict("client_ref was already used for another change",
                               field="client_ref")
            return view(store, row), False
        _check_move(row, to)
        if to == "accepted":
            _check_available(row)
        row = _move(row, to, who, reason if to == "cancelled" else None, client_ref)
    return view(store, row), True


def placed(store, p: dict) -> bool:
    """An ``order.placed`` feed item (the caller holds the write transaction).  A new order
    is written as ``new``; one already held is left as it is, unless the site cancelled
    it (then it is cancelled here and its reservation released)."""
    if p.get("store_id") not in (None, store.store_id):
        return False
    order_id = str(p["order_id"])
    row = sql.one("SELECT * FROM pickup_order WHERE order_id = ?", (order_id,))
    if row is None and p.get("cancelled"):
        return False  # cancelled before the store ever held it: nothing to release
    if row is None:
        unknown = _unknown_line(p)
        if unknown:  # the site must learn it: the hub shows the problem on the order
            outbox.emit("order.problem", {"order_id": order_id, "at": clock.iso(),
                                          "problem": f"unknown {unknown} at store "
                                                     f"{store.store_id}"[:255]})
            return False
        row = _insert(p, order_id)
        _event(row, None, "hub")
    if p.get("cancelled") and row["status"] not in ("collected", "cancelled"):
        _move(row, "cancelled", "hub", str(p.get("reason") or "cancelled by the site")[:255])
    return True


def _unknown_line(p: dict) -> str | None:
    """``"sku X"`` / ``"barcode Y"`` of the first line this store's catalog lacks."""
    for ln in p["lines"]:
        code = ln.get("barcode")
        try:
            product_by_barcode(code) if code else product_by_sku(ln["sku"])
        except NotFound:
            return f"barcode {code}" if code else f"sku {ln['sku']}"
    return None


def _insert(p: dict, order_id: str, status: str = "new", at: str | None = None,
            by: str | None = "hub") -> dict:
    now = at or clock.iso()
    lines = []
    for i, ln in enumerate(p["lines"]):
        product = (product_by_barcode(ln["barcode"]) if ln.get("barcode")
                   else product_by_sku(ln["sku"]))
        qty = _milli(ln["qty"])
        price = ln.get("price")
        price = product.price if price is None else int(price)
        lines.append((i + 1, product.id, product.sku, ln.get("barcode"), product.name, qty,
                      price, line_amount(price, qty)))
    total = sum(ln[-1] for ln in lines)
    prepaid, bonus = int(p.get("prepaid") or 0), int(p.get("bonus_redeemed") or 0)
    if prepaid < 0 or bonus < 0 or prepaid + bonus > total:
        raise ValueError(f"order {order_id}: prepaid and bonus exceed its total")
    row_id = sql.insert(
        "INSERT INTO pickup_order (order_id, status, customer_phone, prepaid, bonus_redeemed,"
        " total, placed_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (order_id, status, p.get("customer_phone") or None, prepaid, bonus, total,
         p.get("placed_at"), now, now))
    sql.database.cursor().executemany(
        "INSERT INTO pickup_order_line (order_row_id, line_no, product_id, sku, barcode, name,"
        " qty_milli, price, amount, picked_milli) VALUES (?,?,?,?,?,?,?,?,?,0)",
        [(row_id, *ln) for ln in lines])
    sql.insert("INSERT INTO pickup_order_history (order_row_id, status, at, by) VALUES"
               " (?,?,?,?)", (row_id, status, now, by))
    return sql.one("SELECT * FROM pickup_order WHERE id = ?", (row_id,))


def _milli(text) -> int:
    from decimal import Decimal
    q = Decimal(str(text))
    if q <= 0 or q != q.quantize(Decimal("0.001")):
        raise ValueError(f"bad quantity {text!r}")
    return int(q * 1000)


def _sale_plan(store, row: dict) -> dict:
    """The order's lines at the order's prices, as ``sales.record`` takes them."""
    lines = []
    for ln in _lines(row["id"]):
        product = sql.one("SELECT unit, vat FROM product WHERE id = ?", (ln["product_id"],))
        lines.append({"line_no": ln["line_no"], "product_id": ln["product_id"], "sku": ln["sku"],
                      "name": ln["name"], "barcode": ln["barcode"], "unit": product["unit"],
                      "vat": product["vat"], "qty_milli": ln["qty_milli"],
                      "qty": qty_str(ln["qty_milli"]), "price": ln["price"],
                      "amount": ln["amount"], "discount": 0, "bonus_earned": 0})
    subtotal = sum(ln["amount"] for ln in lines)
    redeemed = row["bonus_redeemed"]
    bonus = None
    if row["customer_phone"] and store.config.get("loyalty", "enabled"):
        from . import loyalty  # accrual only now, when the order is paid in full
        try:
            bonus = loyalty.plan(store, row["customer_phone"], lines, 0)
        except NotFound:  # not a loyalty customer here: nothing to earn
            bonus = None
    done = 0
    for ln in lines:  # the site's redemption is a discount share on the lines, always
        upto = done + ln["amount"]
        ln["discount"] = share(redeemed, upto, subtotal) - share(redeemed, done, subtotal)
        done = upto
    if bonus:  # a loyalty customer here earns on what is left of each line
        from . import loyalty
        earn, pct = 0, store.config.get("loyalty", "accrual_percent")
        for ln in lines:
            if ln["bonus_earned"]:
                ln["bonus_earned"] = loyalty.accrual_for(ln["amount"] - ln["discount"], pct)
            earn += ln["bonus_earned"]
        bonus["earn"] = earn
    return {"lines": lines, "subtotal": subtotal, "discount_total": redeemed,
            "total": subtotal - redeemed, "customer_phone": bonus["phone"] if bonus else None,
            "bonus": bonus, "bonus_redeemed": redeemed,
            "bonus_earned": bonus["earn"] if bonus else 0}


def collect(store, session, order_id, body: dict) -> tuple[dict, bool]:
    """Hand a ready order over: a sale for what is still due (``payments`` may be empty
    when it is fully prepaid), the order ``collected`` and its reservation released, in one
    transaction.  The same client_ref again answers the first sale."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", field="body")
    client_ref = require_client_ref(body)
    existing = sql.scalar("SELECT id FROM sale WHERE client_ref = ?", (client_ref,))
    if existing:
        return sales.get(existing), False
    with store.db.write():
        existing = sql.scalar("SELECT id FROM sale WHERE client_ref = ?", (client_ref,))
        if existing:
            return sales.get(existing), False
        row = _row(order_id)
        _check_move(row, "collected")
        plan = _sale_plan(store, row)
        due = plan["total"] - row["prepaid"]
        payments, paid, change = sales.check_payments(body.get("payments") or [], due)
        if row["prepaid"]:  # the receipt settles the advance the site took (ФФД 1214 = 4)
            payments = [("advance", row["prepaid"]), *payments]
            paid += row["prepaid"]
        before = row["status"]  # released first: the sale takes the order's own goods
        row = _move(row, "collected", session.cashier.login, client_ref=client_ref, emit=False)
        sale, shift, warnings = sales.record(store, session, client_ref, plan, payments, paid,
                                             change)
        sql.insert("UPDATE pickup_order SET sale_id = ? WHERE id = ?", (sale.id, row["id"]))
        row = sql.one("SELECT * FROM pickup_order WHERE id = ?", (row["id"],))
        _event(row, before, session.cashier.login)
    result = sales.get(sale.id)
    result["warnings"] = warnings
    result["order_id"] = row["order_id"]
    store.notify("sale.committed", sale_id=sale.id)
    return result, True


def restore(p: dict, at: str) -> None:
    """Replay one ``order.status`` event of this store (``agent.replay``): the order as the
    event describes it, with the change in its history; no new event."""
    at = p.get("at") or at
    row = sql.one("SELECT * FROM pickup_order WHERE order_id = ?", (p["order_id"],))
    if row is None:
        row = _insert(p, p["order_id"], p["status"], at, p.get("by"))
    else:
        sql.insert("INSERT INTO pickup_order_history (order_row_id, status, at, by, reason)"
                   " VALUES (?,?,?,?,?)", (row["id"], p["status"], at, p.get("by"),
                                           p.get("reason") if p["status"] == "cancelled"
                                           else None))
    sql.insert("UPDATE pickup_order SET status = ?, updated_at = ?, ready_at = ?, reason = ?,"
               " sale_id = ? WHERE id = ?", (p["status"], at, p.get("ready_at"), p.get("reason"),
                                             p.get("sale_id"), row["id"]))
