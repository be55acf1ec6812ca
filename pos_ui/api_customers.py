"""Customers and their bonus balance (loyalty by phone)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from agent import loyalty
from agent.errors import Invalid

from .http import body, store, with_session

bp = Blueprint("api_customers", __name__, url_prefix="/api/v1")


@bp.get("/customers")
@with_session()
def find_customer():
    phone = request.args.get("phone")
    if not phone:
        raise Invalid("phone is required", field="phone")
    found, remote = loyalty.find_customer(store(), phone)  # on demand from the hub
    found["recent_purchases"], found["hub_online"] = [], remote is not None
    if remote is not None:  # online: the hub's balance and purchases in any store
        found["recent_purchases"] = remote.get("recent_purchases", [])
        found["hub_balance"] = remote.get("balance")
    return jsonify(found)


@bp.post("/customers")
@with_session()
def create_customer():
    data = body()
    c, new = loyalty.register(store(), g.session, data.get("phone"), data.get("name"),
                              data.get("email"))
    return jsonify(c), 201 if new else 200  # 200: the chain knew the phone (no new welcome)


@bp.post("/customers/<path:phone>/adjustments")
@with_session()
def adjust(phone):
    data = body()
    return jsonify(loyalty.adjust(store(), g.session, phone, data.get("amount"),
                                  data.get("reason"))), 201


@bp.get("/customers/<path:phone>/ledger")
@with_session()
def ledger(phone):
    return jsonify({"items": loyalty.ledger(store(), phone)})
