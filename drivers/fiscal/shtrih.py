"""Shtrih-M 54-FZ register driver: the ``FiscalRegister`` interface over the link layer.

The rule everything here serves: one sale, at most one fiscal receipt. ``fiscalize``:

1. validates the receipt and computes every operation before touching the register;
2. reads status: cancels a receipt left open (mode 8), continues printing if the register
   waits for it, refuses clearly on paper out / shift closed / shift over 24 h;
3. reads the last fiscal document number N from the fiscal storage (FF01) and remembers
   "this sale was attempted after N" (in memory and, with ``state_path``, on disk);
4. sends the lines (FF46), cashier and customer contact (FF0C), then the close (FF45);
5. on ANY failure after that: reconnects, reads status and the last document number again.
   If a receipt newer than N with our type and total exists, the sale is done: its fiscal
   sign comes from FF0A and it is returned. Otherwise a receipt still open is cancelled and
   :class:`ReceiptNotFiscalized` (safe to retry) is raised. FF45 is never resent blindly.
   If the register cannot be reached, :class:`OutcomeUnknown` is raised and the attempt
   stays remembered: the next ``fiscalize`` of the same receipt checks first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import threading
import time
from typing import Any, Callable, Mapping

from drivers.receipt_view import receipt_view

from .commands import CloseResult, Commands, FnDocument, FnStatus, tlv_text
from .errors import (
    DeviceError,
    FiscalError,
    LinkDown,
    LinkError,
    LinkLost,
    NotExecuted,
    OutcomeUnknown,
    ReceiptNotFiscalized,
)
from .protocol import ShtrihLink, Timeouts
from .receipt import (
    DEFAULT_PAYMENT_SLOTS,
    DEFAULT_VAT_MAP,
    TAG_CASHIER,
    TAG_CUSTOMER_CONTACT,
    ReceiptPlan,
    plan_receipt,
    receipt_key,
)
from .register import (
    DocumentInfo,
    FiscalRegister,
    FiscalResult,
    RegisterStatus,
    ShiftReport,
    check_amount,
)

log = logging.getLogger(__name__)
DOC_RECEIPT = 3
DONE_KEEP = 1000  # completed receipts remembered for idempotent retries


def _result_to_json(r: FiscalResult) -> dict[str, Any]:
    return {"document_number": r.document_number, "fiscal_sign": r.fiscal_sign,
            "fn_number": r.fn_number, "kind": r.kind, "total": r.total, "change": r.change,
            "datetime": r.datetime.isoformat() if r.datetime else None}


def _result_from_json(d: Mapping[str, Any]) -> FiscalResult:
    when = dt.datetime.fromisoformat(d["datetime"]) if d.get("datetime") else None
    return FiscalResult(int(d["document_number"]), str(d["fiscal_sign"]), str(d["fn_number"]),
                        str(d["kind"]), int(d["total"]), when, d.get("change"), recovered=True)


class ShtrihRegister(FiscalRegister):
    """A Shtrih-M register on ``port_url`` (a pyserial URL: device path or socket://)."""

    def __init__(self, port_url: str | None = None, *, port: Any = None, baudrate: int = 115200,
                 password: int = 30, admin_password: int | None = None,
                 timeout: float = 10.0, report_timeout: float = 30.0, byte_timeout: float = 0.1,
                 control_timeout: float = 1.0, vat_overrides: Mapping[str, int] | None = None,
                 payment_slot_overrides: Mapping[str, int] | None = None, department: int = 0,
                 payment_method: int = 4, subject: int = 1, tax_system: int = 1,
                 state_path: str | None = None, recovery_attempts: int = 4,
                 recovery_delay: float = 0.2) -> None:
        timeouts = Timeouts(command=timeout, report=report_timeout, byte=byte_timeout,
                            control=control_timeout)
        self.link = ShtrihLink(port_url, port=port, baudrate=baudrate, timeouts=timeouts)
        self.cmd = Commands(self.link, password, admin_password or password,
                            busy_wait=min(timeout, 5.0))
        self.vat_map = {**DEFAULT_VAT_MAP, **(vat_overrides or {})}
        self.payment_slots = {**DEFAULT_PAYMENT_SLOTS, **(payment_slot_overrides or {})}
        self.department, self.payment_method, self.subject = department, payment_method, subject
        self.tax_system = tax_system
        self.state_path = state_path
        self.recovery_attempts = recovery_attempts
        self.recovery_delay = recovery_delay
        self._lock = threading.RLock()
        self._load_state()

    # --- attempt memory (what makes a retry safe) -------------------------------------------
    def _load_state(self) -> None:
        self._pending: dict[str, int] = {}
        self._done: dict[str, dict[str, Any]] = {}
        if self.state_path and os.path.exists(self.state_path):
            with open(self.state_path, encoding="utf-8") as f:
                state = json.load(f)
            self._pending = {str(k): int(v) for k, v in state.get("pending", {}).items()}
            self._done = dict(state.get("done", {}))

    def _save_state(self) -> None:
        if not self.state_path:
            return
        tmp = f"{self.state_path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"pending": self._pending, "done": self._done}, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)

    def _remember(self, key: str, before: int) -> None:
        self._pending[key] = before
        self._save_state()

    def _finish(self, key: str, result: FiscalResult | None, identified: bool) -> None:
        """Forget the attempt; keep the result of an identified receipt (bounded)."""
        self._pending.pop(key, None)
        if result is not None and identified:
            self._done[key] = _result_to_json(result)
            while len(self._done) > DONE_KEEP:
                self._done.pop(next(iter(self._done)))
        self._save_state()

    @property
    def pending_attempts(self) -> dict[str, int]:
        """Receipt keys whose outcome is still unknown -> last document number before them."""
        return dict(self._pending)

    # --- state -----------------------------------------------------------------------------
    def status(self) -> RegisterStatus:
        with self._lock:
            s = self.cmd.short_status()
            return RegisterStatus(mode=s.mode, submode=s.submode, mode_status=s.mode_status,
                                  operator=s.operator)

    def last_document(self) -> DocumentInfo:
        with self._lock:
            fn = self.cmd.fn_status()
            return DocumentInfo(fn.fn_number, fn.last_document_number, fn.shift_open,
                                fn.current_document, fn.datetime)

    def _ready(self, command: int) -> RegisterStatus:
        """Status, after clearing what can be cleared; a clear error for the rest."""
        st = self.status()
        if st.waiting_continue_print:
            self.cmd.continue_print()
            st = self.status()
        deadline = time.monotonic() + self.cmd.busy_wait
        while st.printing and time.monotonic() < deadline:
            time.sleep(0.1)
            st = self.status()
        if st.paper_out:
            raise DeviceError(command, 0x6B)
        if st.printing:
            raise DeviceError(command, 0x50)
        return st

    def _reconnect_and_read(self) -> tuple[RegisterStatus, FnStatus]:
        """Reopen the port and read status + ФН status, retrying a few times."""
        last: Exception | None = None
        for attempt in range(self.recovery_attempts):
            try:
                self.link.reopen()
                return self.status(), self.cmd.fn_status()
            except LinkError as exc:
                last = exc
                time.sleep(self.recovery_delay * (attempt + 1))
        raise OutcomeUnknown(last)

    # --- shift -----------------------------------------------------------------------------
    def open_shift(self, cashier_name: str) -> ShiftReport:
        with self._lock:
            st = self._ready(0xE0)
            if st.shift_expired:
                raise DeviceError(0xE0, 0x4E)
            if st.shift_open:
                p = self.cmd.shift_params()
                return ShiftReport(p.shift_number, self.cmd.fn_status().last_document_number,
                                   p.receipt_number, already_open=True)
            self._with_cashier(self.cmd.begin_open_shift, cashier_name)
            self._finish_shift_document(self.cmd.open_shift, lambda s: s.shift_open)
            p = self.cmd.shift_params()
            return ShiftReport(p.shift_number, self.cmd.fn_status().last_document_number)

    def z_report(self, cashier_name: str | None = None) -> ShiftReport:
        with self._lock:
            st = self._ready(0x41)
            if not st.shift_open:
                raise DeviceError(0x41, 0x3D)
            p = self.cmd.shift_params()
            if cashier_name:
                self._with_cashier(self.cmd.begin_close_shift, cashier_name)
            self._finish_shift_document(self.cmd.z_report, lambda s: not s.shift_open)
            return ShiftReport(p.shift_number, self.cmd.fn_status().last_document_number,
                               p.receipt_number)

    def _with_cashier(self, begin: Callable[[], None], cashier_name: str) -> None:
        """Begin the shift document and attach the cashier (tag 1021); firmware without the
        begin command (0x37) simply gets the plain shift command."""
        try:
            try:
                begin()
            except DeviceError as exc:
                if exc.code == 0x37:
                    return
                if exc.code != 0x02:
                    raise
                # a shift document begun by an earlier, interrupted call: drop it, begin again
                self.cmd.fn_cancel_document()
                begin()
            self.cmd.send_tlv(tlv_text(TAG_CASHIER, cashier_name))
        except LinkLost as exc:
            # only the shift document's preamble may have run; the next call cleans it up
            raise NotExecuted(exc) from exc
        except DeviceError:
            self._quietly(self.cmd.fn_cancel_document)
            raise

    def _finish_shift_document(self, action: Callable[[], None],
                               done: Callable[[RegisterStatus], bool]) -> None:
        """The shift command proper; if the register refuses it, drop the begun document so
        the next attempt starts clean."""
        try:
            self._state_changing(action, done)
        except DeviceError:
            self._quietly(self.cmd.fn_cancel_document)
            raise

    def _state_changing(self, action: Callable[[], object],
                        done: Callable[[RegisterStatus], bool]) -> None:
        """Run a non-repeatable command; if its answer is lost, decide from the mode."""
        try:
            action()
        except LinkLost as exc:
            st, _ = self._reconnect_and_read()
            if not done(st):
                raise NotExecuted(exc) from exc

    # --- cash, reports, cancel ---------------------------------------------------------------
    def cash_in(self, amount: int) -> None:
        self._cash(self.cmd.cash_in, check_amount(amount))

    def cash_out(self, amount: int) -> None:
        self._cash(self.cmd.cash_out, check_amount(amount))

    def _cash(self, action: Callable[[int], int], amount: int) -> None:
        """Cash in/out are not fiscal documents; the printed-document counter of the full
        status tells whether a lost command was executed."""
        with self._lock:
            self._ready(0x50)
            before = self.cmd.full_status().document_counter
            try:
                action(amount)
            except LinkLost as exc:
                self._reconnect_and_read()
                if self.cmd.full_status().document_counter == before:
                    raise NotExecuted(exc) from exc

    def x_report(self) -> None:
        with self._lock:
            self._ready(0x40)
            self.cmd.x_report()

    def cancel_receipt(self) -> bool:
        with self._lock:
            if not self.status().receipt_open:
                return False
            self._state_changing(self.cmd.cancel_receipt, lambda s: not s.receipt_open)
            return True

    def close(self) -> None:
        self.link.close()

    # --- the receipt -------------------------------------------------------------------------
    def plan(self, receipt: Mapping[str, Any]) -> ReceiptPlan:
        """The exact operations ``fiscalize`` would send (validation without I/O)."""
        return plan_receipt(receipt, vat_map=self.vat_map, payment_slots=self.payment_slots,
                            department=self.department, payment_method=self.payment_method,
                            subject=self.subject, tax_system=self.tax_system)

    def fiscalize(self, receipt: Mapping[str, Any]) -> FiscalResult:
        """Fiscalise once. A receipt with an identity (``sale_id``/``return_id`` or
        ``fiscal_key``) that was already fiscalised returns the stored result instead."""
        plan = self.plan(receipt)
        r = receipt_view(receipt)
        key = getattr(r, "fiscal_key", None) or receipt_key(receipt)
        identified = bool(getattr(r, "fiscal_key", None) or r.sale_id is not None
                          or r.return_id is not None)
        with self._lock:
            if identified and key in self._done:
                log.info("receipt already fiscalised; returning the stored result")
                return _result_from_json(self._done[key])
            if key in self._pending:
                found = self._settle_pending(key, plan)
                if found is not None:
                    self._finish(key, found, identified)
                    return found
                self._finish(key, None, identified)
            st = self._ready(0xFF46)
            if st.receipt_open:
                log.warning("a receipt was left open on the register; cancelling it")
                self._state_changing(self.cmd.cancel_receipt, lambda s: not s.receipt_open)
            elif st.shift_expired:
                raise DeviceError(0xFF46, 0x4E)
            elif not st.shift_open:
                raise DeviceError(0xFF46, 0x3D)
            fn = self.cmd.fn_status()
            self._remember(key, fn.last_document_number)
            try:
                close = self._register_and_close(plan)
                result = FiscalResult(close.document_number, str(close.fiscal_sign),
                                      fn.fn_number, plan.kind, plan.total, close.datetime,
                                      close.change)
                if close.document_number == 0:  # firmware whose FF45 answer is change only
                    found = self._find_receipt(plan, fn.last_document_number,
                                               self.cmd.fn_status())
                    if found is None:
                        raise OutcomeUnknown(None)
                    result = dataclasses.replace(found, change=close.change, recovered=False)
            except (DeviceError, LinkError) as exc:
                try:
                    result = self._recover(plan, fn.last_document_number, exc)
                except OutcomeUnknown:
                    raise  # the attempt stays remembered: the next call checks first
                except FiscalError:
                    self._finish(key, None, identified)
                    raise
            self._finish(key, result, identified)
            return result

    def _register_and_close(self, plan: ReceiptPlan) -> CloseResult:
        for op in plan.operations:
            self.cmd.operation_v2(op_type=op.op_type, qty_micro=op.qty_micro, price=op.price,
                                  amount=op.amount, vat_byte=op.vat_byte,
                                  department=op.department, payment_method=op.payment_method,
                                  subject=op.subject, name=op.name)
        if plan.cashier:
            self.cmd.send_tlv(tlv_text(TAG_CASHIER, plan.cashier))
        if plan.contact:
            self.cmd.send_tlv(tlv_text(TAG_CUSTOMER_CONTACT, plan.contact))
        return self.cmd.close_v2(plan.payments, plan.tax_system)

    def _recover(self, plan: ReceiptPlan, before: int, exc: FiscalError) -> FiscalResult:
        """After a failure: does our receipt exist? Return it, or make sure none is open."""
        log.warning("fiscalize failed (%s); checking the fiscal storage", exc.en)
        if isinstance(exc, LinkError):
            st, fn = self._reconnect_and_read()
        else:
            try:
                st, fn = self.status(), self.cmd.fn_status()
            except LinkError:
                st, fn = self._reconnect_and_read()
        found = self._find_receipt(plan, before, fn)
        if found is not None:
            return found
        if st.receipt_open:
            try:
                self.cmd.cancel_receipt()
            except LinkError as lost:
                st, fn = self._reconnect_and_read()
                if st.receipt_open:
                    raise OutcomeUnknown(lost) from exc
        raise ReceiptNotFiscalized(exc) from exc

    def _settle_pending(self, key: str, plan: ReceiptPlan) -> FiscalResult | None:
        """An earlier attempt of this receipt ended with the outcome unknown: check first."""
        before = self._pending[key]
        st, fn = self._reconnect_and_read()
        found = self._find_receipt(plan, before, fn)
        if found is None and st.receipt_open:
            self.cmd.cancel_receipt()
        return found

    def _find_receipt(self, plan: ReceiptPlan, before: int, fn: FnStatus) -> FiscalResult | None:
        """A receipt newer than ``before`` with our type and total, read back via FF0A."""
        for number in range(before + 1, fn.last_document_number + 1):
            try:
                doc: FnDocument = self.cmd.fn_find_document(number)
            except DeviceError:
                continue
            if doc.doc_type == DOC_RECEIPT and doc.operation == plan.op_type \
                    and doc.amount == plan.total:
                log.warning("receipt found in the fiscal storage as document %d", number)
                return FiscalResult(doc.number, str(doc.fiscal_sign), fn.fn_number, plan.kind,
                                    plan.total, doc.datetime, None, recovered=True)
        return None

    @staticmethod
    def _quietly(action: Callable[[], Any]) -> None:
        try:
            action()
        except (DeviceError, LinkDown):
            pass
