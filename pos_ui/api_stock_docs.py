"""Stock documents of the contract: deliveries and their act, transfers, counts, write-offs.

For managers and seniors.  The act is printable HTML (ТОРГ-2 layout) with every text that
came from outside (product names, the supplier) escaped by the template.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, request

from agent import counts, deliveries, transfers
from agent.errors import Invalid

from .http import body, store, with_session

bp = Blueprint("stock_docs", __name__, url_prefix="/api/v1")
ROLE = "senior"


def _status(created: bool) -> int:
    return 201 if created else 200


@bp.get("/stock-docs/product")
@with_session(role=ROLE, action="stock documents")
def doc_product():
    """A scanned or typed code -> the product, without its book quantity (counts are blind)."""
    from agent import catalog
    from agent.errors import NotFound
    code = (request.args.get("code") or "").strip()
    if not code:
        raise Invalid("code is required", field="code")
    try:
        product = catalog.product_by_barcode(code)
    except NotFound:
        product = catalog.product_by_sku(code)
    return jsonify({"sku": product.sku, "name": product.name, "unit": product.unit})


@bp.get("/deliveries")
@with_session(role=ROLE, action="deliveries")
def list_deliveries():
    return jsonify({"items": deliveries.listing(request.args.get("status"))})


@bp.post("/deliveries")
@with_session(role=ROLE, action="receiving a delivery")
def receive_unexpected():
    data = body()
    answer, created = deliveries.receive_unexpected(
        store(), data.get("client_ref"), data.get("supplier"), data.get("number"),
        data.get("lines"), cashier=g.session.cashier)
    if created:
        _queue_act(answer["delivery_id"])
    return jsonify(answer), _status(created)


@bp.post("/deliveries/<delivery_id>/receive")
@with_session(role=ROLE, action="receiving a delivery")
def receive_delivery(delivery_id):
    data = body()
    answer, created = deliveries.receive(store(), delivery_id, data.get("client_ref"),
                                         data.get("lines"), cashier=g.session.cashier)
    if created:
        _queue_act(answer["delivery_id"])
    return jsonify(answer), _status(created)


def _queue_act(delivery_id: int) -> None:
    """The act's summary on the receipt printer, queued after the commit."""
    from agent.act_print import queue_act_summary
    queue_act_summary(store(), delivery_id)


@bp.get("/deliveries/<delivery_id>/act")
@with_session(role=ROLE, action="the discrepancy act")
def delivery_act(delivery_id):
    act = deliveries.act(store(), delivery_id)
    html = render_template("torg2.html", act=act)
    return html, 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.post("/deliveries/<delivery_id>/act/print")
@with_session(role=ROLE, action="printing the act")
def print_act(delivery_id):
    """The act's summary on the receipt printer again."""
    deliveries.act(store(), delivery_id)  # 404 / 409 before anything is queued
    from agent.act_print import queue_act_summary
    return jsonify({"job_id": queue_act_summary(store(), int(delivery_id))}), 202


@bp.post("/transfers")
@with_session(role=ROLE, action="a transfer")
def send_transfer():
    data = body()
    answer, created = transfers.send(store(), data.get("client_ref"), data.get("to_store"),
                                     data.get("lines"), cashier=g.session.cashier)
    return jsonify(answer), _status(created)


@bp.get("/transfers")
@with_session(role=ROLE, action="transfers")
def list_transfers():
    return jsonify({"items": transfers.listing(request.args.get("direction")),
                    "stores": sorted(transfers.known_stores() - {store().store_id})})


@bp.post("/transfers/<transfer_id>/receive")
@with_session(role=ROLE, action="receiving a transfer")
def receive_transfer(transfer_id):
    data = body()
    answer, created = transfers.receive(store(), transfer_id, data.get("client_ref"),
                                        data.get("lines"), cashier=g.session.cashier)
    return jsonify(answer), _status(created)


@bp.post("/counts")
@with_session(role=ROLE, action="a stock count")
def post_count():
    data = body()
    answer, created = counts.post_count(store(), data.get("client_ref"), data.get("scope"),
                                        data.get("lines"), cashier=g.session.cashier)
    return jsonify(answer), _status(created)


@bp.get("/writeoffs/reasons")
@with_session(role=ROLE, action="write-offs")
def writeoff_reasons():
    return jsonify({"items": counts.reasons(store())})


@bp.post("/writeoffs")
@with_session(role=ROLE, action="a write-off")
def post_writeoff():
    data = body()
    answer, created = counts.post_writeoff(store(), data.get("client_ref"), data.get("reason"),
                                           data.get("lines"), cashier=g.session.cashier)
    return jsonify(answer), _status(created)


MOVED_ELSEWHERE = {
    "to_store": "a transfer to another store is POST /api/v1/transfers (both sides see it)",
    "from_store": "an incoming transfer is received with POST /api/v1/transfers/{id}/receive",
    "supplier": "a supplier delivery is POST /api/v1/deliveries (with its discrepancy act)",
    "expected": "an expected delivery is received with POST /api/v1/deliveries/{id}/receive",
}


def refuse_document_fields(data: dict) -> None:
    """``POST /stock/moves`` never silently ignores what only a stock document can do."""
    for key, where in MOVED_ELSEWHERE.items():
        if isinstance(data, dict) and data.get(key) not in (None, ""):
            raise Invalid(f"{key} is not taken by /api/v1/stock/moves: {where}", field=key,
                          code="use_stock_documents")
