"""Opening the store database the way a till needs it.

WAL (readers never wait for the writer), ``synchronous=FULL`` (a power cut never loses a
sale the cashier saw as done), foreign keys on, a busy timeout.  Writers take the lock up
front (``BEGIN IMMEDIATE``) and, inside one process, a mutex, so two registers never
interleave a read-modify-write and the outbox ``seq`` stays gapless.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from peewee import SqliteDatabase

from . import migrations
from .models import database

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -16000,
    "temp_store": 2,
}


class StoreDatabase:
    """The open database of one store, with the one way to write to it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = SqliteDatabase(str(self.path), pragmas=PRAGMAS, check_same_thread=False)
        self._write_lock = threading.RLock()

    @contextmanager
    def write(self):
        """One business transaction: all of its rows and outbox events, or none."""
        with self._write_lock:
            if self.db.in_transaction():  # nested: part of the caller's transaction
                with self.db.atomic():
                    yield
                return
            with self.db.atomic("IMMEDIATE"):
                yield

    def close(self):
        global _open
        if not self.db.is_closed():
            self.db.close()
        if _open is self:
            _open = None


#: The models read through one process-wide proxy, so one store database is open per
#: process; opening a second while the first is open would silently send the first
#: store's queries to the second, so it is refused (the same file again is harmless).
_open: StoreDatabase | None = None


def open_store_db(path: Path) -> StoreDatabase:
    global _open
    if (_open is not None and not _open.db.is_closed()
            and _open.path.resolve() != Path(path).resolve()):
        from .errors import Conflict
        raise Conflict(f"the store database {_open.path} is already open in this process; "
                       f"close it before opening {Path(path)} (one store per process)",
                       code="store_open")
    sdb = StoreDatabase(path)
    _open = sdb
    database.initialize(sdb.db)
    sdb.db.connect(reuse_if_open=True)
    migrations.upgrade(sdb.db)
    return sdb


def close_open_store() -> None:
    """Close the store database this process has open, if any (the CLI, after a command)."""
    if _open is not None:
        _open.close()
