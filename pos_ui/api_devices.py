"""Receipts (preview, reprint), the cash drawer and the scale."""

from __future__ import annotations

import threading

from flask import Blueprint, g, jsonify, request

from agent import cashiers, print_queue, receipts
from agent.documents import ReceiptError
from agent.errors import Conflict
from drivers.receipt_layout import receipt_html, receipt_text

from .http import body, store, with_session

bp = Blueprint("api_devices", __name__, url_prefix="/api/v1")
_scale_lock = threading.Lock()


def _columns() -> int:
    cols = store().config.get("devices", "printer_columns")
    printer = store().printer
    return cols or getattr(getattr(printer, "spec", None), "columns", None) or 42


def _document(build, *args):
    """A stored sale or return that cannot make a receipt (its lines do not add up to its
    total: data written before a fix) answers 409, never a 500."""
    try:
        return build(store(), *args)
    except ReceiptError as e:
        raise Conflict(f"this document cannot be shown as a receipt: {e}",
                       code="receipt_inconsistent") from e


def _preview(doc) -> dict:
    lang, cols, tz = store().config.get("ui", "language"), _columns(), store().config.tz
    return {"text": receipt_text(doc, cols, lang, tz), "html": receipt_html(doc, cols, lang, tz),
            "columns": cols, "receipt": doc.to_dict()}


@bp.get("/receipts/<int:sale_id>")
@with_session()
def preview(sale_id):
    return jsonify(_preview(_document(receipts.for_sale, sale_id)))


@bp.get("/receipts/returns/<int:return_id>")
@with_session()
def preview_return(return_id):
    return jsonify(_preview(_document(receipts.for_return, return_id)))


def require_printer():
    if store().spooler is None:
        raise Conflict("no receipt printer is configured", code="no_printer")


@bp.post("/receipts/<int:sale_id>/print")
@with_session()
def reprint(sale_id):
    receipts.for_sale(store(), sale_id)  # 404 for an unknown sale
    require_printer()
    job = print_queue.enqueue(store(), "reprint", sale_id=sale_id)
    return jsonify({"job_id": job, "queued": print_queue.pending_count()}), 202


@bp.post("/receipts/returns/<int:return_id>/print")
@with_session()
def reprint_return(return_id):
    ret = receipts.for_return(store(), return_id)  # 404 for an unknown return
    require_printer()
    job = print_queue.enqueue(store(), "return_reprint", sale_id=ret.sale_id,
                              return_id=return_id)
    return jsonify({"job_id": job, "queued": print_queue.pending_count()}), 202


@bp.post("/drawer/open")
@with_session()
def open_drawer():
    """A manager's request (or a manager's PIN) to open the drawer outside a sale."""
    data = body() if request.get_data() else {}
    approver = cashiers.approve(store(), g.session, "opening the cash drawer",
                                data.get("approval_pin"), data.get("approval_login"))
    require_printer()
    if store().drawer is None:  # [devices] drawer = "": no drawer
        raise Conflict("no cash drawer is configured ([devices] drawer)", code="no_drawer")
    with store().db.write():
        cashiers.audit("drawer.opened", approver, register=g.session.register_id)
    job = print_queue.enqueue(store(), "drawer")
    return jsonify({"job_id": job}), 202


@bp.get("/scale/weight")
@with_session()
def weight():
    scale = store().scale
    if scale is None:
        raise Conflict("no scale is configured: type the weight", code="no_scale")
    from drivers.scale import ScaleError
    with _scale_lock:
        try:
            kg = scale.read_weight(timeout=2.0)
        except ScaleError as e:
            raise Conflict(str(e), code="scale_error") from None
    return jsonify({"weight": f"{kg:.3f}"})
