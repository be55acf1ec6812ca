"""A Shtrih-M-01F emulator on a pty pair or on TCP, with fault injection.

Why our own: tests and the demo need the real byte protocol (pyshtrih must accept it as a
register, our driver must survive a real link's faults) and a journal of what was
fiscalised. It speaks link layer v1 from the device side: ENQ -> NAK (ready) or ACK + the
answer it still holds; a frame -> ACK, execute, answer; the answer is kept until the host
ACKs it, so a host that NAKs a garbled answer and sends ENQ gets it again.

Usage::

    with ShtrihEmulator("pty") as emu:      # emu.path is the slave: open it like a COM port
        reg = open_fiscal(emu.url)          # shtrih+serial:///dev/pts/N
    with ShtrihEmulator("tcp") as emu:      # 127.0.0.1, a free port
        reg = open_fiscal(emu.url)          # shtrih+tcp://127.0.0.1:PORT

    python -m drivers.fiscal.emulator --tcp 7778
    python -m drivers.fiscal.emulator --pty

Faults (each applies to the next N events): ``drop_link`` (after executing a command but
before answering, or before executing it: TCP closes the connection, a pty goes deaf for a
while), ``nak_storm``, ``inject_garbage``, ``corrupt_answers`` (bad LRC), ``lose_ack``,
``go_offline``; device: ``paper_out``/``paper_in``/``paper_out_after_next_print``,
``expire_shift``, ``set_fn_error``, ``fail_command`` (answer one command with an error code).
The journal (``journal``, ``receipts()``, ``events``, ``executed(cmd)``) is what tests compare.
"""

from __future__ import annotations

import argparse
import collections
import copy
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from .emulator_device import MODEL_NAME, EmulatedRegister
from .emulator_transport import PtyTransport, TcpTransport
from .protocol import ACK, ENQ, NAK, STX, build_frame, lrc, split_command

log = logging.getLogger(__name__)
GARBAGE = b"\xff\x00\x33\x7fnoise\xfe"  # no STX/ENQ/ACK/NAK inside


@dataclass
class _Drop:
    command: int | None
    execute: bool
    deaf_for: float
    skip: int
    offline: bool


class ShtrihEmulator:
    """The emulated register plus its link; runs in a daemon thread between start/stop."""

    def __init__(self, transport: str = "pty", *, host: str = "127.0.0.1", port: int = 0,
                 device: EmulatedRegister | None = None, byte_timeout: float = 0.5,
                 **device_kwargs: Any) -> None:
        self.device = device or EmulatedRegister(**device_kwargs)
        if transport == "pty":
            self._t: PtyTransport | TcpTransport = PtyTransport()
        elif transport == "tcp":
            self._t = TcpTransport(host, port)
        else:
            raise ValueError(f"transport must be 'pty' or 'tcp', not {transport!r}")
        self.byte_timeout = byte_timeout
        self.link_stats: collections.Counter[str] = collections.Counter()
        self._buf = bytearray()
        self._gen = self._t.generation
        self._pending: bytes | None = None
        self._lock = threading.Lock()
        self._nak = self._corrupt = self._lose_ack = 0
        self._lose_ack_on: int | None = None
        self._garbage = {"enq": 0, "answer": 0}
        self._drops: list[_Drop] = []
        self._offline = False
        self._deaf_until = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"shtrih-emulator-{transport}",
                                        daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "ShtrihEmulator":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._t.close()

    def __enter__(self) -> "ShtrihEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def path(self) -> str:
        """The pty slave path a client opens like a serial port."""
        if not isinstance(self._t, PtyTransport):
            raise AttributeError("not a pty emulator")
        return self._t.path

    @property
    def address(self) -> tuple[str, int]:
        if not isinstance(self._t, TcpTransport):
            raise AttributeError("not a TCP emulator")
        return self._t.address

    @property
    def url(self) -> str:
        """The register URL for :func:`drivers.fiscal.open_fiscal`."""
        if isinstance(self._t, PtyTransport):
            return f"shtrih+serial://{self._t.path}"
        host, port = self._t.address
        return f"shtrih+tcp://{host}:{port}"

    # --- observation -------------------------------------------------------------------------
    @property
    def journal(self) -> list[dict[str, Any]]:
        """Fiscal documents (shift open/close, receipts) in order, deep-copied."""
        with self.device.lock:
            return copy.deepcopy(self.device.journal)

    def receipts(self) -> list[dict[str, Any]]:
        return [d for d in self.journal if d["type"] == "receipt"]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Non-fiscal events: X reports, cash in/out, cancelled receipts."""
        with self.device.lock:
            return copy.deepcopy(self.device.events)

    def executed(self, cmd: int) -> int:
        """How many times ``cmd`` was executed successfully."""
        with self.device.lock:
            return self.device.executed[cmd]

    # --- link faults -------------------------------------------------------------------------
    def drop_link(self, on: int | None = None, *, execute: bool = True, deaf_for: float = 0.3,
                  skip: int = 0, offline: bool = False) -> None:
        """Break the link at the next command ``on`` (any if None) after ``skip`` matches:
        after executing it (the answer is lost) or, with ``execute=False``, before. With
        ``offline`` the register then stays unreachable until :meth:`go_online`."""
        with self._lock:
            self._drops.append(_Drop(on, execute, deaf_for, skip, offline))

    def nak_storm(self, frames: int) -> None:
        """NAK the next ``frames`` well-formed command frames (not executed)."""
        with self._lock:
            self._nak = frames

    def inject_garbage(self, times: int = 1, where: str = "both") -> None:
        """Noise bytes before the next replies to ENQ and/or the next answers."""
        with self._lock:
            for key in (("enq", "answer") if where == "both" else (where,)):
                self._garbage[key] = times

    def corrupt_answers(self, count: int = 1) -> None:
        """Send the next ``count`` answers with a wrong LRC (the host must NAK and re-read)."""
        with self._lock:
            self._corrupt = count

    def lose_ack(self, count: int = 1, on: int | None = None) -> None:
        """Execute and answer the next ``count`` commands (``on`` only, if given) but never
        send their ACK byte."""
        with self._lock:
            self._lose_ack, self._lose_ack_on = count, on

    def go_offline(self) -> None:
        """Ignore everything (a powered-off register); TCP connections are dropped."""
        self._offline = True
        self._t.disconnect()

    def go_online(self) -> None:
        self._offline = False

    # --- device faults -----------------------------------------------------------------------
    def paper_out(self) -> None:
        with self.device.lock:
            self.device.paper = "out_passive"

    def paper_out_after_next_print(self) -> None:
        """Paper ends while the next document prints (it is executed, then submode 2)."""
        with self.device.lock:
            self.device.paper_out_after_print = True

    def paper_in(self) -> None:
        """Paper loaded: after an active paper-out the register waits for 0xB0."""
        with self.device.lock:
            self.device.paper = "wait_continue" if self.device.paper == "out_active" else "ok"

    def expire_shift(self) -> None:
        with self.device.lock:
            self.device.shift_expired = True

    def fail_command(self, cmd: int, code: int, times: int = 1) -> None:
        """Answer the next ``times`` ``cmd`` commands with error ``code`` (not executed)."""
        with self.device.lock:
            self.device.forced_errors[cmd] = [code, times]

    def set_fn_error(self, code: int | None) -> None:
        """Make fiscal commands fail with a ФН error (0x05 expired, 0x14 resource...)."""
        with self.device.lock:
            self.device.fn_error = code

    # --- the link loop -----------------------------------------------------------------------
    def _deaf(self) -> bool:
        return self._offline or time.monotonic() < self._deaf_until

    def _fill(self, timeout: float) -> None:
        data = self._t.read(timeout)
        if self._t.generation != self._gen:  # new TCP connection: a new session
            self._gen = self._t.generation
            self._buf.clear()
            self._pending = None
        if data and not self._deaf():
            self._buf += data

    def _next_bytes(self, n: int, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or self._stop.is_set():
                return None
            self._fill(min(left, 0.05))
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                b = self._next_bytes(1, 0.05)
                if b is None:
                    continue
                if b[0] == ENQ:
                    self._on_enq()
                elif b[0] == ACK:
                    self._pending = None
                elif b[0] == STX:
                    self._on_frame()
                elif b[0] != NAK:  # NAK: keep the answer, the host will ENQ for it
                    self.link_stats["host_noise"] += 1
            except Exception:  # keep serving: a test must see a failure, not a dead thread
                log.exception("emulator link loop error")

    def _take(self, name: str) -> bool:
        with self._lock:
            value = getattr(self, name)
            if value > 0:
                setattr(self, name, value - 1)
                return True
            return False

    def _noise(self, where: str) -> bytes:
        with self._lock:
            if self._garbage[where] > 0:
                self._garbage[where] -= 1
                self.link_stats["garbage_sent"] += 1
                return GARBAGE
        return b""

    def _on_enq(self) -> None:
        noise = self._noise("enq")
        if self._pending is not None:
            self.link_stats["resent"] += 1
            self._t.write(noise + bytes([ACK]) + self._pending)
        else:
            self._t.write(noise + bytes([NAK]))

    def _take_drop(self, cmd: int) -> _Drop | None:
        with self._lock:
            for drop in self._drops:
                if drop.command is None or drop.command == cmd:
                    if drop.skip > 0:
                        drop.skip -= 1
                        return None
                    self._drops.remove(drop)
                    return drop
        return None

    def _do_drop(self, drop: _Drop) -> None:
        self.link_stats["drops"] += 1
        self._pending = None
        self._buf.clear()
        if isinstance(self._t, TcpTransport):
            self._t.disconnect()
        else:
            self._deaf_until = time.monotonic() + drop.deaf_for
        if drop.offline:
            self._offline = True

    def _on_frame(self) -> None:
        head = self._next_bytes(1, self.byte_timeout)
        rest = self._next_bytes(head[0] + 1, self.byte_timeout * 4) if head else None
        if head is None or rest is None:
            self.link_stats["incomplete"] += 1
            return
        body, check = rest[:-1], rest[-1]
        if lrc(head + body) != check:
            self.link_stats["bad_lrc"] += 1
            self._t.write(bytes([NAK]))
            return
        if self._take("_nak"):
            self.link_stats["nak_sent"] += 1
            self._t.write(bytes([NAK]))
            return
        cmd, data = split_command(body)
        self._pending = None
        drop = self._take_drop(cmd)
        if drop is not None and not drop.execute:
            self._do_drop(drop)
            return
        if (self._lose_ack_on is None or self._lose_ack_on == cmd) and self._take("_lose_ack"):
            self.link_stats["ack_lost"] += 1
        else:
            self._t.write(bytes([ACK]))
        answer = self.device.handle(cmd, data)
        if drop is not None:
            self._do_drop(drop)
            return
        frame = build_frame(answer)
        self._pending = frame
        out = frame[:-1] + bytes([frame[-1] ^ 0x5A]) if self._take("_corrupt") else frame
        self._t.write(self._noise("answer") + out)


def main(argv: list[str] | None = None) -> None:
    """``python -m drivers.fiscal.emulator [--tcp PORT | --pty]``: run until Ctrl-C."""
    ap = argparse.ArgumentParser(prog="python -m drivers.fiscal.emulator",
                                 description=f"Shtrih-M emulator ({MODEL_NAME}) for demos")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--tcp", type=int, metavar="PORT", help="listen on TCP PORT (0: any)")
    group.add_argument("--pty", action="store_true", help="serve on a new pty (default)")
    ap.add_argument("--host", default="127.0.0.1", help="TCP address to bind")
    ap.add_argument("--shift-open", action="store_true", help="start with an open shift")
    args = ap.parse_args(argv)
    transport = "tcp" if args.tcp is not None else "pty"
    emu = ShtrihEmulator(transport, host=args.host, port=args.tcp or 0,
                         shift_open=args.shift_open).start()
    print(f"{MODEL_NAME} emulator ready. Register URL: {emu.url}", flush=True)
    if transport == "pty":
        print(f"pty slave path (open it like a serial port): {emu.path}", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        for doc in emu.journal:
            print(f"FD {doc['fd']:>4} {doc['type']:<12} {doc.get('kind', ''):<7} "
                  f"{doc.get('total', '')} sign {doc['fiscal_sign']}")


if __name__ == "__main__":
    main()
