"""``store-agent cashier list|deactivate|activate|set-pin|unlock``: the lifecycle from the
command line, one-line errors with a non-zero exit, and a PIN prompt that never echoes."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import time

import pytest

from agent.models import Audit, Cashier
from tests.conftest import make_store


def _cli(*args, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pos_ui.cli", "cashier", *map(str, args)],
                          capture_output=True, text=True, timeout=120, input=stdin)


@pytest.fixture
def data_dir(tmp_path):
    store = make_store(tmp_path / "s")
    with store.db.write():  # lock anna out, as too many wrong PINs would
        Cashier.update(locked_until="2999-01-01T00:00:00Z").where(
            Cashier.login == "anna").execute()
    store.close()
    return tmp_path / "s"


def _row(login):
    return Cashier.get(Cashier.login == login)


def test_list_shows_role_state_and_lockout(data_dir):
    r = _cli("list", "--data-dir", data_dir)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["LOGIN", "ROLE", "STATE", "NAME"]
    anna = next(ln for ln in lines if ln.startswith("anna"))
    assert "cashier" in anna and "locked until 2999-01-01" in anna and "Анна" in anna
    assert "active" in next(ln for ln in lines if ln.startswith("maria"))


def test_deactivate_unlock_set_pin_and_activate(data_dir):
    assert _cli("unlock", "--data-dir", data_dir, "anna").returncode == 0
    assert _cli("deactivate", "--data-dir", data_dir, "anna").stdout.strip() == \
        "cashier anna: deactivated"
    r = _cli("set-pin", "--data-dir", data_dir, "anna", stdin="4321\n")  # a script's stdin
    assert r.returncode == 0 and "4321" not in r.stdout + r.stderr
    assert "inactive" in next(ln for ln in _cli("list", "--data-dir", data_dir).stdout
                              .splitlines() if ln.startswith("anna"))
    assert _cli("activate", "--data-dir", data_dir, "anna").returncode == 0
    from agent import cashiers
    from agent.store import Store
    store = Store.open(data_dir)
    try:
        anna = _row("anna")
        assert anna.active and anna.locked_until is None
        assert cashiers.authenticate(store, "anna", "4321").login == "anna"
        actions = [a.action for a in Audit.select().order_by(Audit.id)]
        assert actions[-4:] == ["cashier.unlocked", "cashier.deactivated", "cashier.pin_set",
                                "cashier.activated"]
    finally:
        store.close()


@pytest.mark.parametrize("args, message", [
    (("unlock", "nobody"), "no cashier 'nobody'"),
    (("set-pin", "anna", "--pin", "12"), "pin must be 4 to 8 digits"),
    (("set-pin", "anna", "--pin", "12345678901"), "pin must be 4 to 8 digits"),
])
def test_bad_input_is_one_line_and_changes_nothing(data_dir, args, message):
    from agent.store import Store
    store = Store.open(data_dir)
    before = _row("anna").pin_hash
    store.close()
    r = _cli(args[0], "--data-dir", data_dir, *args[1:])
    assert r.returncode == 1 and r.stderr.strip() == f"store-agent: {message}"
    assert "Traceback" not in r.stderr
    store = Store.open(data_dir)
    assert _row("anna").pin_hash == before
    store.close()


def _read_until(fd, marker: bytes, deadline: float) -> bytes:
    got = b""
    while marker not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got


def test_set_pin_on_a_terminal_asks_twice_and_never_echoes(data_dir):
    main, child = os.openpty()

    def own_terminal():  # the pty becomes the child's controlling terminal, as a shell's is
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "pos_ui.cli", "cashier", "set-pin",
                             "--data-dir", str(data_dir), "boris"],
                            stdin=child, stdout=child, stderr=child, preexec_fn=own_terminal)
    os.close(child)
    deadline = time.monotonic() + 60
    seen = _read_until(main, b"PIN (4-8 digits): ", deadline)
    os.write(main, b"8642\n")
    seen += _read_until(main, b"again: ", deadline)
    os.write(main, b"8642\n")
    seen += _read_until(main, b"new PIN set", deadline)
    assert proc.wait(timeout=60) == 0, seen
    os.close(main)
    assert b"new PIN set" in seen and b"8642" not in seen
