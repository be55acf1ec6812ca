"""The store process: the WSGI server for the POS screen and API, plus background workers.

``Workers`` are the things that read what was committed and act on it outside the sale's
transaction (outbox pusher, feed puller, print spooler, fiscal worker).  Each has
``start()`` / ``stop()``; they are added by the composition in ``build``.
"""

from __future__ import annotations

import importlib
import logging

from sync.hub.serving import BackgroundServer  # waitress with a clean stop

from .app import create_app

log = logging.getLogger("store_agent.server")


class StoreProcess:
    def __init__(self, store, host: str, port: int):
        self.store = store
        self.workers = []
        self.status_sources = {}
        blueprints = []
        for factory in _optional_parts():
            factory(self, blueprints)
        self.app = create_app(store, extra_blueprints=blueprints, status_provider=self.status)
        threads = store.config.get("server", "threads")
        self.http = BackgroundServer(self.app, host, port, threads, ident="store-agent")
        self.server = self.http.server
        self._background = False

    @property
    def port(self) -> int:
        return self.server.effective_port

    @property
    def url(self) -> str:
        host = self.server.effective_host
        return f"http://{host}:{self.port}/"

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
        self._background = True
        self.http.start()
        return self

    def serve_forever(self) -> None:
        for w in self.workers:
            w.start()
        try:
            self.server.run()
        finally:
            self.stop()

    def stop(self) -> None:
        for w in self.workers:
            try:
                w.stop()
            except Exception:
                log.exception("stopping %r", w)
        try:
            if self._background:
                self.http.stop()
            else:
                self.server.close()
        except Exception:
            pass


class StartupError(RuntimeError):
    """The store process cannot start as configured (said in one line, never half-started)."""


def _optional_parts():
    """Parts that plug into the process: sync, devices.  Each adds workers/blueprints.

    Both ship with the agent: one that does not import is a broken install, and a till that
    would never sync (or never print) must not start silently."""
    parts = []
    for layer, module in (("sync", "sync.wiring"), ("device", "drivers.wiring")):
        try:
            parts.append(importlib.import_module(module).attach)
        except ImportError as e:
            raise StartupError(f"the {layer} layer cannot be loaded ({module}: {e}); "
                               "reinstall store-agent") from None
    return parts
