"""The state machine of an emulated Shtrih-M-01F with a fiscal storage (ФН).

Written from the public protocol description, independently of our driver's codec (it
parses requests itself), so a layout mistake on one side shows up as a test failure rather
than cancelling out. It keeps a journal of fiscal documents for tests to compare with what
was sent. ``handle(cmd, data)`` returns the answer body (command bytes, error code, data).
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import hashlib
import threading
from typing import Any, Callable

MODEL_NAME = "ШТРИХ-М-01Ф"
PRINTING = {0xE0, 0x40, 0x41, 0x50, 0x51, 0x80, 0x82, 0x85, 0x8D, 0xFF45, 0xFF46}
#: commands that finish a document; lines are buffered until the receipt closes
DOCUMENT_END = {0xE0, 0x40, 0x41, 0x50, 0x51, 0x85, 0xFF45}
KINDS = {0: "sale", 1: "purchase", 2: "return", 3: "purchase_return"}
FF46_KINDS = {1: "sale", 2: "return", 3: "purchase", 4: "purchase_return"}
KIND_STATUS = {"sale": 0, "purchase": 1, "return": 2, "purchase_return": 3}
KIND_FN_OP = {"sale": 1, "return": 2, "purchase": 3, "purchase_return": 4}
GROUP_BITS = {1: 0x01, 2: 0x02, 3: 0x04, 4: 0x08, 5: 0x10, 6: 0x20}
PAY_NAMES = {0: "cash", 1: "card", 13: "advance"}
ADVANCE_SUM, FULL_SETTLEMENT = 13, 4  # FF45 sum 14 (зачёт аванса); tag 1214 = 4


class DeviceFault(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _le(v: int, n: int) -> bytes:
    return v.to_bytes(n, "little")


def _int(b: bytes) -> int:
    return int.from_bytes(b, "little")


def _cmd_bytes(cmd: int) -> bytes:
    return bytes([0xFF, cmd & 0xFF]) if cmd > 0xFF else bytes([cmd])


class EmulatedRegister:
    """A Shtrih-M-01F as seen through its commands. Thread-safe (one lock)."""

    def __init__(self, *, passwords: set[int] | None = None, group1_rate: str = "20",
                 extra_rates: dict[int, str] | None = None, shift_open: bool = False,
                 fn_number: str = "9999078902012345", serial_number: int = 12345678,
                 inn: int = 7701234567, cash: int = 0, short_close_answer: bool = False) -> None:
        self.lock = threading.RLock()
        self.operator = 30
        self.short_close_answer = short_close_answer  # older firmware: FF45 answers change only
        self.passwords = set(range(1, 31)) if passwords is None else set(passwords)
        self.rates = {0x01: group1_rate, 0x02: "10", 0x04: "0", 0x08: "none",
                      0x10: group1_rate + "/1" + group1_rate, 0x20: "10/110", **(extra_rates or {})}
        self.fn_number, self.serial_number, self.inn = fn_number, serial_number, inn
        self.shift_open, self.shift_expired, self.shift_number = shift_open, False, 1 if shift_open else 0
        self.receipts_in_shift = 0
        self.receipt: dict[str, Any] | None = None
        self.pending_doc: dict[str, Any] | None = None  # after FF41/FF42: collects TLVs
        self.paper = "ok"  # ok | out_passive | out_active | wait_continue
        self.paper_out_after_print = False
        self.fn_error: int | None = None
        self.forced_errors: dict[int, list[int]] = {}  # cmd -> [code, times]
        self.fd = 0                 # last fiscal document number
        self.doc_counter = 0        # every printed document
        self.cash = cash
        self.journal: list[dict[str, Any]] = []   # fiscal documents
        self.events: list[dict[str, Any]] = []    # non-fiscal: x reports, cash, cancels
        self.executed: collections.Counter[int] = collections.Counter()
        self.handlers: dict[int, Callable[[bytes], bytes]] = {
            0x10: self._short_status, 0x11: self._full_status, 0xFC: self._model,
            0xE0: self._open_shift, 0x40: self._x_report, 0x41: self._z_report,
            0x50: self._cash_in, 0x51: self._cash_out, 0xB0: self._continue_print,
            0x88: self._cancel, 0x8D: self._open_check, 0x80: self._legacy_sale,
            0x82: self._legacy_return, 0x85: self._legacy_close,
            0xFF01: self._fn_status, 0xFF08: self._fn_cancel, 0xFF0A: self._fn_find,
            0xFF0C: self._tlv, 0xFF40: self._shift_params, 0xFF41: self._begin_open,
            0xFF42: self._begin_close, 0xFF45: self._close_v2, 0xFF46: self._operation_v2,
        }

    # --- dispatch --------------------------------------------------------------------------
    def handle(self, cmd: int, data: bytes) -> bytes:
        with self.lock:
            head = _cmd_bytes(cmd)
            try:
                if cmd != 0xFC:
                    if len(data) < 4:
                        raise DeviceFault(0x09 if cmd > 0xFF else 0x33)
                    if _int(data[:4]) not in self.passwords:
                        raise DeviceFault(0x4F)
                    self.operator = min(_int(data[:4]), 30)
                    data = data[4:]
                forced = self.forced_errors.get(cmd)
                if forced and forced[1] > 0:
                    forced[1] -= 1
                    raise DeviceFault(forced[0])
                handler = self.handlers.get(cmd)
                if handler is None:
                    raise DeviceFault(0x37)
                if cmd in PRINTING:
                    self._check_paper()
                body = handler(data)
            except DeviceFault as fault:
                return head + bytes([fault.code])
            except (IndexError, ValueError):
                return head + bytes([0x33])
            self.executed[cmd] += 1
            if cmd in DOCUMENT_END and self.paper_out_after_print:
                self.paper_out_after_print, self.paper = False, "out_active"
            return head + b"\x00" + body

    def _check_paper(self) -> None:
        if self.paper in ("out_passive", "out_active"):
            raise DeviceFault(0x6B)
        if self.paper == "wait_continue":
            raise DeviceFault(0x58)

    # --- modes -----------------------------------------------------------------------------
    def mode_byte(self) -> int:
        if self.receipt is not None:
            return 8 | (KIND_STATUS[self.receipt["kind"]] << 4)
        if self.shift_open:
            return 3 if self.shift_expired else 2
        return 4

    def submode(self) -> int:
        return {"ok": 0, "out_passive": 1, "out_active": 2, "wait_continue": 3}[self.paper]

    def _need_sales_mode(self) -> None:
        if self.fn_error:
            raise DeviceFault(self.fn_error)
        if not self.shift_open:
            raise DeviceFault(0x3D)
        if self.shift_expired:
            raise DeviceFault(0x4E)

    def _no_receipt(self) -> None:
        if self.receipt is not None:
            raise DeviceFault(0x4A)

    def _now(self) -> dt.datetime:
        return dt.datetime.now().replace(second=0, microsecond=0)

    def _dt5(self, when: dt.datetime) -> bytes:
        return bytes([when.year - 2000, when.month, when.day, when.hour, when.minute])

    def _new_fd(self, doc_type: str, **fields: Any) -> dict[str, Any]:
        self.fd += 1
        self.doc_counter += 1
        when = self._now()
        sign = _int(hashlib.sha256(f"{self.fn_number}/{self.fd}/{fields}".encode()).digest()[:4])
        doc = {"fd": self.fd, "type": doc_type, "fiscal_sign": sign, "datetime": when,
               "shift": self.shift_number, **fields}
        self.journal.append(doc)
        return doc

    # --- status ----------------------------------------------------------------------------
    def _short_status(self, _: bytes) -> bytes:
        flags = 0x0082 if self.paper == "ok" else 0
        ops = len(self.receipt["lines"]) if self.receipt else 0
        return (bytes([self.operator]) + _le(flags, 2) + bytes([self.mode_byte(), self.submode(),
                ops & 0xFF, 0x9A, 0xC8, 0, 0, ops >> 8]) + b"\x00" * 3)

    def _full_status(self, _: bytes) -> bytes:
        now = dt.datetime.now()
        flags = 0x0082 if self.paper == "ok" else 0
        return (bytes([self.operator]) + b"C1" + _le(2048, 2) + bytes([1, 1, 24, 1])
                + _le(self.doc_counter & 0xFFFF, 2) + _le(flags, 2)
                + bytes([self.mode_byte(), self.submode(), 1]) + b"C1" + _le(2048, 2)
                + bytes([1, 1, 24]) + bytes([now.day, now.month, now.year - 2000])
                + bytes([now.hour, now.minute, now.second, 0x0F]) + _le(self.serial_number, 4)
                + _le(max(0, self.shift_number - (1 if self.shift_open else 0)), 2)
                + _le(2000, 2) + bytes([1, 11]) + _le(self.inn, 6))

    def _model(self, _: bytes) -> bytes:
        return bytes([0, 0, 1, 0, 0x13, 0]) + MODEL_NAME.encode("cp1251")

    # --- shift -----------------------------------------------------------------------------
    def _begin_open(self, _: bytes) -> bytes:
        if self.shift_open:
            raise DeviceFault(0x3C)
        if self.pending_doc is not None:
            raise DeviceFault(0x02)  # a document is already begun in the ФН
        self.pending_doc = {"type": "shift_open", "tlv": {}}
        return b""

    def _begin_close(self, _: bytes) -> bytes:
        if not self.shift_open:
            raise DeviceFault(0x3D)
        self._no_receipt()
        if self.pending_doc is not None:
            raise DeviceFault(0x02)
        self.pending_doc = {"type": "shift_close", "tlv": {}}
        return b""

    def _fn_cancel(self, _: bytes) -> bytes:
        self.pending_doc = None
        return b""

    def _open_shift(self, _: bytes) -> bytes:
        self._no_receipt()
        if self.fn_error:
            raise DeviceFault(self.fn_error)
        if self.shift_open:
            raise DeviceFault(0x3C)
        tlvs = self.pending_doc["tlv"] if self.pending_doc else {}
        self.pending_doc = None
        self.shift_open, self.shift_expired = True, False
        self.shift_number += 1
        self.receipts_in_shift = 0
        self._new_fd("shift_open", cashier=tlvs.get(1021), tlv=tlvs)
        return b""

    def _z_report(self, _: bytes) -> bytes:
        self._no_receipt()
        if not self.shift_open:
            raise DeviceFault(0x3D)
        tlvs = self.pending_doc["tlv"] if self.pending_doc else {}
        self.pending_doc = None
        receipts = [d for d in self.journal if d["type"] == "receipt" and d["shift"] == self.shift_number]
        self._new_fd("shift_close", cashier=tlvs.get(1021), tlv=tlvs, receipts=len(receipts))
        self.shift_open = self.shift_expired = False
        return bytes([self.operator])

    def _x_report(self, _: bytes) -> bytes:
        self._no_receipt()
        self.doc_counter += 1
        self.events.append({"type": "x_report", "shift": self.shift_number})
        return bytes([self.operator])

    def _shift_params(self, _: bytes) -> bytes:
        return bytes([int(self.shift_open)]) + _le(self.shift_number, 2) + _le(self.receipts_in_shift, 2)

    # --- cash ------------------------------------------------------------------------------
    def _cash_move(self, data: bytes, sign: int) -> bytes:
        self._no_receipt()
        if not self.shift_open:
            raise DeviceFault(0x3D)
        amount = _int(data[:5])
        if sign < 0 and amount > self.cash:
            raise DeviceFault(0x46)
        self.cash += sign * amount
        self.doc_counter += 1
        self.events.append({"type": "cash_in" if sign > 0 else "cash_out", "amount": amount})
        return bytes([self.operator]) + _le(self.doc_counter & 0xFFFF, 2)

    def _cash_in(self, data: bytes) -> bytes:
        return self._cash_move(data, +1)

    def _cash_out(self, data: bytes) -> bytes:
        return self._cash_move(data, -1)

    def _continue_print(self, _: bytes) -> bytes:
        if self.paper == "wait_continue":
            self.paper = "ok"
        return bytes([self.operator])

    # --- receipts --------------------------------------------------------------------------
    def _start_receipt(self, kind: str) -> None:
        self._need_sales_mode()
        self.receipt = {"kind": kind, "lines": [], "tlv": {}}

    def _add_line(self, kind: str, line: dict[str, Any]) -> None:
        if self.receipt is None:
            self._start_receipt(kind)
        elif self.receipt["kind"] != kind:
            raise DeviceFault(0x49)
        if self.fn_error:
            raise DeviceFault(self.fn_error)
        self.receipt["lines"].append(line)

    def _operation_v2(self, d: bytes) -> bytes:
        kind = FF46_KINDS.get(d[0])
        qty, price, amount, vat_byte = _int(d[1:7]), _int(d[7:12]), _int(d[12:17]), d[22]
        if kind is None or qty == 0 or vat_byte not in self.rates:
            raise DeviceFault(0x33)
        computed = (price * qty + 500_000) // 1_000_000
        if amount == 0xFFFFFFFFFF:
            amount = computed
        elif abs(amount - computed) > 1:
            raise DeviceFault(0x33)
        name = d[26:].rstrip(b"\x00").decode("cp1251", errors="replace")
        self._add_line(kind, {"name": name, "qty_micro": qty, "price": price, "amount": amount,
                              "vat_byte": vat_byte, "vat": self.rates[vat_byte], "department": d[23],
                              "payment_method": d[24], "subject": d[25]})
        return b""

    def _open_check(self, d: bytes) -> bytes:
        self._no_receipt()
        self._start_receipt(KINDS.get(d[0], "sale"))
        return bytes([self.operator])

    def _legacy_line(self, d: bytes, kind: str) -> bytes:
        qty, price, tax1 = _int(d[0:5]), _int(d[5:10]), d[11]
        vat_byte = GROUP_BITS.get(tax1)
        rate = self.rates.get(vat_byte, "none") if vat_byte else "none"
        name = d[15:].rstrip(b"\x00").decode("cp1251", errors="replace")
        self._add_line(kind, {"name": name, "qty_micro": qty * 1000, "price": price,
                              "amount": (price * qty + 500) // 1000, "vat_byte": vat_byte or 0,
                              "vat": rate, "department": d[10], "payment_method": 4, "subject": 1})
        return bytes([self.operator])

    def _legacy_sale(self, d: bytes) -> bytes:
        return self._legacy_line(d, "sale")

    def _legacy_return(self, d: bytes) -> bytes:
        return self._legacy_line(d, "return")

    def _tlv(self, d: bytes) -> bytes:
        target = self.receipt if self.receipt is not None else self.pending_doc
        if target is None:
            raise DeviceFault(0x02)
        pos = 0
        while pos + 4 <= len(d):
            tag, ln = _int(d[pos:pos + 2]), _int(d[pos + 2:pos + 4])
            target["tlv"][tag] = d[pos + 4:pos + 4 + ln].decode("cp866", errors="replace")
            pos += 4 + ln
        return b""

    def _close(self, payments: list[int], tax_system: int) -> tuple[int, dict[str, Any]]:
        if self.receipt is None:
            raise DeviceFault(0x55)
        if self.fn_error:
            raise DeviceFault(self.fn_error)
        r = self.receipt
        total = sum(line["amount"] for line in r["lines"])
        paid, cash = sum(payments), payments[0]
        if payments[ADVANCE_SUM] and any(line.get("payment_method") != FULL_SETTLEMENT
                                         for line in r["lines"]):
            raise DeviceFault(0x33)  # an advance is settled only by a full-settlement receipt
        if paid < total:
            raise DeviceFault(0x45)
        if paid - cash > total:
            raise DeviceFault(0x4D)
        change = paid - total
        drawer = cash - change
        if r["kind"] in ("return", "purchase") and drawer > self.cash:
            raise DeviceFault(0x46)
        self.cash += drawer if r["kind"] in ("sale", "purchase_return") else -drawer
        vat: dict[str, int] = {}
        for line in r["lines"]:
            vat[line["vat"]] = vat.get(line["vat"], 0) + line["amount"]
        named = {PAY_NAMES.get(i, f"type{i + 1}"): p for i, p in enumerate(payments) if p}
        self.receipt = None
        self.receipts_in_shift += 1
        doc = self._new_fd("receipt", kind=r["kind"], lines=r["lines"], total=total, vat=vat,
                           payments=named, payments_raw=list(payments), change=change,
                           tax_system=tax_system, tlv=r["tlv"], cashier=r["tlv"].get(1021),
                           contact=r["tlv"].get(1008), receipt_in_shift=self.receipts_in_shift)
        return change, doc

    def _close_v2(self, d: bytes) -> bytes:
        payments = [_int(d[i * 5:i * 5 + 5]) for i in range(16)]
        tax_system = d[80 + 1 + 30]
        change, doc = self._close(payments, tax_system)
        if self.short_close_answer:
            return _le(change, 5)
        return (_le(change, 5) + _le(doc["fd"], 4) + _le(doc["fiscal_sign"], 4)
                + self._dt5(doc["datetime"]))

    def _legacy_close(self, d: bytes) -> bytes:
        payments = [_int(d[i * 5:i * 5 + 5]) for i in range(4)] + [0] * 12
        change, _ = self._close(payments, 0)
        return bytes([self.operator]) + _le(change, 5)

    def _cancel(self, _: bytes) -> bytes:
        if self.receipt is None:
            raise DeviceFault(0x55)
        self.events.append({"type": "cancelled_receipt", **copy.deepcopy(self.receipt)})
        self.receipt = None
        self.doc_counter += 1
        return bytes([self.operator])

    # --- fiscal storage ---------------------------------------------------------------------
    def _fn_status(self, _: bytes) -> bytes:
        current = 0x04 if self.receipt else {"shift_open": 0x02, "shift_close": 0x08}.get(
            (self.pending_doc or {}).get("type"), 0)
        return (bytes([0x03, current, 0, int(self.shift_open), 0]) + self._dt5(self._now())
                + self.fn_number.encode("ascii")[:16].ljust(16, b"\x00") + _le(self.fd, 4))

    def _fn_find(self, d: bytes) -> bytes:
        number = _int(d[:4])
        doc = next((x for x in self.journal if x["fd"] == number), None)
        if doc is None:
            raise DeviceFault(0x08)
        head = self._dt5(doc["datetime"]) + _le(doc["fd"], 4) + _le(doc["fiscal_sign"], 4)
        if doc["type"] == "receipt":
            return bytes([3, 0]) + head + bytes([KIND_FN_OP[doc["kind"]]]) + _le(doc["total"], 5)
        return bytes([2 if doc["type"] == "shift_open" else 5, 0]) + head + _le(doc["shift"], 2)

    # --- for tests ---------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy({"journal": self.journal, "events": self.events, "fd": self.fd,
                                  "cash": self.cash, "mode": self.mode_byte() & 0x0F,
                                  "executed": dict(self.executed)})
