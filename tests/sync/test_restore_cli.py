"""``store-agent backup`` / ``restore`` as a user runs them: a consistent copy while the store
sells, a store rebuilt from the hub after its disk died, and clear refusals that change
nothing."""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import uuid

import pytest

from agent import outbox
from agent.models import Product
from agent.store import Store
from sync.reconcile import differences, store_totals
from sync.state import LiveState
from sync.wiring import build_workers
from tests.agent_process import AgentProcess
from tests.conftest import CATALOG, PINS, make_store

from .conftest import synced_store
from .till import Till


def _cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pos_ui.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_backup_taken_while_selling_holds_only_whole_sales(tmp_path):
    make_store(tmp_path / "s").close()
    agent = AgentProcess(tmp_path / "s").start()
    stop, answered = threading.Event(), []
    try:
        api = agent.session("anna")
        api.post("/api/v1/shifts/open", {"opening_cash": 0})

        def sell():
            while not stop.is_set():
                answered.append(api.sell([{"sku": "MILK", "qty": 1}, {"sku": "BREAD", "qty": 2}],
                                         [{"method": "cash", "amount": 100000}])["sale_id"])

        seller = threading.Thread(target=sell)
        seller.start()
        archives = []
        for i in range(3):  # copies taken while sales go on
            while len(answered) < 10 * (i + 1):
                stop.wait(0.01)
            archives.append(tmp_path / f"b{i}.tar.gz")
            done = _cli("backup", "--data-dir", tmp_path / "s", archives[-1])
            assert done.returncode == 0, done.stderr
    finally:
        stop.set()
        seller.join(60)
        agent.stop()
    for archive in archives:
        assert archive.stat().st_mode & 0o077 == 0  # the hub token is in it: the owner's only
        out = tmp_path / ("x" + archive.name)
        with tarfile.open(archive) as tar:
            tar.extractall(out, filter="data")
            assert {"manifest.json", "store.db", "config.toml"} <= set(tar.getnames())
        conn = sqlite3.connect(out / "store.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sales = conn.execute("SELECT COUNT(*) FROM sale").fetchone()[0]
        assert sales >= 10
        for table, per_sale in (("sale_line", 2), ("payment", 1), ("stock_move", 2)):
            assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE sale_id IS NOT NULL"
                                ).fetchone()[0] == per_sale * sales
        assert conn.execute("SELECT COUNT(*) FROM outbox WHERE type = 'sale.completed'"
                            ).fetchone()[0] == sales
        conn.close()


def test_restore_refusals_are_one_line_and_change_nothing(tmp_path):
    make_store(tmp_path / "s").close()
    before = _sha(tmp_path / "s" / "store.db")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a backup")
    for args, words in (((junk,), "not a readable backup"),
                        ((tmp_path / "none.tar.gz",), "no such file"),
                        ((), "give the backup FILE")):
        r = _cli("restore", "--data-dir", tmp_path / "s", *args)
        assert r.returncode != 0 and words in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = _cli("backup", "--data-dir", tmp_path / "s", tmp_path / "no-such-dir" / "b.tar.gz")
    assert r.returncode != 0 and "no such folder" in r.stderr
    r = _cli("restore", "--data-dir", tmp_path / "s", "--from-hub")
    assert r.returncode != 0 and "no hub is configured" in r.stderr
    assert _sha(tmp_path / "s" / "store.db") == before
    assert sorted(p.name for p in (tmp_path / "s").iterdir() if "before-restore" in p.name) == []


def test_restore_refuses_while_the_store_is_serving(tmp_path):
    from tests.conftest import free_port
    port = free_port()
    make_store(tmp_path / "s", server={"port": port}).close()
    archive = tmp_path / "b.tar.gz"
    assert _cli("backup", "--data-dir", tmp_path / "s", archive).returncode == 0
    agent = AgentProcess(tmp_path / "s", port=port).start()
    try:
        before = _sha(tmp_path / "s" / "store.db")
        for extra in ((archive,), ("--from-hub", "--force")):
            r = _cli("restore", "--data-dir", tmp_path / "s", *extra)
            assert r.returncode == 1 and "is serving" in r.stderr, r.stderr
        assert _sha(tmp_path / "s" / "store.db") == before
        assert not [p for p in (tmp_path / "s").iterdir() if "before-restore" in p.name]
    finally:
        agent.stop()


def test_a_store_whose_disk_died_is_rebuilt_from_the_hub(hub, tmp_path):
    tok = hub.add_store("S1")
    store = synced_store(tmp_path, hub.url, tok)
    till = Till(store)
    till.business(40, random.Random(7))
    _, (pusher, _) = build_workers(store, LiveState())
    pusher.run_once()
    assert outbox.acked_through() == outbox.last_seq()
    before, last = store_totals(store), outbox.last_seq()
    data_dir = store.config.data_dir
    store.close()
    shutil.rmtree(data_dir)  # the disk died

    r = _cli("restore", "--data-dir", data_dir, "--from-hub", "--store-id", "S1",
             "--hub-url", hub.url, "--hub-token", tok)
    assert r.returncode == 0, r.stderr
    assert f"{last} events replayed" in r.stdout
    again = _cli("restore", "--data-dir", data_dir, "--from-hub")  # it holds events now
    assert again.returncode == 1 and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    store = Store.open(data_dir)
    try:
        assert store_totals(store) == before
        assert outbox.last_seq() == last and outbox.acked_through() == last
        assert differences(store, hub.url, hub.admin_token) == []
        # the catalog comes back with the next import (or the hub's catalog feed): until
        # then the products are made from the events' lines
        assert Product.get(Product.sku == "MILK").name == "MILK"
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(CATALOG, encoding="utf-8")
        r = _cli("import-catalog", "--data-dir", data_dir, catalog)
        assert r.returncode == 0, r.stderr
        assert Product.get(Product.sku == "MILK").name != "MILK"
        assert store_totals(store) == before  # names and units, no stock, came back
        # the cashiers come back without PINs; adding one again gives the PIN back
        r = _cli("cashier", "add", "--data-dir", data_dir, "maria", "--name", "Мария",
                 "--role", "manager", "--pin", PINS["maria"])
        assert r.returncode == 0, r.stderr
        sale = Till(store).sell()
        pusher = build_workers(store, LiveState())[1][0]
        pusher.run_once()
        assert differences(store, hub.url, hub.admin_token) == []
        assert sale["cashier"] == "maria" and outbox.last_seq() == last + 1
    finally:
        store.close()


def test_a_restore_without_a_hub_sells_on_at_once(tmp_path):
    store = make_store(tmp_path / "s")
    Till(store).sell()
    archive = tmp_path / f"{uuid.uuid4().hex}.tar.gz"
    assert _cli("backup", "--data-dir", tmp_path / "s", archive).returncode == 0
    Till(store).sell()
    store.close()
    r = _cli("restore", "--data-dir", tmp_path / "s", archive)
    assert r.returncode == 0 and "nothing to catch up" in r.stdout, r.stdout + r.stderr
    store = Store.open(tmp_path / "s")
    try:
        assert store_totals(store)["sales_count"] == 1
        Till(store).sell()
        assert store_totals(store)["sales_count"] == 2
    finally:
        store.close()


def test_a_backup_restored_on_a_new_machine_brings_its_config_and_spool_and_catches_up(
        hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    data_dir = store.config.data_dir
    (data_dir / "spool").mkdir()
    (data_dir / "spool" / "job-1.bin").write_bytes(b"\x1b@receipt")
    till = Till(store)
    till.business(10, random.Random(11))
    archive = tmp_path / "S1.tar.gz"
    assert _cli("backup", "--data-dir", data_dir, archive).returncode == 0
    till.business(30, random.Random(12))
    build_workers(store, LiveState())[1][0].run_once()
    before = store_totals(store)
    store.close()

    new_dir = tmp_path / "new-machine"
    r = _cli("restore", "--data-dir", new_dir, archive)
    assert r.returncode == 0, r.stderr
    assert "caught up with the hub" in r.stdout and "kept" not in r.stdout
    assert (new_dir / "config.toml").read_text() == (data_dir / "config.toml").read_text()
    assert (new_dir / "spool" / "job-1.bin").read_bytes() == b"\x1b@receipt"
    store = Store.open(new_dir)
    try:
        assert store_totals(store) == before
        assert differences(store, hub.url, hub.admin_token) == []
    finally:
        store.close()
