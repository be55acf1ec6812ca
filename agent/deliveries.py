"""Supplier deliveries: expected (from the hub's feed or a УПД file), received here.

Receiving is one transaction: the lines as counted, the receipt moves (what arrived minus
what arrived damaged), the numbered discrepancy act (ТОРГ-2: shortage, surplus, damage per
line) and the ``delivery.received`` event.  The same ``client_ref`` again answers the first
result and changes nothing; a delivery is received once.
"""

from __future__ import annotations

import json

from . import clock, outbox, sql, stock
from .doc_lines import summed
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .models import Delivery, DeliveryLine, Product, StockDoc
from .money import qty_str


def _text(value, field: str, limit: int = 200, optional: bool = False) -> str | None:
    if optional and value in (None, ""):
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise Invalid(f"{field} is required (1-{limit} characters)", field=field)
    return value.strip()


def add_expected(ref: str, source: str, number: str, supplier: str, lines: list[dict],
                 supplier_inn=None, doc_date=None, unmatched=None) -> tuple[Delivery, bool]:
    """An expected delivery (caller holds the write transaction); the same ``ref`` again is
    the delivery already held.  ``lines``: {product, name, barcode?, article?, qty, price?}."""
    held = Delivery.get_or_none(Delivery.ref == ref)
    if held is not None:
        return held, False
    d = Delivery.create(ref=ref, source=source, number=number, supplier=supplier,
                        supplier_inn=supplier_inn, doc_date=doc_date, status="expected",
                        unmatched=json.dumps(unmatched, ensure_ascii=False) if unmatched else None,
                        created_at=clock.iso())
    for i, ln in enumerate(lines, 1):
        product = ln.get("product")
        DeliveryLine.create(delivery=d.id, line_no=i, product=product.id if product else None,
                            name=(ln.get("name") or (product.name if product else "?"))[:255],
                            barcode=ln.get("barcode"), article=ln.get("article"),
                            expected_milli=ln["qty"], price=ln.get("price"))
    return d, True


def expect_from_hub(p: dict) -> bool:
    """A ``delivery.expected`` feed item (caller holds the transaction).  SKUs this store
    does not know are kept as unmatched lines: the act shows them as not received."""
    from .catalog import product_by_sku
    from .errors import StoreError
    lines = []
    for ln in p["lines"]:
        try:
            product = product_by_sku(str(ln["sku"]))
        except StoreError:
            product = None
        milli = _milli(ln["qty"])
        lines.append({"product": product, "name": ln.get("name") or str(ln["sku"]),
                      "article": str(ln["sku"]), "qty": milli,
                      "price": ln.get("price") if isinstance(ln.get("price"), int) else None})
    _, created = add_expected("hub:" + str(p["delivery_id"]), "hub", str(p.get("number") or ""),
                              str(p.get("supplier") or ""), lines)
    return created


def _milli(text) -> int:
    from decimal import Decimal
    q = Decimal(str(text))
    if q <= 0 or q != q.quantize(Decimal("0.001")):
        raise ValueError(f"bad quantity {text!r}")
    return int(q * 1000)


def receive(store, delivery_id, client_ref, lines, cashier=None) -> tuple[dict, bool]:
    """Receive an expected delivery as counted; returns (answer, created)."""
    require_client_ref({"client_ref": client_ref})
    counted = summed(lines, "qty", "damaged_qty")
    with store.db.write():
        first = Delivery.get_or_none(Delivery.receive_ref == client_ref)
        if first is not None:
            if str(first.id) != str(delivery_id):
                raise Conflict("client_ref was already used for another delivery",
                               field="client_ref")
            return answer(first), False
        if StockDoc.get_or_none(StockDoc.client_ref == client_ref):
            raise Conflict("client_ref was already used for another document", field="client_ref")
        d = _get(delivery_id)
        if d.status != "expected":
            raise Conflict(f"delivery {d.id} was already received (act {d.act_number})",
                           code="already_received")
        _record(store, d, counted, client_ref, cashier)
    return answer(Delivery.get_by_id(d.id)), True


def receive_unexpected(store, client_ref, supplier, number, lines, cashier=None):
    """Goods that came with no expected document: received as counted (damage recorded)."""
    require_client_ref({"client_ref": client_ref})
    supplier = _text(supplier, "supplier")
    number = _text(number, "number", 60)
    counted = summed(lines, "qty", "damaged_qty")
    with store.db.write():
        first = Delivery.get_or_none(Delivery.receive_ref == client_ref)
        if first is not None:
            return answer(first), False
        if StockDoc.get_or_none(StockDoc.client_ref == client_ref):
            raise Conflict("client_ref was already used for another document", field="client_ref")
        d, _ = add_expected("counted:" + client_ref, "counted", number, supplier,
                            [{"product": p, "name": p.name, "qty": q} for p, q, _ in counted.values()])
        _record(store, d, counted, client_ref, cashier)
    return answer(Delivery.get_by_id(d.id)), True


def _get(delivery_id) -> Delivery:
    try:
        d = Delivery.get_or_none(Delivery.id == int(delivery_id))
    except (TypeError, ValueError):
        d = None
    if d is None:
        raise NotFound(f"no delivery {delivery_id}", field="delivery_id")
    return d


def _record(store, d: Delivery, counted: dict, client_ref: str, cashier) -> None:
    now = clock.iso()
    act_number = (sql.scalar("SELECT MAX(act_number) FROM delivery") or 0) + 1
    held = {ln.product_id: ln for ln in d.lines if ln.product_id is not None}
    next_no = (sql.scalar("SELECT MAX(line_no) FROM delivery_line WHERE delivery_id = ?",
                          (d.id,)) or 0) + 1
    for pid, (product, qty, damaged) in counted.items():
        ln = held.get(pid)
        if ln is None:  # came without being on the document: all of it is surplus
            ln = DeliveryLine.create(delivery=d.id, line_no=next_no, product=pid,
                                     name=product.name, expected_milli=0)
            next_no += 1
        DeliveryLine.update(received_milli=qty, damaged_milli=damaged).where(
            DeliveryLine.id == ln.id).execute()
    DeliveryLine.update(received_milli=0, damaged_milli=0).where(
        (DeliveryLine.delivery == d.id) & DeliveryLine.received_milli.is_null()).execute()
    doc = StockDoc.create(client_ref=client_ref, kind="delivery", cashier=cashier,
                          note=f"delivery {d.id}", created_at=now)
    moves = [(pid, qty - damaged) for pid, (_, qty, damaged) in counted.items() if qty > damaged]
    for pid, milli in moves:
        stock.record_move(pid, "receipt", milli, doc_id=doc.id, at=now)
    Delivery.update(status="received", act_number=act_number, receive_ref=client_ref,
                    received_by=cashier.login if cashier else None, received_at=now).where(
        Delivery.id == d.id).execute()
    d = Delivery.get_by_id(d.id)
    skus = {pid: p.sku for pid, (p, _, _) in counted.items()}
    outbox.emit("delivery.received", {
        "delivery_id": d.id, "ref": d.ref, "number": d.number, "supplier": d.supplier,
        "client_ref": client_ref, "act_number": act_number, "received_at": now,
        "cashier": cashier.login if cashier else None,
        "lines": [{"sku": skus[pid], "qty": qty_str(milli)} for pid, milli in moves],
        "act": act_lines(d)})


def act_lines(d: Delivery) -> list[dict]:
    out = []
    rows = list(DeliveryLine.select().where(DeliveryLine.delivery == d.id)
                .order_by(DeliveryLine.line_no))
    products = {p.id: p for p in Product.select().where(
        Product.id.in_([ln.product_id for ln in rows if ln.product_id]))}
    for ln in rows:
        product = products.get(ln.product_id)
        exp, got, bad = ln.expected_milli, ln.received_milli or 0, ln.damaged_milli or 0
        row = {"line_no": ln.line_no, "sku": product.sku if product else None, "name": ln.name,
               "unit": product.unit if product else "pcs", "expected": qty_str(exp)}
        if d.status == "received":
            row.update(received=qty_str(got), damaged=qty_str(bad),
                       shortage=qty_str(max(exp - got, 0)), surplus=qty_str(max(got - exp, 0)))
        if ln.price is not None:
            row["price"] = ln.price
        out.append(row)
    return out


def answer(d: Delivery) -> dict:
    body = {"delivery_id": d.id, "status": d.status, "number": d.number, "supplier": d.supplier,
            "source": d.source, "created_at": d.created_at, "received_at": d.received_at,
            "lines": act_lines(d)}
    if d.unmatched:
        body["unmatched"] = json.loads(d.unmatched)
    if d.status == "received":
        body["act"] = {"number": d.act_number, "lines": body["lines"]}
    return body


def listing(status: str | None) -> list[dict]:
    if status not in (None, "", "expected", "received"):
        raise Invalid("status must be expected or received", field="status")
    q = Delivery.select().order_by(Delivery.id.desc()).limit(200)
    if status:
        q = q.where(Delivery.status == status)
    return [answer(d) for d in q]


def act(store, delivery_id) -> dict:
    """The discrepancy act of a received delivery, with what the printed form needs."""
    d = _get(delivery_id)
    if d.status != "received":
        raise Conflict(f"delivery {d.id} is not received yet: there is no act",
                       code="not_received")
    lines = act_lines(d)
    cfg = store.config.section("store")
    with_gap = [ln for ln in lines if ln["shortage"] != "0.000" or ln["surplus"] != "0.000"
                or ln["damaged"] != "0.000"]
    return {"number": d.act_number, "delivery_id": d.id, "delivery_number": d.number,
            "supplier": d.supplier, "supplier_inn": d.supplier_inn, "doc_date": d.doc_date,
            "received_at": d.received_at, "received_by": d.received_by,
            "store": {"id": store.store_id, "name": cfg["name"], "address": cfg["address"],
                      "inn": cfg["inn"]},
            "lines": lines, "discrepancies": len(with_gap)}
