"""``dummy:`` — an in-memory register for stores without one (and for agent tests).

It keeps the same state machine as a real register (a sale needs an open shift, a Z report
closes it) and the same receipt validation, so the agent's code path does not change when a
real register is plugged in later. Results are marked ``simulated``: no fiscal document
exists, and the printer must not present the numbers as fiscal data.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import threading
from typing import Any, Mapping

from drivers.receipt_view import receipt_view

from .errors import DeviceError
from .receipt import DEFAULT_PAYMENT_SLOTS, DEFAULT_VAT_MAP, plan_receipt, receipt_key
from .register import (
    DocumentInfo,
    FiscalRegister,
    FiscalResult,
    RegisterStatus,
    ShiftReport,
    check_amount,
)


class DummyRegister(FiscalRegister):
    """Journals every document in memory; ``fiscalize`` is idempotent per receipt."""

    def __init__(self, vat_overrides: Mapping[str, int] | None = None,
                 payment_slot_overrides: Mapping[str, int] | None = None,
                 **_ignored: Any) -> None:
        self.vat_map = {**DEFAULT_VAT_MAP, **(vat_overrides or {})}
        self.payment_slots = {**DEFAULT_PAYMENT_SLOTS, **(payment_slot_overrides or {})}
        self._lock = threading.RLock()
        self._journal: list[dict[str, Any]] = []
        self._by_key: dict[str, FiscalResult] = {}
        self._shift_open = False
        self._shift_number = 0
        self._receipts_in_shift = 0
        self._cash = 0

    @property
    def journal(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._journal)

    def _add(self, doc_type: str, **fields: Any) -> dict[str, Any]:
        doc = {"number": len(self._journal) + 1, "type": doc_type,
               "datetime": dt.datetime.now().replace(second=0, microsecond=0), **fields}
        self._journal.append(doc)
        return doc

    def status(self) -> RegisterStatus:
        with self._lock:
            return RegisterStatus(mode=2 if self._shift_open else 4, submode=0)

    def open_shift(self, cashier_name: str) -> ShiftReport:
        with self._lock:
            if self._shift_open:
                return ShiftReport(self._shift_number, len(self._journal),
                                   self._receipts_in_shift, already_open=True)
            self._shift_open = True
            self._shift_number += 1
            self._receipts_in_shift = 0
            doc = self._add("shift_open", shift=self._shift_number, cashier=cashier_name)
            return ShiftReport(self._shift_number, doc["number"])

    def fiscalize(self, receipt: Mapping[str, Any]) -> FiscalResult:
        plan = plan_receipt(receipt, vat_map=self.vat_map, payment_slots=self.payment_slots)
        key = getattr(receipt_view(receipt), "fiscal_key", None) or receipt_key(receipt)
        with self._lock:
            if key in self._by_key:
                return self._by_key[key]
            if not self._shift_open:
                raise DeviceError(0xFF46, 0x3D)
            self._receipts_in_shift += 1
            delta = plan.cash - max(0, sum(plan.payments) - plan.total)
            self._cash += delta if plan.kind == "sale" else -delta
            doc = self._add("receipt", kind=plan.kind, total=plan.total,
                            vat=dict(plan.vat_totals), payments=list(plan.payments),
                            lines=[op.__dict__.copy() for op in plan.operations])
            sign = int.from_bytes(hashlib.sha256(f"{key}{doc['number']}".encode()).digest()[:4],
                                  "little")
            result = FiscalResult(doc["number"], str(sign), "", plan.kind, plan.total,
                                  doc["datetime"], sum(plan.payments) - plan.total,
                                  simulated=True)
            self._by_key[key] = result
            return result

    def cancel_receipt(self) -> bool:
        return False

    def cash_in(self, amount: int) -> None:
        with self._lock:
            self._cash += check_amount(amount)
            self._add("cash_in", amount=amount)

    def cash_out(self, amount: int) -> None:
        with self._lock:
            if check_amount(amount) > self._cash:
                raise DeviceError(0x51, 0x46)
            self._cash -= amount
            self._add("cash_out", amount=amount)

    def x_report(self) -> None:
        with self._lock:
            self._add("x_report", shift=self._shift_number)

    def z_report(self, cashier_name: str | None = None) -> ShiftReport:
        with self._lock:
            if not self._shift_open:
                raise DeviceError(0x41, 0x3D)
            self._shift_open = False
            doc = self._add("shift_close", shift=self._shift_number, cashier=cashier_name,
                            receipts=self._receipts_in_shift)
            return ShiftReport(self._shift_number, doc["number"], self._receipts_in_shift)

    def last_document(self) -> DocumentInfo:
        with self._lock:
            return DocumentInfo("", len(self._journal), self._shift_open)
