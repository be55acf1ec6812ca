"""Customers and their bonus balance (loyalty by phone)."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

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
    found = loyalty.get_customer(store(), phone)
    hub = store().hub
    found["recent_purchases"], found["hub_online"] = [], False
    if hub is not None:  # online: the hub's balance and purchases in any store
        try:
            remote = hub.customer(found["phone"], timeout=store().config.get("loyalty",
                                                                            "authorize_timeout"))
            found["recent_purchases"] = remote.get("recent_purchases", [])
            found["hub_balance"] = remote.get("balance")
            found["hub_online"] = True
        except Exception as e:  # offline: the local view is what we have
            current_app.logger.info("hub customer lookup failed: %s", type(e).__name__)
    return jsonify(found)


@bp.post("/customers")
@with_session()
def create_customer():
    data = body()
    c = loyalty.create_customer(store(), g.session, data.get("phone"), data.get("name"),
                                data.get("email"))
    return jsonify(c), 201


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
