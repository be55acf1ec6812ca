"""When each store last called the hub, which agent version it runs, and how far its outbox
goes (the heartbeat).

The store sends ``X-Store-Agent-Version`` and ``X-Store-Head-Seq`` (the newest seq in its
outbox) with every signed call (push, feed pull, redemption check); ``store-hub pull`` counts
as a contact too.  The hub writes the row only when the version changed or the last note is
older than ``EVERY`` seconds, so a busy store's calls do not each cost a write.  The head
gives the backlog estimate (``store_seq - acked_through``); ``caught_up_at`` is the last
contact at which the hub held every event the store had (a business day is complete only
once the hub has been caught up after it ended).
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from .sql import iso

VERSION_HEADER = "X-Store-Agent-Version"
HEAD_HEADER = "X-Store-Head-Seq"
EVERY = 5
_VERSION_RE = re.compile(r"^[A-Za-z0-9.+_-]{1,40}$")
_HEAD_RE = re.compile(r"^[0-9]{1,18}$")


def _age(at: str | None) -> float:
    if not at:
        return float("inf")
    try:
        return time.time() - datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")


def head_seq(value: str | None) -> int | None:
    """The store's reported outbox head, or None when absent or not plain digits."""
    return int(value) if value and _HEAD_RE.match(value) else None


def seen(sql, store_id: str, version: str | None, known: str | None, seen_at: str | None,
         head: int | None = None) -> None:
    version = version if version and _VERSION_RE.match(version) else known
    if version == known and _age(seen_at) < EVERY:
        return
    now = iso()
    with sql.db.atomic():
        if head is None:
            sql.run("UPDATE hub_store SET last_seen_at = ?, agent_version = ? WHERE store_id = ?",
                    (now, version, store_id))
        else:
            sql.run("UPDATE hub_store SET last_seen_at = ?, agent_version = ?, store_seq = ?, "
                    "caught_up_at = CASE WHEN ? <= acked_through THEN ? ELSE caught_up_at END "
                    "WHERE store_id = ?", (now, version, head, head, now, store_id))


def pulled(sql, store_id: str, acked: int) -> None:
    """``store-hub pull`` drained the store: it answered, and the hub holds all it had."""
    now = iso()
    with sql.db.atomic():
        sql.run("UPDATE hub_store SET last_seen_at = ?, store_seq = ?, caught_up_at = ? "
                "WHERE store_id = ?", (now, acked, now, store_id))
