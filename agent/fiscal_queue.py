"""Fiscalisation of committed sales and returns (54-FZ), outside their transactions.

With a fiscal register configured a sale commits as ``pending``; this worker (the only
thread that talks to the register) fiscalises pending sales and returns in order and
stores the fiscal document number and sign with them, in a transaction that also queues a
``sale.fiscalized`` / ``return.fiscalized`` event for the hub.  A failure leaves the sale
visibly pending: a link or paper problem is retried by itself (the driver guarantees a
retry never prints a second receipt); an error that needs a person (shift over 24 h, fiscal
storage, a refused receipt) marks it ``failed`` until a manager retries or voids it.
Shift open/close on the POS drive the register's shift through the same worker.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import outbox, receipts
from .models import Sale, SaleReturn
from .ports import failure_message, needs_person
from .worker import Worker

if TYPE_CHECKING:
    from .ports import FiscalRegister

log = logging.getLogger("store_agent.fiscal")


class StillPending(Exception):
    """The receipt at the head of the queue did not go through yet: back off, then retry."""


class FiscalWorker(Worker):
    name = "fiscal"

    def __init__(self, store, register: FiscalRegister, retry_max: float = 30.0):
        super().__init__(interval=1.0)
        self.store, self.register, self.retry_max = store, register, retry_max
        self.last_error: str | None = None
        self.lang = store.config.get("ui", "language")
        self.shift_opening = None  # the future of the last shift opened on the register
        store.on("sale.committed", self.poke)
        store.on("return.committed", self.poke)
        store.on("fiscal.retry", self.poke)
        store.on("shift.opened", self._shift_opened)
        store.on("cash.moved", self._cash_moved)

    # -- commands for the register, run on the worker thread ------------------------------
    def call(self, fn, *args, timeout: float = 90.0):
        """Run ``fn(register, *args)`` on the worker after what is queued; wait for it."""
        return self.submit(fn, self.register, *args).result(timeout=timeout)

    def _shift_opened(self, cashier_name: str, **_):
        """The register's shift opens as a job after the POS shift; its future is kept in
        ``shift_opening`` (and ``wait_idle`` covers it)."""
        self.shift_opening = self.submit(lambda reg, name: reg.open_shift(name), self.register,
                                         cashier_name)

    def _cash_moved(self, kind: str, amount: int, **_):
        fn = (lambda reg, a: reg.cash_in(a)) if kind == "in" else (lambda reg, a: reg.cash_out(a))
        self.submit(fn, self.register, amount)

    def close_shift(self, cashier_name: str, pos_receipts: int) -> dict:
        """The register's Z report after every pending receipt, compared with the POS."""
        try:
            self.drain(timeout=60)
            rep = self.call(lambda reg, name: reg.z_report(name), cashier_name)
        except Exception as e:
            return {"status": "error", "message": self._message(e)}
        out = {"status": "closed", "shift_number": rep.shift_number,
               "document_number": rep.document_number, "receipts": rep.receipts,
               "pos_receipts": pos_receipts}
        out["matches"] = rep.receipts in (0, pos_receipts) if rep.receipts is not None else None
        return out

    def x_report(self):
        return self.call(lambda reg: reg.x_report())

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until no sale or return is pending (or the time is up)."""
        if self._next() is None:
            return True
        self.poke()
        return self.wait_idle(timeout) and self._next() is None

    # -- the loop --------------------------------------------------------------------------
    def stop(self, timeout: float = 15.0):
        super().stop(timeout)

    def _next(self):
        sale = Sale.select(Sale.id).where(Sale.fiscal_status == "pending").order_by(Sale.id).first()
        ret = (SaleReturn.select(SaleReturn.id).where(SaleReturn.fiscal_status == "pending")
               .order_by(SaleReturn.id).first())
        if sale and ret:  # oldest first across both
            return ("sale", sale.id) if Sale.get_by_id(sale.id).created_at <= \
                SaleReturn.get_by_id(ret.id).created_at else ("return", ret.id)
        return ("sale", sale.id) if sale else (("return", ret.id) if ret else None)

    def run_round(self):
        """Fiscalise the oldest pending receipt; a failure backs off (the one retry policy,
        capped at ``retry_max``), woken early by new work, with the register's commands
        and a fresh look at the queue before every attempt."""
        if self._next() is None:
            return None
        for attempt in self.retrying(StillPending, max_wait=self.retry_max, wake_early=True):
            with attempt:
                self.run_jobs()
                item = self._next()
                if item is not None and not self._fiscalize(*item):
                    raise StillPending()
        return 0

    def _message(self, e: Exception) -> str:
        return failure_message(e, self.lang)

    def _fiscalize(self, kind: str, row_id: int) -> bool:
        model = Sale if kind == "sale" else SaleReturn
        doc = (receipts.for_sale(self.store, row_id) if kind == "sale"
               else receipts.for_return(self.store, row_id))
        try:
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

    def status(self) -> dict:
        pending = (Sale.select().where(Sale.fiscal_status == "pending").count()
                   + SaleReturn.select().where(SaleReturn.fiscal_status == "pending").count())
        failed = (Sale.select().where(Sale.fiscal_status == "failed").count()
                  + SaleReturn.select().where(SaleReturn.fiscal_status == "failed").count())
        state = "error" if (self.last_error and pending) or failed else "online"
        return {"state": state, "pending": pending, "failed": failed, "message": self.last_error}


def retry(store, kind: str, row_id: int) -> None:
    """A manager sends a failed sale or return back to the register."""
    from .errors import Conflict
    model = Sale if kind == "sale" else SaleReturn
    with store.db.write():
        row = model.get_or_none(model.id == row_id)
        if row is None or row.fiscal_status not in ("failed", "pending"):
            raise Conflict("only a sale waiting for the fiscal register can be retried",
                           code="not_pending")
        model.update(fiscal_status="pending").where(model.id == row_id).execute()
    store.notify("fiscal.retry", kind=kind, id=row_id)
