"""A full disk or a read-only data directory is a clear 503, nothing half-written."""

import shutil
import subprocess
import uuid

import pytest

from agent.models import Outbox, Sale, database

SALE = {"lines": [{"sku": "MILK", "qty": 1}], "payments": [{"method": "card", "amount": 8990}]}


def _sell(api):
    return api.post("/api/v1/sales", json={**SALE, "client_ref": uuid.uuid4().hex})


def test_disk_full_is_503_storage_full_and_nothing_is_written(cashier, open_shift):
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")  # the disk is full from now on
    try:
        for _ in range(500):
            before = (Sale.select().count(), Outbox.select().count())
            r = _sell(cashier)
            if r.status_code != 201:
                break
        assert r.status_code == 503, r.get_json()
        err = r.get_json()["error"]
        assert err["code"] == "storage_full" and "disk is full" in err["message"]
        assert (Sale.select().count(), Outbox.select().count()) == before
    finally:
        database.execute_sql("PRAGMA max_page_count = 1073741823")
    assert _sell(cashier).status_code == 201  # space again: the till goes on


def _run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.fixture
def read_only_copy(tmp_path):
    """A store's data dir seen through a real read-only bind mount (root and mount needed;
    skipped otherwise)."""
    from tests.conftest import make_store
    store = make_store(tmp_path / "rw" / "store")
    store.close()
    ro = tmp_path / "ro"
    ro.mkdir()
    if not shutil.which("mount") or _run("mount", "--bind", str(tmp_path / "rw"),
                                         str(ro)).returncode != 0:
        pytest.skip("cannot bind-mount here (not root?)")
    try:
        if _run("mount", "-o", "remount,ro,bind", str(ro)).returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield ro / "store"
    finally:
        _run("umount", "-l", str(ro))


def test_a_read_only_data_dir_at_start_is_one_clear_line(read_only_copy):
    import sys
    r = _run(sys.executable, "-m", "pos_ui.cli", "serve", "--data-dir", str(read_only_copy),
             "--port", "0")
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "cannot be written" in r.stderr and "unexpected" not in r.stderr


def test_storage_turning_read_only_at_run_time_is_503_storage_read_only(cashier, open_shift):
    """SQLite's own read-only state (SQLITE_READONLY), as a remounted disk gives it: a
    filesystem cannot be remounted read-only under a process holding it open for writing."""
    assert _sell(cashier).status_code == 201
    before = (Sale.select().count(), Outbox.select().count())
    database.execute_sql("PRAGMA query_only = ON")
    try:
        r = _sell(cashier)
        assert r.status_code == 503, r.get_json()
        err = r.get_json()["error"]
        assert err["code"] == "storage_read_only" and "cannot be written" in err["message"]
        assert (Sale.select().count(), Outbox.select().count()) == before
    finally:
        database.execute_sql("PRAGMA query_only = OFF")
    assert _sell(cashier).status_code == 201
