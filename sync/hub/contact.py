"""When each store last called the hub and which agent version it runs.

The store sends ``X-Store-Agent-Version`` with every signed call; the hub writes the row
only when the version changed or the last note is older than ``EVERY`` seconds, so a busy
store's pushes do not each cost a write.
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from .sql import iso

VERSION_HEADER = "X-Store-Agent-Version"
EVERY = 30
_VERSION_RE = re.compile(r"^[A-Za-z0-9.+_-]{1,40}$")


def _age(at: str | None) -> float:
    if not at:
        return float("inf")
    try:
        return time.time() - datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")


def seen(sql, store_id: str, version: str | None, known: str | None, seen_at: str | None) -> None:
    version = version if version and _VERSION_RE.match(version) else known
    if version == known and _age(seen_at) < EVERY:
        return
    with sql.db.atomic():
        sql.run("UPDATE hub_store SET last_seen_at = ?, agent_version = ? WHERE store_id = ?",
                (iso(), version, store_id))
