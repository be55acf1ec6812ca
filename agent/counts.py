"""Stock counts (full or partial, blind) and write-offs with a reason.

A count is blind: the counter sends what is on the shelf and learns the book quantity only
in the answer, once the corrections are recorded.  A full count sets every product it does
not list to zero.  Both are one transaction with their moves and event; the same
``client_ref`` again answers the first result.
"""

from __future__ import annotations

import json

from . import clock, outbox, sql, stock
from .doc_lines import summed
from .errors import Conflict, Invalid, require_client_ref
from .models import StockDoc
from .money import qty_str

SCOPES = ("full", "partial")


def post_count(store, client_ref, scope, lines, cashier=None) -> tuple[dict, bool]:
    require_client_ref({"client_ref": client_ref})
    if scope not in SCOPES:
        raise Invalid("scope must be full or partial", field="scope")
    counted = summed(lines, "counted", allow_zero=True)
    with store.db.write():
        first = StockDoc.get_or_none(StockDoc.client_ref == client_ref)
        if first is not None:
            if first.kind != "count":
                raise Conflict("client_ref was already used for another document",
                               field="client_ref")
            return _replay(first), False
        now = clock.iso()
        doc = StockDoc.create(client_ref=client_ref, kind="count", cashier=cashier,
                              note=scope, created_at=now)
        targets = [(p.id, p.sku, q) for p, q, _ in counted.values()]
        if scope == "full":
            listed = set(counted)
            targets += [(r["product_id"], r["sku"], 0) for r in sql.rows(
                "SELECT l.product_id, p.sku FROM stock_level l JOIN product p ON p.id = "
                "l.product_id WHERE l.on_hand_milli <> 0 ORDER BY p.sku")
                if r["product_id"] not in listed]
        corrections, event_lines = [], []
        for pid, sku, qty in targets:
            before = stock.on_hand_milli(pid)
            delta = qty - before
            stock.record_move(pid, "count", delta, doc_id=doc.id, at=now)
            corrections.append({"sku": sku, "before": qty_str(before), "counted": qty_str(qty),
                                "delta": qty_str(delta)})
            event_lines.append({"sku": sku, "counted": qty_str(qty), "qty": qty_str(delta)})
        outbox.emit("stock.counted", {"doc_id": doc.id, "client_ref": client_ref, "kind": "count",
                                      "scope": scope, "lines": event_lines,
                                      "cashier": cashier.login if cashier else None})
    return {"count_id": doc.id, "scope": scope, "corrections": corrections}, True


def _replay(doc: StockDoc) -> dict:
    """The first answer again, from the count's own event."""
    payload = json.loads(sql.scalar(
        "SELECT payload FROM outbox WHERE type = 'stock.counted' AND "
        "json_extract(payload, '$.doc_id') = ?", (doc.id,)))
    corrections = []
    for ln in payload["lines"]:
        counted, delta = _milli(ln["counted"]), _milli(ln["qty"])
        corrections.append({"sku": ln["sku"], "before": qty_str(counted - delta),
                            "counted": ln["counted"], "delta": ln["qty"]})
    return {"count_id": doc.id, "scope": doc.note, "corrections": corrections}


def _milli(text: str) -> int:
    from decimal import Decimal
    return int(Decimal(text) * 1000)


def reasons(store) -> list[str]:
    return list(store.config.get("stock", "writeoff_reasons"))


def post_writeoff(store, client_ref, reason, lines, cashier=None) -> tuple[dict, bool]:
    """Goods off the books for one of ``[stock] writeoff_reasons``."""
    require_client_ref({"client_ref": client_ref})
    allowed = reasons(store)
    if reason not in allowed:
        raise Invalid(f"reason must be one of: {', '.join(allowed)}", field="reason")
    summed(lines)  # every line checked before anything is written
    held = StockDoc.get_or_none(StockDoc.client_ref == client_ref)
    doc = stock.post_document(store, "writeoff", client_ref, lines, cashier=cashier,
                              note=reason, extra={"reason": reason})
    doc["reason"] = held.note if held else reason
    doc["writeoff_id"] = doc["doc_id"]
    return doc, doc.pop("created")


__all__ = ["post_count", "post_writeoff", "reasons"]
