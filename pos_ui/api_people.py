"""The manager's back office over the API: the store's cashiers and the shift reports on
paper; and the sale screen's quick keys.  Roles are enforced here, on the server, whatever the screen shows; every change is
audited by the core (agent/cashier_admin.py) with the manager who made it."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from agent import cashier_admin, cashiers, quick_keys, report_print
from agent.models import Shift

from .api_devices import require_printer
from .http import body, int_arg, store, with_session

bp = Blueprint("api_people", __name__, url_prefix="/api/v1")
MANAGER = "manager"


@bp.get("/cashiers")
@with_session(role=MANAGER, action="the cashiers list")
def list_cashiers():
    return jsonify({"items": cashier_admin.listing()})


@bp.post("/cashiers")
@with_session(role=MANAGER, action="adding a cashier")
def add_cashier():
    data = body()
    c = cashiers.add(store(), data.get("login"), data.get("name"), data.get("role"),
                     data.get("pin"), by=g.session.cashier)
    return jsonify(cashier_admin.describe(c)), 201


@bp.post("/cashiers/<login>/deactivate")
@with_session(role=MANAGER, action="deactivating a cashier")
def deactivate(login):
    return jsonify(cashier_admin.deactivate(store(), login, by=g.session.cashier))


@bp.post("/cashiers/<login>/activate")
@with_session(role=MANAGER, action="activating a cashier")
def activate(login):
    return jsonify(cashier_admin.activate(store(), login, by=g.session.cashier))


@bp.post("/cashiers/<login>/pin")
@with_session(role=MANAGER, action="setting a PIN")
def set_pin(login):
    return jsonify(cashier_admin.set_pin(store(), login, body().get("pin"),
                                         by=g.session.cashier))


@bp.post("/cashiers/<login>/unlock")
@with_session(role=MANAGER, action="unlocking a cashier")
def unlock(login):
    return jsonify(cashier_admin.unlock(store(), login, by=g.session.cashier))


@bp.get("/shifts")
@with_session(role="senior", action="the shifts list")
def recent_shifts():
    """This register's latest shifts, newest first (to print a Z again)."""
    limit = int_arg("limit", 10, 1, 50)
    rows = (Shift.select().where(Shift.register_id == g.session.register_id)
            .order_by(Shift.id.desc()).limit(limit))
    return jsonify({"items": [{"shift_id": s.id, "number": s.number, "opened_at": s.opened_at,
                               "closed_at": s.closed_at, "register_id": s.register_id}
                              for s in rows]})


@bp.post("/shifts/current/x-report/print")
@with_session(action="printing the X report")
def print_x():
    require_printer()
    return jsonify({"job_id": report_print.queue_x(store(), g.session)}), 202


@bp.post("/shifts/<int:shift_id>/z-report/print")
@with_session(role="senior", action="printing a Z report again")
def print_z(shift_id):
    report_print.z_report(shift_id)  # 404 / 409 before the printer question
    require_printer()
    return jsonify({"job_id": report_print.queue_z(store(), shift_id)}), 202


@bp.get("/quick-keys")
@with_session()
def quick_key_grid():
    """The sale screen's grid of favourite products (``[quick_keys] skus``)."""
    return jsonify(quick_keys.grid(store().config))
