"""The till's own web server: waitress serving the POS screen and API, in the foreground
(``store-agent serve``) or on a background thread (the demo and the tests).

The background loop polls in short rounds and the sockets are closed only after it has
left, so no thread is left selecting on a closed socket.  (The reference hub runs its own,
``sync.hub.serving``: the till never depends on the hub's package.)
"""

from __future__ import annotations

import threading

from waitress import wasyncore
from waitress.server import create_server


class TillServer:
    def __init__(self, app, host: str, port: int, threads: int):
        self.server = create_server(app, host=host, port=port, threads=threads,
                                    ident="store-agent", clear_untrusted_proxy_headers=True)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.effective_port

    @property
    def url(self) -> str:
        return f"http://{self.server.effective_host}:{self.port}/"

    def serve_forever(self) -> None:
        """Serve on this thread until interrupted; ``stop()`` closes the sockets."""
        self.server.run()

    def start(self) -> "TillServer":
        self._thread = threading.Thread(target=self._loop, name="store-agent-http", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.server.asyncore.loop(timeout=0.1, map=self.server._map, count=1)

    def stop(self) -> None:
        if self._thread is None:
            self.server.close()
            return
        self._stop.set()
        try:
            self.server.pull_trigger()  # wake the loop's select now
        except OSError:
            pass
        self._thread.join(10)
        try:
            self.server.task_dispatcher.shutdown()
        finally:
            wasyncore.close_all(self.server._map)
