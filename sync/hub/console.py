"""The chain console at ``/`` on the hub: server-rendered pages for the office.

Sign-in takes the admin token once and gives a session cookie (signed with a key derived
from the hub secret, so every hub process accepts it; HttpOnly, SameSite=Strict; it dies
when the admin token changes or after ``SESSION_HOURS``).  Templates autoescape every text
a store sent (product names, store ids, rejection reasons).  Pages carry a strict CSP: no
inline script or style; the charts are drawn by ``static/console.js`` with uPlot, vendored
under ``static/uplot`` (MIT, its LICENSE alongside), never from a CDN.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from . import console_data, console_orders, loyalty, rejected
from .admin import store_summary
from .console_i18n import LANGS, translator
from .fleet import stores as fleet
from .models import HubSetting
from .params import int_arg
from .reports import sales
from .vault import token_hash

SESSION_HOURS = 12
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
QUERY_ARGS = {"/console/sales": {"days", "store_id"}, "/login": {"next"},
              **console_orders.QUERY_ARGS}


def session_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"store-hub console session", hashlib.sha256).digest()


def _admin_mark() -> str | None:
    row = HubSetting.get_or_none(HubSetting.key == "admin_token_hash")
    return _mark(row.value) if row else None


def _mark(admin_hash: str) -> str:
    """What the session holds of the admin token: changes when the token does."""
    return hashlib.sha256(b"store-hub console|" + admin_hash.encode()).hexdigest()[:24]


def make_console(secret: bytes) -> Blueprint:
    bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/console/static")

    @bp.before_request
    def who():
        lang = request.cookies.get("console_lang")
        g.lang = lang if lang in LANGS else "ru"
        g.t = translator(g.lang)
        public = request.endpoint in ("console.login", "console.static", "console.language")
        fresh = time.time() - float(session.get("at", 0)) < SESSION_HOURS * 3600
        if not public and not (session.get("admin") == _admin_mark() and fresh
                               and session.get("admin")):
            return redirect(url_for("console.login"))
        if not public:
            current_app.config["HUB_AUTH"].authenticated()
        return None

    @bp.after_request
    def lock_down(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "console.static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @bp.app_template_filter("money")
    def money(kopecks) -> str:
        k = int(kopecks or 0)
        sign, k = ("-" if k < 0 else ""), abs(k)
        return f"{sign}{k // 100:,}.{k % 100:02d}".replace(",", "\u202f")

    def page(name: str, **ctx):
        return render_template(f"console/{name}.html", t=g.t, lang=g.lang, **ctx)

    @bp.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            given = request.form.get("token", "")
            row = HubSetting.get_or_none(HubSetting.key == "admin_token_hash")
            if row is not None and given and hmac.compare_digest(token_hash(given), row.value):
                session.clear()
                session.update(admin=_mark(row.value), at=time.time())
                return redirect(url_for("console.stores"))
            error = g.t("bad_token")
        return page("login", error=error), 401 if error else 200

    @bp.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("console.login"))

    @bp.post("/console/lang")
    def language():
        lang = request.form.get("lang")
        back = request.form.get("back") or ""
        ok = back.startswith("/") and not back.startswith("//") and "\\" not in back
        resp = redirect(back if ok else url_for("console.stores"))
        if lang in LANGS:
            resp.set_cookie("console_lang", lang, max_age=365 * 86400, httponly=True,
                            samesite="Strict")
        return resp

    @bp.get("/")
    def stores():
        db = current_app.config["HUB_DB"]
        items = fleet(db, current_app.config["HUB_LIMITS"])
        counts = {s: sum(1 for i in items if i["status"] == s) for s in ("dead", "lagging", "ok")}
        return page("stores", items=items, counts=counts,
                    orders=console_orders.counts(db, console_orders.hours()))

    @bp.get("/console/stores/<store_id>")
    def store(store_id):
        db = current_app.config["HUB_DB"]
        limits = current_app.config["HUB_LIMITS"]
        found = fleet(db, limits, store_id=store_id)
        if not found:
            return page("missing", what="store", missing=store_id), 404
        return page("store", s=found[0], summary=store_summary(db, store_id),
                    days=sales(db, "day", 30, limits.timezone, store_id)["items"],
                    z=console_data.z_reports(db, store_id),
                    rejected=rejected.listing(db, store_id, None),
                    history=console_data.sync_history(db, store_id),
                    orders=console_orders.listing(db, console_orders.hours(), store_id,
                                                  open_only=True),
                    stock=console_orders.availability(db, store_id, None, limit=50))

    @bp.get("/console/sales")
    def sales_page():
        db = current_app.config["HUB_DB"]
        tz = current_app.config["HUB_LIMITS"].timezone
        days = int_arg("days", 30, 1, 3660)
        store_id = request.args.get("store_id") or None
        by_day = sales(db, "day", days, tz, store_id)["items"]
        chart = {"x": [d["date"] for d in by_day], "y": [d["net_total"] / 100 for d in by_day]}
        return page("sales", days=days, store_id=store_id, by_day=by_day, chart=chart,
                    by_store=sales(db, "store", days, tz, store_id)["items"],
                    by_product=sales(db, "product", days, tz, store_id)["items"][:100])

    @bp.get("/console/stock")
    def stock_page():
        db = current_app.config["HUB_DB"]
        q = (request.args.get("q") or "").strip()[:64]
        store_id = (request.args.get("store_id") or "").strip()[:64] or None
        sku = (request.args.get("sku") or "").strip()[:64] or None
        return page("stock", q=q, items=console_data.stock(db, q or None), store_id=store_id,
                    sku=sku, stores=console_orders.store_ids(db),
                    available=console_orders.availability(db, store_id, sku))

    @bp.get("/console/loyalty")
    def loyalty_page():
        return page("loyalty", items=loyalty.overdrafts(current_app.config["HUB_DB"]))

    console_orders.add_routes(bp, page)
    return bp



def register_console(app, secret: bytes) -> None:
    app.secret_key = session_key(secret)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_NAME="store_hub_console")
    app.register_blueprint(make_console(secret))
