"""Opening the store database the way a till needs it.

WAL (readers never wait for the writer), ``synchronous=FULL`` (a power cut never loses a
sale the cashier saw as done), foreign keys on, a busy timeout.  Writers take the lock up
front (``BEGIN IMMEDIATE``) and, inside one process, a mutex, so two registers never
interleave a read-modify-write and the outbox ``seq`` stays gapless.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from peewee import DatabaseError, SqliteDatabase

from . import catalog_search, migrations
from .errors import Unavailable
from .models import database

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": 10000,
    # Memory stays bounded whatever the catalog's size: every thread has its own connection
    # (the server's threads, the workers), and each keeps at most this page cache (1 MB);
    # the OS page cache holds the rest of the file.  16 MB per connection took a store
    # with 1M products to 200 MB RSS.  No mmap: mapped pages would count as the process's.
    "cache_size": -1024,
    "mmap_size": 0,
    "soft_heap_limit": 24 * 1024 * 1024,  # SQLite's heap in this process: caches give way
    "temp_store": 1,  # sorts larger than the cache spill to a file, not to memory
}


class StoreDatabase:
    """The open database of one store, with the one way to write to it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = SqliteDatabase(str(self.path), pragmas=PRAGMAS, check_same_thread=False)
        # every connection (one per thread) gets the search's exact prefix check
        self.db.register_function(catalog_search.prefix_check, "search_prefix_ok", 2,
                                  deterministic=True)
        self._write_lock = threading.RLock()

    @contextmanager
    def write(self):
        """One business transaction: all of its rows and outbox events, or none.  A full
        disk or read-only storage is ``Unavailable`` with a message that says so."""
        with self._write_lock:
            if self.db.in_transaction():  # nested: part of the caller's transaction
                with self.db.atomic():
                    yield
                return
            try:
                with self.db.atomic("IMMEDIATE"):
                    yield
            except (DatabaseError, sqlite3.DatabaseError) as e:
                problem = storage_problem(e, self.path.parent)
                if problem is None:
                    raise
                raise problem from e

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


def storage_problem(e: Exception, where: Path) -> Unavailable | None:
    """A clear refusal for SQLite's storage failures (nothing was saved), or None.  The
    chain is read too: SQLite rolls a full transaction back itself, so the error seen last
    may be "cannot rollback" with the real cause in its context."""
    seen, texts = e, []
    while seen is not None and len(texts) < 5:
        texts.append(str(seen).lower())
        seen = seen.__cause__ or seen.__context__
    text = " | ".join(texts)
    if "disk is full" in text or "sqlite_full" in text:
        return Unavailable(f"the store's disk is full: nothing was saved; free space in {where}",
                           code="storage_full")
    if "readonly" in text or "read-only" in text or "disk i/o error" in text:
        return Unavailable(f"the store's data directory {where} cannot be written (read-only "
                           "or failing storage): nothing was saved", code="storage_read_only")
    return None


_arenas_bounded = False


def bound_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives every thread that allocates its own malloc arena (up to 8 per core) and
    keeps what was freed in it: a search that briefly needs a few MB on each of the
    server's threads then stays in RSS (a store's RSS after reads varied 80-130 MB).  Two
    arenas and a fixed mmap threshold keep RSS near what is really in use.
    Called before the server's threads start; a no-op where glibc's mallopt is absent."""
    global _arenas_bounded
    if _arenas_bounded:
        return
    _arenas_bounded = True
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
        # M_MMAP_THRESHOLD fixed at 128 KiB: a search's large buffers (FTS doclists) are
        # mapped and unmapped, not left in the heap (glibc's moving threshold kept them)
        libc.mallopt(-3, 128 * 1024)
    except (OSError, AttributeError):
        pass


def open_store_db(path: Path) -> StoreDatabase:
    global _open
    bound_malloc_arenas()
    if (_open is not None and not _open.db.is_closed()
            and _open.path.resolve() != Path(path).resolve()):
        from .errors import Conflict
        raise Conflict(f"the store database {_open.path} is already open in this process; "
                       f"close it before opening {Path(path)} (one store per process)",
                       code="store_open")
    sdb = StoreDatabase(path)
    _open = sdb
    database.initialize(sdb.db)
    try:
        sdb.db.connect(reuse_if_open=True)
        migrations.upgrade(sdb.db)
    except (DatabaseError, sqlite3.DatabaseError) as e:
        problem = storage_problem(e, sdb.path.parent)
        if problem is None and not os.access(sdb.path.parent, os.W_OK):
            problem = Unavailable(f"the store's data directory {sdb.path.parent} cannot be "
                                  "written (read-only storage?): the store cannot open its "
                                  "database", code="storage_read_only")
        sdb.close()  # not left behind as this process's open store
        if problem is None:
            raise
        raise problem from e
    except BaseException:
        sdb.close()
        raise
    return sdb


def close_open_store() -> None:
    """Close the store database this process has open, if any (the CLI, after a command)."""
    if _open is not None:
        _open.close()
