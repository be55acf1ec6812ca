"""The composition root of the store process: from a ``Store`` and its config it builds
the devices (``pos_ui.devices``, from ``drivers``), the sync workers and the hub client
(``sync.wiring``), the HTTP app and the till's web server, and sets the collaborators on
the store's typed fields (``agent.ports``).  Nothing below this layer wires anything.

``workers`` are the things that read what was committed and act on it outside the sale's
transaction (outbox pusher, feed puller, print spooler, fiscal worker, display feed); each
is an ``agent.worker.Worker`` (or has its ``start()`` / ``stop()``).
"""

from __future__ import annotations

import logging

from sync.wiring import attach as attach_sync

from .app import create_app
from .devices import attach as attach_devices
from .web_server import TillServer

log = logging.getLogger("store_agent.server")


class StoreProcess:
    def __init__(self, store, host: str, port: int):
        self.store = store
        self.workers = []
        self.status_sources = {}
        blueprints = []
        for attach in (attach_sync, attach_devices):
            attach(self, blueprints)
        self.app = create_app(store, extra_blueprints=blueprints, status_provider=self.status)
        threads = store.config.get("server", "threads")
        self.http = TillServer(self.app, host, port, threads)
        self.server = self.http.server

    @property
    def port(self) -> int:
        return self.http.port

    @property
    def url(self) -> str:
        return self.http.url

    def status(self) -> dict:
        out = {}
        for name, fn in self.status_sources.items():
            try:
                out[name] = fn()
            except Exception as e:  # status must never break the screen
                out[name] = {"error": str(e)}
        return out

    def start_background(self) -> "StoreProcess":
        for w in self.workers:
            w.start()
        self.http.start()
        return self

    def serve_forever(self) -> None:
        for w in self.workers:
            w.start()
        try:
            self.http.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        for w in self.workers:
            try:
                w.stop()
            except Exception:
                log.exception("stopping %r", w)
        try:
            self.http.stop()
        except Exception:
            pass
