"""What sync remembers: on disk in the store's ``sync_state`` (survives restarts and is
read by ``store-agent sync --status`` from another process) and, for the running process,
whether the hub answered the last call."""

from __future__ import annotations

import threading

from agent import clock, outbox

KEYS = ("last_push_at", "last_feed_at", "last_error", "last_error_at", "feed_cursor",
        "blocked_seq", "blocked_reason")


class LiveState:
    """In-memory facts of this process's workers (thread-safe enough: single assignments)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.hub_reachable: bool | None = None
        self.last_attempt_at: str | None = None
        self.paused_reason: str | None = None
        self.observe_push = None  # (seconds) -> None: the push latency metric, if any


def record_success(store, live: LiveState | None, what: str, acked: int | None = None) -> None:
    """One write: the new ack marker (never backwards) and when it happened."""
    with store.db.write():
        if acked is not None:
            outbox.mark_acked(acked)
            if outbox.get_state("blocked_seq") and acked >= int(outbox.get_state("blocked_seq")):
                outbox.set_state("blocked_seq", "")  # the operator cleared it at the hub
                outbox.set_state("last_error", "")
        outbox.set_state(what, clock.iso())
        if outbox.get_state("last_error") and not outbox.get_state("blocked_seq"):
            outbox.set_state("last_error", "")  # the hub is back: the old error is history
    store.hub_reachable = True  # the till's bonus quote follows what sync last saw
    if live:
        live.hub_reachable, live.last_attempt_at, live.paused_reason = True, clock.iso(), None


def record_error(store, live: LiveState | None, message: str, reachable: bool) -> None:
    try:
        with store.db.write():
            outbox.set_state("last_error", message[:500])
            outbox.set_state("last_error_at", clock.iso())
    except Exception:  # a busy store database must not turn a hub error into a crash
        pass
    store.hub_reachable = reachable
    if live:
        live.hub_reachable, live.last_attempt_at = reachable, clock.iso()


def record_blocked(store, live: LiveState | None, seq: int, reason: str) -> None:
    """The hub refused the event at ``seq`` for good (a poison event): say so on the status
    screen until the operator clears it at the hub."""
    with store.db.write():
        outbox.set_state("blocked_seq", seq)
        outbox.set_state("blocked_reason", reason[:500])
        outbox.set_state("last_error", f"sync blocked at seq {seq}: {reason}"[:500])
        outbox.set_state("last_error_at", clock.iso())
    store.hub_reachable = True  # the hub answered (it refused one event, it is not down)
    if live:
        live.hub_reachable, live.last_attempt_at = True, clock.iso()
