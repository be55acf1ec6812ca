"""The schema is defined once: the migrations' result is exactly what the models describe,
down to the DDL text, column types, nullability, defaults, keys, indexes and foreign keys."""

import sqlite3

from peewee import SqliteDatabase

from agent import models
from agent.db import open_store_db

NOT_MODELLED = ("product_fts",)  # the FTS5 index, its shadow tables and triggers (step 5)


def _schema(path) -> dict:
    conn = sqlite3.connect(path)
    out = {}
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"
                        " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    for kind, name, table, sql in rows:
        if table.startswith(NOT_MODELLED) or name.startswith(NOT_MODELLED):
            continue
        out[(kind, name)] = sql
        if kind == "table":
            out[("columns", name)] = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
            out[("foreign keys", name)] = conn.execute(
                f'PRAGMA foreign_key_list("{name}")').fetchall()
            indexes = conn.execute(f'PRAGMA index_list("{name}")').fetchall()
            out[("indexes", name)] = sorted(  # (name, unique, origin, partial, columns)
                (ix[1], ix[2], ix[3], ix[4],
                 conn.execute(f'PRAGMA index_info("{ix[1]}")').fetchall()) for ix in indexes)
    conn.close()
    return out


def test_the_migrations_build_exactly_the_schema_the_models_describe(tmp_path):
    migrated = tmp_path / "migrated.db"
    open_store_db(migrated).close()
    modelled = tmp_path / "models.db"
    db = SqliteDatabase(str(modelled))
    with db.bind_ctx(models.ALL_MODELS):
        db.create_tables(models.ALL_MODELS)
    db.close()
    got, want = _schema(migrated), _schema(modelled)
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key] == want[key], key
    assert ("table", "cml_item") in want  # every table has a model
