"""Sync status for the screen, monitoring and ``store-agent sync --status``.

``pending`` is exact: seqs are gapless, so it is ``last_seq - acked_through``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from agent import cashiers, clock, outbox
from agent.models import Outbox, SyncState


def sync_status(store, live=None) -> dict:
    acked, last = outbox.acked_through(), outbox.last_seq()
    pending = max(0, last - acked)
    oldest_age = None
    if pending:
        row = Outbox.get_or_none(Outbox.seq == acked + 1)
        if row is not None:
            oldest_age = max(0, int((clock.now() - clock.parse(row.occurred_at)).total_seconds()))
    held = dict(SyncState.select(SyncState.key, SyncState.value).tuples())  # one snapshot
    state = {k: held.get(k) for k in
             ("last_push_at", "last_error", "last_error_at", "last_feed_at", "feed_cursor",
              "last_pull_ack_at", "blocked_seq", "blocked_reason")}
    reachable = live.hub_reachable if live is not None else None
    if reachable is None and (state["last_push_at"] or state["last_error_at"]):
        reachable = (state["last_push_at"] or "") > (state["last_error_at"] or "")
    hub = store.config.section("hub")
    blocked = None
    if state["blocked_seq"] and int(state["blocked_seq"]) > acked:
        blocked = {"seq": int(state["blocked_seq"]), "reason": state["blocked_reason"] or ""}
    return {
        "blocked": blocked,
        "hub_configured": bool(hub["url"] and hub["token"]),
        "hub_url": hub["url"] or None,
        "pending": pending,
        "acked_through": acked,
        "last_seq": last,
        "oldest_pending_age_seconds": oldest_age,
        "last_push_at": state["last_push_at"],
        "last_pull_ack_at": state["last_pull_ack_at"],
        "last_error": state["last_error"] or None,
        "last_error_at": state["last_error_at"],
        "hub_reachable": reachable,
        "feed_cursor": int(state["feed_cursor"] or 0),
        "last_feed_at": state["last_feed_at"],
    }


def make_blueprint(store, live=None) -> Blueprint:
    bp = Blueprint("sync_status", __name__, url_prefix="/api/v1/sync")

    @bp.get("/status")
    def status():
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else None
        cashiers.session_for(store, token)  # any logged-in cashier may look
        return jsonify(sync_status(store, live))

    return bp
