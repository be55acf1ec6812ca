"""Scales on a serial port, speaking the CAS "ENQ/ACK/DC1" protocol.

This is the protocol of CAS AP/AD/SW/ER-Jr class retail scales (also copied by many
CAS-compatible scales and supported by Russian POS drivers as "CAS"); 9600 8N1 by default.
One weighing, byte by byte::

    host  -> scale   ENQ   0x05            are you ready?
    scale -> host    ACK   0x06            yes   (NAK 0x15: busy, ask again)
    host  -> scale   DC1   0x11            send the weight
    scale -> host    15-byte frame:

    offset  bytes  value
    0       1      SOH  0x01 (some firmware sends 0x81)
    1       1      STX  0x02
    2       1      STA  'S' 0x53 stable | 'U' 0x55 unstable | 'F' 0x46 overload/abnormal
    3       1      SIGN ' ' 0x20 zero or positive | '-' 0x2D negative
    4..9    6      weight, ASCII digits with a decimal point, right-aligned, padded
                   with '0' or ' ', in the unit below, e.g. "01.234" = 1.234 kg
    10..11  2      unit, ASCII "kg" (also " g" / "g " for grams, "lb")
    12      1      BCC  XOR of bytes 2..11 (STA through the unit)
    13      1      ETX  0x03
    14      1      EOT  0x04

Example, a stable 1.234 kg: ``01 02 53 20 30 31 2E 32 33 34 6B 67 65 03 04``.
An overloaded scale answers STA 'F' (some firmware instead puts a non-number such as
"  OL  " in the weight field; both read as overload).

``read_weight`` returns a ``Decimal`` in kg with 3 places and refuses anything a cashier
must not sell by: an unstable, overloaded or negative weight, or no answer.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from decimal import Decimal, InvalidOperation

import serial

from drivers.urls import parse_serial_port_url

__all__ = ["ACK", "DC1", "ENQ", "NAK", "CasScale", "DummyScale", "Scale", "ScaleError",
           "ScaleTimeout", "open_scale", "parse_cas_frame"]

ENQ, ACK, NAK, DC1 = b"\x05", b"\x06", b"\x15", b"\x11"
SOH, STX, ETX, EOT = 0x01, 0x02, 0x03, 0x04
FRAME_LEN = 15
KG = Decimal("0.001")


class ScaleError(Exception):
    """The weight cannot be used; the message says why and what to do."""

    # the core's device-failure contract (agent.ports.DeviceFailure): the cashier acts
    # (weighs again, checks the scale); reading the weight again is harmless
    needs_person = True
    retry_safe = True

    def message(self, lang: str) -> str:
        return str(self)


class ScaleTimeout(ScaleError):
    """The scale did not answer in time (off, unplugged, wrong port or speed)."""


def parse_cas_frame(frame: bytes) -> Decimal:
    """Weight in kg from one CAS frame, or ScaleError for anything not sellable."""
    if len(frame) != FRAME_LEN or frame[0] not in (SOH, 0x81) or frame[1] != STX \
            or frame[13] != ETX or frame[14] != EOT:
        raise ScaleError(f"Scale sent a malformed frame: {frame.hex(' ')}")
    bcc = 0
    for b in frame[2:12]:
        bcc ^= b
    if bcc != frame[12]:
        raise ScaleError("Scale frame checksum mismatch: check the cable")
    status, sign, digits, unit = chr(frame[2]), chr(frame[3]), frame[4:10], frame[10:12]
    if status == "F":
        raise ScaleError("Scale is overloaded: take the goods off the scale")
    try:
        text = digits.decode("ascii").strip()
        weight = Decimal(text) if text.replace(".", "", 1).isdigit() else None
    except (UnicodeDecodeError, InvalidOperation):
        weight = None
    if weight is None:
        raise ScaleError("Scale is overloaded or shows an error: take the goods off and "
                         "check its display")
    if status == "U":
        raise ScaleError("Weight is not stable: wait until the scale settles and try again")
    if status != "S":
        raise ScaleError(f"Scale sent an unknown status {status!r}")
    unit_text = unit.decode("ascii", errors="replace").strip().lower()
    if unit_text == "g":
        weight = weight / 1000
    elif unit_text != "kg":
        raise ScaleError(f"Scale weighs in {unit_text!r}: switch it to kilograms")
    if sign == "-" and weight != 0:
        raise ScaleError("Weight is negative: empty the scale and press zero (or tare)")
    return weight.quantize(KG)


class Scale(ABC):
    """What the agent needs from a scale."""

    @abstractmethod
    def read_weight(self, timeout: float = 2.0) -> Decimal:
        """Stable weight in kg with 3 places, or ScaleError."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the port."""


class CasScale(Scale):
    """A CAS-protocol scale on a pyserial port (device path, socket://, rfc2217://, pty).

    The port stays open between readings (cashiers weigh often) and is reopened after an
    error, so unplugging and replugging the scale needs no restart."""

    def __init__(self, port: str, settings: dict | None = None) -> None:
        self.port_url = port
        self.settings = settings or {"baudrate": 9600}
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()

    def _open(self) -> serial.SerialBase:
        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.port_url, timeout=0.2,
                                                   write_timeout=1.0, **self.settings)
            except (ValueError, OSError) as exc:
                raise ScaleError(f"Cannot open scale port {self.port_url}: {exc}") from exc
        return self._port

    def read_weight(self, timeout: float = 2.0) -> Decimal:
        with self._lock:
            try:
                return self._read(timeout)
            except ScaleError:
                raise
            except (OSError, serial.SerialException) as exc:
                self.close()
                raise ScaleError(f"Scale port {self.port_url} failed: {exc}") from exc

    def _read(self, timeout: float) -> Decimal:
        deadline = time.monotonic() + timeout
        port = self._open()
        port.reset_input_buffer()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ScaleTimeout(f"Scale on {self.port_url} did not answer within "
                                   f"{timeout:g} s: is it on, and is the port and speed right?")
            port.timeout = min(remaining, 0.5)
            port.write(ENQ)
            answer = port.read(1)
            if answer == ACK:
                break
            if answer == NAK:
                time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))
            elif answer:
                port.reset_input_buffer()  # noise or a late frame: start over
        port.write(DC1)
        frame = bytearray()
        while len(frame) < FRAME_LEN:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ScaleTimeout(f"Scale on {self.port_url} stopped in the middle of an "
                                   f"answer ({len(frame)} of {FRAME_LEN} bytes)")
            port.timeout = remaining
            chunk = port.read(FRAME_LEN - len(frame))
            frame += chunk
            while frame and frame[0] not in (SOH, 0x81):  # resynchronise on a frame start
                del frame[0]
        return parse_cas_frame(bytes(frame))

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            finally:
                self._port = None


class DummyScale(Scale):
    """``dummy:``: a settable weight, for demos without hardware."""

    def __init__(self, weight: Decimal | str = "0.000") -> None:
        self.weight = Decimal(weight)

    def read_weight(self, timeout: float = 2.0) -> Decimal:
        return self.weight.quantize(KG)


def open_scale(url: str) -> Scale | None:
    """The scale for a URL (pyserial port with ``?baudrate=``, or ``dummy:``); ``None``
    for an empty URL. The port is opened at the first reading."""
    spec = parse_serial_port_url(url, default_baudrate=9600)
    if spec is None:
        return None
    if spec.dummy:
        return DummyScale()
    return CasScale(spec.port, spec.serial.as_kwargs())
