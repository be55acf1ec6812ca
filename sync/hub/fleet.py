"""The chain at a glance: per store its last contact, lag, backlog, status and which business
days are complete (``GET /hub/v1/stores`` and the console's store list).

- ``lag_seconds``: hub receipt time minus the store's ``occurred_at`` of the newest event the
  hub holds (how late the store's news arrives);
- ``backlog``: the store's reported outbox head (``X-Store-Head-Seq``) minus
  ``acked_through``, never below zero (an estimate: the head is noted at most every few
  seconds);
- ``status``: ``dead`` when the store has not called for ``dead_after`` seconds (or never),
  ``lagging`` when its lag is over ``lag_after`` or the hub has lacked some of its events for
  longer than that, else ``ok``;
- ``days``: a business date (the shift's opening in the hub's time zone) is complete when
  every shift opened that date is closed and its close received, and the hub has since held
  everything the store had (a later event, or a contact that found no backlog) — so a
  register whose shift the hub never heard of cannot hide behind a quiet store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .sql import Sql, iso

DAYS = 7


@dataclass(frozen=True)
class Thresholds:
    timezone: str = "Europe/Moscow"
    dead_after: float = 300.0
    lag_after: float = 60.0


def check_timezone(name: str, error=ValueError) -> None:
    try:
        ZoneInfo(name)
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError on odd names
        raise error(f"--timezone {name[:60]!r} is not a time zone (e.g. Europe/Moscow)") from None


def _ts(at: str | None) -> float | None:
    if not at:
        return None
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _day_end(d: date, tz: ZoneInfo) -> float:
    return datetime.combine(d + timedelta(days=1), datetime.min.time(), tz).timestamp()


def business_date(at: str, tz: ZoneInfo) -> date | None:
    ts = _ts(at)
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).astimezone(tz).date()


def stores(db, limits: Thresholds = Thresholds(), now: float | None = None,
           store_id: str | None = None) -> list[dict]:
    """Every store (or one), stale ones first: dead, then lagging, then ok."""
    now = time.time() if now is None else now
    tz = ZoneInfo(limits.timezone)
    sql = Sql(db)
    where, params = ("WHERE s.store_id = ?", (store_id,)) if store_id else ("", ())
    rows = sql.rows(
        "SELECT s.store_id, s.acked_through, s.last_event_at, s.pull_url, s.last_seen_at, "
        "s.agent_version, s.store_seq, s.caught_up_at, e.occurred_at, e.received_at "
        "FROM hub_store s LEFT JOIN hub_event e ON e.store_id = s.store_id AND "
        f"e.seq = s.acked_through {where}", params)
    shifts = _shifts(sql, tz, now, store_id)
    out = []
    for (sid, acked, last_event, pull_url, seen, version, head, caught_up, occurred,
         received) in rows:
        acked = int(acked or 0)
        lag = None
        if occurred and received and _ts(occurred) is not None and _ts(received) is not None:
            lag = round(max(0.0, _ts(received) - _ts(occurred)), 3)
        backlog = max(0, int(head) - acked) if head is not None else None
        seen_ts, caught_ts = _ts(seen), _ts(caught_up)
        if seen_ts is None or now - seen_ts > limits.dead_after:
            status = "dead"
        elif (lag or 0) > limits.lag_after or (
                backlog and (caught_ts is None or now - caught_ts > limits.lag_after)):
            status = "lagging"
        else:
            status = "ok"
        evidence = max(t for t in (caught_ts, _ts(occurred), 0.0) if t is not None)
        days = []
        for d, closed in sorted(shifts.get(sid, {}).items(), reverse=True)[:DAYS]:
            days.append({"date": d.isoformat(), "shifts": len(closed),
                         "open": closed.count(False),
                         "complete": all(closed) and evidence >= _day_end(d, tz)})
        out.append({"store_id": sid, "status": status, "acked_through": acked,
                    "last_event_at": last_event, "last_seen_at": seen,
                    "seen_seconds_ago": None if seen_ts is None else round(now - seen_ts, 1),
                    "lag_seconds": lag, "store_seq": None if head is None else int(head),
                    "backlog": backlog, "agent_version": version, "pull_url": pull_url,
                    "days": days})
    rank = {"dead": 0, "lagging": 1, "ok": 2}
    out.sort(key=lambda s: (rank[s["status"]], s["last_seen_at"] or "", s["store_id"]))
    return out


def _shifts(sql: Sql, tz: ZoneInfo, now: float, store_id: str | None) -> dict:
    """{store_id: {business date: [closed?, ...]}} for shifts opened in the last weeks."""
    cutoff = iso(now - (DAYS + 2) * 86400)
    where, params = ("AND s.store_id = ?", (cutoff, store_id)) if store_id else ("", (cutoff,))
    found: dict = {}
    for sid, closed_seq, opened_at in sql.rows(
            "SELECT s.store_id, s.closed_seq, e.occurred_at FROM hub_shift s JOIN hub_event e "
            "ON e.store_id = s.store_id AND e.seq = s.opened_seq "
            f"WHERE e.occurred_at >= ? {where}", params):
        d = business_date(opened_at, tz)
        if d is not None:
            found.setdefault(sid, {}).setdefault(d, []).append(closed_seq is not None)
    return found
