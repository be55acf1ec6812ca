"""Pick-up orders at the till (the contract's "Orders for pick-up in a store"): the list by
status (overdue first), staff status changes, and collecting an order as a sale."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from agent import orders

from .http import body, store, with_session

bp = Blueprint("orders", __name__, url_prefix="/api/v1")


@bp.get("/orders")
@with_session(action="pick-up orders")
def list_orders():
    return jsonify({"items": orders.listing(store(), request.args.get("status") or None)})


@bp.get("/orders/<order_id>")
@with_session(action="pick-up orders")
def get_order(order_id):
    return jsonify(orders.get(store(), order_id))


@bp.post("/orders/<order_id>/status")
@with_session(action="pick-up orders")
def order_status(order_id):
    answer, created = orders.change_status(store(), order_id, body(), g.session.cashier.login)
    return jsonify(answer), 200


@bp.post("/orders/<order_id>/collect")
@with_session(action="collecting an order")
def collect_order(order_id):
    sale, created = orders.collect(store(), g.session, order_id, body())
    return jsonify(sale), 201 if created else 200
