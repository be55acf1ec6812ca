"""Stock-document events at the hub: their checks (before anything is written) and what
they mean for the projections (in the ingest transaction).

A transfer is counted on two sides: ``transfer.sent`` takes the goods off the sending
store's ``on_hand`` and adds them to ``sent``; ``transfer.received`` puts what arrived on
the receiving store's ``on_hand`` and adds it to ``received``.  ``in_transit`` of a
transfer line is ``sent - received``, so the chain total (every ``on_hand`` plus every
``in_transit``) is the same after either event alone, after both, in either order: the
sums commute.  A shortage found on receiving stays ``in_transit`` (visible, to be settled
by a write-off) instead of vanishing from the chain.

The events' checks live in ``validate.py`` (the block "stock documents"); new event types
for the event schema: ``transfer.sent``, ``transfer.received``, ``delivery.received``.
"""

from __future__ import annotations

import json

from .errors import Inconsistent
from .validate import Event


def _line_totals(lines: list) -> dict[str, int]:
    out: dict[str, int] = {}
    for sku, milli in lines:
        out[sku] = out.get(sku, 0) + abs(milli)
    return out


def on_transfer_sent(proj, e: Event) -> None:
    p, sql = e.payload, proj.sql
    if sql.one("SELECT 1 FROM hub_store WHERE store_id = ?", (p["to_store"],)) is None:
        raise Inconsistent(e, f"seq {e.seq}: transfer {p['transfer_id']}: store {p['to_store']} "
                              "is not a store of this hub", field=f"seq {e.seq}: to_store")
    sent = [{"sku": sku, "qty": q} for sku, q in
            ((ln["sku"], ln["qty"]) for ln in p["lines"])]
    sql.run("INSERT INTO hub_transfer (transfer_id, from_store, to_store, lines, status, "
            "sent_seq, sent_at, updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (transfer_id) "
            "DO UPDATE SET lines = excluded.lines, sent_seq = excluded.sent_seq, "
            "sent_at = excluded.sent_at, updated_at = excluded.updated_at, feed_cursor = NULL",
            (p["transfer_id"], p["from_store"], p["to_store"], json.dumps(sent), "sent", e.seq,
             p.get("sent_at") or e.occurred_at, proj.now))
    _add_lines(proj, p, e.lines, "sent_milli")


def on_transfer_received(proj, e: Event) -> None:
    p, sql = e.payload, proj.sql
    sql.run("INSERT INTO hub_transfer (transfer_id, from_store, to_store, lines, status, "
            "received_seq, received_at, updated_at) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (transfer_id) DO UPDATE SET status = excluded.status, "
            "received_seq = excluded.received_seq, received_at = excluded.received_at, "
            "updated_at = excluded.updated_at",
            (p["transfer_id"], p["from_store"], p["to_store"], "[]", "received", e.seq,
             p.get("received_at") or e.occurred_at, proj.now))
    _add_lines(proj, p, e.lines, "received_milli")


def _add_lines(proj, p: dict, lines: list, column: str) -> None:
    for sku, milli in sorted(_line_totals(lines).items()):
        sent, received = (milli, 0) if column == "sent_milli" else (0, milli)
        proj.sql.run(
            "INSERT INTO hub_transfer_line (transfer_id, sku, from_store, to_store, sent_milli, "
            "received_milli) VALUES (?,?,?,?,?,?) ON CONFLICT (transfer_id, sku) DO UPDATE SET "
            f"{column} = hub_transfer_line.{column} + excluded.{column}",
            (p["transfer_id"], sku, p["from_store"], p["to_store"], sent, received))


def on_delivery_received(proj, e: Event) -> None:
    p, sql = e.payload, proj.sql
    act = json.dumps({"number": p["act_number"], "lines": p["act"]}, ensure_ascii=False)
    sql.run("INSERT INTO hub_delivery_receipt (store_id, delivery_id, ref, number, supplier, "
            "act_number, act, received_at, seq) VALUES (?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT DO NOTHING",
            (proj.store_id, p["delivery_id"], p["ref"], str(p.get("number") or ""),
             str(p.get("supplier") or ""), p["act_number"], act,
             p.get("received_at") or e.occurred_at, e.seq))
    ref = p["ref"]
    if ref.startswith("hub:H") and ref[5:].isdigit():
        sql.run("UPDATE hub_delivery SET status = 'received', act = ?, received_seq = ? "
                "WHERE id = ? AND store_id = ?", (act, e.seq, int(ref[5:]), proj.store_id))


def on_stock_document(proj, e: Event) -> None:
    """Counts, write-offs and other stock documents, kept per store with their lines."""
    p = e.payload
    if not isinstance(p.get("doc_id"), int):
        return
    proj.sql.run("INSERT INTO hub_stock_doc (store_id, doc_id, kind, reason, scope, lines, seq, "
                 "created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                 (proj.store_id, p["doc_id"], str(p.get("kind") or e.type),
                  p.get("reason") if isinstance(p.get("reason"), str) else None,
                  p.get("scope") if isinstance(p.get("scope"), str) else None,
                  json.dumps(p.get("lines") or [], ensure_ascii=False), e.seq, e.occurred_at))


HANDLERS = {"transfer.sent": on_transfer_sent, "transfer.received": on_transfer_received,
            "delivery.received": on_delivery_received, "stock.moved": on_stock_document,
            "stock.counted": on_stock_document}
