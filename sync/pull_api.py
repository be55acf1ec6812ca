"""The pull API the hub may call instead of waiting for pushes (contract: hub token).

``GET /sync/v1/events?after=SEQ&limit=N`` -> ``{"store_id", "events", "last_seq"}``;
``POST /sync/v1/ack {"through": SEQ}`` moves the same ack marker the pusher moves.
Authentication is the store's own hub token as bearer plus the HMAC signature, checked
against a 300-second window and an in-memory replay guard (a replayed GET only reads;
a replayed ack cannot move the marker backwards).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from agent import outbox, text
from agent.errors import Invalid, NotFound, Unauthorized

from . import signing
from .pusher import envelope_json

MAX_LIMIT = 5000


def make_blueprint(store, guard: signing.ReplayGuard | None = None) -> Blueprint:
    bp = Blueprint("sync_pull", __name__, url_prefix="/sync/v1")
    guard = guard or signing.ReplayGuard()

    def authenticate() -> None:
        token = store.config.get("hub", "token")
        if not token:
            raise NotFound("the pull API is off: this store has no hub token", field="hub.token")
        header = request.headers.get("Authorization", "")
        presented = header[7:].strip() if header.startswith("Bearer ") else None
        if not signing.bearer_matches(presented, token):
            raise Unauthorized("not this store's hub token")
        body = request.get_data(cache=True) if request.method != "GET" else b""
        try:
            _, sig = signing.verify(token, request.headers.get(signing.HEADER), body,
                                    method=request.method,
                                    target=signing.request_target(request.path,
                                                                  request.query_string))
            guard.check_and_remember(sig)
        except signing.Replayed as e:
            raise Unauthorized(str(e), code="replay") from None
        except signing.BadSignature as e:
            raise Unauthorized(str(e), code="bad_signature") from None

    def int_arg(name, default, lo, hi):
        raw = request.args.get(name)
        try:
            value = default if raw in (None, "") else int(raw)
        except ValueError:
            raise Invalid(f"{name} must be a whole number", field=name) from None
        if not lo <= value <= hi:
            raise Invalid(f"{name} must be between {lo} and {hi}", field=name)
        return value

    @bp.get("/events")
    def events():
        authenticate()
        after = int_arg("after", 0, 0, 2**62)
        limit = int_arg("limit", 500, 1, MAX_LIMIT)
        rows = outbox.pending(after, limit)
        body = (json.dumps({"store_id": store.store_id}, ensure_ascii=False)[:-1]
                + ',"events":[' + ",".join(envelope_json(r, store.store_id) for r in rows)
                + f'],"last_seq":{outbox.last_seq()}}}')
        return Response(body, mimetype="application/json")

    @bp.post("/ack")
    def ack():
        authenticate()
        try:
            data = text.loads(request.get_data(cache=True) or b"null")
        except text.BadText as e:
            raise Invalid(f"{e.field} {e.reason}", field=e.field, code="malformed_json") from None
        through = data.get("through") if isinstance(data, dict) else None
        if isinstance(through, bool) or not isinstance(through, int) or through < 0:
            raise Invalid("through must be a seq (whole number)", field="through")
        from . import state
        state.record_success(store, None, "last_pull_ack_at", through)
        return jsonify({"acked_through": outbox.acked_through()})

    return bp
