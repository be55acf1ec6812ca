"""The Flask app factory: the JSON API and the cashier screen over one ``Store``."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from agent.errors import StoreError

from . import api, api_customers, api_devices, api_fiscal, api_sales, api_stock_docs, ui
from .http import error_response

log = logging.getLogger("store_agent.http")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


def create_app(store, extra_blueprints=(), status_provider=None) -> Flask:
    """Build the app for one store.  ``status_provider()`` reports sync/printer state."""
    app = Flask(__name__, static_folder="static", static_url_path="/static")
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
    app.register_blueprint(ui.bp)  # the cashier screen
    for bp in extra_blueprints:
        app.register_blueprint(bp)

    @app.get("/healthz")
    def healthz():
        store.db.db.execute_sql("SELECT 1")
        return jsonify({"ok": True, "store_id": store.store_id})

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

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith("/api/"):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    return app
