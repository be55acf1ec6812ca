"""A virtual ESC/POS network printer: a TCP server that keeps every job's raw bytes.

Like a real one on port 9100 it takes one job per connection, answers real-time status
requests (DLE EOT 1/2/4) at once wherever they appear in the stream, and is silent
otherwise. Faults for tests: ``paper_out`` / ``cover_open`` flags, ``answer_status=False``
(a printer that never reports status), ``hung`` (accepts connections, never reads: a frozen
network interface), ``drop_after`` (reset the connection after that many job bytes, like
a power cut mid-job) and ``stop()``/``start()`` on the same port (a
printer that is down, then comes back).

Run ``python -m drivers.emulators.printer --port 9100 --out DIR`` to get each received
receipt written as ``DIR/receipt-0001.txt`` (decoded) and ``.escpos`` (raw).
"""

from __future__ import annotations

import argparse
import logging
import os
import selectors
import signal
import socket
import struct
import threading
from collections.abc import Callable

from drivers.emulators.escpos_text import escpos_to_text

__all__ = ["VirtualNetworkPrinter", "main"]

log = logging.getLogger(__name__)


class _Session:
    """One client connection: its job bytes and a parser for DLE EOT n split anywhere."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.job = bytearray()
        self.pending = b""  # a DLE or DLE EOT waiting for its next byte


class VirtualNetworkPrinter:
    """Threaded TCP printer on 127.0.0.1; ``port=0`` picks a free port (see ``.port``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, codepage: str = "cp437",
                 on_job: Callable[[bytes], None] | None = None) -> None:
        self.host, self.port, self.codepage, self.on_job = host, port, codepage, on_job
        self.jobs: list[bytes] = []           # complete jobs, status requests removed
        self.dropped_jobs: list[bytes] = []   # what arrived before a simulated drop
        self.status_requests = 0
        self.paper_out = False
        self.paper_low = False
        self.cover_open = False
        self.answer_status = True
        self.drop_after: int | None = None    # one-shot: reset the next job after N bytes
        self.hung = False                     # accept connections, then never read a byte
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> VirtualNetworkPrinter:
        """Listen (again, on the same port after a stop) and serve in a thread."""
        if self._thread:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(8)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, name=f"vprinter:{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection: clients now get 'connection refused'."""
        if not self._thread:
            return
        self._wake_w.send(b"x")
        self._thread.join(5)
        self._thread = None

    def close(self) -> None:
        self.stop()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> VirtualNetworkPrinter:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what tests look at -----------------------------------------------------------
    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Block until ``count`` complete jobs arrived (or fail after ``timeout``)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise TimeoutError(f"{len(self.jobs)} of {count} print jobs arrived")
            return list(self.jobs)

    def wait_for_drop(self, timeout: float = 5.0) -> bytes:
        with self._cond:
            if not self._cond.wait_for(lambda: self.dropped_jobs, timeout):
                raise TimeoutError("no job was dropped")
            return self.dropped_jobs[-1]

    def text(self, index: int = -1) -> str:
        """A received job as it would print."""
        return escpos_to_text(self.jobs[index], self.codepage)

    # -- the server ---------------------------------------------------------------------
    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ, None)
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        sessions: dict[socket.socket, _Session] = {}
        try:
            while True:
                for key, _ in sel.select():
                    if key.data == "wake":
                        self._wake_r.recv(64)
                        return
                    if key.fileobj is self._listener:
                        try:
                            conn, _ = self._listener.accept()
                        except BlockingIOError:
                            continue
                        conn.setblocking(True)
                        conn.settimeout(2.0)
                        sessions[conn] = _Session(conn)
                        if not self.hung:
                            sel.register(conn, selectors.EVENT_READ, "conn")
                        continue
                    session = sessions[key.fileobj]
                    if not self._serve_once(session):
                        sel.unregister(session.sock)
                        del sessions[session.sock]
        finally:
            for session in sessions.values():
                session.sock.close()
            sel.close()
            self._listener.close()

    def _serve_once(self, session: _Session) -> bool:
        """Handle readable data; False when the connection is over."""
        size = 65536
        if self.drop_after is not None:  # read no further than the drop point
            size = max(self.drop_after - len(session.job), 1)
        try:
            data = session.sock.recv(size)
        except OSError:
            data = b""
        if not data:
            self._finish(session, dropped=False)
            return False
        self._feed(session, data)
        if self.drop_after is not None and len(session.job) >= self.drop_after:
            self.drop_after = None
            # SO_LINGER 0: close with RST, as a printer losing power (or rebooting) does.
            session.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            self._finish(session, dropped=True)
            return False
        return True

    def _feed(self, session: _Session, data: bytes) -> None:
        buf = session.pending + data
        session.pending = b""
        i = 0
        while i < len(buf):
            if buf[i] == 0x10:
                if i + 2 >= len(buf) and buf[i + 1 : i + 2] in (b"", b"\x04"):
                    session.pending = buf[i:]  # maybe a split DLE EOT n: wait for more
                    return
                if buf[i + 1] == 0x04:
                    self._answer(session, buf[i + 2])
                    i += 3
                    continue
            session.job.append(buf[i])
            i += 1

    def _status_byte(self, n: int) -> int:
        value = 0x12
        if n == 1 and (self.paper_out or self.cover_open):
            value |= 0x08  # offline
        elif n == 2:
            value |= (0x20 if self.paper_out else 0) | (0x04 if self.cover_open else 0)
        elif n == 4:
            value |= (0x60 if self.paper_out else 0) | (0x0C if self.paper_low else 0)
        return value

    def _answer(self, session: _Session, n: int) -> None:
        self.status_requests += 1
        if self.answer_status and n in (1, 2, 3, 4):
            try:
                session.sock.sendall(bytes([self._status_byte(n)]))
            except OSError:
                pass

    def _finish(self, session: _Session, dropped: bool) -> None:
        session.sock.close()
        job = bytes(session.job)
        if job and not dropped and self.on_job:
            try:  # before waiters wake, so what on_job writes exists when they look
                self.on_job(job)
            except Exception:  # noqa: BLE001 - a bad callback must not stop the printer
                log.exception("on_job failed")
        with self._cond:
            if dropped:
                self.dropped_jobs.append(job)
            elif job:
                self.jobs.append(job)
            self._cond.notify_all()


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted, writing each job as text and raw bytes into --out."""
    parser = argparse.ArgumentParser(prog="python -m drivers.emulators.printer",
                                     description="Virtual ESC/POS network printer")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100, help="0 picks a free port")
    parser.add_argument("--out", required=True, help="directory for received receipts")
    parser.add_argument("--codepage", default="cp437", help="power-on code page")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    counter = iter(range(1, 10**9))

    def save(job: bytes) -> None:
        stem = os.path.join(args.out, f"receipt-{next(counter):04d}")
        with open(stem + ".escpos", "wb") as fh:
            fh.write(job)
        with open(stem + ".txt", "w", encoding="utf-8") as fh:
            fh.write(escpos_to_text(job, args.codepage))
        print(f"received {len(job)} bytes -> {stem}.txt", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with VirtualNetworkPrinter(args.host, args.port, args.codepage, on_job=save) as printer:
        print(f"virtual printer listening on {printer.host}:{printer.port}, "
              f"writing receipts to {args.out}", flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
