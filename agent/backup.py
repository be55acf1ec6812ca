"""Backup and restore of one store: the database, its config and its spool, in one file.

A backup is taken while the store serves: SQLite's online backup API copies a consistent
snapshot of the live WAL database page by page, so a sale committed during the copy is
either wholly in it or wholly not.  The archive (``.tar.gz``) holds ``store.db``,
``config.toml``, the ``spool/`` folder when there is one, and ``manifest.json``: the store
id, the schema version, the outbox seq range, when it was taken, by which agent version.

A restore never destroys: the current database is kept beside it
(``store.db.before-restore-<time>``), a backup of another store is refused unless forced,
and the restored database is marked *restored*, so it sells again only after it has caught
up with the hub (``sync.recovery``): the hub may hold events this copy lacks, and a new
event must never take a seq the hub already holds.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path

from . import clock
from .errors import Conflict, Invalid
from .version import VERSION

RECOVERY_KEY = "recovery_pending"  # sync_state: set by restore, cleared by recovery
MANIFEST = "manifest.json"
DB_NAME, CONFIG_NAME, SPOOL_NAME = "store.db", "config.toml", "spool"


def snapshot(db_path: Path, dest: Path) -> None:
    """A consistent copy of a live database (readers and the writer go on meanwhile)."""
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(dest))
        try:
            src.backup(dst, pages=1024)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _facts(db_file: Path) -> dict:
    conn = sqlite3.connect(str(db_file))
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise Conflict(f"the copy of the database is damaged: {ok}", code="backup_damaged")
        first, last = conn.execute("SELECT MIN(seq), MAX(seq) FROM outbox").fetchone()
        acked = conn.execute("SELECT value FROM sync_state WHERE key = 'acked_through'"
                             ).fetchone()
        return {"schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
                "outbox_first_seq": first or 0, "outbox_last_seq": last or 0,
                "acked_through": int(acked[0]) if acked else 0,
                "sales": conn.execute("SELECT COUNT(*) FROM sale").fetchone()[0]}
    finally:
        conn.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(config, dest) -> dict:
    """Write the store's backup archive to ``dest`` (atomically); returns its manifest."""
    data_dir, dest = Path(config.data_dir), Path(dest)
    if dest.exists() and dest.is_dir():
        raise Invalid(f"{dest} is a folder: give a file name", field="file")
    if not dest.parent.is_dir():
        raise Invalid(f"{dest.parent}: no such folder", field="file")
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".backup-") as tmp:
        copy = Path(tmp) / DB_NAME
        snapshot(config.db_path, copy)
        manifest = {"format": 1, "store_id": config.store_id, "taken_at": clock.iso(),
                    "agent_version": VERSION, **_facts(copy)}
        part = Path(tmp) / "archive.tar.gz"
        with tarfile.open(part, "w:gz") as tar:
            raw = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(raw), int(time.time())
            tar.addfile(info, io.BytesIO(raw))
            tar.add(copy, DB_NAME)
            if (data_dir / CONFIG_NAME).exists():
                tar.add(data_dir / CONFIG_NAME, CONFIG_NAME)
            if (data_dir / SPOOL_NAME).is_dir():
                tar.add(data_dir / SPOOL_NAME, SPOOL_NAME)
        os.chmod(part, 0o600)  # it holds the hub token (config.toml) and customers' phones
        with open(part, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, dest)
        _fsync_dir(dest.parent)
    _remember_backup(config, dest, manifest)
    return manifest


def _remember_backup(config, dest: Path, manifest: dict) -> None:
    """The last backup, for ``doctor`` (a small file, not the database: a backup writes
    nothing into the store it copies)."""
    note = {"file": str(dest.resolve()), "taken_at": manifest["taken_at"],
            "outbox_last_seq": manifest["outbox_last_seq"]}
    (Path(config.data_dir) / "last-backup.json").write_text(json.dumps(note), encoding="utf-8")


def read_manifest(archive) -> dict:
    archive = Path(archive)
    if not archive.is_file():
        raise Invalid(f"{archive}: no such file", field="file")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = tar.getnames()
            if MANIFEST not in names or DB_NAME not in names:
                raise Invalid(f"{archive} is not a store-agent backup (no {MANIFEST} or "
                              f"{DB_NAME})", field="file")
            return json.loads(tar.extractfile(MANIFEST).read())
    except (tarfile.TarError, OSError, EOFError, ValueError) as e:
        raise Invalid(f"{archive} is not a readable backup: {e}", field="file") from None


def _current_store_id(data_dir: Path) -> str | None:
    path = data_dir / CONFIG_NAME
    if not path.exists():
        return None
    import tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("store", {}).get("id")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def restore(data_dir, archive, force: bool = False) -> dict:
    """Put the archive's database in place, keeping the current one aside; returns a
    summary.  The store must not be serving meanwhile (stop the service first)."""
    data_dir, archive = Path(data_dir), Path(archive)
    manifest = read_manifest(archive)
    current = _current_store_id(data_dir)
    if current and current != manifest.get("store_id") and not force:
        raise Conflict(f"{archive} is a backup of store {manifest.get('store_id')!r}, this data "
                       f"dir belongs to store {current!r}; use --force to restore it anyway",
                       field="file", code="other_store")
    data_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as tmp:
        tmp = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")
        _mark_restored(tmp / DB_NAME, manifest)
        db = data_dir / DB_NAME
        kept = set_aside(db, stamp)
        os.replace(tmp / DB_NAME, db)
        if not (data_dir / CONFIG_NAME).exists() and (tmp / CONFIG_NAME).exists():
            os.replace(tmp / CONFIG_NAME, data_dir / CONFIG_NAME)
        if (tmp / SPOOL_NAME).is_dir():
            if (data_dir / SPOOL_NAME).exists():
                os.replace(data_dir / SPOOL_NAME, data_dir / f"{SPOOL_NAME}.before-restore-{stamp}")
            shutil.move(str(tmp / SPOOL_NAME), data_dir / SPOOL_NAME)
        _fsync_dir(data_dir)
    return {"store_id": manifest.get("store_id"), "taken_at": manifest.get("taken_at"),
            "outbox_last_seq": manifest.get("outbox_last_seq"),
            "kept": str(kept) if kept else None}


def set_aside(db: Path, stamp: str | None = None) -> Path | None:
    """Rename the database and its journal, as one set, to ``<db>.before-restore-<time>``."""
    if not db.exists():
        return None
    stamp = stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    kept = db.with_name(f"{db.name}.before-restore-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        if Path(str(db) + suffix).exists():
            os.replace(str(db) + suffix, str(kept) + suffix)
    return kept


def _mark_restored(db_file: Path, manifest: dict) -> None:
    conn = sqlite3.connect(str(db_file))
    try:
        with conn:
            conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                         (RECOVERY_KEY, json.dumps({"restored_at": clock.iso(),
                                                    "backup_taken_at": manifest.get("taken_at"),
                                                    "backup_last_seq":
                                                        manifest.get("outbox_last_seq")})))
    finally:
        conn.close()


def mark_for_recovery(db, reason: str) -> None:
    """Mark an (empty or rebuilt) database as one that must catch up with the hub first."""
    db.execute_sql("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                   (RECOVERY_KEY, json.dumps({"restored_at": clock.iso(), "reason": reason})))


def recovery_pending(db) -> dict | None:
    row = db.execute_sql("SELECT value FROM sync_state WHERE key = ?", (RECOVERY_KEY,)).fetchone()
    return json.loads(row[0]) if row else None
