"""The print spooler: receipt jobs on disk, sent to the printer with retry.

A job is queued after the sale commits (never inside it) and printed by one worker thread;
the printer is handed in (anything with ``print_receipt(dict)`` and ``open_drawer()``).  A
printer that is off, unplugged or out of paper delays jobs, never loses them and never
blocks a sale: the worker retries with exponential backoff and jitter (tenacity), and the
queue survives restarts.  On start it also queues the receipt of any recent sale that has
none (the process died between the commit and the queueing).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from . import clock, receipts
from .models import PrintJob, Sale, SaleReturn
from .ports import failure_message
from .worker import Worker

if TYPE_CHECKING:
    from .ports import ReceiptPrinter

log = logging.getLogger("store_agent.print")


def enqueue(store, kind: str, sale_id=None, return_id=None, drawer_first=False) -> int:
    """Queue a job (and, before it, a drawer kick) in one small transaction."""
    with store.db.write():
        if drawer_first:
            PrintJob.create(kind="drawer", sale_id=sale_id, return_id=return_id,
                            created_at=clock.iso())
        job = PrintJob.create(kind=kind, sale_id=sale_id, return_id=return_id,
                              created_at=clock.iso())
    store.notify("print.queued", job_id=job.id)
    return job.id


def pending_count() -> int:
    return PrintJob.select().where(PrintJob.status == "queued").count()


def document(store, job: PrintJob) -> dict | None:
    if job.kind == "drawer":
        return None
    if job.kind == "document":  # a plain document kept in the job (a delivery's act)
        import json
        return json.loads(job.document)
    if job.kind == "return_receipt":
        return receipts.for_return(store, job.return_id)
    return receipts.for_sale(store, job.sale_id, copy=(job.kind == "reprint"))


def _waiting_for_fiscal(store, job: PrintJob) -> bool:
    """With a fiscal register, print the receipt once the register confirmed (or failed)."""
    if not store.fiscal_enabled or job.kind == "drawer":
        return False
    row = (SaleReturn.get_or_none(SaleReturn.id == job.return_id) if job.return_id
           else Sale.get_or_none(Sale.id == job.sale_id))
    return bool(row and row.fiscal_status == "pending")


class Spooler(Worker):
    name = "print-spooler"

    def __init__(self, store, printer: ReceiptPrinter, max_wait: float = 30.0):
        super().__init__(interval=1.0)
        self.store, self.printer, self.max_wait = store, printer, max_wait
        self.lang = store.config.get("ui", "language")
        self.last_error: str | None = None
        self._printer_status = {"state": "unknown", "message": "not checked yet"}
        self._status_checked = 0.0
        store.on("print.queued", self.poke)
        store.on("sale.committed", self._after_sale)
        store.on("return.committed", self._after_return)
        store.on("fiscal.settled", self.poke)

    def _after_sale(self, sale_id: int, **_):
        sale = Sale.get_by_id(sale_id)
        cash = any(p.method == "cash" for p in sale.payments)
        enqueue(self.store, "receipt", sale_id=sale_id, drawer_first=cash)

    def _after_return(self, return_id: int, **_):
        ret = SaleReturn.get_by_id(return_id)
        cash = any(r.method == "cash" for r in ret.refunds)
        enqueue(self.store, "return_receipt", sale_id=ret.sale_id, return_id=return_id,
                drawer_first=cash)

    def recover(self) -> int:
        """Queue receipts of the last hour's sales that never got a job."""
        since = clock.iso(clock.now() - timedelta(hours=1))
        have = PrintJob.select(PrintJob.sale_id).where(PrintJob.kind == "receipt")
        missing = [s.id for s in Sale.select(Sale.id).where(
            (Sale.created_at > since) & Sale.id.not_in(have))]
        for sale_id in missing:
            enqueue(self.store, "receipt", sale_id=sale_id)
        return len(missing)

    def start(self):
        self.recover()
        super().start()

    def _next(self) -> PrintJob | None:
        for job in PrintJob.select().where(PrintJob.status == "queued").order_by(PrintJob.id):
            if not _waiting_for_fiscal(self.store, job):
                return job
        return None

    def run_round(self):
        job = self._next()
        if job is None:
            self._refresh_status()
            return None  # idle: rest until a job is queued
        self._print_with_retry(job)
        return 0

    def _print_with_retry(self, job: PrintJob):
        """A printer that is off or out of paper delays the job, never loses it: every
        failure is retried until the worker stops."""
        retrying = self.retrying(
            Exception, max_wait=self.max_wait,
            before_sleep=lambda state: self._failed(job, state.outcome.exception()))
        for attempt in retrying:
            with attempt:
                self._print_once(job)
        self._status_checked = 0.0  # a job went through: re-check the printer soon

    def _print_once(self, job: PrintJob):
        doc = document(self.store, job)
        if job.kind == "drawer":
            self.printer.open_drawer()
        else:
            self.printer.print_receipt(doc)
        with self.store.db.write():
            PrintJob.update(status="done", done_at=clock.iso(), attempts=job.attempts + 1,
                            last_error=None).where(PrintJob.id == job.id).execute()
        self.last_error = None

    def _failed(self, job: PrintJob, exc: BaseException):
        job.attempts += 1
        self.last_error = failure_message(exc, self.lang)[:300]
        log.warning("print job %s failed (attempt %s): %s", job.id, job.attempts, self.last_error)
        with self.store.db.write():
            PrintJob.update(attempts=job.attempts, last_error=self.last_error).where(
                PrintJob.id == job.id).execute()

    def _refresh_status(self, every: float = 10.0):
        """Ask the printer how it is, at most every ``every`` s, from the worker thread only."""
        import time
        if time.monotonic() - self._status_checked < every:
            return
        self._status_checked = time.monotonic()
        try:
            st = self.printer.status()
            self._printer_status = {"state": getattr(st.state, "value", str(st.state)),
                                    "message": st.message}
        except Exception as e:  # status is advisory
            self._printer_status = {"state": "unknown", "message": str(e)[:200]}

    def status(self) -> dict:
        """Cached: the screen polls this, and must never wait for a printer."""
        out = dict(self._printer_status)
        if self.last_error:
            out.update(state="offline" if out["state"] in ("online", "unknown") else out["state"],
                       message=self.last_error)
        out["queued"] = pending_count()
        return out
