"""A restored store catches up with the hub before it records anything new.

``store-agent restore`` marks the database (``recovery_pending``); while marked, the core
refuses every write that would emit an event, so no new event can take a seq the hub
already holds.  ``catch_up`` (run by the pusher before its first push, so on ``serve`` and
on ``sync``) then:

1. checks the lineage: the hub's event at this store's last seq must be the very event
   this database holds there (else it is another store's or a forked copy: refused);
2. reads the hub's copy of this store's events after the local last seq, page by page, and
   replays each page in one transaction (``agent.replay``): the same seq, event id and
   payload, already acknowledged, and the rows they describe; a kill -9 leaves a prefix and
   the next run goes on after it;
3. when nothing is left, clears the mark and records the hub's ``acked_through``, in one
   transaction.  The next event takes the seq after the hub's last; nothing is renumbered,
   nothing is sent twice (events the hub already holds are never pushed again, and a
   repeat the pusher resends from an older ack is recognised by the hub as the same event).
"""

from __future__ import annotations

import logging

from agent import backup, outbox, replay

from .errors import HubRefused

log = logging.getLogger("store_agent.sync")
PAGE = 500


def needed(store) -> bool:
    return backup.recovery_pending(store.db.db) is not None


def _check_lineage(client, local: int) -> None:
    """The newest event both hold must be the same event (same id at the same seq)."""
    answer = client.own_events(local - 1, 1)
    probe = min(local, answer["acked_through"])
    if probe <= 0:
        return
    held = answer["events"] if probe == local else client.own_events(probe - 1, 1)["events"]
    if not held or held[0]["seq"] != probe or held[0]["event_id"] != replay.event_id_at(probe):
        raise HubRefused(f"the hub holds another event at seq {probe} than this database: "
                         "this is not this store's backup, or the store forked; nothing was "
                         "replayed", 409)


def catch_up(store, client, page: int = PAGE) -> dict:
    """Replay what the hub holds beyond this database; returns counts.  Idempotent."""
    if not needed(store):
        return {"recovered": False, "applied": 0}
    local = replay.last_seq()
    if local:
        _check_lineage(client, local)
    applied = unknown = invalid = quarantined = 0
    while True:
        answer = client.own_events(local, page)
        events = answer["events"]
        if not events:
            break
        done = replay.apply_events(store, events)
        applied, unknown = applied + done["applied"], unknown + done["unknown"]
        invalid, quarantined = invalid + done["invalid"], quarantined + done["quarantined"]
        local = replay.last_seq()
        log.info("recovery: replayed the hub's events up to %s of %s", local,
                 answer["acked_through"])
    with store.db.write():
        store.db.db.execute_sql("DELETE FROM sync_state WHERE key = ?", (backup.RECOVERY_KEY,))
        outbox.mark_acked(answer["acked_through"])
    if unknown:
        log.warning("recovery: %s events of types this agent does not know were kept in the "
                    "outbox but not applied", unknown)
    if invalid:
        log.warning("recovery: %s events the event schema refuses (or whose rows could not be "
                    "written) were kept in the outbox but not applied", invalid)
    if quarantined:
        log.warning("recovery: %s events quarantined at the hub were replayed as this store "
                    "first wrote them (the hub never applied them)", quarantined)
    log.warning("recovery: the store caught up with the hub (%s events replayed, seq %s)",
                applied, replay.last_seq())
    return {"recovered": True, "applied": applied, "unknown": unknown, "invalid": invalid,
            "quarantined": quarantined,
            "last_seq": replay.last_seq()}
