"""Several hub workers behind one URL: ``store-hub serve --workers N`` (Linux, pre-fork).

The parent binds the listening socket once, then forks ``N`` worker processes; each builds
its own app (its own database pool: no connection crosses a fork) and runs waitress on the
inherited socket, so the kernel hands each new connection to whichever worker accepts
first (busy workers accept less).  The parent only supervises: a worker that dies is
replaced (at most one a second); SIGTERM or SIGINT stops them all.  Exactly-once across the
workers is the database's job (see ``ingest``), so any worker may take any store's push.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time

log = logging.getLogger("store_hub.workers")
MAX_WORKERS = 64


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def _spawn(make_server, sock: socket.socket) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the worker: default signals, its own app and pool, waitress on the shared socket
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        make_server(sock).run()
        code = 0
    except BaseException:  # noqa: BLE001 - a worker never returns into the parent's code
        log.exception("hub worker %s failed", os.getpid())
    finally:
        os._exit(code)


def serve_forked(make_server, sock: socket.socket, workers: int) -> int:
    """Run ``workers`` processes of ``make_server(sock).run()`` until SIGTERM/SIGINT."""
    children: set[int] = set()
    old = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(workers):
            children.add(_spawn(make_server, sock))
        last_spawn = 0.0
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid not in children:
                continue
            children.discard(pid)
            log.warning("hub worker %s exited (status %s); starting another", pid, status)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - last_spawn)))
            last_spawn = time.monotonic()
            children.add(_spawn(make_server, sock))
    except _Stop:
        pass
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        _stop_all(children)
        sock.close()
    return 0


def _stop_all(children: set[int], grace: float = 10.0) -> None:
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while children and time.monotonic() < deadline:
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                children.discard(pid)
        time.sleep(0.05)
    for pid in children:  # still running after the grace period
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
