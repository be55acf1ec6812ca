"""Shtrih-M command layouts (host side): build request bytes, decode answers.

Layouts follow the public Shtrih-M protocol description (little-endian integers, money in
kopecks, text in CP1251 padded with NULs, TLV strings in CP866). Kept apart from the
register logic so each command's byte layout is in one obvious place.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from .errors import DeviceError
from .protocol import Answer, ShtrihLink

NOT_SET_5 = 0xFFFFFFFFFF  # "not given, let the register compute it" for 5-byte money fields


def le(value: int, size: int) -> bytes:
    """Little-endian unsigned integer of ``size`` bytes (refuses out-of-range values)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"integer expected, got {value!r}")
    return value.to_bytes(size, "little", signed=False)


def from_le(data: bytes) -> int:
    return int.from_bytes(data, "little", signed=False)


def text_cp1251(value: str, min_len: int = 0, max_len: int = 128) -> bytes:
    """CP1251 text, cut to ``max_len`` bytes and NUL-padded to ``min_len``."""
    raw = value.encode("cp1251", errors="replace")[:max_len]
    return raw + b"\x00" * max(0, min_len - len(raw))


def tlv(tag: int, value: bytes) -> bytes:
    return le(tag, 2) + le(len(value), 2) + value


def tlv_text(tag: int, value: str, max_len: int = 64) -> bytes:
    """A string tag for the fiscal storage: CP866, as the ФН expects."""
    return tlv(tag, value.encode("cp866", errors="replace")[:max_len])


def decode_datetime5(raw: bytes) -> dt.datetime | None:
    """YY MM DD HH MM (ФН date-time); None when the register sent nonsense."""
    if len(raw) < 5:
        return None
    try:
        return dt.datetime(2000 + raw[0], raw[1], raw[2], raw[3], raw[4])
    except ValueError:
        return None


@dataclass(frozen=True)
class ShortStatus:
    operator: int
    flags: int
    mode: int          # low nibble of the mode byte
    mode_status: int   # high nibble (for mode 8: 0 sale, 1 purchase, 2 sale return, 3 ...)
    submode: int
    operations: int


@dataclass(frozen=True)
class FullStatus:
    operator: int
    firmware: str
    document_counter: int  # "through" number of the last printed document (fiscal or not)
    flags: int
    mode: int
    mode_status: int
    submode: int
    serial_number: int
    last_closed_shift: int
    inn: int


@dataclass(frozen=True)
class DeviceModel:
    device_type: int
    subtype: int
    protocol: int
    subprotocol: int
    model: int
    language: int
    name: str


@dataclass(frozen=True)
class FnStatus:
    life_state: int
    current_document: int  # 0 none, 0x02 shift-open report, 0x04 receipt, 0x08 shift close
    document_data: int
    shift_open: bool
    warnings: int
    datetime: dt.datetime | None
    fn_number: str
    last_document_number: int


@dataclass(frozen=True)
class FnDocument:
    number: int
    doc_type: int  # 2 shift open, 3 receipt, 5 shift close, ...
    ofd_ack: bool
    datetime: dt.datetime | None
    fiscal_sign: int
    operation: int | None  # receipts: 1 sale (приход), 2 sale return, 3 expense, 4 ...
    amount: int | None


@dataclass(frozen=True)
class CloseResult:
    change: int
    document_number: int
    fiscal_sign: int
    datetime: dt.datetime | None


@dataclass(frozen=True)
class ShiftParams:
    shift_open: bool
    shift_number: int
    receipt_number: int


class Commands:
    """Typed wrappers over :meth:`ShtrihLink.execute`; raise :class:`DeviceError` on a
    non-zero error code. ``password`` is the operator's, ``admin_password`` the system
    administrator's (reports and ФН commands)."""

    def __init__(self, link: ShtrihLink, password: int, admin_password: int,
                 busy_wait: float = 5.0) -> None:
        self.link = link
        self.password = password
        self.admin_password = admin_password
        self.busy_wait = busy_wait

    def call(self, cmd: int, data: bytes = b"", *, admin: bool = False,
             with_password: bool = True) -> bytes:
        """Execute; on 0x58 (waiting for continue-print) send 0xB0 and try once more; on
        0x50 (still printing) wait a little and try again. Both are error answers, so the
        command was not executed and repeating it cannot double anything."""
        pw = self.admin_password if admin else self.password
        payload = (le(pw, 4) + data) if with_password else data
        deadline = time.monotonic() + self.busy_wait
        continued = False
        while True:
            answer: Answer = self.link.execute(cmd, payload)
            if answer.code == 0:
                return answer.data
            if answer.code == 0x58 and not continued and cmd != 0xB0:
                continued = True
                self.continue_print()
                continue
            if answer.code == 0x50 and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            raise DeviceError(cmd, answer.code)

    # --- state -----------------------------------------------------------------------------
    def short_status(self) -> ShortStatus:
        d = self.call(0x10)
        return ShortStatus(operator=d[0], flags=from_le(d[1:3]), mode=d[3] & 0x0F,
                           mode_status=d[3] >> 4, submode=d[4],
                           operations=d[5] | ((d[10] if len(d) > 10 else 0) << 8))

    def full_status(self) -> FullStatus:
        d = self.call(0x11)
        return FullStatus(operator=d[0], firmware=d[1:3].decode("latin-1"),
                          document_counter=from_le(d[9:11]), flags=from_le(d[11:13]),
                          mode=d[13] & 0x0F, mode_status=d[13] >> 4, submode=d[14],
                          serial_number=from_le(d[30:34]), last_closed_shift=from_le(d[34:36]),
                          inn=from_le(d[40:46]))

    def model(self) -> DeviceModel:
        d = self.call(0xFC, with_password=False)
        return DeviceModel(d[0], d[1], d[2], d[3], d[4], d[5],
                           d[6:].rstrip(b"\x00").decode("cp1251", errors="replace"))

    def fn_status(self) -> FnStatus:
        d = self.call(0xFF01, admin=True)
        return FnStatus(life_state=d[0], current_document=d[1], document_data=d[2],
                        shift_open=bool(d[3]), warnings=d[4], datetime=decode_datetime5(d[5:10]),
                        fn_number=d[10:26].rstrip(b"\x00").decode("ascii", errors="replace"),
                        last_document_number=from_le(d[26:30]))

    def fn_find_document(self, number: int) -> FnDocument:
        d = self.call(0xFF0A, le(number, 4), admin=True)
        doc_type, ack, body = d[0], bool(d[1]), d[2:]
        op = amount = None
        if doc_type == 3 and len(body) >= 19:  # receipt: dt, number, sign, operation, amount
            op, amount = body[13], from_le(body[14:19])
        return FnDocument(number=from_le(body[5:9]) if len(body) >= 9 else number,
                          doc_type=doc_type, ofd_ack=ack, datetime=decode_datetime5(body[0:5]),
                          fiscal_sign=from_le(body[9:13]) if len(body) >= 13 else 0,
                          operation=op, amount=amount)

    def shift_params(self) -> ShiftParams:
        d = self.call(0xFF40, admin=True)
        return ShiftParams(bool(d[0]), from_le(d[1:3]), from_le(d[3:5]))

    # --- shift -----------------------------------------------------------------------------
    def begin_open_shift(self) -> None:
        self.call(0xFF41, admin=True)

    def open_shift(self) -> None:
        self.call(0xE0)

    def begin_close_shift(self) -> None:
        self.call(0xFF42, admin=True)

    def z_report(self) -> None:
        self.call(0x41, admin=True)

    def x_report(self) -> None:
        self.call(0x40, admin=True)

    def fn_cancel_document(self) -> None:
        self.call(0xFF08, admin=True)

    # --- money and receipts ----------------------------------------------------------------
    def cash_in(self, amount: int) -> int:
        d = self.call(0x50, le(amount, 5))
        return from_le(d[1:3])

    def cash_out(self, amount: int) -> int:
        d = self.call(0x51, le(amount, 5))
        return from_le(d[1:3])

    def continue_print(self) -> None:
        self.call(0xB0, admin=True)

    def cancel_receipt(self) -> None:
        self.call(0x88)

    def send_tlv(self, data: bytes) -> None:
        self.call(0xFF0C, data, admin=True)

    def operation_v2(self, *, op_type: int, qty_micro: int, price: int, amount: int,
                     vat_byte: int, department: int, payment_method: int, subject: int,
                     name: str) -> None:
        """FF46: one receipt line. Opens the receipt if none is open."""
        self.call(0xFF46, bytes([op_type]) + le(qty_micro, 6) + le(price, 5) + le(amount, 5)
                  + le(NOT_SET_5, 5) + bytes([vat_byte, department, payment_method, subject])
                  + text_cp1251(name, min_len=40, max_len=128))

    def close_v2(self, payments: list[int], tax_system: int, text: str = "") -> CloseResult:
        """FF45: close the receipt with 16 payment sums; taxes left for the register."""
        if len(payments) != 16:
            raise ValueError("FF45 takes exactly 16 payment sums")
        data = b"".join(le(p, 5) for p in payments) + b"\x00" + le(0, 5) * 6
        data += bytes([tax_system]) + text_cp1251(text, max_len=64)
        d = self.call(0xFF45, data, admin=True)
        return CloseResult(change=from_le(d[0:5]), document_number=from_le(d[5:9]),
                           fiscal_sign=from_le(d[9:13]), datetime=decode_datetime5(d[13:18]))
