"""Fiscalisation of committed sales and returns (54-FZ), outside their transactions.

With a fiscal register configured a sale commits as ``pending``; this worker (the only
thread that talks to the register) fiscalises pending sales and returns in order and
stores the fiscal document number and sign with them, in a transaction that also queues a
``sale.fiscalized`` / ``return.fiscalized`` event for the hub.  A failure leaves the sale
visibly pending: a link or paper problem is retried by itself (the driver guarantees a
retry never prints a second receipt); an error that needs a person (shift over 24 h, fiscal
storage, a refused receipt, a receipt that cannot be built) marks it ``failed`` until a
manager retries or voids it.  Which is which is the device-failure contract's
``needs_person`` (agent.ports).  Shift open/close on the POS drive the register's shift
through the same worker.

Nothing the cashier waits for waits on the register for more than a few seconds: the POS
shift closes in its own transaction with its Z marked ``pending`` for the register
(``shift.fiscal_z_status``); this worker prints the register's Z after that shift's
receipts and retries it like a receipt; register commands queued before the close run
before its Z, those queued after it wait for it; the X report gives up after ``X_TIMEOUT``
seconds and is then never printed late.

A store restored from a backup (``agent.backup.recovery_pending``) prints neither receipts
nor owed Z reports until it has caught up with the hub: the hub may hold what the register
already did.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from peewee import fn

from . import clock, outbox, receipts, voids
from .backup import recovery_pending
from .errors import Conflict
from .models import Cashier, CashMove, Sale, SaleReturn, Shift
from .ports import failure_message, needs_person
from .worker import Worker

if TYPE_CHECKING:
    from .ports import FiscalRegister

log = logging.getLogger("store_agent.fiscal")

X_TIMEOUT = 5.0  # seconds the X report waits for the register
Z_WAIT = 3.0  # seconds the shift close waits for the register's Z before answering pending


# What the register owes, oldest first across them: (kind, model, status, time).
_QUEUES = (("sale", Sale, Sale.fiscal_status, Sale.created_at),
           ("return", SaleReturn, SaleReturn.fiscal_status, SaleReturn.created_at),
           ("deposit", Shift, Shift.fiscal_cash_status, Shift.opened_at),
           ("cash", CashMove, CashMove.fiscal_status, CashMove.created_at))


class StillPending(Exception):
    """The receipt or Z at the head of the queue did not go through yet: back off, retry."""


class FiscalWorker(Worker):
    name = "fiscal"

    def __init__(self, store, register: FiscalRegister, retry_max: float = 30.0):
        super().__init__(interval=1.0)
        self.store, self.register, self.retry_max = store, register, retry_max
        self.last_error: str | None = None
        self.lang = store.config.get("ui", "language")
        self.shift_opening = None  # the future of the last shift opened on the register
        self._settled = threading.Event()  # pulses when a Z settles
        store.on("sale.committed", self.poke)
        store.on("return.committed", self.poke)
        store.on("fiscal.retry", self.poke)
        store.on("shift.closed", self.poke)  # its Z is due
        store.on("shift.opened", self._shift_opened)
        store.on("cash.moved", self.poke)  # the cash moves are queued like receipts

    # -- commands for the register, run on the worker thread ------------------------------
    def job_stamp(self):
        """Register commands are stamped with the store clock: those queued before a shift
        close run before its Z, those queued after it wait for it."""
        return clock.iso()

    def call(self, fn, *args, timeout: float = 90.0):
        """Run ``fn(register, *args)`` on the worker after what is queued; wait for it."""
        return self.submit(fn, self.register, *args).result(timeout=timeout)

    def _shift_opened(self, cashier_name: str, **_):
        """The register's shift opens as a job after the POS shift; its future is kept in
        ``shift_opening`` (and ``wait_idle`` covers it)."""
        self.shift_opening = self.submit(lambda reg, name: reg.open_shift(name), self.register,
                                         cashier_name)

    def z_status(self, shift_id: int, wait: float = Z_WAIT) -> dict:
        """The register's Z of a closed shift: waits up to ``wait`` s for it to settle, then
        answers what is known (``pending`` while the register has not printed it)."""
        self.poke()
        deadline = clock.now().timestamp() + wait
        while True:
            out = z_state(shift_id)
            if out["status"] != "pending" or clock.now().timestamp() >= deadline:
                return out
            self._settled.wait(0.1)

    def x_report(self, timeout: float = X_TIMEOUT):
        """The register's X report; a register that does not answer in ``timeout`` s is
        reported unreachable and the report is not printed later."""
        fut = self.submit(lambda reg: reg.x_report(), self.register)
        try:
            return fut.result(timeout=timeout)
        except Exception as e:
            fut.cancel()
            timed_out = isinstance(e, (FutureTimeout, TimeoutError))
            if timed_out or not needs_person(e):
                raise Conflict("the fiscal register is unreachable: no X report was printed"
                               + ("" if timed_out else f" ({self._message(e)})"),
                               code="register_unreachable", register="unreachable") from None
            raise

    # -- the loop --------------------------------------------------------------------------
    def stop(self, timeout: float = 15.0):
        super().stop(timeout)

    def _next(self):
        """The oldest document the register owes: a sale, a return, a shift's opening cash
        deposit or a cash in/out, as ``(kind, id, at)``; ``None`` when there is none."""
        if recovery_pending(Sale._meta.database):  # restored: the hub may hold the outcome
            return None
        heads = []
        for kind, model, status, at in _QUEUES:
            row = (model.select(model.id, at).where(status == "pending").order_by(model.id)
                   .first())
            if row is not None:
                heads.append((getattr(row, at.name), kind, row.id))
        if not heads:
            return None
        at, kind, row_id = min(heads)
        return kind, row_id, at

    def _z_due(self, item) -> Shift | None:
        """A closed shift whose Z the register owes, once that shift's receipts are settled;
        none while a restored store catches up (the hub may hold the Z's outcome)."""
        if recovery_pending(Shift._meta.database):
            return None
        shift = (Shift.select().where(Shift.fiscal_z_status == "pending").order_by(Shift.id)
                 .first())
        if shift is None:
            return None
        if item is not None and item[2] <= shift.closed_at:
            return None  # a receipt (or cash) of that shift goes first
        return shift

    def run_jobs(self, until=None) -> None:
        """The queued register commands, in order; while a Z is due only those queued
        before its shift closed (a shift opened before a close opens on the register before
        that close's Z; what was queued after the close waits for it)."""
        if until is None:
            shift = self._z_due(self._next())
            until = shift.closed_at if shift is not None else None
        super().run_jobs(until)

    def run_round(self):
        """Print the Z that is due, else fiscalise the oldest pending receipt; a failure
        backs off (the one retry policy, capped at ``retry_max``), woken early by new work,
        with the register's commands and a fresh look at the queue before every attempt."""
        item = self._next()
        if item is None and self._z_due(None) is None:
            return None
        for attempt in self.retrying(StillPending, max_wait=self.retry_max, wake_early=True):
            with attempt:
                self.run_jobs()
                item = self._next()
                shift = self._z_due(item)
                if shift is not None:
                    if not self._close_register_shift(shift):
                        raise StillPending()
                elif item is not None and not self._settle(*item[:2]):
                    raise StillPending()
        return 0

    def _message(self, e: BaseException) -> str:
        return failure_message(e, self.lang)

    def _settle(self, kind: str, row_id: int) -> bool:
        return (self._move_cash(kind, row_id) if kind in ("deposit", "cash")
                else self._fiscalize(kind, row_id))

    def _move_cash(self, kind: str, row_id: int) -> bool:
        """Put the drawer's cash on the register: a shift's opening cash (внесение) or a
        cash in/out; retried like a receipt (the driver never does one twice)."""
        if kind == "deposit":
            model, status_field, error_field = Shift, "fiscal_cash_status", "fiscal_cash_error"
            row = Shift.get_by_id(row_id)
            direction, amount = "in", row.opening_cash
        else:
            model, status_field, error_field = CashMove, "fiscal_status", "fiscal_error"
            row = CashMove.get_by_id(row_id)
            direction, amount = row.kind, row.amount
        try:
            (self.register.cash_in if direction == "in" else self.register.cash_out)(amount)
        except Exception as e:
            message = self._message(e)[:300]
            status = "failed" if needs_person(e) else "pending"
            with self.store.db.write():
                model.update({status_field: status, error_field: message}).where(
                    model.id == row_id).execute()
            self.last_error = message
            log.warning("cash %s of %s (%s %s) failed (%s): %s", direction, amount, kind,
                        row_id, status, message)
            return False
        with self.store.db.write():
            model.update({status_field: "done", error_field: None}).where(
                model.id == row_id).execute()
        self.last_error = None
        return True

    def _fiscalize(self, kind: str, row_id: int) -> bool:
        model = Sale if kind == "sale" else SaleReturn
        try:  # a receipt that does not build (ReceiptError) needs a person: failed
            doc = (receipts.for_sale(self.store, row_id) if kind == "sale"
                   else receipts.for_return(self.store, row_id))
            result = self.register.fiscalize(doc)
        except Exception as e:
            message = self._message(e)[:300]
            status = "failed" if needs_person(e) else "pending"
            with self.store.db.write():
                model.update(fiscal_status=status, fiscal_error=message).where(
                    model.id == row_id).execute()
            self.last_error = message
            log.warning("fiscalising %s %s failed (%s): %s", kind, row_id, status, message)
            return False
        fiscal = {"document_number": result.document_number,
                  "fiscal_sign": str(result.fiscal_sign), "fn": result.fn_number}
        with self.store.db.write():
            model.update(fiscal_status="done", fiscal_document_number=result.document_number,
                         fiscal_sign=str(result.fiscal_sign), fiscal_error=None).where(
                model.id == row_id).execute()
            key = "sale_id" if kind == "sale" else "return_id"
            outbox.emit(f"{kind}.fiscalized", {key: row_id, **fiscal})
        self.last_error = None
        self.store.notify("fiscal.settled", kind=kind, id=row_id)
        return True

    def _close_register_shift(self, shift: Shift) -> bool:
        """Print the register's Z for a POS shift already closed; compare the counts."""
        from .shifts import report
        pos_receipts = (lambda r: r["sales_count"] + r["returns_count"])(report(shift))
        who = Cashier.get_or_none(Cashier.id == shift.closed_by_id)
        try:
            rep = self.register.z_report(who.name if who else None)
        except Exception as e:
            message = self._message(e)[:300]
            status = "failed" if needs_person(e) else "pending"
            with self.store.db.write():
                Shift.update(fiscal_z_status=status, fiscal_z_error=message).where(
                    Shift.id == shift.id).execute()
            self.last_error = message
            log.warning("Z report of shift %s failed (%s): %s", shift.number, status, message)
            if status == "failed":
                self._settled.set()
                self._settled.clear()
            return False
        with self.store.db.write():
            Shift.update(fiscal_z_status="done", fiscal_z_error=None,
                         fiscal_z_document=rep.document_number,
                         fiscal_z_receipts=rep.receipts).where(Shift.id == shift.id).execute()
        if rep.receipts is not None and rep.receipts not in (0, pos_receipts):
            log.warning("shift %s: the register counted %s receipts, the store %s",
                        shift.number, rep.receipts, pos_receipts)
        self.last_error = None
        self._settled.set()
        self._settled.clear()
        self.store.notify("fiscal.z", shift_id=shift.id)
        return True

    def status(self) -> dict:
        pending = (Sale.select().where(Sale.fiscal_status == "pending").count()
                   + SaleReturn.select().where(SaleReturn.fiscal_status == "pending").count())
        failed = (Sale.select().where(Sale.fiscal_status == "failed").count()
                  + SaleReturn.select().where(SaleReturn.fiscal_status == "failed").count())
        z = dict(Shift.select(Shift.fiscal_z_status, fn.COUNT(Shift.id)).where(
            Shift.fiscal_z_status.in_(("pending", "failed"))).group_by(Shift.fiscal_z_status)
            .tuples())
        z_pending, z_failed = z.get("pending", 0), z.get("failed", 0)
        cash = {st: (CashMove.select().where(CashMove.fiscal_status == st).count()
                     + Shift.select().where(Shift.fiscal_cash_status == st).count())
                for st in ("pending", "failed")}
        state = ("error" if (self.last_error and (pending or z_pending or cash["pending"]))
                 or failed or z_failed or cash["failed"] else "online")
        return {"state": state, "pending": pending, "failed": failed, "z_pending": z_pending,
                "z_failed": z_failed, "cash_pending": cash["pending"],
                "cash_failed": cash["failed"], "message": self.last_error}


def open_receipts(limit: int = 200) -> list[dict]:
    """Sales and returns the register has not taken yet (pending) or refused (failed),
    oldest first: what a senior retries and a manager voids."""
    out = []
    for kind, model in (("sale", Sale), ("return", SaleReturn)):
        q = (model.select().where(model.fiscal_status.in_(("pending", "failed")))
             .order_by(model.id).limit(limit))
        for row in q:
            out.append({"kind": kind, "id": row.id, "number": row.number,
                        "shift_number": row.shift.number, "total": row.total,
                        "status": row.fiscal_status, "error": row.fiscal_error,
                        "created_at": row.created_at,
                        "sale_id": row.id if kind == "sale" else row.sale_id,
                        "voidable": kind == "sale" and voids.why_not_voidable(row) is None})
    return sorted(out, key=lambda r: r["created_at"])[:limit]


def z_state(shift_id: int) -> dict:
    """What the shift's register Z is: pending / done / failed, and what the register said."""
    from .shifts import report
    shift = Shift.get_by_id(shift_id)
    r = report(shift)
    pos_receipts = r["sales_count"] + r["returns_count"]
    out = {"status": shift.fiscal_z_status, "document_number": shift.fiscal_z_document,
           "receipts": shift.fiscal_z_receipts, "pos_receipts": pos_receipts,
           "error": shift.fiscal_z_error, "matches": None}
    if shift.fiscal_z_receipts is not None:
        out["matches"] = shift.fiscal_z_receipts in (0, pos_receipts)
    return out


def _back_to_pending(store, model, status_field, row_id: int, what: str) -> None:
    """Send a document the register has not taken (failed, or pending after trouble) back
    to the fiscal worker."""
    field = getattr(model, status_field)
    with store.db.write():
        row = model.get_or_none(model.id == row_id)
        if row is None or getattr(row, status_field) not in ("failed", "pending"):
            raise Conflict(f"only {what} waiting for the fiscal register can be retried",
                           code="not_pending")
        model.update({field: "pending"}).where(model.id == row_id).execute()


def retry_z(store, shift_id: int) -> None:
    """A senior sends a failed Z back to the register."""
    _back_to_pending(store, Shift, "fiscal_z_status", shift_id, "a Z report")
    store.notify("fiscal.retry", kind="z", id=shift_id)


def retry(store, kind: str, row_id: int) -> None:
    """A manager sends a failed sale or return back to the register."""
    _back_to_pending(store, Sale if kind == "sale" else SaleReturn, "fiscal_status", row_id,
                     "a sale")
    store.notify("fiscal.retry", kind=kind, id=row_id)
