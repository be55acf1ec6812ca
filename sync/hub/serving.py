"""Running a WSGI app on waitress in a background thread that can be stopped cleanly
(the embedded demo hub and the tests): the loop polls in short rounds and the sockets
are closed only after it has left, so no thread is left selecting on a closed socket."""

from __future__ import annotations

import threading

from waitress.server import create_server


class BackgroundServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, threads: int = 8,
                 ident: str = "store-hub"):
        self.server = create_server(app, host=host, port=port, threads=threads,
                                    ident=ident, clear_untrusted_proxy_headers=True)
        self.port = self.server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{ident}-http", daemon=True)

    def start(self) -> "BackgroundServer":
        self._thread.start()
        return self

    def _run(self) -> None:
        s = self.server
        while not self._stop.is_set():
            s.asyncore.loop(timeout=0.1, map=s._map, count=1)

    def stop(self) -> None:
        self._stop.set()
        try:
            self.server.pull_trigger()  # wake the loop's select now
        except OSError:
            pass
        if self._thread.is_alive():
            self._thread.join(10)
        try:
            self.server.task_dispatcher.shutdown()
        finally:
            from waitress import wasyncore
            wasyncore.close_all(self.server._map)
