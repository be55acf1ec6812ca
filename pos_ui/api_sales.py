"""Sales, quotes, returns and receipts of the JSON API."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from agent import foreign_returns, return_desk, returns, sales

from .http import body, int_arg, store, with_session

bp = Blueprint("api_sales", __name__, url_prefix="/api/v1")


@bp.post("/sales/quote")
@with_session()
def quote():
    q = sales.quote(store(), body(), g.session)
    store().notify("sale.quoted", quote=q)  # the customer display follows the cart
    return jsonify(q)


@bp.post("/sales")
@with_session()
def commit_sale():
    sale, created = sales.commit(store(), g.session, body())
    return jsonify(sale), 201 if created else 200


@bp.get("/sales/<sale_id>")
@with_session()
def get_sale(sale_id):
    return jsonify(sales.get(sale_id))


@bp.get("/sales")
@with_session()
def find_sales():
    register = request.args.get("register") or g.session.register_id
    items = sales.find(register, int_arg("shift_number", None, 1), int_arg("number", None, 1),
                       int_arg("limit", 20, 1, 100))
    return jsonify({"items": items})


@bp.post("/returns")
@with_session()
def commit_return():
    ret, created = return_desk.commit(store(), g.session, body())
    return jsonify(ret), 201 if created else 200


@bp.get("/returns/lookup")
@with_session()
def lookup_foreign_sales():
    """The customer's sales in the other stores (by phone), to return one here."""
    return jsonify(foreign_returns.lookup_by_phone(store(), request.args.get("phone")))


@bp.get("/returns/<int:return_id>")
@with_session()
def get_return(return_id):
    return jsonify(returns.get(return_id))
