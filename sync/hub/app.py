"""The hub's Flask app: ``create_app(config)`` over one database (one per process).

Store routes (bearer + signature): push events, read the feed, authorize a redemption,
look a customer up.  Admin routes (admin bearer) live in ``admin.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask, Response, g, jsonify, request
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from agent import text
from agent.version import VERSION

from . import feed, loyalty, rejected, validate
from .auth import Authenticator
from .db import open_database
from .errors import BadRequest, HubApiError
from .ingest import Inconsistent, ingest
from .migrations import current_version, upgrade
from .models import HubSetting, hub_db, schema_version
from .params import int_arg
from .stock_docs import register_stock_docs
from .vault import check_value

log = logging.getLogger("store_hub")
access = logging.getLogger("store_hub.access")
MAX_BODY = 8 * 1024 * 1024


@dataclass
class HubConfig:
    db_url: str
    secret: bytes
    max_body: int = MAX_BODY
    accept_v1_signatures: bool = False  # only for agents older than signature v2
    timezone: str = "Europe/Moscow"  # business dates of shifts (the console, days complete)
    dead_after: float = 300.0  # a store silent this long is shown dead
    lag_after: float = 60.0  # a store whose news is this late is shown lagging
    notify: str | None = None  # None: notifications wait; "log"; or a webhook URL
    collect_hours: int = 48  # a ready order older than this is overdue
    projection: str = "inline"  # or "deferred": pushes store, a worker applies (projector)


# the authenticated routes that answer without waiting for deferred projections: the push
# itself, and the scrape (it shows the backlog); unauthenticated ones never wait
NO_WAIT = {"/hub/v1/events", "/metrics"}

# the routes about one customer: they wait only for the held events that name the phone
# (a till's bonus check during a chain's catch-up does not wait for every store's backlog)
ONE_CUSTOMER = {"/hub/v1/loyalty/authorize", "/hub/v1/loyalty/customers/<phone>",
                "/hub/v1/customers"}

# every other route takes none
QUERY_ARGS = {"/hub/v1/feed": {"after", "limit"}, "/hub/v1/stock": {"sku"},
              "/hub/v1/rejected": {"store_id", "status"},
              "/hub/v1/stores/<store_id>/events": {"after", "limit"},
              "/hub/v1/deliveries": {"store_id"}, "/hub/v1/transfers": {"sku"},
              "/hub/v1/stock-docs": {"store_id"}, "/hub/v1/orders": {"overdue"},
              "/hub/v1/availability": {"sku", "barcode"},
              "/hub/v1/reports/sales": {"by", "days", "store_id"},
              "/hub/v1/sales/lookup": {"store_id", "sale_id", "number", "shift_number"},
              "/hub/v1/sales/by-phone": {"phone", "limit"}}


class HubNotReady(Exception):
    pass


def bind(db_url: str):
    """Point the hub's models at ``db_url`` (one hub database per process)."""
    db = open_database(db_url)
    hub_db.initialize(db)
    return db


def check_ready(db, secret: bytes) -> None:
    if schema_version(db) < 1:
        raise HubNotReady("the hub database is not initialised: run `store-hub init` first")
    row = HubSetting.get_or_none(HubSetting.key == "secret_check")
    if row is not None and row.value != check_value(secret):
        raise HubNotReady("this hub secret is not the one the database was initialised with")



def _body():
    return validate.parse_json(request.get_data(cache=True) or b"null")


def _phone_asked() -> str | None:
    """The customer a request is about, as events name it (None when it cannot be read:
    then the request waits for everything, and its route refuses it as usual)."""
    from .bonus_entries import chain_phone
    try:
        phone = (request.view_args or {}).get("phone")
        if phone is None:
            body = _body()
            phone = body.get("phone") if isinstance(body, dict) else None
        return chain_phone(phone)
    except HubApiError:
        return None


def create_app(config: HubConfig) -> Flask:
    db = bind(config.db_url)
    check_ready(db, config.secret)
    upgrade(db)  # the numbered schema steps an older hub lacks
    auth = Authenticator(db, config.secret, config.accept_v1_signatures)
    app = Flask("store_hub")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body
    app.config["HUB_DB"], app.config["HUB_AUTH"] = db, auth
    from .fleet import Thresholds, check_timezone
    check_timezone(config.timezone, HubNotReady)
    app.config["HUB_LIMITS"] = Thresholds(config.timezone, config.dead_after, config.lag_after)
    from .metrics import LOOPBACK, HubMetrics
    metrics = HubMetrics(db, app.config["HUB_LIMITS"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if config.projection not in ("inline", "deferred"):
        raise HubNotReady("projection must be inline or deferred")
    deferred = config.projection == "deferred"
    pushing = [0]  # pushes in flight in this worker (the projector yields to them)
    flight = threading.Lock()
    if deferred:
        from . import projector
        app.config["HUB_PROJECTOR"] = projector.Projector(db, lambda: pushing[0])

    @app.before_request
    def connect():
        g.started = time.monotonic()
        rule = request.url_rule.rule if request.url_rule is not None else None
        unknown = sorted(set(request.args) - QUERY_ARGS.get(rule, set()))
        if rule is not None and unknown:
            raise BadRequest(f"unknown query parameter {unknown[0][:40]!r}", field=unknown[0][:40])
        for name, value in [*request.args.items(), *(request.view_args or {}).items()]:
            reason = text.problem(value) if isinstance(value, str) else None
            if reason or (isinstance(value, str) and len(value) > 200):
                raise BadRequest(f"{name} {reason or 'is too long'}", field=name)
        db.connect(reuse_if_open=True)
        if deferred:
            app.config["HUB_PROJECTOR"].start()  # in the worker that serves (not before a fork)
            if rule == "/hub/v1/events":
                with flight:
                    pushing[0] += 1
                g.pushing = True

    def wait_for_projections() -> None:
        """Once the caller is authenticated: what this request reads holds every event
        acknowledged before it (a question about one customer: the events naming it)."""
        if not deferred or g.get("waited"):
            return
        g.waited = True
        rule = request.url_rule.rule if request.url_rule is not None else None
        if rule is None or rule in NO_WAIT:
            return
        if rule in ONE_CUSTOMER:
            projector.drain(db, phone=_phone_asked())
        else:
            projector.drain(db)
    auth.wait = wait_for_projections

    @app.after_request
    def account(resp):
        route = request.url_rule.rule if request.url_rule is not None else "(unknown)"
        took = time.monotonic() - g.get("started", time.monotonic())
        metrics.requests.labels(request.method, route, str(resp.status_code)).inc()
        if route == "/hub/v1/events" and resp.status_code == 200:
            metrics.push_seconds.observe(took)
        from agent.jsonlog import request_line
        request_line(access, request.method, route, resp.status_code, took * 1000,
                     store_id=g.get("store_id"))
        return resp

    @app.get("/metrics")
    def prometheus():
        if request.remote_addr not in LOOPBACK:
            auth.admin()
        return Response(metrics.render(), mimetype="text/plain; version=0.0.4")

    @app.teardown_request
    def give_back(exc):
        if g.pop("pushing", False):
            with flight:
                pushing[0] -= 1
            app.config["HUB_PROJECTOR"].poke()
        if not db.is_closed():
            db.close()

    @app.get("/hub/v1/openapi.json")
    def openapi_document():
        from .openapi import document
        return jsonify(document())

    @app.get("/healthz")
    def healthz():
        db.execute_sql("SELECT 1")
        return jsonify({"ok": True, "service": "store-hub", "version": VERSION,
                        "schema_version": current_version()})

    @app.post("/hub/v1/events")
    def push_events():
        store_id = auth.store(defer_replay=True)  # remembered in the batch's transaction
        try:
            return _push(store_id)
        except HubApiError:
            auth.settle_replay()  # refused: the signature is remembered all the same
            raise

    def _push(store_id: str):
        body = validate.parse_json(request.get_data(cache=True) or b"null", check_text=False)
        raw = body.get("events") if isinstance(body, dict) else None
        seqs = [e.get("seq") for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
        held = rejected.quarantined(db, store_id, seqs) if g.quarantined else {}
        try:
            events = validate.batch(body, store_id, held)
        except validate.EventRefused as e:  # a poison event: listed for the operator
            rejected.record(db, store_id, e.raw, e.message)
            acked = ingest(db, store_id, [], g.replay)  # nothing of the batch applies
            g.replay = None
            raise BadRequest(e.message, field=e.field, code="event_rejected",
                             seq=e.raw.get("seq") if isinstance(e.raw, dict) else None,
                             acked_through=acked) from None
        try:
            acked = ingest(db, store_id, events, g.replay, deferred=deferred)
            g.replay = None
            return jsonify({"acked_through": acked})
        except Inconsistent as e:  # rolled back: nothing of the batch applies
            raw = next(r for r in raw if isinstance(r, dict) and r.get("seq") == e.event.seq)
            rejected.record(db, store_id, raw, e.message)
            acked = ingest(db, store_id, [], g.replay)
            g.replay = None
            raise BadRequest(e.message, field=e.field, code="event_rejected", seq=e.event.seq,
                             acked_through=acked) from None

    @app.get("/hub/v1/feed")
    def read_feed():
        store_id = auth.store()
        after = int_arg("after", 0, 0, 2**62)
        return jsonify(feed.read(db, store_id, after, int_arg("limit", 500, 1, 5000)))

    @app.post("/hub/v1/loyalty/authorize")
    def authorize():
        store_id = auth.store()
        data = _body()
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object", field="body")
        phone = validate.phone(data.get("phone"), "phone")
        amount = data.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise BadRequest("amount must be whole kopecks above zero", field="amount")
        ref = data.get("client_ref")
        if not isinstance(ref, str) or not 0 < len(ref) <= 100:
            raise BadRequest("client_ref is required (1-100 characters)", field="client_ref")
        status, answer = loyalty.authorize(db, store_id, phone, amount, ref)
        return jsonify(answer), status

    from .store_copy import register_store_copy
    register_store_copy(app, db, auth)
    from .admin import register_admin
    register_admin(app, db, auth)
    from .loyalty_channel import register_loyalty_channel
    register_loyalty_channel(app, db, auth)
    register_stock_docs(app, db, auth)
    from .foreign_returns import register_foreign_returns
    register_foreign_returns(app, db, auth)
    from .orders import register_orders
    register_orders(app, db, auth, config.collect_hours)
    app.config["HUB_COLLECT_HOURS"] = config.collect_hours  # the console's overdue, too
    if config.notify:  # the customer notifications' worker (never inside ingest)
        from .notify import NotifyWorker, make_notifier
        url = config.notify if config.notify != "log" else None
        app.config["HUB_NOTIFIER"] = NotifyWorker(db, make_notifier(url)).start()
    from .console import QUERY_ARGS as CONSOLE_ARGS
    from .console import register_console
    QUERY_ARGS.update(CONSOLE_ARGS)
    register_console(app, config.secret)

    @app.errorhandler(HubApiError)
    def refused(e):
        return jsonify(e.as_dict()), e.status

    @app.errorhandler(HTTPException)
    def http_error(e):
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(e.code, "http")
        return jsonify({"error": {"code": code, "message": e.description or e.name}}), e.code or 400

    @app.errorhandler(Exception)
    def unexpected(e):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if isinstance(e, (InterfaceError, OperationalError)) and not db.is_closed():
            try:
                db.manual_close()  # a broken connection never goes back to the pool
            except Exception:
                pass
        return jsonify({"error": {"code": "internal", "message":
                                  "the hub hit an unexpected error; nothing was applied"}}), 500

    return app
