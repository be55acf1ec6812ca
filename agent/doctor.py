"""``store-agent doctor``: what a support engineer on the phone needs, one line per check.

Each check answers a ``Check(name, verdict, detail, hint)``; the verdict is ``ok``, ``warn``
or ``fail`` and the exit code is the worst of them (0 ok, 1 warn, 2 fail).  The checks here
read only the data dir (database integrity, schema, disk, pending events and their age,
last backup, a restore still catching up, a sync blocked by a poison event, fiscal
documents); the hub and the devices are
checked by the layers allowed to reach them (``sync.diagnostics``, ``pos_ui.operations``).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import migrations

OK, WARN, FAIL = "ok", "warn", "fail"
EXIT = {OK: 0, WARN: 1, FAIL: 2}
DISK_WARN, DISK_FAIL = 2 * 1024**3, 200 * 1024**2
PENDING_WARN, PENDING_FAIL = 3600, 24 * 3600  # the oldest event not at the hub, seconds
BACKUP_WARN = 7 * 24 * 3600


@dataclass
class Check:
    name: str
    verdict: str
    detail: str
    hint: str = ""


def _age(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    try:
        return (now - datetime.fromisoformat(iso.replace("Z", "+00:00"))).total_seconds()
    except ValueError:
        return None


def _span(seconds: float) -> str:
    seconds = int(max(0, seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def disk(data_dir: Path) -> Check:
    free = shutil.disk_usage(data_dir).free
    gb = f"{free / 1024**3:.1f} GB free"
    if free < DISK_FAIL:
        return Check("disk", FAIL, gb, "free space now: a full disk stops sales")
    if free < DISK_WARN:
        return Check("disk", WARN, gb, "free some space (old backups, logs)")
    return Check("disk", OK, gb)


def database_checks(db_path: Path, now: datetime | None = None) -> list[Check]:
    now = now or datetime.now(timezone.utc)
    if not db_path.exists():
        return [Check("database", FAIL, f"{db_path} is missing",
                      "restore the last backup, or `store-agent restore --from-hub`")]
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as e:
        return [Check("database", FAIL, f"cannot open: {e}", "restore the last backup")]
    try:
        return _db_checks(conn, now)
    except sqlite3.DatabaseError as e:
        return [Check("database", FAIL, f"unreadable: {e}", "restore the last backup")]
    finally:
        conn.close()


def _db_checks(conn, now: datetime) -> list[Check]:
    out = []
    result = conn.execute("PRAGMA quick_check").fetchall()
    if [r[0] for r in result] == ["ok"]:
        out.append(Check("database", OK, "integrity ok"))
    else:
        out.append(Check("database", FAIL, f"damaged: {result[0][0]}",
                         "stop the service, restore the last backup (store-agent restore)"))
    version, known = conn.execute("PRAGMA user_version").fetchone()[0], migrations.current_version()
    if version > known:
        out.append(Check("schema", FAIL, f"version {version}, newer than this agent ({known})",
                         "install the newer agent again"))
    elif version < known:
        out.append(Check("schema", WARN, f"version {version}, the agent upgrades it to {known} "
                         "on start", "start the service once"))
    else:
        out.append(Check("schema", OK, f"version {version}"))
    state = dict(conn.execute("SELECT key, value FROM sync_state").fetchall())
    acked = int(state.get("acked_through", 0))
    pending, oldest = conn.execute("SELECT COUNT(*), MIN(occurred_at) FROM outbox WHERE seq > ?",
                                   (acked,)).fetchone()
    age = _age(oldest, now)
    if not pending:
        out.append(Check("pending events", OK, f"none (the hub holds up to {acked})"))
    else:
        detail = f"{pending} not at the hub, the oldest {_span(age or 0)} old"
        verdict = FAIL if (age or 0) > PENDING_FAIL else WARN if (age or 0) > PENDING_WARN else OK
        out.append(Check("pending events", verdict, detail,
                         "" if verdict == OK else "check the hub check below; the store keeps "
                         "selling and sends them when the hub answers"))
    if state.get("blocked_seq"):
        out.append(Check("sync", FAIL, f"sync blocked at seq {state['blocked_seq']}: "
                         f"{state.get('blocked_reason') or 'refused by the hub'}",
                         "the hub refused that event for good; the store keeps selling but "
                         "sends nothing after it: the hub's operator lists it (`store-hub "
                         "rejected list`) and quarantines it (`store-hub rejected quarantine "
                         "ID`), then sync goes on by itself"))
    if "recovery_pending" in state:
        out.append(Check("restore", WARN, "restored from a backup, not yet caught up with the hub: "
                         "sales are refused until then",
                         "make sure the hub answers, then `store-agent sync --once`"))
    counts: dict[str, int] = {}
    for table in ("sale", "sale_return"):
        for status, n in conn.execute(f"SELECT fiscal_status, COUNT(*) FROM {table} WHERE "
                                      "fiscal_status IN ('pending', 'failed') "
                                      "GROUP BY fiscal_status"):
            counts[status] = counts.get(status, 0) + n
    parts = [f"{n} {s}" for s, n in sorted(counts.items())]
    shift_columns = {r[1] for r in conn.execute("PRAGMA table_info(shift)")}
    if "fiscal_z_status" in shift_columns:  # schema step 7: the register's Z per shift
        z = dict(conn.execute("SELECT fiscal_z_status, COUNT(*) FROM shift WHERE fiscal_z_status"
                              " IN ('pending', 'failed') GROUP BY fiscal_z_status").fetchall())
        parts += [f"{n} Z report{'s' if n > 1 else ''} {s}" for s, n in sorted(z.items())]
        if z.get("failed"):
            counts["failed"] = counts.get("failed", 0) + z["failed"]
    if parts:
        out.append(Check("fiscal documents", FAIL if counts.get("failed") else WARN,
                         ", ".join(parts),
                         "check the register, then retry from the cashier screen"))
    return out


def last_seq(db_path: Path) -> int:
    """The outbox's last seq, read-only (0 when the database cannot be read)."""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT MAX(seq) FROM outbox").fetchone()[0] or 0
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def last_backup(data_dir: Path, now: datetime | None = None) -> Check:
    now = now or datetime.now(timezone.utc)
    note = data_dir / "last-backup.json"
    if not note.exists():
        return Check("last backup", WARN, "never", "schedule `store-agent backup` (README)")
    try:
        info = json.loads(note.read_text(encoding="utf-8"))
    except ValueError:
        return Check("last backup", WARN, "unknown (last-backup.json unreadable)")
    age = _age(info.get("taken_at"), now)
    where = info.get("file", "?")
    if not Path(where).exists():
        return Check("last backup", WARN, f"{where} is gone", "take a new backup")
    if age is None or age > BACKUP_WARN:
        return Check("last backup", WARN, f"{_span(age or 0)} ago ({where})", "take a new backup")
    return Check("last backup", OK, f"{_span(age)} ago ({where})")


def local_checks(config) -> list[Check]:
    data_dir = Path(config.data_dir)
    return [*database_checks(config.db_path), disk(data_dir), last_backup(data_dir)]


def verdict(checks: list[Check]) -> str:
    return max((c.verdict for c in checks), key=EXIT.get, default=OK)


def render(checks: list[Check], store_id: str) -> str:
    width = max((len(c.name) for c in checks), default=10)
    lines = [f"store {store_id}"]
    for c in checks:
        lines.append(f"  {c.verdict.upper():<4}  {c.name:<{width}}  {c.detail}")
        if c.hint and c.verdict != OK:
            lines.append(f"        {'':<{width}}  -> {c.hint}")
    lines.append(f"verdict: {verdict(checks)}")
    return "\n".join(lines)


def as_json(checks: list[Check], store_id: str) -> str:
    return json.dumps({"store_id": store_id, "verdict": verdict(checks),
                       "checks": [asdict(c) for c in checks]}, ensure_ascii=False, indent=2)
