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
