"""Plain SQL for the few queries on the cashier's hot path (scan, quote, commit).

peewee builds each query's SQL anew on every call, which costs more than SQLite takes to
run it; the statements here are fixed strings that sqlite3 caches as prepared statements.
"""

from __future__ import annotations

from .models import database


def rows(sql: str, params=()) -> list[dict]:
    cur = database.execute_sql(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def one(sql: str, params=()) -> dict | None:
    cur = database.execute_sql(sql, params)
    r = cur.fetchone()
    if r is None:
        return None
    return dict(zip([c[0] for c in cur.description], r, strict=True))


def scalar(sql: str, params=()):
    r = database.execute_sql(sql, params).fetchone()
    return r[0] if r else None


def insert(sql: str, params=()) -> int:
    return database.execute_sql(sql, params).lastrowid
