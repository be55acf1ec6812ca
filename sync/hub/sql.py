"""Raw SQL for the hot paths, written once with ``?`` and run on SQLite or PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from .db import is_postgres

# rows per multi-row INSERT (16 columns x 1000 stays within SQLite's variable limit)
ROWS_PER_STATEMENT = 1000


def iso(ts: float | None = None) -> str:
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Sql:
    """A thin wrapper: ``run(sql, params)`` with ``?`` placeholders on either engine."""

    def __init__(self, db):
        self.db = db
        self.pg = is_postgres(db)

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.pg else sql

    def run(self, sql: str, params=()):
        return self.db.execute_sql(self._q(sql), tuple(params))

    def rows(self, sql: str, params=()) -> list[tuple]:
        return list(self.run(sql, params).fetchall())

    def one(self, sql: str, params=()):
        row = self.run(sql, params).fetchone()
        return row

    def scalar(self, sql: str, params=(), default=None):
        row = self.one(sql, params)
        return default if row is None or row[0] is None else row[0]

    def values(self, n_cols: int, n_rows: int) -> str:
        row = "(" + ",".join("?" * n_cols) + ")"
        return ",".join([row] * n_rows)

    @property
    def for_update(self) -> str:
        return " FOR UPDATE" if self.pg else ""

    def true(self):
        return True if self.pg else 1

    def false(self):
        return False if self.pg else 0

    def insert_rows(self, head: str, rows: list, tail: str = "") -> list[tuple]:
        """``head VALUES (...),(...) tail`` for many rows; returns what RETURNING gives.
        On PostgreSQL the rows are quoted per row template (psycopg2's execute_values),
        much faster than one statement with thousands of placeholders."""
        if not rows:
            return []
        returning = "RETURNING" in tail.upper()
        if self.pg:
            from peewee import __exception_wrapper__ as as_peewee_errors
            from psycopg2.extras import execute_values
            cursor = self.db.cursor()
            with as_peewee_errors:  # deadlocks etc. arrive as peewee errors, as elsewhere
                out = execute_values(cursor, f"{head} VALUES %s {tail}", rows,
                                     page_size=len(rows), fetch=returning)
            return list(out or [])
        cur = self.run(f"{head} VALUES {self.values(len(rows[0]), len(rows))} {tail}",
                       [v for row in rows for v in row])
        return list(cur.fetchall()) if returning else []

    def script(self, statements: list[tuple[str, tuple]]) -> None:
        """Run write-only statements (no results wanted) in order; on PostgreSQL in one
        round trip (each bound on the client, as psycopg2 always does, then sent together).
        A statement is ``(sql, params)`` or ``(head, rows, tail)`` for a multi-row insert."""
        statements = [st for st in statements if len(st) == 2 or st[1]]
        if not self.pg:
            for st in statements:
                if len(st) == 2:
                    self.run(*st)
                else:
                    self.insert_rows(*st)
            return
        if not statements:
            return
        from peewee import __exception_wrapper__ as as_peewee_errors
        cursor = self.db.cursor()
        parts = []
        for st in statements:
            if len(st) == 2:
                parts.append(cursor.mogrify(self._q(st[0]), tuple(st[1])).decode())
            else:
                head, rows, tail = st
                row = "(" + ",".join(["%s"] * len(rows[0])) + ")"
                values = b",".join(cursor.mogrify(row, r) for r in rows).decode()
                parts.append(f"{head} VALUES {values} {tail}")
        with as_peewee_errors:
            cursor.execute(";\n".join(parts))


def equal_to(**filters) -> tuple[list[str], list]:
    """``column = ?`` conditions and their parameters for the filters that are set (a
    listing's optional ``store_id``, ``status``...): ``(conditions, params)``."""
    conds, params = [], []
    for column, value in filters.items():
        if value:
            conds.append(f"{column} = ?")
            params.append(value)
    return conds, params
