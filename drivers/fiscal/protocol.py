"""Shtrih-M link layer v1 (host side) over any pyserial port object.

Frame: ``STX LEN CMD DATA LRC`` where CMD is one byte or ``FF xx`` and LRC is the XOR of
LEN, CMD and DATA. Before each command the host sends ENQ: NAK means "ready", ACK means "I
hold an answer you have not confirmed" (we read and keep it as an orphan, then ask again).

Why this is not pyshtrih's loop: pyshtrih resends a frame up to 10 times whenever the byte
after it is not ACK. If the register executed the command and only the ACK was lost, a
fiscal register executes it again (two receipts). Here a frame is resent only when the
register explicitly NAKs it (it was rejected, hence not executed). When the answer to a
state-changing command is lost we ask the register with ENQ whether it still holds the
answer, and if it does not we raise :class:`LinkLost` ("outcome unknown") instead of
resending. Only idempotent reads (status, FN status, document lookup) are retried.

Every read has a deadline: no unbounded loops, whatever the register sends.
"""

from __future__ import annotations

import collections
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

import serial

from .errors import LinkDown, LinkLost

log = logging.getLogger(__name__)

STX, ENQ, ACK, NAK = 0x02, 0x05, 0x06, 0x15

#: Commands that only read state: safe to send again after a lost answer.
REPEATABLE = frozenset({0x10, 0x11, 0x1A, 0x1B, 0x1F, 0xFC,
                        0xFF01, 0xFF02, 0xFF03, 0xFF04, 0xFF0A, 0xFF39, 0xFF3F, 0xFF40})
#: Commands that print a report or shift document and need the long timeout.
REPORT_COMMANDS = frozenset({0x40, 0x41, 0xE0, 0xFF0B, 0xFF43})


def lrc(data: bytes) -> int:
    """XOR of all bytes (the frame check of protocol v1)."""
    value = 0
    for b in data:
        value ^= b
    return value


def command_bytes(cmd: int) -> bytes:
    """``0x10`` -> ``10``; ``0xFF46`` -> ``FF 46`` (two-byte commands start with FF)."""
    if 0 <= cmd <= 0xFE:
        return bytes([cmd])
    if 0xFF00 <= cmd <= 0xFFFF:
        return bytes([0xFF, cmd & 0xFF])
    raise ValueError(f"bad command code {cmd:#x}")


def split_command(body: bytes) -> tuple[int, bytes]:
    """Inverse of :func:`command_bytes` applied to a frame body: (command, rest)."""
    if not body:
        raise ValueError("empty frame body")
    if body[0] == 0xFF and len(body) >= 2:
        return 0xFF00 | body[1], body[2:]
    return body[0], body[1:]


def build_frame(body: bytes) -> bytes:
    """STX, LEN, body, LRC."""
    if len(body) > 255:
        raise ValueError("frame body longer than 255 bytes")
    head = bytes([len(body)]) + body
    return bytes([STX]) + head + bytes([lrc(head)])


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``command``/``report``: waiting for an answer; ``byte``: between bytes of a
    frame; ``control``: for the ACK/NAK after ENQ or after our frame."""

    command: float = 10.0
    report: float = 30.0
    byte: float = 0.1
    control: float = 1.0

    def for_command(self, cmd: int) -> float:
        return self.report if cmd in REPORT_COMMANDS else self.command


@dataclass(frozen=True)
class Answer:
    """A decoded answer frame: command, error code (0 = success) and the bytes after it."""

    command: int
    code: int
    data: bytes


class _IOFailure(Exception):
    """The port itself failed (closed, unplugged, socket reset)."""


class ShtrihLink:
    """One Shtrih-M link over a pyserial port (``serial_for_url``: device paths, pty paths,
    ``socket://host:port``, ``rfc2217://``...). Not thread-safe: the register serialises."""

    def __init__(self, url: str | None = None, *, port: Any = None, baudrate: int = 115200,
                 timeouts: Timeouts | None = None, max_nak: int = 5, max_enq: int = 3,
                 read_retries: int = 2, max_bad_answers: int = 3, poll: float = 0.02) -> None:
        if url is None and port is None:
            raise ValueError("need a port URL or a port object")
        self.url = url
        self.baudrate = baudrate
        self.timeouts = timeouts or Timeouts()
        self.max_nak = max_nak
        self.max_enq = max_enq
        self.read_retries = read_retries
        self.max_bad_answers = max_bad_answers
        self.poll = poll
        self.port = port
        #: answers the register still held from an earlier command (found on ENQ)
        self.orphans: collections.deque[Answer] = collections.deque(maxlen=8)
        self.stats: collections.Counter[str] = collections.Counter()

    # --- port management -------------------------------------------------------------------
    def open(self) -> None:
        """Open the port if needed; :class:`LinkDown` if it cannot be opened."""
        if self.port is not None and self.port.is_open:
            return
        try:
            if self.port is None:
                self.port = serial.serial_for_url(self.url, baudrate=self.baudrate,
                                                  timeout=self.poll, write_timeout=2.0,
                                                  do_not_open=True)
            self.port.timeout = self.poll
            self.port.open()
            self._no_delay()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkDown(f"cannot open {self.url or self.port!r}: {exc}") from exc

    def _no_delay(self) -> None:
        """pyserial's socket:// leaves Nagle on; with one-byte ENQ/ACK exchanges that costs a
        delayed-ACK round (~40 ms) per command, so turn it off when there is a socket."""
        sock = getattr(self.port, "_socket", None)
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except (serial.SerialException, OSError):
                pass

    def reopen(self) -> None:
        """Close and open again (a fresh TCP connection, a re-enumerated USB port)."""
        self.close()
        if self.url is not None:
            self.port = None  # build a new port object: a dead socket cannot be reused
        self.open()

    # --- raw I/O with deadlines -----------------------------------------------------------
    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            raise _IOFailure(str(exc)) from exc

    def _read(self, n: int, deadline: float) -> bytes | None:
        buf = bytearray()
        try:
            while len(buf) < n:
                chunk = self.port.read(n - len(buf))
                if chunk:
                    buf += chunk
                elif time.monotonic() >= deadline:
                    return None
        except (serial.SerialException, OSError, TypeError) as exc:
            raise _IOFailure(str(exc)) from exc
        return bytes(buf)

    def _read_control(self, deadline: float, accept: frozenset[int]) -> int | None:
        """First byte in ``accept`` before the deadline; anything else is line noise."""
        while True:
            got = self._read(1, deadline)
            if got is None:
                return None
            if got[0] in accept:
                return got[0]
            self.stats["garbage"] += 1

    def _read_frame_body(self, deadline: float, have_stx: bool) -> bytes | None | bool:
        """After STX: the body if its LRC is right, False if it is garbled, None on timeout."""
        if not have_stx and self._read_control(deadline, frozenset({STX})) is None:
            return None
        ln = self._read(1, time.monotonic() + self.timeouts.byte)
        if ln is None:
            return False
        body = self._read(ln[0], time.monotonic() + self.timeouts.byte * (1 + ln[0] / 16))
        check = self._read(1, time.monotonic() + self.timeouts.byte) if body is not None else None
        if body is None or check is None or lrc(ln + body) != check[0]:
            return False
        return body

    # --- the transaction ------------------------------------------------------------------
    def execute(self, cmd: int, data: bytes = b"", *, repeatable: bool | None = None,
                timeout: float | None = None) -> Answer:
        """Send one command and return its answer.

        Raises :class:`LinkDown` when the command was certainly not executed and
        :class:`LinkLost` when it may have been (never for repeatable reads, which are
        retried on a reopened port instead).
        """
        if repeatable is None:
            repeatable = cmd in REPEATABLE
        timeout = self.timeouts.for_command(cmd) if timeout is None else timeout
        attempts = 1 + (self.read_retries if repeatable else 0)
        for attempt in range(attempts):
            try:
                return self._transact(cmd, data, timeout)
            except (LinkDown, LinkLost) as exc:
                if attempt + 1 >= attempts:
                    if repeatable and isinstance(exc, LinkLost):
                        # a read changes nothing: for the caller the register is just down
                        raise LinkDown(exc.en) from exc
                    raise
                self.stats["read_retries"] += 1
                try:
                    self.reopen()
                except LinkDown:
                    time.sleep(self.timeouts.control / 2)
        raise AssertionError("unreachable")

    def _transact(self, cmd: int, data: bytes, timeout: float) -> Answer:
        frame = build_frame(command_bytes(cmd) + data)
        self.open()
        sent = False
        try:
            self._handshake()
            naks = 0
            while True:
                sent = True
                self._write(frame)
                log.debug("-> %#06x (%d data bytes)", cmd, len(data))
                ctl = self._read_control(time.monotonic() + self.timeouts.control,
                                         frozenset({ACK, NAK, STX}))
                if ctl != NAK:
                    break
                # NAK: the register rejected the frame (bad LRC on its side): not executed.
                naks += 1
                self.stats["nak"] += 1
                if naks > self.max_nak:
                    raise LinkDown(f"register rejected command {cmd:#x} {naks} times (NAK)")
            if ctl is None:
                answer = self._probe(cmd, timeout)  # our ACK may be lost: ask, don't resend
                if answer is None:
                    raise LinkLost(cmd, "no ACK after the command and no answer held")
                return answer
            if ctl == STX:
                self.stats["ack_lost"] += 1  # the answer came without its ACK
            return self._receive(cmd, time.monotonic() + timeout, have_stx=ctl == STX)
        except _IOFailure as exc:
            self.close()
            if sent:
                raise LinkLost(cmd, f"port failed: {exc}") from exc
            raise LinkDown(f"port failed before sending: {exc}") from exc

    def _handshake(self) -> None:
        """ENQ until the register says NAK (ready), collecting answers it still held."""
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            raise _IOFailure(str(exc)) from exc
        for _ in range(self.max_enq):
            self._write(bytes([ENQ]))
            ctl = self._read_control(time.monotonic() + self.timeouts.control,
                                     frozenset({ACK, NAK}))
            if ctl == NAK:
                return
            if ctl == ACK:
                body = self._read_frame_body(time.monotonic() + self.timeouts.command, False)
                if isinstance(body, bytes):
                    self._write(bytes([ACK]))
                    self._keep_orphan(body)
        raise LinkDown("register does not answer ENQ")

    def _keep_orphan(self, body: bytes) -> None:
        try:
            ocmd, rest = split_command(body)
        except ValueError:
            return
        self.orphans.append(Answer(ocmd, rest[0] if rest else 0, rest[1:]))
        self.stats["orphans"] += 1
        log.warning("register held an unconfirmed answer to %#06x", ocmd)

    def _receive(self, cmd: int, deadline: float, have_stx: bool, probes: int = 2) -> Answer:
        bad = 0
        while True:
            body = self._read_frame_body(deadline, have_stx)
            have_stx = False
            if body is None:  # nothing before the deadline: ask whether an answer is held
                answer = self._probe(cmd, self.timeouts.command, probes - 1) if probes else None
                if answer is None:
                    raise LinkLost(cmd, "no answer before the timeout")
                return answer
            if body is False:
                bad += 1
                self.stats["bad_answer"] += 1
                if bad > self.max_bad_answers:
                    raise LinkLost(cmd, "answer garbled repeatedly")
                self._write(bytes([NAK]))  # ask for the same answer again
                self._write(bytes([ENQ]))
                if self._read_control(time.monotonic() + self.timeouts.control,
                                      frozenset({ACK, NAK})) != ACK:
                    raise LinkLost(cmd, "register did not resend a garbled answer")
                continue
            self._write(bytes([ACK]))
            acmd, rest = split_command(body)
            answer = Answer(acmd, rest[0] if rest else 0, rest[1:])
            if acmd != cmd:
                self.orphans.append(answer)
                continue
            log.debug("<- %#06x code %#04x", cmd, answer.code)
            return answer

    def _probe(self, cmd: int, timeout: float, probes: int = 1) -> Answer | None:
        """ENQ after silence: ACK means the register holds (or prepares) our answer."""
        self.stats["probe"] += 1
        self._write(bytes([ENQ]))
        if self._read_control(time.monotonic() + self.timeouts.control,
                              frozenset({ACK, NAK})) != ACK:
            return None
        try:
            return self._receive(cmd, time.monotonic() + timeout, have_stx=False, probes=probes)
        except LinkLost:
            return None
