"""Issue 13 items 9 and 10: clear one-line messages, nothing left behind, no silent start."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from agent.errors import Conflict
from agent.models import Product
from agent.store import Store
from tests.conftest import make_store

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run(*argv, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                          env=env or ENV, timeout=timeout)


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_a_short_adjustment_reason_says_how_long_it_must_be(tmp_path):
    # store adjustments are off unless the chain allows them (issue 17): this chain does
    from pos_ui import create_app
    from tests.conftest import Api
    store = make_store(tmp_path / "s", loyalty={"store_adjustments": True})
    try:
        _short_reason(Api(create_app(store).test_client()).login("maria"))
    finally:
        store.close()


def _short_reason(manager):
    manager.post("/api/v1/customers", json={"phone": "+79161234567"})
    r = manager.post("/api/v1/customers/+79161234567/adjustments",
                     json={"amount": 500, "reason": "ok"})
    assert r.status_code == 400
    assert "at least 3 characters" in r.get_json()["error"]["message"]


def test_serve_on_a_busy_port_names_host_and_port(tmp_path):
    make_store(tmp_path / "s").close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = run("pos_ui.cli", "serve", "--data-dir", str(tmp_path / "s"), "--host", "127.0.0.1",
                "--port", str(port))
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert f"127.0.0.1:{port}" in line and "in use" in line and "unexpected" not in line


def test_a_bad_printer_url_names_the_key_and_the_problem(tmp_path):
    make_store(tmp_path / "s", devices={"printer": "escpos+tcp://"}).close()
    r = run("pos_ui.cli", "serve", "--data-dir", str(tmp_path / "s"), "--port", "0")
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert "[devices] printer" in line and "HOST" in line and "unexpected" not in line


def test_a_failed_hub_init_leaves_no_secret_behind(tmp_path):
    env = {k: v for k, v in ENV.items() if k != "STORE_HUB_SECRET"}
    db = tmp_path / "hub.db"
    r = run("sync.hub.cli", "init", "--db", f"sqlite:///{db}", "--admin-token", "short", env=env)
    assert r.returncode == 1 and "16 characters" in one_line(r.stderr)
    assert not (tmp_path / "hub.db.secret").exists()
    r = run("sync.hub.cli", "init", "--db", f"sqlite:///{db}", "--admin-token", "a" * 20, env=env)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "hub.db.secret").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_demo_removes_its_temporary_dir_on_ctrl_c_and_sigterm(tmp_path, sig):
    env = dict(ENV, TMPDIR=str(tmp_path))
    # Ctrl+C as at a terminal: a test run started as a shell's background job has SIGINT
    # ignored, which the demo would inherit (and then never see the signal)
    proc = subprocess.Popen([sys.executable, "-m", "pos_ui.cli", "demo", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stdout:
            if "Ctrl+C" in line:
                break
        else:
            pytest.fail(f"the demo never started: {proc.stderr.read()}")
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("store-agent-demo-")]
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("store-agent-demo-")]


def test_a_second_store_in_the_same_process_is_refused_not_crossed(tmp_path):
    first = make_store(tmp_path / "a")
    try:
        make_store(tmp_path / "b", store_id="S2")  # its config is written, its db refused
    except Conflict as e:
        assert e.code == "store_open" and "already open" in e.message
    else:
        pytest.fail("a second store opened beside the first")
    assert Product.select().count() == 5  # the first store still reads its own database
    first.close()
    second = Store.open(tmp_path / "b")
    assert second.store_id == "S2"
    second.close()


def test_a_sync_layer_that_does_not_import_stops_the_start(monkeypatch):
    # the composition root imports its layers (sync, devices) outright; a layer that does
    # not import means the process cannot be built, said in one line, never a silent start
    from agent.errors import StoreError
    from pos_ui import cli
    monkeypatch.setitem(sys.modules, "sync.wiring", None)  # import raises ImportError
    monkeypatch.delitem(sys.modules, "pos_ui.process", raising=False)
    with pytest.raises(StoreError, match="sync.wiring"):
        cli.store_process_class()
