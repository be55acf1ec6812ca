"""Replaying the hub's copy of this store's own events into the store's tables.

A store restored from an old backup (or rebuilt on a new disk) lacks the events it wrote
after the copy was taken; the hub holds them.  ``apply_events`` writes each one back as it
was first written: its outbox row (same seq, event_id and payload, already acknowledged)
and the rows it describes (sale, lines, payments, stock moves, returns, shifts, cash moves,
stock documents, customers, bonus entries) under the ids the event carries, so the store's
stock, sales and balances become what the hub holds (also deliveries with their acts,
transfers sent and received with their lines, counts and write-offs), and the next event takes the seq
after the hub's last.  One batch is one transaction: a crash leaves a prefix, and the next
run goes on after the last seq in the outbox.  An event type this agent does not know is
kept in the outbox (the seq stays taken) and counted as ``unknown``; one the event schema
refuses (``agent.event_schema``, the outbox's check before every commit), or whose rows
cannot be written, is kept the same way and counted as ``invalid``.

A quarantined event (a poison event the hub's operator let pass: it holds its seq at the
hub and was never applied to the hub's projections) is still this store's own event: the
store committed it, so its rows were in the store's tables before the backup was lost.  It
is replayed like any other (and counted as ``quarantined`` too), so the restored store
equals the store before the loss; the hub's summary keeps counting it apart.  Audit rows
(approvals, lockouts) are local and never in an event: a restore does not bring them back.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal

from . import catalog, clock, event_schema, sql
from .cashiers import RECOVERED_PIN
from .errors import Conflict

_HANDLERS: dict[str, callable] = {}


def handles(*types):
    def register(fn):
        for t in types:
            _HANDLERS[t] = fn
        return fn
    return register


def last_seq() -> int:
    return sql.scalar("SELECT MAX(seq) FROM outbox") or 0


def event_id_at(seq: int) -> str | None:
    return sql.scalar("SELECT event_id FROM outbox WHERE seq = ?", (seq,))


def apply_events(store, events: list[dict]) -> dict:
    """Write the events after the outbox's last seq, in one transaction; returns counts.
    Events already held (seq at or below the last) are skipped; a hole is refused."""
    done = {"applied": 0, "skipped": 0, "unknown": 0, "invalid": 0, "quarantined": 0}
    with store.db.write():
        last = last_seq()
        now = clock.iso()
        for ev in sorted(events, key=lambda e: e["seq"]):
            seq = int(ev["seq"])
            if seq <= last:
                done["skipped"] += 1
                continue
            if seq != last + 1:
                raise Conflict(f"the hub's events jump from {last} to {seq}", code="replay_gap")
            payload = ev.get("payload")
            text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            sql.insert("INSERT INTO outbox (seq, event_id, type, schema, occurred_at, payload,"
                       " acked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (seq, _label(ev.get("event_id")) or f"replayed:{seq}",
                        _label(ev.get("type")) or "unknown", ev.get("schema") or 1,
                        _label(ev.get("occurred_at")) or now, text, now))
            if ev.get("quarantined"):
                done["quarantined"] += 1  # applied here as the store first did (see above)
            handler = _HANDLERS.get(ev.get("type"))
            if handler is None:
                done["unknown"] += 1
            elif _refused(ev, payload):
                done["invalid"] += 1  # kept (the seq stays taken), not applied
            else:
                try:
                    with store.db.write():  # a savepoint: a half-applied event leaves nothing
                        handler(store, payload, ev)
                except (KeyError, TypeError, ValueError, ArithmeticError, Conflict):
                    done["invalid"] += 1
            last = seq
            done["applied"] += 1
        if done["applied"]:
            sql.insert("INSERT OR REPLACE INTO sync_state (key, value) VALUES ('acked_through', ?)",
                       (str(last),))
    return done


def _label(value) -> str | None:
    return value[:64] if isinstance(value, str) and value else None


def _refused(ev: dict, payload) -> bool:
    """The outbox's own check (``event_schema``): what it would refuse to commit is not
    written into the store's tables either."""
    try:
        event_schema.check(ev["type"], payload)
    except event_schema.SchemaError:
        return True
    return False


# -- who and what: rows an event names that this database may not have -------------------
def _cashier_id(login: str | None) -> int | None:
    if not login:
        return None
    found = sql.scalar("SELECT id FROM cashier WHERE login = ?", (login,))
    if found:
        return found
    # a cashier added after the backup: kept inactive, a manager sets a PIN to let them in
    return sql.insert("INSERT INTO cashier (login, name, role, pin_hash, failed_attempts,"
                      " active, created_at) VALUES (?, ?, 'cashier', ?, 0, 0, ?)",
                      (login, login, f"{RECOVERED_PIN}:{secrets.token_hex(8)}", clock.iso()))


def _product_id(line: dict) -> int:
    """The line's product; one the catalog lacks is made from the line (name, price, VAT)
    until the next catalog import or feed.  A fraction of a unit is only ever sold by weight,
    so such a line makes its product weighed."""
    found = sql.scalar("SELECT id FROM product WHERE sku = ?", (line["sku"],))
    if found:
        if _qty(line) % 1000:
            sql.insert("UPDATE product SET unit = 'kg' WHERE id = ? AND unit <> 'kg'", (found,))
        return found
    name = line.get("name") or line["sku"]
    unit = "kg" if _qty(line) % 1000 else "pcs"
    pid = sql.insert("INSERT INTO product (sku, name, search_name, unit, vat, price, hidden,"
                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                     (line["sku"], name, catalog.search_key(name, line["sku"]), unit,
                      line.get("vat") or "none", line.get("price") or 0, clock.iso()))
    catalog.products_changed([pid])
    return pid


def _qty(line: dict, key: str = "qty") -> int:
    """A signed quantity string of the event (``"-1.500"``) -> integer thousandths."""
    return int(Decimal(str(line.get(key) or "0")) * 1000)


def _moves(moves: list[tuple[int, int]], kind: str, at: str, **refs) -> None:
    from . import stock
    stock.record_moves(moves, kind, at=at, **refs)


def _bump_receipt_number(shift_id, number) -> None:
    if shift_id and number:
        sql.insert("UPDATE shift SET last_receipt_number = MAX(last_receipt_number, ?)"
                   " WHERE id = ?", (number, shift_id))


# -- the events ------------------------------------------------------------------------
@handles("shift.opened")
def _shift_opened(store, p, ev):
    if sql.scalar("SELECT 1 FROM shift WHERE id = ?", (p["shift_id"],)):
        return
    register = p.get("register_id") or "1"
    # an older shift of the register still open here was closed in events we replayed
    sql.insert("UPDATE shift SET open_marker = NULL, closed_at = COALESCE(closed_at, ?)"
               " WHERE open_marker = ?", (ev["occurred_at"], register))
    sql.insert("INSERT INTO shift (id, register_id, number, cashier_id, opened_at, opening_cash,"
               " open_marker, last_receipt_number) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
               (p["shift_id"], register, p.get("number") or p["shift_id"],
                _cashier_id(p.get("cashier")) or _cashier_id("unknown"), ev["occurred_at"],
                p.get("opening_cash") or 0, register))


@handles("shift.closed")
def _shift_closed(store, p, ev):
    sql.insert("UPDATE shift SET closed_at = ?, counted_cash = ?, closed_by_id = ?,"
               " open_marker = NULL WHERE id = ?",
               (ev["occurred_at"], p.get("counted_cash"), _cashier_id(p.get("closed_by")),
                p["shift_id"]))
    # The register's Z of that shift: what the event says if it carries it; else, with a
    # register, nobody knows whether it printed: failed for a senior to check and retry (the
    # fiscal worker never prints a recovered shift's Z by itself, like a recovered receipt).
    if p.get("fiscal_z_status"):
        sql.insert("UPDATE shift SET fiscal_z_status = ?, fiscal_z_error = ?,"
                   " fiscal_z_document = ?, fiscal_z_receipts = ? WHERE id = ?",
                   (p["fiscal_z_status"], p.get("fiscal_z_error"), p.get("fiscal_z_document"),
                    p.get("fiscal_z_receipts"), p["shift_id"]))
    elif store.fiscal_enabled:
        sql.insert("UPDATE shift SET fiscal_z_status = 'failed', fiscal_z_error = ?"
                   " WHERE id = ?", ("recovered from the hub: check the register",
                                     p["shift_id"]))


@handles("cash.moved")
def _cash_moved(store, p, ev):
    sql.insert("INSERT INTO cash_move (shift_id, kind, amount, reason, cashier_id, created_at)"
               " VALUES (?, ?, ?, ?, ?, ?)",
               (p["shift_id"], p["kind"], p["amount"], p.get("reason") or "",
                _cashier_id(p.get("cashier")) or _cashier_id("unknown"), ev["occurred_at"]))


@handles("sale.completed")
def _sale(store, p, ev):
    at = p.get("created_at") or ev["occurred_at"]
    status = "failed" if store.fiscal_enabled else None  # never fiscalised twice by itself
    sql.insert("INSERT INTO sale (id, client_ref, shift_id, register_id, number, cashier_id,"
               " customer_phone, subtotal, total, paid, change, bonus_earned, bonus_redeemed,"
               " fiscal_status, fiscal_error, created_at, manual_discount, discount_approved_by)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (p["sale_id"], p.get("client_ref") or f"hub:{ev['event_id']}", p["shift_id"],
                p.get("register_id") or "1", p.get("number") or 0,
                _cashier_id(p.get("cashier")) or _cashier_id("unknown"), p.get("customer_phone"),
                p.get("subtotal") or p["total"], p["total"], p.get("paid") or 0,
                p.get("change") or 0, p.get("bonus_earned") or 0, p.get("bonus_redeemed") or 0,
                status, "recovered from the hub: check the register" if status else None, at,
                p.get("manual_discount") or 0, p.get("discount_approved_by")))
    moves = []
    for n, ln in enumerate(p.get("lines") or [], start=1):
        pid, qty = _product_id(ln), _qty(ln)
        unit = sql.scalar("SELECT unit FROM product WHERE id = ?", (pid,))
        sql.insert("INSERT INTO sale_line (id, sale_id, line_no, product_id, sku, name, barcode,"
                   " unit, vat, qty_milli, price, amount, discount, bonus_earned, gross,"
                   " manual_discount, discount_reason, catalog_price)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (ln.get("line_id"), p["sale_id"], n, pid, ln["sku"], ln.get("name") or ln["sku"],
                    ln.get("barcode"), unit, ln.get("vat") or "none", qty, ln.get("price") or 0,
                    ln.get("amount") or 0, ln.get("discount") or 0, ln.get("bonus_earned") or 0,
                    ln.get("gross"), ln.get("manual_discount") or 0, ln.get("discount_reason"),
                    ln.get("catalog_price")))
        moves.append((pid, -qty))
    _moves(moves, "sale", at, sale_id=p["sale_id"])
    for pay in p.get("payments") or []:
        sql.insert("INSERT INTO payment (sale_id, method, amount) VALUES (?, ?, ?)",
                   (p["sale_id"], pay["method"], pay["amount"]))
    _bump_receipt_number(p["shift_id"], p.get("number"))


@handles("sale.returned")
def _return(store, p, ev):
    at = p.get("created_at") or ev["occurred_at"]
    cashier = _cashier_id(p.get("cashier")) or _cashier_id("unknown")
    status = "failed" if store.fiscal_enabled else None
    sql.insert("INSERT INTO sale_return (id, client_ref, sale_id, shift_id, number, cashier_id,"
               " approved_by_id, total, bonus_reversed, bonus_restored, bonus_withheld,"
               " fiscal_status, fiscal_error, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (p["return_id"], p.get("client_ref") or f"hub:{ev['event_id']}", p["sale_id"],
                p["shift_id"], p.get("number") or 0, cashier,
                _cashier_id(p.get("approved_by")) or cashier, p["total"],
                p.get("bonus_reversed") or 0, p.get("bonus_restored") or 0,
                p.get("bonus_withheld") or 0, status,
                "recovered from the hub: check the register" if status else None, at))
    moves = []
    for ln in p.get("lines") or []:
        qty = _qty(ln)
        sql.insert("INSERT INTO return_line (sale_return_id, sale_line_id, qty_milli, amount,"
                   " bonus_reversed, bonus_restored) VALUES (?, ?, ?, ?, ?, ?)",
                   (p["return_id"], ln["line_id"], qty, ln.get("amount") or 0,
                    ln.get("bonus_reversed") or 0, ln.get("bonus_restored") or 0))
        moves.append((_product_id(ln), qty))
    _moves(moves, "return", at, sale_id=p["sale_id"], return_id=p["return_id"])
    for r in p.get("refunds") or []:
        sql.insert("INSERT INTO refund (sale_return_id, method, amount) VALUES (?, ?, ?)",
                   (p["return_id"], r["method"], r["amount"]))
    _bump_receipt_number(p["shift_id"], p.get("number"))


@handles("return.without_sale")
def _return_without_sale(store, p, ev):
    at = p.get("created_at") or ev["occurred_at"]
    cashier = _cashier_id(p.get("cashier")) or _cashier_id("unknown")
    status = "failed" if store.fiscal_enabled else None
    sql.insert("INSERT INTO sale_return (id, client_ref, sale_id, shift_id, number, cashier_id,"
               " approved_by_id, total, bonus_reversed, bonus_restored, bonus_withheld,"
               " fiscal_status, fiscal_error, created_at, kind, reason, customer_name,"
               " customer_document, origin_store, origin_sale)"
               " VALUES (?,?,NULL,?,?,?,?,?,?,?,0,?,?,?,?,?,?,?,?,?)",
               (p["return_id"], p.get("client_ref") or f"hub:{ev['event_id']}", p["shift_id"],
                p.get("number") or 0, cashier, _cashier_id(p.get("approved_by")) or cashier,
                p["total"], p.get("bonus_reversed") or 0, p.get("bonus_restored") or 0, status, "recovered from the hub: check the register" if status
                else None, at, p.get("kind") or "no_receipt", p.get("reason"),
                p.get("customer_name"), p.get("customer_document"), p.get("origin_store"),
                p.get("origin_sale")))
    moves = []
    for ln in p.get("lines") or []:
        pid, qty = _product_id(ln), _qty(ln)
        product = sql.one("SELECT unit, vat FROM product WHERE id = ?", (pid,))
        sql.insert("INSERT INTO return_item (sale_return_id, product_id, sku, name, unit, vat,"
                   " price, qty_milli, amount, origin_line_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (p["return_id"], pid, ln["sku"], ln.get("name") or ln["sku"],
                    product["unit"], product["vat"], ln.get("price") or 0, qty,
                    ln.get("amount") or 0, ln.get("line_id")))
        moves.append((pid, qty))
    _moves(moves, "return", at, return_id=p["return_id"])
    for r in p.get("refunds") or []:
        sql.insert("INSERT INTO refund (sale_return_id, method, amount) VALUES (?, ?, ?)",
                   (p["return_id"], r["method"], r["amount"]))
    _bump_receipt_number(p["shift_id"], p.get("number"))


@handles("sale.voided")
def _void(store, p, ev):
    sql.insert("UPDATE sale SET fiscal_status = 'voided' WHERE id = ?", (p["sale_id"],))
    _moves([(_product_id(ln), _qty(ln)) for ln in p.get("lines") or []], "void",
           p.get("voided_at") or ev["occurred_at"], sale_id=p["sale_id"])


@handles("sale.fiscalized", "return.fiscalized")
def _fiscalized(store, p, ev):
    table, key = ("sale", "sale_id") if ev["type"] == "sale.fiscalized" else ("sale_return",
                                                                             "return_id")
    sql.insert(f"UPDATE {table} SET fiscal_status = 'done', fiscal_document_number = ?,"
               f" fiscal_sign = ?, fiscal_error = NULL WHERE id = ?",
               (p.get("document_number"), p.get("fiscal_sign"), p[key]))


@handles("stock.moved", "stock.counted")
def _stock_doc(store, p, ev):
    doc_id = p.get("doc_id")
    ref = p.get("client_ref") or f"hub:{ev['event_id']}"
    kind = p.get("kind") or ("count" if ev["type"] == "stock.counted" else "receipt")
    if doc_id is None or sql.scalar("SELECT 1 FROM stock_doc WHERE id = ?", (doc_id,)):
        doc_id = None  # let SQLite number it
    # a count notes its scope and a write-off its reason, as agent.counts writes them
    note = {"count": p.get("scope"), "writeoff": p.get("reason")}.get(kind)
    doc_id = sql.insert("INSERT INTO stock_doc (id, client_ref, kind, cashier_id, note,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (doc_id, ref, kind, _cashier_id(p.get("cashier")),
                         note or "recovered from the hub", ev["occurred_at"]))
    _moves([(_product_id(ln), _qty(ln)) for ln in p.get("lines") or []], kind,
           ev["occurred_at"], doc_id=doc_id)


def _doc(ref: str, kind: str, cashier, note: str, at: str) -> int:
    """The stock document a delivery or transfer writes, numbered by SQLite as it was."""
    return sql.insert("INSERT INTO stock_doc (client_ref, kind, cashier_id, note, created_at)"
                      " VALUES (?, ?, ?, ?, ?)", (ref, kind, _cashier_id(cashier), note, at))


def _free_id(table: str, wanted) -> int | None:
    """The row id the event names when this database has not used it (else SQLite's next)."""
    try:
        wanted = int(wanted)
    except (TypeError, ValueError):
        return None
    return None if sql.scalar(f"SELECT 1 FROM {table} WHERE id = ?", (wanted,)) else wanted


@handles("transfer.sent")
def _transfer_sent(store, p, ev):
    """Goods this store sent: the transfer, its lines as sent, and the stock leaving."""
    tid, at = p["transfer_id"], p.get("sent_at") or ev["occurred_at"]
    if sql.scalar("SELECT 1 FROM transfer WHERE transfer_id = ?", (tid,)):
        return
    row = _free_id("transfer", tid.rsplit(":T", 1)[-1] if ":T" in tid else None)
    row = sql.insert("INSERT INTO transfer (id, transfer_id, direction, from_store, to_store,"
                     " status, client_ref, cashier, sent_at) VALUES (?,?,'out',?,?,'sent',?,?,?)",
                     (row, tid, p["from_store"], p["to_store"], p.get("client_ref"),
                      p.get("cashier"), at))
    doc = _doc(p.get("client_ref") or f"hub:{ev['event_id']}", "transfer_out", p.get("cashier"),
               tid, at)
    moves = []
    for ln in p.get("lines") or []:
        qty = abs(_qty(ln))
        sql.insert("INSERT INTO transfer_line (transfer_id, sku, sent_milli) VALUES (?, ?, ?)",
                   (row, ln["sku"], qty))
        moves.append((_product_id(ln), -qty))
    _moves(moves, "transfer_out", at, doc_id=doc)


@handles("order.status")
def _order_status(store, p, ev):
    """A pick-up order's change: the order and its status (its reservation follows)."""
    from . import orders
    orders.restore(p, ev["occurred_at"])


@handles("order.problem")
def _order_problem(store, p, ev):
    """An order the store could not take: it never held it, so there is nothing to restore
    (the feed offers the order again only if the cursor is replayed)."""


@handles("transfer.received")
def _transfer_received(store, p, ev):
    """An incoming transfer received here: the transfer as the feed brought it (made from the
    event when the backup predates the feed item), its lines as counted, the stock arriving."""
    tid, at = p["transfer_id"], p.get("received_at") or ev["occurred_at"]
    received = {ln["sku"]: abs(_qty(ln)) for ln in p.get("lines") or []}
    sent = dict(received)  # a line without a discrepancy came as sent
    for d in p.get("discrepancies") or []:
        sent[d["sku"]] = _qty(d)
    row = sql.scalar("SELECT id FROM transfer WHERE transfer_id = ?", (tid,))
    if row is None:
        row = sql.insert("INSERT INTO transfer (transfer_id, direction, from_store, to_store,"
                         " status, sent_at) VALUES (?, 'in', ?, ?, 'sent', ?)",
                         (tid, p["from_store"], p["to_store"], p.get("sent_at") or at))
        for sku, milli in sent.items():
            if milli:
                sql.insert("INSERT INTO transfer_line (transfer_id, sku, sent_milli)"
                           " VALUES (?, ?, ?)", (row, sku, milli))
    held = {r["sku"] for r in sql.rows("SELECT sku FROM transfer_line WHERE transfer_id = ?",
                                       (row,))}
    doc = _doc(p.get("client_ref") or f"hub:{ev['event_id']}", "transfer_in", p.get("cashier"),
               tid, at)
    moves = []
    for ln in p.get("lines") or []:
        qty = received[ln["sku"]]
        if ln["sku"] in held:
            sql.insert("UPDATE transfer_line SET received_milli = ? WHERE transfer_id = ? AND"
                       " sku = ?", (qty, row, ln["sku"]))
        else:  # surplus: not on the transfer as sent
            sql.insert("INSERT INTO transfer_line (transfer_id, sku, sent_milli, received_milli)"
                       " VALUES (?, ?, 0, ?)", (row, ln["sku"], qty))
        moves.append((_product_id(ln), qty))
    _moves(moves, "transfer_in", at, doc_id=doc)
    sql.insert("UPDATE transfer_line SET received_milli = 0 WHERE transfer_id = ? AND"
               " received_milli IS NULL", (row,))
    sql.insert("UPDATE transfer SET status = 'received', receive_ref = ?, received_at = ?"
               " WHERE id = ?", (p.get("client_ref"), at, row))


@handles("delivery.received")
def _delivery_received(store, p, ev):
    """A supplier's delivery received here: the delivery with its act lines (made from the
    act when the backup predates the expected delivery), its numbered act, the stock."""
    at = p.get("received_at") or ev["occurred_at"]
    ref = p["ref"]
    row = sql.scalar("SELECT id FROM delivery WHERE ref = ?", (ref,))
    if row is None:
        source = ref.split(":", 1)[0] if ":" in ref else "hub"
        row = sql.insert("INSERT INTO delivery (id, ref, source, number, supplier, status,"
                         " created_at) VALUES (?, ?, ?, ?, ?, 'expected', ?)",
                         (_free_id("delivery", p.get("delivery_id")), ref, source,
                          p.get("number") or "", p.get("supplier") or "?", at))
    lines = {r["line_no"]: r["id"] for r in sql.rows(
        "SELECT id, line_no FROM delivery_line WHERE delivery_id = ?", (row,))}
    for a in p.get("act") or []:
        got, bad = _qty(a, "received"), _qty(a, "damaged")
        if a["line_no"] in lines:
            sql.insert("UPDATE delivery_line SET received_milli = ?, damaged_milli = ?"
                       " WHERE id = ?", (got, bad, lines[a["line_no"]]))
            continue
        pid = _product_id({"sku": a["sku"], "name": a.get("name"), "price": a.get("price"),
                           "qty": a.get("received")}) if a.get("sku") else None
        sql.insert("INSERT INTO delivery_line (delivery_id, line_no, product_id, name,"
                   " expected_milli, price, received_milli, damaged_milli)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (row, a["line_no"], pid, a.get("name") or a.get("sku") or "?",
                    _qty(a, "expected"), a.get("price"), got, bad))
    sql.insert("UPDATE delivery_line SET received_milli = 0, damaged_milli = 0"
               " WHERE delivery_id = ? AND received_milli IS NULL", (row,))
    doc = _doc(p.get("client_ref") or f"hub:{ev['event_id']}", "delivery", p.get("cashier"),
               f"delivery {row}", at)
    _moves([(_product_id(ln), abs(_qty(ln))) for ln in p.get("lines") or []], "receipt", at,
           doc_id=doc)
    sql.insert("UPDATE delivery SET status = 'received', act_number = ?, receive_ref = ?,"
               " received_by = ?, received_at = ? WHERE id = ?",
               (p["act_number"], p.get("client_ref"), p.get("cashier"), at, row))


def _ensure_customer(phone: str, name=None, email=None, created_at=None) -> None:
    sql.insert("INSERT OR IGNORE INTO customer (phone, name, email, created_at, hub_ledger_seq,"
               " hub_own_entry) VALUES (?, ?, ?, ?, 0, 0)",
               (phone, name, email, created_at or clock.iso()))


@handles("customer.upserted")
def _customer(store, p, ev):
    _ensure_customer(p["phone"], p.get("name"), p.get("email"), p.get("created_at"))
    if p.get("name"):
        sql.insert("UPDATE customer SET name = ? WHERE phone = ?", (p["name"], p["phone"]))


@handles("loyalty.posted")
def _bonus(store, p, ev):
    _ensure_customer(p["phone"])
    sql.insert("INSERT INTO bonus_entry (id, phone, kind, amount, sale_id, return_id, reason,"
               " cashier, created_at, expires_at, origin, hub_entry_id, seq)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'store', ?, ?)",
               (p.get("entry_id"), p["phone"], p["kind"], p["amount"], p.get("sale_id"),
                p.get("return_id"), p.get("reason"), p.get("cashier"),
                p.get("created_at") or ev["occurred_at"], p.get("expires_at"),
                p.get("hub_entry_id"), ev["seq"]))
