"""A virtual CAS scale on a pty, answering the ENQ/ACK/DC1 protocol of ``drivers.scale``.

Settable: ``weight`` (Decimal kg, may be negative), ``stable``, ``overload``,
``silent`` (answers nothing: a scale that is off), ``busy`` (answers NAK to ENQ).
"""

from __future__ import annotations

from decimal import Decimal

from drivers.emulators.pty_device import PtyDevice

__all__ = ["VirtualScale", "cas_frame"]

ENQ, ACK, NAK, DC1 = 0x05, 0x06, 0x15, 0x11


def cas_frame(weight: Decimal, stable: bool = True, overload: bool = False) -> bytes:
    """The 15-byte answer to DC1 (written independently of the driver's parser, so a
    test cannot pass on a shared mistake): SOH STX STA SIGN W5..W0 'kg' BCC ETX EOT."""
    status = b"F" if overload else (b"S" if stable else b"U")
    sign = b"-" if weight < 0 else b" "
    digits = b"  OL  " if overload else f"{abs(weight):06.3f}".encode("ascii")[-6:]
    body = status + sign + digits + b"kg"
    bcc = 0
    for b in body:
        bcc ^= b
    return b"\x01\x02" + body + bytes([bcc]) + b"\x03\x04"


class VirtualScale(PtyDevice):
    def __init__(self, weight: Decimal | str = "0.000", stable: bool = True) -> None:
        super().__init__()
        self.weight = Decimal(weight)
        self.stable = stable
        self.overload = False
        self.silent = False
        self.busy = False
        self.enquiries = 0

    def handle(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            if self.silent:
                continue
            if b == ENQ:
                self.enquiries += 1
                out.append(NAK if self.busy else ACK)
            elif b == DC1:
                out += cas_frame(self.weight, self.stable, self.overload)
        return bytes(out)
