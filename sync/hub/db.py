"""The hub's database: SQLite by default, PostgreSQL for many workers and many stores.

Connections come from a pool: each HTTP request checks one out and gives it back.

URLs: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
``postgresql://user:password@host:5432/dbname[?schema=NAME]`` (``schema`` puts the hub's
tables in that PostgreSQL schema, created by ``store-hub init``).

Every write is one ``transaction()``: ``BEGIN IMMEDIATE`` on SQLite (one writer, no lock
upgrades), ``READ COMMITTED`` on PostgreSQL, where the unique constraints decide what is
applied.  ``retrying()`` reruns a transaction PostgreSQL aborted as a deadlock or a
serialization failure; nothing of an aborted attempt stays behind.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlsplit

from peewee import OperationalError, PostgresqlDatabase
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                  "busy_timeout": 60000, "cache_size": -32000}
RETRY_CODES = ("40001", "40P01")  # serialization failure, deadlock detected
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# set on every connection of this release: an older hub's writes lack it (migrations step 13)
WRITER_SETTING = "store_hub.projection_marks"
POOL = {"max_connections": 64, "stale_timeout": 600, "timeout": 60}
PING_AFTER = 5.0  # seconds idle in the pool after which a connection is pinged on check-out


class HubPostgresqlDatabase(PooledPostgresqlDatabase):
    """The pool, pinging (``SELECT 1``) only a connection that sat idle in it longer than
    ``PING_AFTER``: a busy hub does not pay a round trip per request for it.  A connection
    that breaks in use is discarded by the app's error handler (``manual_close``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._idle_since: dict[int, float] = {}

    def _close(self, conn, close_conn=False):
        if close_conn:
            self._idle_since.pop(self.conn_key(conn), None)
        else:
            self._idle_since[self.conn_key(conn)] = time.monotonic()
        return super()._close(conn, close_conn)

    def _is_closed(self, conn):
        if conn.closed:
            return True
        since = self._idle_since.get(self.conn_key(conn))
        if since is not None and time.monotonic() - since < PING_AFTER and \
                self._adapter.txn_status(conn) == self._adapter.txn_idle:
            return False
        return super()._is_closed(conn)


class BadDatabaseUrl(ValueError):
    pass


def open_database(url: str):
    """A peewee database for ``url`` (not yet connected)."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not path:
            raise BadDatabaseUrl("sqlite URL needs a path: sqlite:///hub.db")
        return PooledSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False, **POOL)
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        params = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
                  "user": unquote(parts.username or "postgres")}
        if parts.password:
            params["password"] = unquote(parts.password)
        schema = (query.get("schema") or [None])[0]
        options = [f"-c {WRITER_SETTING}=on"]  # this release's writes (migrations step 13)
        if schema:
            if not _SCHEMA_RE.match(schema):
                raise BadDatabaseUrl("schema must be a lowercase SQL identifier")
            options.insert(0, f"-c search_path={schema}")
        params["options"] = " ".join(options)
        params["connect_timeout"] = int((query.get("connect_timeout") or ["10"])[0])
        db = HubPostgresqlDatabase(parts.path.lstrip("/") or "postgres", **POOL, **params)
        db.hub_schema = schema
        return db
    raise BadDatabaseUrl(f"unsupported database URL {url!r}: use sqlite:///PATH or "
                         "postgresql://USER@HOST/DB")


def is_postgres(db) -> bool:
    return isinstance(getattr(db, "obj", db), PostgresqlDatabase)


def ensure_schema(db) -> None:
    """PostgreSQL: create the URL's schema if it does not exist (``store-hub init``)."""
    schema = getattr(getattr(db, "obj", db), "hub_schema", None)
    if schema:
        db.execute_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


@contextmanager
def transaction(db):
    if is_postgres(db):
        with db.atomic():
            yield
    else:
        with db.atomic("IMMEDIATE"):
            yield


def pg_code(exc: BaseException) -> str | None:
    for e in (exc, *(exc.args[:1] if exc.args else ()), exc.__cause__, exc.__context__):
        code = getattr(e, "pgcode", None)
        if code:
            return code
    return None


def retrying(db, fn, attempts: int = 8):
    """Run ``fn()`` in a transaction, again if PostgreSQL aborted it to break a deadlock."""
    for attempt in range(attempts):
        try:
            with transaction(db):
                return fn()
        except OperationalError as e:
            if pg_code(e) not in RETRY_CODES or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
