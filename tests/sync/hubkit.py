"""Test kit for sync: an in-process hub on a loopback port, a hub in its own process,
PostgreSQL schemas of our own, signed raw requests, and the store's till."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from sync import signing
from sync.hub.serving import BackgroundServer

PG_BASE = os.environ.get("STORE_HUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN = "admin-" + "a" * 20


def pg_available() -> str | None:
    """None when PostgreSQL is reachable, else why not."""
    try:
        import psycopg2
        psycopg2.connect(PG_BASE, connect_timeout=3).close()
        return None
    except Exception as e:  # noqa: BLE001 - any failure means: skip with the reason
        why = " ".join(str(e).split())
        return f"PostgreSQL at {PG_BASE} is not reachable ({type(e).__name__}: {why})"


def pg_schema_url() -> tuple[str, str]:
    schema = "t_" + uuid.uuid4().hex[:16]
    return f"{PG_BASE}?schema={schema}", schema


def pg_drop(schema: str) -> None:
    import psycopg2
    conn = psycopg2.connect(PG_BASE, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()


def hub_db_url(engine: str, tmp: Path, name: str = "hub.db") -> tuple[str, str | None]:
    """(database URL, PostgreSQL schema or None) for a hub on ``engine``; skips with the
    reason when PostgreSQL is not reachable."""
    if engine == "postgres":
        why = pg_available()
        if why:
            import pytest
            pytest.skip(why)
        return pg_schema_url()
    return f"sqlite:///{tmp / name}", None


def token() -> str:
    return "tok-" + secrets.token_hex(16)


class HubServer:
    """The real hub app on waitress in this process (one hub database per process)."""

    def __init__(self, db_url: str, tmp: Path, max_body: int | None = None, threads: int = 8,
                 notify: str | None = None, **config):
        from sync.hub.app import HubConfig, bind, create_app
        from sync.hub.registry import init_hub
        from sync.hub.vault import load_secret
        self.db_url, self.admin_token = db_url, ADMIN
        self.secret = load_secret(db_url, str(tmp / "hub.secret"), create=True)
        self.db = bind(db_url)
        init_hub(self.db, ADMIN, self.secret)
        cfg = HubConfig(db_url=db_url, secret=self.secret, notify=notify, **config)
        if max_body:
            cfg.max_body = max_body
        self.app = create_app(cfg)
        self.server = BackgroundServer(self.app, threads=threads).start()
        self.port, self.url = self.server.port, self.server.url

    def add_store(self, store_id: str, tok: str | None = None, pull_url=None) -> str:
        from sync.hub.registry import add_store
        tok = tok or token()
        add_store(self.db, store_id, tok, self.secret, pull_url=pull_url)
        return tok

    def add_channel(self, channel_id: str, tok: str | None = None) -> str:
        from sync.hub.channels import add_channel
        tok = tok or token()
        add_channel(self.db, channel_id, tok)
        return tok

    def set_loyalty_rules(self, **rules) -> None:
        from sync.hub.db import retrying
        from sync.hub.membership import set_rules
        from sync.hub.sql import Sql
        retrying(self.db, lambda: set_rules(Sql(self.db), **rules))

    def admin(self, path: str, method="GET", body=None):
        r = requests.request(method, self.url + path, json=body, timeout=30,
                             headers={"Authorization": f"Bearer {self.admin_token}"})
        return r.status_code, r.json()

    def stop(self):
        for worker in ("HUB_NOTIFIER", "HUB_PROJECTOR"):
            if self.app.config.get(worker) is not None:
                self.app.config[worker].stop()
        self.server.stop()
        try:
            self.db.close_all()
        except Exception:
            pass


class HubProcess:
    """``store-hub serve`` in its own process, so it can be killed with SIGKILL."""

    def __init__(self, db_url: str, secret: str, threads: int = 4, workers: int = 1, extra=()):
        self.db_url, self.secret, self.threads, self.workers = db_url, secret, threads, workers
        self.extra = list(extra)  # more `store-hub serve` options
        self.log = tempfile.TemporaryFile("w+")  # its stderr: one JSON line per request
        self.env = dict(os.environ, STORE_HUB_SECRET=secret)
        self.proc = None
        self.port = None

    def run_cli(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sync.hub.cli", *args, "--db", self.db_url],
                              env=self.env, capture_output=True, text=True, timeout=120)

    def start(self) -> "HubProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.hub.cli", "serve", "--db", self.db_url, "--port", "0",
             "--threads", str(self.threads), "--workers", str(self.workers), *self.extra],
            env=self.env, stdout=subprocess.PIPE,
            stderr=self.log, text=True)  # a file: a full pipe would stop the logging hub
        line = self.proc.stdout.readline()
        if "serving on" not in line:
            self.log.seek(0)
            raise RuntimeError(f"store-hub did not start: {line} {self.log.read()}")
        self.port = int(line.strip().rstrip("/").rsplit(":", 1)[1])
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def signed(tok: str, body: bytes = b"", t: int | None = None, method: str = "POST",
           target: str = "/hub/v1/events") -> dict:
    return {"Authorization": f"Bearer {tok}",
            signing.HEADER: signing.header_value(tok, body, t, method, target),
            "Content-Type": "application/json"}


_SIGNERS: dict[str, signing.Signer] = {}


def signed_for(tok: str, method: str, path: str, body: bytes = b"") -> dict:
    """Headers for a request that may repeat within a second (the Signer moves ``t`` on)."""
    signer = _SIGNERS.setdefault(tok, signing.Signer(tok))
    return {"Authorization": f"Bearer {tok}", signing.HEADER: signer.sign(method, path, body),
            "Content-Type": "application/json"}


def event(store_id: str, seq: int, etype: str, payload: dict, event_id: str | None = None) -> dict:
    return {"event_id": event_id or str(uuid.uuid4()), "store_id": store_id, "seq": seq,
            "type": etype, "schema": 1, "occurred_at": "2026-03-01T10:00:00.000000Z",
            "payload": payload}


def push_raw(url: str, tok: str, store_id: str, events: list, **extra) -> requests.Response:
    body = json.dumps({"store_id": store_id, "batch_id": uuid.uuid4().hex, "events": events,
                       **extra}).encode()
    return requests.post(url + "/hub/v1/events", data=body, headers=signed(tok, body), timeout=60)


def wait_for(predicate, timeout: float = 60.0, step: float = 0.05, what: str = "condition"):
    """Poll until true (a liveness bound, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")
