"""Operations: ``doctor`` verdicts and exit codes, systemd units, and the agent version in
``--version``, ``/healthz`` and the hub's store list."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
import requests

from agent import doctor
from agent.version import VERSION
from tests.agent_process import AgentProcess
from tests.conftest import make_store

from .conftest import synced_store
from .hubkit import wait_for
from .till import Till


def _run(module, *args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True,
                          text=True, timeout=120, env=env)


def _doctor(data_dir, *extra):
    r = _run("pos_ui.cli", "doctor", "--data-dir", data_dir, "--json", "--no-devices", *extra)
    assert "Traceback" not in r.stderr, r.stderr
    body = json.loads(r.stdout)
    return r.returncode, {c["name"]: c for c in body["checks"]}, body


def test_doctor_on_a_healthy_synced_store_says_ok_and_exits_0(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    Till(store).sell()
    from sync.state import LiveState
    from sync.wiring import build_workers
    build_workers(store, LiveState())[1][0].run_once()
    store.close()
    assert _run("pos_ui.cli", "backup", "--data-dir", tmp_path / "store-S1",
                tmp_path / "b.tar.gz").returncode == 0
    rc, checks, body = _doctor(tmp_path / "store-S1")
    assert body["verdict"] == "ok" and rc == 0, body
    for name in ("database", "schema", "pending events", "disk", "last backup", "hub", "clock",
                 "hub token"):
        assert checks[name]["verdict"] == "ok", checks[name]
    screen = _run("pos_ui.cli", "doctor", "--data-dir", tmp_path / "store-S1", "--no-devices")
    assert screen.returncode == 0 and "verdict: ok" in screen.stdout
    assert "OK    hub token" in screen.stdout


def test_doctor_names_what_is_wrong_with_a_verdict_per_line(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, "tok-not-registered-at-the-hub-000")
    Till(store).sell()
    with store.db.write():  # an event waiting for two days
        store.db.db.execute_sql("UPDATE outbox SET occurred_at = '2020-01-01T00:00:00.000000Z'")
    store.close()
    rc, checks, body = _doctor(tmp_path / "store-S1")
    assert rc == 2 and body["verdict"] == "fail"
    assert checks["hub token"]["verdict"] == "fail" and "401" in checks["hub token"]["detail"]
    assert checks["pending events"]["verdict"] == "fail"
    assert checks["last backup"]["verdict"] == "warn"
    assert checks["database"]["verdict"] == "ok"

    # a hub nobody answers at
    cfg = (tmp_path / "store-S1" / "config.toml")
    port = hub.port
    hub.stop()
    rc, checks, _ = _doctor(tmp_path / "store-S1")
    assert rc == 2 and checks["hub"]["verdict"] == "fail" and str(port) in checks["hub"]["detail"]
    assert cfg.exists()


def test_doctor_finds_a_damaged_database(tmp_path):
    make_store(tmp_path / "s").close()
    db = tmp_path / "s" / "store.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'stock_move'").fetchone()[0]
    conn.close()
    with open(db, "r+b") as fh:  # scribble over one table's root page
        fh.seek((root - 1) * page)
        fh.write(b"\xff" * page)
    rc, checks, _ = _doctor(tmp_path / "s", "--offline")
    assert rc == 2 and checks["database"]["verdict"] == "fail", checks


def test_doctor_checks_are_plain_functions_over_the_data_dir(tmp_path):
    store = make_store(tmp_path / "s")
    Till(store).sell()
    from agent import outbox
    pending = outbox.last_seq()
    store.close()
    checks = {c.name: c for c in doctor.local_checks(store.config)}
    assert checks["pending events"].verdict == "ok"  # just made: not old yet
    assert f"{pending} not at the hub" in checks["pending events"].detail
    assert doctor.verdict(list(checks.values())) == "warn"  # never backed up
    assert doctor.EXIT[doctor.verdict([doctor.Check("x", "ok", "")])] == 0


def test_version_in_the_cli_healthz_and_the_hubs_store_list(hub, tmp_path):
    r = _run("pos_ui.cli", "--version")
    assert r.returncode == 0 and r.stdout.strip() == f"store-agent {VERSION}"
    assert _run("sync.hub.cli", "--version").stdout.strip() == f"store-hub {VERSION}"
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    hub.add_store("S2")
    store.close()
    agent = AgentProcess(tmp_path / "store-S1").start()
    try:
        assert requests.get(agent.url + "/healthz", timeout=10).json()["version"] == VERSION
        api = agent.session("anna")
        api.post("/api/v1/shifts/open", {"opening_cash": 0})
        api.sell([{"sku": "MILK", "qty": 1}], [{"method": "cash", "amount": 100000}])

        def row():
            items = {i["store_id"]: i for i in hub.admin("/hub/v1/stores")[1]["items"]}
            return items if items["S1"]["acked_through"] >= 2 else None
        items = wait_for(row, what="the sale at the hub")
    finally:
        agent.stop()
    s1, s2 = items["S1"], items["S2"]
    assert s1["agent_version"] == VERSION and s1["last_seen_at"] and s1["last_event_at"]
    assert s2["agent_version"] is None and s2["last_seen_at"] is None
    assert requests.get(hub.url + "/healthz", timeout=10).json()["version"] == VERSION


def _verify(unit_path):
    """systemd's own checker; None when this machine has none."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return None
    return subprocess.run([tool, "verify", "--man=no", str(unit_path)], capture_output=True,
                          text=True, timeout=60)


def _parse(text: str) -> dict:
    sections, current = {}, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


@pytest.mark.parametrize("module,extra,name", [
    ("pos_ui.cli", [], "store-agent"),
    ("sync.hub.cli", ["--db", "postgresql://hub@127.0.0.1/hub"], "store-hub")])
def test_install_service_writes_a_unit_systemd_accepts(module, extra, name, tmp_path):
    exe = tmp_path / name
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    printed = _run(module, "install-service", "--print", "--executable", exe, *extra)
    assert printed.returncode == 0, printed.stderr
    unit = _parse(printed.stdout)
    service = unit["Service"]
    assert service["User"] == [name] and service["Restart"] == ["on-failure"]
    assert service["StateDirectory"] == [name] and service["StandardOutput"] == ["journal"]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    assert service["ExecStart"][0].startswith(f"{exe} serve")
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    if name == "store-agent":
        assert "--data-dir /var/lib/store-agent" in service["ExecStart"][0]

    there = os.path.exists(f"/etc/systemd/system/{name}.service")
    dry = _run(module, "install-service", "--dry-run", "--executable", exe, *extra)
    assert dry.returncode == 0 and f"would write /etc/systemd/system/{name}.service" in dry.stdout
    assert os.path.exists(f"/etc/systemd/system/{name}.service") == there  # wrote nothing

    units = tmp_path / "units"
    units.mkdir()
    wrote = _run(module, "install-service", "--unit-dir", units, "--executable", exe, *extra)
    assert wrote.returncode == 0, wrote.stderr
    assert (units / f"{name}.service").read_text() == printed.stdout
    checked = _verify(units / f"{name}.service")
    if checked is None:
        pytest.skip("systemd-analyze is not installed here: the unit was checked by parsing only")
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr


def test_install_service_refusals_are_one_line(tmp_path):
    r = _run("pos_ui.cli", "install-service", "--unit-dir", tmp_path / "nope")
    assert r.returncode == 1 and "no such folder" in r.stderr and "Traceback" not in r.stderr
    r = _run("sync.hub.cli", "install-service", "--print", env={**os.environ, "STORE_HUB_DB": ""})
    assert r.returncode != 0 and "--db is required" in r.stderr


def test_hub_contact_is_written_once_per_interval(hub, tmp_path):
    from sync.hub import contact
    from sync.hub.sql import Sql
    hub.add_store("S9")
    sql = Sql(hub.db)
    contact.seen(sql, "S9", "1.2.3", None, None)
    first = sql.one("SELECT agent_version, last_seen_at FROM hub_store WHERE store_id = 'S9'")
    assert first[0] == "1.2.3"
    contact.seen(sql, "S9", "1.2.3", first[0], first[1])  # same version, just seen: no write
    assert sql.one("SELECT last_seen_at FROM hub_store WHERE store_id = 'S9'")[0] == first[1]
    time.sleep(0.001)
    contact.seen(sql, "S9", "bad version!", first[0], first[1])  # junk is ignored
    assert sql.one("SELECT agent_version FROM hub_store WHERE store_id = 'S9'")[0] == "1.2.3"
