"""Run a real `store-agent serve` process for tests that kill or race it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import requests

from tests.conftest import PINS, free_port


class AgentProcess:
    def __init__(self, data_dir, port=None, env=None):
        self.data_dir, self.port = str(data_dir), port or free_port()
        self.env = {**os.environ, **(env or {})}
        self.proc = None
        self.log = tempfile.TemporaryFile()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pos_ui.cli", "serve", "--data-dir", self.data_dir,
             "--port", str(self.port)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)  # a file: a full pipe
        # would stop the agent, which logs one JSON line per request
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"agent exited: {self.log.read().decode()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("agent did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def session(self, login="anna", register="1") -> "HttpApi":
        return HttpApi.login(self.url, login, register)


class HttpApi:
    """A logged-in client of a real agent over HTTP."""

    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def login(cls, url: str, login: str = "anna", register: str = "1") -> "HttpApi":
        url = url.rstrip("/")
        r = requests.post(url + "/api/v1/session",
                          json={"login": login, "pin": PINS[login], "register": register},
                          timeout=10)
        r.raise_for_status()
        return cls(url, r.json()["token"])

    def get(self, path, **kw):
        return self.s.get(self.url + path, timeout=90, **kw)

    def post(self, path, json=None, **kw):
        return self.s.post(self.url + path, json=json, timeout=90, **kw)

    def sell(self, lines, payments) -> dict:
        r = self.post("/api/v1/sales", {"client_ref": uuid.uuid4().hex, "lines": lines,
                                        "payments": payments})
        assert r.status_code == 201, r.text
        return r.json()
