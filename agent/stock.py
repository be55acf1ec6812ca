"""Stock as a ledger of signed moves; on-hand is their sum.

``StockLevel`` holds the running sum, updated in the same transaction as every move, so
reading on-hand costs one row while the moves stay the truth (tests check they agree).
"""

from __future__ import annotations

from . import clock, outbox, sql
from .catalog import on_hand_milli, product_by_barcode, product_by_sku
from .doc_lines import line_objects
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .models import Product, StockDoc, StockMove
from .money import parse_qty, qty_str

MOVE_KINDS = ("receipt", "writeoff", "count", "transfer_in", "transfer_out")
_SIGN = {"receipt": 1, "transfer_in": 1, "writeoff": -1, "transfer_out": -1}


def record_move(product_id: int, kind: str, qty_milli: int, *, sale_id=None, return_id=None,
                doc_id=None, at: str | None = None) -> None:
    """Write one move and bump the running sum.  Caller holds the write transaction."""
    sql.insert("INSERT INTO stock_move (product_id, kind, qty_milli, sale_id, return_id, doc_id,"
               " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               (product_id, kind, qty_milli, sale_id, return_id, doc_id, at or clock.iso()))
    sql.insert("INSERT INTO stock_level (product_id, on_hand_milli) VALUES (?, ?) ON CONFLICT"
               " (product_id) DO UPDATE SET on_hand_milli = on_hand_milli + excluded.on_hand_milli",
               (product_id, qty_milli))


def record_moves(moves: list[tuple[int, int]], kind: str, *, sale_id=None, return_id=None,
                 doc_id=None, at: str | None = None) -> None:
    """Several moves of one document in two statements.  Caller holds the transaction."""
    at = at or clock.iso()
    db = sql.database
    db.cursor().executemany(
        "INSERT INTO stock_move (product_id, kind, qty_milli, sale_id, return_id, doc_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(pid, kind, q, sale_id, return_id, doc_id, at) for pid, q in moves])
    db.cursor().executemany(
        "INSERT INTO stock_level (product_id, on_hand_milli) VALUES (?, ?) ON CONFLICT"
        " (product_id) DO UPDATE SET on_hand_milli = on_hand_milli + excluded.on_hand_milli",
        moves)


RESERVING = ("accepted", "assembled", "ready")  # pick-up order statuses that hold goods


def reserved_milli(product_ids=None) -> dict[int, int]:
    """product id -> quantity held by accepted, assembled or ready pick-up orders.
    Reservations never change on-hand: available = on_hand - reserved."""
    where, params = "", list(RESERVING)
    if product_ids is not None:
        ids = list(product_ids)
        if not ids:
            return {}
        where = f" AND l.product_id IN ({','.join('?' * len(ids))})"
        params += ids
    return dict(sql.database.execute_sql(
        "SELECT l.product_id, SUM(l.qty_milli) FROM pickup_order_line l JOIN pickup_order o"
        f" ON o.id = l.order_row_id WHERE o.status IN (?, ?, ?){where} GROUP BY l.product_id",
        tuple(params)).fetchall())


def find_product(sku=None, barcode=None, field="sku") -> Product:
    if barcode:
        return product_by_barcode(barcode)
    if sku:
        return product_by_sku(sku)
    raise Invalid("each line needs a sku or a barcode", field=field)


def _parse_lines(kind: str, lines) -> list[tuple[Product, int]]:
    parsed = []
    for f, line in line_objects(lines):
        product = find_product(line.get("sku"), line.get("barcode"), field=f"{f}.sku")
        if kind == "count":  # a count may say zero is on the shelf
            raw = line.get("qty")
            qty = 0 if raw in (0, "0", "0.000") else parse_qty(raw, f"{f}.qty")
        else:
            qty = parse_qty(line.get("qty"), f"{f}.qty")
        if product.unit == "pcs" and qty % 1000:
            raise Invalid(f"{f}.qty must be whole for a product sold in pieces", field=f"{f}.qty")
        parsed.append((product, qty))
    return parsed


def post_document(store, kind: str, client_ref, lines, cashier=None, note: str | None = None,
                  extra: dict | None = None) -> dict:
    """A stock document (receipt, write-off, count, transfer): one transaction, one event.

    A count records, per line, the correction move it implies against the current on-hand.
    The same ``client_ref`` again returns the first document and changes nothing.
    """
    if kind not in MOVE_KINDS:
        raise Invalid(f"kind must be one of {', '.join(MOVE_KINDS)}", field="kind")
    require_client_ref({"client_ref": client_ref})
    parsed = _parse_lines(kind, lines)
    with store.db.write():
        existing = StockDoc.get_or_none(StockDoc.client_ref == client_ref)
        if existing:
            if existing.kind != kind:
                raise Conflict("client_ref was already used for another document", field="client_ref")
            return document(existing.id, created=False)
        now = clock.iso()
        doc = StockDoc.create(client_ref=client_ref, kind=kind, cashier=cashier, note=note,
                              created_at=now)
        event_lines = []
        for product, qty in parsed:
            if kind == "count":
                delta = qty - on_hand_milli(product.id)
                record_move(product.id, "count", delta, doc_id=doc.id, at=now)
                event_lines.append({"sku": product.sku, "counted": qty_str(qty),
                                    "qty": qty_str(delta)})
            else:
                delta = _SIGN[kind] * qty
                record_move(product.id, kind, delta, doc_id=doc.id, at=now)
                event_lines.append({"sku": product.sku, "qty": qty_str(delta)})
        payload = {"doc_id": doc.id, "client_ref": client_ref, "kind": kind,
                   "lines": event_lines, "cashier": cashier.login if cashier else None}
        payload.update(extra or {})
        outbox.emit("stock.counted" if kind == "count" else "stock.moved", payload)
    return document(doc.id, created=True)


def document(doc_id: int, created: bool = False) -> dict:
    doc = StockDoc.get_or_none(StockDoc.id == doc_id)
    if doc is None:
        raise NotFound("no such stock document")
    moves = (StockMove.select(StockMove, Product).join(Product)
             .where(StockMove.doc_id == doc.id).order_by(StockMove.id))
    return {"doc_id": doc.id, "client_ref": doc.client_ref, "kind": doc.kind,
            "created_at": doc.created_at, "created": created,
            "lines": [{"sku": m.product.sku, "qty": qty_str(m.qty_milli),
                       "on_hand": qty_str(on_hand_milli(m.product.id))} for m in moves]}


def level(sku: str) -> dict:
    product = product_by_sku(sku)
    on_hand = on_hand_milli(product.id)
    reserved = reserved_milli([product.id]).get(product.id, 0)
    return {"sku": product.sku, "on_hand": qty_str(on_hand), "reserved": qty_str(reserved),
            "available": qty_str(on_hand - reserved), "unit": product.unit}
