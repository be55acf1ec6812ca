"""Upgrades keep a store's data; the schema the steps build is the one the models describe."""

import sqlite3

from peewee import SqliteDatabase

from agent import migrations, models
from agent.db import open_store_db


def test_steps_build_exactly_the_tables_and_columns_the_models_use(tmp_path):
    sdb = open_store_db(tmp_path / "s.db")
    conn = sqlite3.connect(tmp_path / "s.db")
    for model in models.ALL_MODELS:
        table = model._meta.table_name
        cols = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        assert cols, f"table {table} missing"
        assert cols == {f.column_name for f in model._meta.sorted_fields}, table
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.current_version()
    sdb.close()


def test_a_first_release_database_upgrades_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for sql in migrations.STEP_1:
        conn.execute(sql)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO cashier (login, name, role, pin_hash, failed_attempts, active, created_at)"
                 " VALUES ('old', 'Old', 'manager', 'x', 0, 1, '2025-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    sdb = open_store_db(path)
    assert models.Cashier.get(models.Cashier.login == "old").name == "Old"
    assert models.Customer.select().count() == 0  # a later step's table exists now
    assert sdb.db.execute_sql("PRAGMA user_version").fetchone()[0] == migrations.current_version()
    assert migrations.upgrade(sdb.db) == migrations.current_version()  # idempotent
    sdb.close()


def test_a_database_from_a_newer_agent_is_refused(tmp_path):
    db = SqliteDatabase(str(tmp_path / "new.db"))
    db.execute_sql("PRAGMA user_version = 999")
    try:
        migrations.upgrade(db)
    except RuntimeError as e:
        assert "newer" in str(e)
    else:
        raise AssertionError("expected a refusal")


def test_pragmas_are_set(store):
    db = store.db.db
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_step_11_rebuilds_sale_return_and_keeps_its_lines_and_refunds(tmp_path):
    """The rebuild (sale_id may be NULL) must not cascade into return_line or refund."""
    path = tmp_path / "ten.db"
    conn = sqlite3.connect(path)
    for step in migrations.STEPS[:10]:
        for sql in step:
            conn.execute(sql)
    conn.execute("PRAGMA user_version = 10")
    at = "'2025-01-01T00:00:00Z'"
    conn.executescript(f"""
        INSERT INTO cashier VALUES (1, 'm', 'M', 'manager', 'x', 0, NULL, 1, {at});
        INSERT INTO product (id, sku, name, search_name, unit, vat, price, hidden, updated_at)
            VALUES (1, 'MILK', 'Milk', 'milk', 'pcs', '10', 8990, 0, {at});
        INSERT INTO shift (id, register_id, number, cashier_id, opened_at, opening_cash,
            last_receipt_number) VALUES (1, '1', 1, 1, {at}, 0, 2);
        INSERT INTO sale (id, client_ref, shift_id, register_id, number, cashier_id, subtotal,
            total, paid, change, bonus_earned, bonus_redeemed, created_at)
            VALUES (1, 's1', 1, '1', 1, 1, 8990, 8990, 8990, 0, 0, 0, {at});
        INSERT INTO sale_line (id, sale_id, line_no, product_id, sku, name, unit, vat,
            qty_milli, price, amount, discount, bonus_earned)
            VALUES (1, 1, 1, 1, 'MILK', 'Milk', 'pcs', '10', 1000, 8990, 8990, 0, 0);
        INSERT INTO sale_return (id, client_ref, sale_id, shift_id, number, cashier_id,
            approved_by_id, total, bonus_reversed, bonus_restored, bonus_withheld, created_at)
            VALUES (1, 'r1', 1, 1, 2, 1, 1, 8990, 0, 0, 0, {at});
        INSERT INTO return_line (sale_return_id, sale_line_id, qty_milli, amount, bonus_reversed,
            bonus_restored) VALUES (1, 1, 1000, 8990, 0, 0);
        INSERT INTO refund (sale_return_id, method, amount) VALUES (1, 'cash', 8990);
    """)
    conn.commit()
    conn.close()
    sdb = open_store_db(path)
    ret = models.SaleReturn.get_by_id(1)
    assert (ret.kind, ret.sale_id, ret.total) == ("sale", 1, 8990)
    assert [rl.qty_milli for rl in ret.lines] == [1000]
    assert [(r.method, r.amount) for r in ret.refunds] == [("cash", 8990)]
    assert sdb.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert not sdb.db.execute_sql("PRAGMA foreign_key_check").fetchall()
    sdb.close()
