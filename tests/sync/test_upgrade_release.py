"""Upgrades from the previous release, on databases that release made (tests/fixtures/v0.1.0,
written by make_v0_1_0.py running the 0.1.0 code): the current code opens, migrates and
serves them in place; a failed migration leaves a database as it was."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from agent import migrations, outbox
from agent.db import open_store_db
from agent.errors import Conflict
from agent.store import Store
from sync.hub import migrations as hub_migrations
from sync.reconcile import differences, store_totals
from sync.state import LiveState
from sync.wiring import build_workers

from .hubkit import HubServer
from .till import Till

STOCK_DOC_TABLES = ("hub_delivery", "hub_delivery_receipt", "hub_transfer",
                    "hub_transfer_line", "hub_stock_doc")  # the hub's schema step 5
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "v0.1.0"


def _copy(tmp_path) -> Path:
    dest = tmp_path / "v0.1.0"
    shutil.copytree(FIXTURE, dest)
    return dest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _point_at(config: Path, url: str) -> None:
    text = config.read_text(encoding="utf-8")
    start = text.index('url = "', text.index("[hub]")) + len('url = "')
    config.write_text(text[:start] + url + text[text.index('"', start):], encoding="utf-8")


def test_the_fixture_is_what_release_0_1_0_wrote():
    conn = sqlite3.connect(f"file:{FIXTURE / 'store' / 'store.db'}?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5 < migrations.current_version()
    conn.close()
    hub = sqlite3.connect(f"file:{FIXTURE / 'hub.db'}?mode=ro&immutable=1", uri=True)
    assert hub.execute("SELECT value FROM hub_setting WHERE key = 'schema_version'").fetchone() == ("1",)
    assert "agent_version" not in {r[1] for r in hub.execute("PRAGMA table_info(hub_store)")}
    hub.close()


def test_a_0_1_0_store_and_hub_upgrade_in_place_and_sell_and_sync(tmp_path):
    old = _copy(tmp_path)
    hub = HubServer(f"sqlite:///{old / 'hub.db'}", old)  # the hub upgrades on start
    try:
        assert hub_migrations.version(hub.db) == hub_migrations.current_version()
        assert hub.db.table_exists("hub_welcome") and hub.db.table_exists("hub_rejected_event")
        for table in STOCK_DOC_TABLES:  # step 5: issue 15's stock documents
            assert hub.db.table_exists(table)
        assert hub.admin("/hub/v1/deliveries?store_id=S1") == (200, {"items": [], "received": []})
        status, before = hub.admin("/hub/v1/stores/S1/summary")
        assert status == 200 and before["sales_count"] > 0
        # step 7 kept the lines of the sales and the return 0.1.0 received
        held = hub.db.execute_sql("SELECT COUNT(DISTINCT sale_id) FROM hub_sale_line").fetchone()
        assert held[0] == before["sales_count"]
        assert hub.db.execute_sql("SELECT COUNT(*) FROM hub_return_line").fetchone()[0] > 0
        _point_at(old / "store" / "config.toml", hub.url)
        store = Store.open(old / "store")  # the store upgrades on open
        try:
            assert store.db.db.execute_sql("PRAGMA user_version").fetchone()[0] == \
                migrations.current_version()
            old_sales = store_totals(store)["sales_count"]
            assert outbox.last_seq() > outbox.acked_through()  # one sale 0.1.0 never sent
            Till(store).sell()
            _, (pusher, _) = build_workers(store, LiveState())
            pusher.run_once()
            assert outbox.acked_through() == outbox.last_seq()
            assert store_totals(store)["sales_count"] == old_sales + 1
            assert differences(store, hub.url, hub.admin_token) == []
            items = hub.admin("/hub/v1/stores")[1]["items"]
            assert items[0]["store_id"] == "S1" and items[0]["agent_version"]
        finally:
            store.close()
    finally:
        hub.stop()


def test_a_failed_store_migration_leaves_the_database_byte_for_byte(tmp_path, monkeypatch):
    db = _copy(tmp_path) / "store" / "store.db"
    before = _sha(db)
    failing = ['CREATE TABLE "later" ("id" INTEGER PRIMARY KEY)', "THIS IS NOT SQL"]
    monkeypatch.setattr(migrations, "STEPS", migrations.STEPS + [failing])
    with pytest.raises(Conflict) as refused:
        open_store_db(db)
    assert refused.value.code == "upgrade_failed"
    assert f"to {len(migrations.STEPS)} failed at step {len(migrations.STEPS)}" in str(refused.value)
    from agent.models import database
    database.close()
    assert _sha(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('later', "
                        "'customer_hub_notes')").fetchone()[0] == 0
    assert "hub_notes" not in {r[1] for r in conn.execute("PRAGMA table_info(customer)")}
    conn.close()


def test_a_failed_hub_migration_leaves_the_hub_as_it_was(tmp_path):
    from sync.hub.app import bind
    old = _copy(tmp_path)
    db = bind(f"sqlite:///{old / 'hub.db'}")

    def failing(db):
        db.execute_sql("CREATE TABLE hub_later (id INTEGER PRIMARY KEY)")
        db.execute_sql("THIS IS NOT SQL")

    with pytest.raises(Exception, match="syntax"):
        hub_migrations.upgrade(db, hub_migrations.STEPS + [failing])
    assert hub_migrations.version(db) == 1
    for table in ("hub_welcome", "hub_channel", "hub_rejected_event", "hub_later",
                  *STOCK_DOC_TABLES):
        assert not db.table_exists(table)
    assert "agent_version" not in {c.name for c in db.get_columns("hub_store")}
    assert hub_migrations.upgrade(db) == 1  # and the real steps still apply afterwards
    assert hub_migrations.version(db) == hub_migrations.current_version()
    assert all(db.table_exists(table) for table in STOCK_DOC_TABLES)
    db.close_all()


@pytest.mark.postgres
def test_a_failed_hub_migration_on_postgresql_changes_nothing(pg_url):
    from sync.hub.app import bind
    from sync.hub.db import ensure_schema
    from sync.hub.models import create_schema
    from sync.hub.sql import Sql
    db = bind(pg_url)
    ensure_schema(db)
    create_schema(db)  # the first release's tables, schema version 1

    def failing(db):
        db.execute_sql("CREATE TABLE hub_later (id INTEGER PRIMARY KEY)")
        db.execute_sql("THIS IS NOT SQL")

    try:
        with pytest.raises(Exception, match="syntax"):
            hub_migrations.upgrade(db, hub_migrations.STEPS + [failing])
        assert hub_migrations.version(db) == 1
        sql = Sql(db)
        assert sql.scalar("SELECT to_regclass('hub_later')") is None
        assert sql.scalar("SELECT to_regclass('hub_welcome')") is None
        assert sql.scalar("SELECT to_regclass('hub_rejected_event')") is None
        for table in STOCK_DOC_TABLES:
            assert sql.scalar(f"SELECT to_regclass('{table}')") is None
        assert hub_migrations.upgrade(db) == 1
        assert hub_migrations.version(db) == hub_migrations.current_version()
        assert sql.scalar("SELECT to_regclass('hub_welcome')") is not None
        assert sql.scalar("SELECT to_regclass('hub_rejected_event')") is not None
        for table in STOCK_DOC_TABLES:
            assert sql.scalar(f"SELECT to_regclass('{table}')") is not None
        assert hub_migrations.upgrade(db) == hub_migrations.current_version()  # idempotent
    finally:
        db.close_all()


def test_doctor_on_a_0_1_0_store_says_it_will_upgrade_and_changes_nothing(tmp_path):
    import json
    import subprocess
    import sys
    store_dir = _copy(tmp_path) / "store"
    before = _sha(store_dir / "store.db")
    r = subprocess.run([sys.executable, "-m", "pos_ui.cli", "doctor", "--data-dir", str(store_dir),
                        "--json", "--no-devices"], capture_output=True, text=True, timeout=120)
    checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]}
    assert checks["schema"]["verdict"] == "warn" and "version 5" in checks["schema"]["detail"]
    assert checks["database"]["verdict"] == "ok"
    assert checks["hub"]["verdict"] == "fail"  # the 0.1.0 hub it pointed at is long gone
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert _sha(store_dir / "store.db") == before  # a check never upgrades
