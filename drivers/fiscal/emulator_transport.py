"""Byte transports for the emulator: the device end of a pty pair, or a TCP listener.

Each offers ``read(timeout) -> bytes`` (empty on timeout), ``write``, ``disconnect`` and a
``generation`` counter that changes when a new client connects (a new link session).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty


class PtyTransport:
    kind = "pty"

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no CR/LF translation before the client opens it
        self.path = os.ttyname(self.slave)
        self.generation = 0

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 4096)
        except OSError:
            time.sleep(timeout)
            return b""

    def write(self, data: bytes) -> None:
        try:
            os.write(self.master, data)
        except OSError:
            pass

    def disconnect(self) -> None:
        """A serial cable cannot be pulled from here; the link goes deaf instead."""

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class TcpTransport:
    kind = "tcp"

    def __init__(self, host: str, port: int) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, port))
        self.server.listen(4)
        self.address: tuple[str, int] = self.server.getsockname()[:2]
        self.conn: socket.socket | None = None
        self.generation = 0
        self._drop = threading.Lock()  # the test thread (go_offline) and the loop both drop

    def read(self, timeout: float) -> bytes:
        conn = self.conn  # one look: another thread may drop it meanwhile
        socks = [self.server] + ([conn] if conn is not None else [])
        try:
            ready, _, _ = select.select(socks, [], [], timeout)
        except (OSError, ValueError):
            return b""
        if self.server in ready:
            new, _ = self.server.accept()
            new.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.disconnect()  # a network register serves one client at a time
            self.conn = new
            self.generation += 1
            return b""
        if conn is not None and conn in ready:
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if not data:
                self.disconnect()
            return data
        return b""

    def write(self, data: bytes) -> None:
        conn = self.conn
        if conn is not None:
            try:
                conn.sendall(data)
            except OSError:
                self.disconnect()

    def disconnect(self) -> None:
        with self._drop:
            conn, self.conn = self.conn, None
            if conn is None:
                return
            self.generation += 1
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()

    def close(self) -> None:
        self.disconnect()
        self.server.close()
