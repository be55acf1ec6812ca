"""The fiscal register from the screen: retry or void a sale it did not take, X report."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from agent import cashiers, fiscal_queue, returns, sales, voids
from agent.errors import Conflict
from agent.ports import failure_message

from .http import body, store, with_session

bp = Blueprint("api_fiscal", __name__, url_prefix="/api/v1")


def _worker():
    worker = store().fiscal
    if worker is None:
        raise Conflict("no fiscal register is configured", code="no_fiscal")
    return worker


def _data() -> dict:
    return body() if request.get_data() else {}


def _retry(kind: str, row_id: int):
    _worker()
    data = _data()
    cashiers.approve(store(), g.session, "re-sending a receipt to the register",
                     data.get("approval_pin"), data.get("approval_login"), role="senior")
    fiscal_queue.retry(store(), kind, row_id)
    return jsonify(sales.get(row_id) if kind == "sale" else returns.get(row_id)), 202


@bp.post("/sales/<int:sale_id>/fiscal/retry")
@with_session()
def retry_sale(sale_id):
    return _retry("sale", sale_id)


@bp.post("/returns/<int:return_id>/fiscal/retry")
@with_session()
def retry_return(return_id):
    return _retry("return", return_id)


@bp.post("/sales/<int:sale_id>/void")
@with_session()
def void(sale_id):
    data = _data()
    return jsonify(voids.void_sale(store(), g.session, sale_id, data.get("approval_pin"),
                                   data.get("approval_login")))


@bp.get("/fiscal/receipts")
@with_session(role="senior", action="the list of receipts the register has not taken")
def open_receipts():
    """Pending and failed fiscal receipts, for seniors (retry) and managers (void)."""
    _worker()
    return jsonify({"items": fiscal_queue.open_receipts()})


@bp.get("/shifts/<int:shift_id>/fiscal-z")
@with_session()
def shift_z(shift_id):
    """The register's Z of a closed shift: pending / done / failed."""
    _worker()
    _shift(shift_id)
    return jsonify(fiscal_queue.z_state(shift_id))


@bp.post("/shifts/<int:shift_id>/fiscal-z/retry")
@with_session()
def retry_z(shift_id):
    _worker()
    _shift(shift_id)
    data = _data()
    cashiers.approve(store(), g.session, "re-sending a Z report to the register",
                     data.get("approval_pin"), data.get("approval_login"), role="senior")
    fiscal_queue.retry_z(store(), shift_id)
    return jsonify(fiscal_queue.z_state(shift_id)), 202


def _shift(shift_id: int):
    from agent.errors import NotFound
    from agent.models import Shift
    if Shift.get_or_none(Shift.id == shift_id) is None:
        raise NotFound(f"no shift {shift_id}", field="shift_id")


@bp.post("/fiscal/x-report")
@with_session()
def x_report():
    try:
        _worker().x_report()
    except Conflict:
        raise
    except Exception as e:
        raise Conflict(failure_message(e, "ru"), code="fiscal_error") from None
    return jsonify({"ok": True})
