"""Transfers between two stores of the chain: sent here (stock leaves at once), received
there (the discrepancies recorded against what was sent).

The hub keeps the goods ``in_transit`` between the two events and sends the incoming
transfer down the receiving store's feed.  ``transfer_id`` is chain-wide:
``<from store>:T<n>``.  Each side's document is one transaction with its stock moves and
its event; the same ``client_ref`` again answers the first result.
"""

from __future__ import annotations

from . import clock, outbox, stock
from .doc_lines import summed
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .models import RemoteStock, StockDoc, Transfer, TransferLine
from .money import qty_str


def known_stores() -> set[str]:
    """The chain's other stores as this store heard of them from the hub's feed."""
    named = {r.store_id for r in RemoteStock.select(RemoteStock.store_id).distinct()}
    for t in Transfer.select(Transfer.from_store, Transfer.to_store):
        named.update((t.from_store, t.to_store))
    return named


def _check_to_store(store, to_store) -> str:
    if not isinstance(to_store, str) or not to_store.strip():
        raise Invalid("to_store is required", field="to_store")
    to_store = to_store.strip()
    if to_store == store.store_id:
        raise Invalid("a store cannot transfer goods to itself", field="to_store",
                      code="same_store")
    if to_store not in known_stores():
        raise Invalid(f"store {to_store} is not known here (the hub's feed has not named it)",
                      field="to_store", code="unknown_store")
    return to_store


def send(store, client_ref, to_store, lines, cashier=None) -> tuple[dict, bool]:
    """Send goods to another store: they leave this store's stock now."""
    require_client_ref({"client_ref": client_ref})
    first = Transfer.get_or_none(Transfer.client_ref == client_ref)
    if first is not None:
        return answer(first), False
    to_store = _check_to_store(store, to_store)
    goods = summed(lines)
    refuse_negative = not store.config.get("stock", "allow_negative")
    with store.db.write():
        first = Transfer.get_or_none(Transfer.client_ref == client_ref)
        if first is not None:
            return answer(first), False
        if StockDoc.get_or_none(StockDoc.client_ref == client_ref):
            raise Conflict("client_ref was already used for another document", field="client_ref")
        if refuse_negative:
            for product, qty, _ in goods.values():
                if stock.on_hand_milli(product.id) < qty:
                    raise Conflict(f"only {qty_str(stock.on_hand_milli(product.id))} of "
                                   f"{product.sku} on hand", field="lines", code="insufficient")
        now = clock.iso()
        t = Transfer.create(transfer_id="new:" + client_ref, direction="out",
                            from_store=store.store_id, to_store=to_store, status="sent",
                            client_ref=client_ref, cashier=cashier.login if cashier else None,
                            sent_at=now)
        t.transfer_id = f"{store.store_id}:T{t.id}"  # the row id SQLite gave it
        Transfer.update(transfer_id=t.transfer_id).where(Transfer.id == t.id).execute()
        doc = StockDoc.create(client_ref=client_ref, kind="transfer_out", cashier=cashier,
                              note=t.transfer_id, created_at=now)
        for product, qty, _ in goods.values():
            TransferLine.create(transfer=t.id, sku=product.sku, sent_milli=qty)
            stock.record_move(product.id, "transfer_out", -qty, doc_id=doc.id, at=now)
        outbox.emit("transfer.sent", {
            "transfer_id": t.transfer_id, "from_store": t.from_store, "to_store": to_store,
            "client_ref": client_ref, "sent_at": now, "cashier": t.cashier,
            "lines": [{"sku": p.sku, "qty": qty_str(q)} for p, q, _ in goods.values()]})
    return answer(Transfer.get_by_id(t.id)), True


def incoming(store, p: dict) -> bool:
    """A ``transfer.incoming`` feed item (caller holds the transaction); a transfer already
    held (or received) here is left as it is."""
    if p.get("to_store") != store.store_id:
        return False
    if Transfer.get_or_none(Transfer.transfer_id == str(p["transfer_id"])) is not None:
        return False
    lines = [(str(ln["sku"]), _milli(ln["qty"])) for ln in p["lines"]]
    t = Transfer.create(transfer_id=str(p["transfer_id"]), direction="in",
                        from_store=str(p["from_store"]), to_store=store.store_id,
                        status="sent", sent_at=str(p.get("sent_at") or clock.iso()))
    for sku, milli in lines:
        TransferLine.create(transfer=t.id, sku=sku, sent_milli=milli)
    return True


def _milli(text) -> int:
    from decimal import Decimal
    q = Decimal(str(text))
    if q <= 0 or q != q.quantize(Decimal("0.001")):
        raise ValueError(f"bad quantity {text!r}")
    return int(q * 1000)


def receive(store, transfer_id, client_ref, lines, cashier=None) -> tuple[dict, bool]:
    """Receive an incoming transfer as counted; lines not sent are surplus."""
    require_client_ref({"client_ref": client_ref})
    goods = summed(lines)
    with store.db.write():
        first = Transfer.get_or_none(Transfer.receive_ref == client_ref)
        if first is not None:
            if first.transfer_id != transfer_id:
                raise Conflict("client_ref was already used for another transfer",
                               field="client_ref")
            return answer(first), False
        if StockDoc.get_or_none(StockDoc.client_ref == client_ref):
            raise Conflict("client_ref was already used for another document", field="client_ref")
        t = Transfer.get_or_none(Transfer.transfer_id == str(transfer_id))
        if t is None:
            raise NotFound(f"no incoming transfer {transfer_id} here (yet): it reaches this "
                           "store through the hub's feed", field="transfer_id")
        if t.to_store != store.store_id or t.direction != "in":
            raise Conflict(f"transfer {t.transfer_id} is meant for store {t.to_store}, not this "
                           "one", field="transfer_id", code="wrong_store")
        if t.status == "received":
            raise Conflict(f"transfer {t.transfer_id} was already received",
                           code="already_received")
        now = clock.iso()
        held = {ln.sku: ln for ln in t.lines}
        doc = StockDoc.create(client_ref=client_ref, kind="transfer_in", cashier=cashier,
                              note=t.transfer_id, created_at=now)
        for product, qty, _ in goods.values():
            ln = held.get(product.sku)
            if ln is None:
                TransferLine.create(transfer=t.id, sku=product.sku, sent_milli=0,
                                    received_milli=qty)
            else:
                TransferLine.update(received_milli=qty).where(TransferLine.id == ln.id).execute()
            stock.record_move(product.id, "transfer_in", qty, doc_id=doc.id, at=now)
        TransferLine.update(received_milli=0).where(
            (TransferLine.transfer == t.id) & TransferLine.received_milli.is_null()).execute()
        Transfer.update(status="received", receive_ref=client_ref, received_at=now).where(
            Transfer.id == t.id).execute()
        t = Transfer.get_by_id(t.id)
        outbox.emit("transfer.received", {
            "transfer_id": t.transfer_id, "from_store": t.from_store, "to_store": t.to_store,
            "client_ref": client_ref, "sent_at": t.sent_at, "received_at": now,
            "cashier": cashier.login if cashier else None,
            "lines": [{"sku": p.sku, "qty": qty_str(q)} for p, q, _ in goods.values()],
            "discrepancies": [d for d in _lines(t) if d["shortage"] != "0.000"
                              or d["surplus"] != "0.000"]})
    return answer(t), True


def _lines(t: Transfer) -> list[dict]:
    out = []
    for ln in t.lines.order_by(TransferLine.id):
        row = {"sku": ln.sku, "qty": qty_str(ln.sent_milli)}
        if ln.received_milli is not None:
            got = ln.received_milli
            row.update(received=qty_str(got), shortage=qty_str(max(ln.sent_milli - got, 0)),
                       surplus=qty_str(max(got - ln.sent_milli, 0)))
        out.append(row)
    return out


def answer(t: Transfer) -> dict:
    body = {"transfer_id": t.transfer_id, "status": t.status,
            "direction": "outgoing" if t.direction == "out" else "incoming",
            "from_store": t.from_store, "to_store": t.to_store, "sent_at": t.sent_at,
            "received_at": t.received_at, "lines": _lines(t)}
    if t.status == "received":
        body["discrepancies"] = [ln for ln in body["lines"]
                                 if ln.get("shortage", "0.000") != "0.000"
                                 or ln.get("surplus", "0.000") != "0.000"]
    return body


def listing(direction: str | None) -> list[dict]:
    if direction not in (None, "", "incoming", "outgoing"):
        raise Invalid("direction must be incoming or outgoing", field="direction")
    q = Transfer.select().order_by(Transfer.id.desc()).limit(200)
    if direction:
        q = q.where(Transfer.direction == ("in" if direction == "incoming" else "out"))
    return [answer(t) for t in q]
