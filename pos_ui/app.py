"""The Flask app factory: the JSON API and the cashier screen over one ``Store``."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from agent import text
from agent.errors import Invalid, StoreError
from agent.jsonlog import request_line
from agent.version import VERSION

from . import (
    api,
    api_customers,
    api_devices,
    api_fiscal,
    api_orders,
    api_people,
    api_sales,
    api_stock_docs,
    ui,
)
from .http import error_response
from .origin import OriginGuard

log = logging.getLogger("store_agent.http")
access = logging.getLogger("store_agent.access")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


class IdConverter(IntegerConverter):
    """``<int:...>`` in our routes: an id is 1 .. 2^63-1 (else 404, never an overflow)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(store, extra_blueprints=(), status_provider=None) -> Flask:
    """Build the app for one store.  ``status_provider()`` reports sync/printer state."""
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.url_map.converters["int"] = IdConverter
    app.config["STORE"] = store
    app.config["STATUS_PROVIDER"] = status_provider
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.register_blueprint(api.bp)
    app.register_blueprint(api_sales.bp)
    app.register_blueprint(api_customers.bp)
    app.register_blueprint(api_devices.bp)
    app.register_blueprint(api_fiscal.bp)
    app.register_blueprint(api_stock_docs.bp)
    app.register_blueprint(api_people.bp)
    app.register_blueprint(api_orders.bp)
    app.register_blueprint(ui.bp)  # the cashier screen
    for bp in extra_blueprints:
        app.register_blueprint(bp)

    guard = OriginGuard(store.config)

    @app.before_request
    def same_origin_only():
        guard.check(request)
        for name, value in [*request.args.items(), *(request.view_args or {}).items()]:
            reason = text.problem(value) if isinstance(value, str) else None
            if reason:  # query strings and paths follow the one text rule too
                raise Invalid(f"{name} {reason}", field=name)

    @app.get("/api/v1/openapi.json")
    def openapi_document():
        from .openapi import document
        return jsonify(document())

    @app.get("/healthz")
    def healthz():
        store.db.db.execute_sql("SELECT 1")
        return jsonify({"ok": True, "store_id": store.store_id, "version": VERSION})

    @app.errorhandler(StoreError)
    def domain_error(e):
        return error_response(e)

    @app.errorhandler(HTTPException)
    def http_error(e):
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(e.code, "http")
        resp = jsonify({"error": {"code": code, "message": e.description or e.name}})
        resp.status_code = e.code or 400
        return resp

    @app.errorhandler(Exception)
    def unexpected(e):
        log.exception("unexpected error on %s %s", request.method, request.path)
        resp = jsonify({"error": {"code": "internal", "message":
                                  "the agent hit an unexpected error; the action was not saved"}})
        resp.status_code = 500
        return resp

    @app.before_request
    def started():
        g.started = time.monotonic()

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith("/api/"):
            resp.headers["Cache-Control"] = "no-store"
        route = request.url_rule.rule if request.url_rule is not None else "(unknown)"
        request_line(access, request.method, route, resp.status_code,
                     (time.monotonic() - g.get("started", time.monotonic())) * 1000)
        return resp

    return app
