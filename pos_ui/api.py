"""The cashier-facing JSON API of the contract: sessions, products, shifts, stock."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from agent import cashiers, catalog, shifts, stock, weighed
from agent.errors import Invalid
from agent.money import qty_str

from .http import UnsupportedMediaType, body, int_arg, store, with_session

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.post("/session")
def login():
    if request.mimetype != "application/json":  # a form or text/plain post from another page
        raise UnsupportedMediaType("sign-in takes Content-Type: application/json",
                                   field="Content-Type")
    data = body()
    token, cashier = cashiers.login(store(), data.get("login"), data.get("pin"),
                                    data.get("register") or "1")
    return jsonify({"token": token, "cashier": cashiers.public(cashier)})


@bp.get("/session")
@with_session()
def whoami():
    cfg = store().config
    return jsonify({"cashier": cashiers.public(g.session.cashier),
                    "register": g.session.register_id,
                    "store": {"id": cfg.store_id, "name": cfg.get("store", "name")},
                    "ui": cfg.section("ui")})


@bp.delete("/session")
@with_session()
def logout():
    cashiers.logout(store(), g.session)
    return jsonify({"ok": True})


@bp.post("/approvals")
@with_session()
def approval():
    """Check a manager's PIN for an action the screen itself guards (voiding a cart)."""
    data = body()
    action = str(data.get("action") or "an approval")[:80]
    approver = cashiers.approve(store(), g.session, action, data.get("approval_pin"),
                                data.get("approval_login"))
    return jsonify({"approved_by": cashiers.public(approver)})


@bp.get("/products/lookup")
@with_session()
def lookup():
    code = request.args.get("barcode", "")
    product, qty, amount = weighed.find(code, store().config)  # an in-store label: its weight
    answer = catalog.product_dict(product, barcode=code.strip())
    if qty is not None:
        answer.update(qty=qty_str(qty), amount=amount)
    return jsonify(answer)


@bp.get("/products")
@with_session()
def products():
    limit = int_arg("limit", 20, 1, 200)
    items = catalog.search(request.args.get("q", ""), limit)
    return jsonify({"items": catalog.search_answer(items)})


@bp.post("/shifts/open")
@with_session()
def open_shift():
    return jsonify(shifts.open_shift(store(), g.session, body().get("opening_cash"))), 201


@bp.get("/shifts/current")
@with_session()
def current_shift():
    x = shifts.x_report(g.session)
    worker = store().fiscal
    if worker is not None:
        x["fiscal"] = worker.status()
    return jsonify(x)


@bp.post("/shifts/cash")
@with_session()
def cash_move():
    data = body()
    return jsonify(shifts.cash_move(store(), g.session, data.get("kind"), data.get("amount"),
                                    data.get("reason"), data.get("approval_pin"),
                                    data.get("approval_login"))), 201


@bp.post("/shifts/close")
@with_session()
def close_shift():
    z = shifts.close_shift(store(), g.session, body().get("counted_cash"))
    worker = store().fiscal
    if worker is not None:  # the register's Z: queued, waited for a few seconds at most
        z["fiscal_z"] = worker.z_status(z["shift_id"])
    return jsonify(z)


@bp.get("/stock")
@with_session()
def stock_level():
    sku = request.args.get("sku")
    if not sku:
        raise Invalid("sku is required", field="sku")
    return jsonify(stock.level(sku))


@bp.post("/stock/moves")
@with_session(role="senior", action="a stock document")
def stock_moves():
    data = body()
    from .api_stock_docs import refuse_document_fields
    refuse_document_fields(data)
    doc = stock.post_document(store(), data.get("kind"), data.get("client_ref"),
                              data.get("lines"), cashier=g.session.cashier,
                              note=data.get("note"))
    return jsonify(doc), 201 if doc.pop("created") else 200


@bp.get("/status")
@with_session()
def status():
    """What the screen shows in its status bar: hub, outbox, printer, fiscal register."""
    from flask import current_app
    provider = current_app.config.get("STATUS_PROVIDER")
    return jsonify(provider() if provider else {})
