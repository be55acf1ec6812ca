"""The cashier screen: one page, its strings, and nothing else.

The page is a Jinja template whose interface strings come from
``static/pos/i18n/<lang>.json`` (the ``[ui] language`` of the config).  The same strings
are handed to the scripts as JSON in a ``data-`` attribute, so the page needs no inline
script and works under the app's strict CSP.  Everything the screen loads is served by the
agent itself: no CDN, no fonts from the internet, no build step.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request

bp = Blueprint("ui", __name__)

STATIC = Path(__file__).parent / "static" / "pos"
LANGUAGES = ("ru", "en")


@functools.lru_cache(maxsize=8)  # two languages; a changed file replaces its entry
def _strings_cached(lang: str, mtime: float) -> dict:
    return json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def strings(lang: str) -> dict:
    """The interface strings of one language (English fills any key Russian lacks)."""
    if lang not in LANGUAGES:
        lang = "ru"
    out = dict(_strings_cached("en", (STATIC / "i18n" / "en.json").stat().st_mtime))
    out.update(_strings_cached(lang, (STATIC / "i18n" / f"{lang}.json").stat().st_mtime))
    return out


def _version() -> str:
    """Changes whenever an asset changes, so a browser never mixes old and new scripts."""
    newest = max((p.stat().st_mtime for p in STATIC.rglob("*") if p.is_file()), default=0)
    return str(int(newest))


def _language() -> str:
    lang = current_app.config["STORE"].config.get("ui", "language")
    return lang if lang in LANGUAGES else "ru"


def _demo(store) -> dict | None:
    """The demo's cashiers and barcodes for the sign-in screen (``[ui] demo``)."""
    if not store.config.get("ui", "demo"):
        return None
    from agent.demo import DEMO_CASHIERS, scans
    return {"cashiers": [{"login": c[0], "name": c[1], "role": c[2], "pin": c[3]}
                         for c in DEMO_CASHIERS], "scans": scans()}


@bp.get("/")
def index():
    store = current_app.config["STORE"]
    lang = _language()
    t = strings(lang)
    resp = current_app.make_response(render_template(
        "pos.html", lang=lang, t=t, version=_version(),
        strings_json=json.dumps(t, ensure_ascii=False, separators=(",", ":")),
        store_name=store.config.get("store", "name"), store_id=store.store_id,
        demo=_demo(store)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/ui/strings.json")
def strings_json():
    """The strings for scripts or tools that want them apart from the page."""
    lang = request.args.get("lang") or _language()
    if lang not in LANGUAGES:
        abort(404)
    return jsonify({"language": lang, "strings": strings(lang)})
