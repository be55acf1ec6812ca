"""A serial device on a pty pair: the driver opens ``.port`` (the slave path) with pyserial
exactly like ``/dev/ttyUSB0``; the emulator answers on the master side in a thread.

Subclasses implement ``handle(data) -> bytes`` (what to answer to bytes from the driver).
"""

from __future__ import annotations

import os
import selectors
import threading
import tty
from collections.abc import Callable

__all__ = ["PtyDevice"]


class PtyDevice:
    """Base for pty emulators: start()/stop(), ``port``, and ``wait_until``."""

    def __init__(self) -> None:
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._cond = threading.Condition()
        self.received = bytearray()

    @property
    def port(self) -> str:
        """The path to give the driver, e.g. /dev/pts/7."""
        if self._slave is None:
            raise RuntimeError("emulator not started")
        return os.ttyname(self._slave)

    def start(self):
        if self._thread:
            return self
        self._master, self._slave = os.openpty()
        # Raw mode at once, so nothing the emulator writes is echoed back to it before the
        # driver opens the port. The emulator keeps the slave open, so the master never
        # sees EIO between driver connections.
        tty.setraw(self._slave)
        self._thread = threading.Thread(target=self._run, name=type(self).__name__,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._thread:
            return
        os.write(self._wake_w, b"x")
        self._thread.join(5)
        self._thread = None
        for fd in (self._master, self._slave):
            os.close(fd)
        self._master = self._slave = None

    def close(self) -> None:
        self.stop()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def handle(self, data: bytes) -> bytes:
        """Consume bytes from the driver; return the bytes to answer."""
        raise NotImplementedError

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Block until ``predicate()`` holds after some input was handled."""
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise TimeoutError(f"{type(self).__name__}: condition not met in {timeout} s")

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._master, selectors.EVENT_READ, "data")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while True:
                for key, _ in sel.select():
                    if key.data == "wake":
                        os.read(self._wake_r, 64)
                        return
                    try:
                        data = os.read(self._master, 4096)
                    except OSError:
                        return
                    with self._cond:
                        self.received += data
                        answer = self.handle(data)
                        self._cond.notify_all()
                    if answer:
                        os.write(self._master, answer)
        finally:
            sel.close()
