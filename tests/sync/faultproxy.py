"""A small fault-injecting TCP proxy of our own, on 127.0.0.1, between an agent and a hub.

Each request/response exchange on a connection gets a fault from ``plan(n)``:
- ``None``: pass through;
- ``"drop"``: reset the connection before the request reaches the hub;
- ``"delay"``: hold the request a little, then pass it through;
- ``"reset"``: deliver the request, wait until the hub starts answering (so the hub has
  committed), then reset the agent's connection: the hub did it, the store never heard;
- ``"truncate"``: deliver the request and only part of the answer, then close;
- ``"503"`` / ``"429"``: answer that status ourselves; the hub never sees the request.
``down = True`` refuses every connection (a hub that is down); ``upstream`` can be moved to
a restarted hub.  HTTP/1.1 without pipelining: a response starts with the first hub bytes
after the agent sent a request.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter

FAULTS = ("drop", "delay", "reset", "truncate")


def _rst(sock: socket.socket) -> None:
    """Abort the connection: the peer gets a TCP reset, not a clean close."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)  # wakes our own thread reading it, sends nothing
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _fin(sock: socket.socket) -> None:
    """Close cleanly now, even while another of our threads is reading the socket."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class FaultProxy:
    def __init__(self, upstream_port: int, plan=None):
        self.upstream_port = upstream_port
        self.plan = plan or (lambda n: None)
        self.down = False
        self.forwarded = threading.Event()  # set whenever a request reaches the hub
        self.counts: Counter = Counter()
        self._n = 0
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @staticmethod
    def random_plan(seed: int, rate: float = 0.3, faults=FAULTS):
        rng = random.Random(seed)
        lock = threading.Lock()

        def plan(n):
            with lock:
                return rng.choice(faults) if rng.random() < rate else None
        return plan

    def _next_fault(self):
        with self._lock:
            self._n += 1
            n = self._n
        fault = self.plan(n)
        self.counts["requests"] += 1
        self.counts[fault or "pass"] += 1
        return fault

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self.down:
            self.counts["refused"] += 1
            _rst(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            self.counts["refused"] += 1
            _rst(client)
            return
        state = {"fault": None, "awaiting": False, "dead": False}
        t = threading.Thread(target=self._to_hub, args=(client, upstream, state), daemon=True)
        t.start()
        self._to_agent(client, upstream, state)

    def _to_hub(self, client, upstream, state) -> None:
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if not state["awaiting"]:  # a new request starts
                    state["fault"] = fault = self._next_fault()
                    if fault == "drop" or self.down:
                        state["dead"] = True
                        _rst(client)
                        _fin(upstream)
                        return
                    if fault == "delay":
                        time.sleep(random.uniform(0.05, 0.3))
                    if fault in ("503", "429"):
                        state["dead"] = True
                        body = b'{"error":{"code":"busy","message":"try later"}}'
                        client.sendall(b"HTTP/1.1 %s Busy\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                                       % (fault.encode(), len(body), body))
                        _fin(client)
                        _fin(upstream)
                        return
                    state["awaiting"] = True
                upstream.sendall(data)
                self.forwarded.set()
        except OSError:
            pass
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _to_agent(self, client, upstream, state) -> None:
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if state["awaiting"]:  # the hub's answer starts: it has done the work
                    state["awaiting"] = False
                    if state["fault"] == "reset":
                        state["dead"] = True
                        _rst(client)
                        return
                    if state["fault"] == "truncate":
                        client.sendall(data[: random.randint(1, max(1, len(data) - 1))])
                        state["dead"] = True
                        _fin(client)
                        return
                client.sendall(data)
        except OSError:
            pass
        finally:
            _fin(upstream)
            if not state["dead"]:
                _fin(client)

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
