"""The print spooler: receipt jobs on disk, sent to the printer with retry.

A job is queued after the sale commits (never inside it) and printed by one worker thread;
the printer is handed in (anything with ``print_receipt(dict)`` and ``open_drawer()``).  A
printer that is off, unplugged or out of paper delays jobs, never loses them and never
blocks a sale: the worker retries with exponential backoff and jitter (tenacity), and the
queue survives restarts.  On start it also queues the receipt of any recent sale that has
none (the process died between the commit and the queueing).

A job that can never print (its receipt does not build or lay out: a data error, not a
device one) is marked ``failed`` at once and never holds up the jobs behind it.  A drawer
kick is only worth anything while the customer is at the till: one not delivered within
``drawer_timeout`` seconds is dropped (``expired``, logged), never fired later.  The
receipt is stored with the job as JSON (``Receipt.to_dict``) when it is queued, so it
shows the bonus balance right after the sale; the fiscal data is added at print time.
A ``document`` job (a received delivery's act summary, agent/act_print.py) keeps its plain
``{"kind": "document", ...}`` dict in the job; it is never read as a receipt, never waits
for the fiscal register, and one that cannot be read fails at once like a receipt.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from tenacity import RetryError

from . import clock, receipts
from .documents import Receipt, ReceiptError
from .models import PrintJob, Sale, SaleReturn
from .ports import DeviceFailure, failure_message
from .worker import Worker

if TYPE_CHECKING:
    from .ports import CashDrawer, ReceiptPrinter

log = logging.getLogger("store_agent.print")


def _first_print(kinds: tuple, sale_id, return_id) -> Receipt | None:
    """The receipt as first spooled right after the commit: a copy shows what the original
    showed (the bonus balance right after the sale, not one moved since by other stores)."""
    cond = (PrintJob.kind.in_(kinds) & PrintJob.document.is_null(False)
            & (PrintJob.return_id == return_id if return_id else PrintJob.sale_id == sale_id))
    if not return_id:
        cond &= PrintJob.return_id.is_null()
    job = PrintJob.select().where(cond).order_by(PrintJob.id).first()
    try:
        return Receipt.from_dict(json.loads(job.document)) if job else None
    except (ValueError, ReceiptError):
        return None


def _build(store, kind: str, sale_id, return_id) -> Receipt | None:
    if kind == "drawer":
        return None
    copy = kind in ("reprint", "return_reprint")
    if copy:
        first = _first_print(("receipt", "return_receipt"), sale_id, return_id)
        if first is not None:
            return dataclasses.replace(first, copy=True)
    if return_id:
        return receipts.for_return(store, return_id, copy=copy)
    return receipts.for_sale(store, sale_id, copy=copy)


def enqueue(store, kind: str, sale_id=None, return_id=None, drawer_first=False) -> int:
    """Queue a job (and, before it, a drawer kick) in one small transaction."""
    try:
        doc = _build(store, kind, sale_id, return_id)
        text = json.dumps(doc.to_dict(), ensure_ascii=False) if doc else None
        error = None
    except ReceiptError as e:  # queued failed, so it shows, and never blocks the queue
        text, error = None, f"the receipt cannot be printed: {e}"[:300]
        log.error("print job for %s %s: %s", kind, return_id or sale_id, error)
    with store.db.write():
        if drawer_first:
            PrintJob.create(kind="drawer", sale_id=sale_id, return_id=return_id,
                            created_at=clock.iso())
        job = PrintJob.create(kind=kind, sale_id=sale_id, return_id=return_id, document=text,
                              status="failed" if error else "queued", last_error=error,
                              created_at=clock.iso())
    store.notify("print.queued", job_id=job.id)
    return job.id


def pending_count() -> int:
    return PrintJob.select().where(PrintJob.status == "queued").count()


def document(store, job: PrintJob) -> Receipt | dict | None:
    """The job's receipt: the one stored with it, with the fiscal data known now.  A job
    from before receipts were stored is built from the database.  A ``document`` job (a
    delivery's act summary) is the plain dict kept in it.  Raises ReceiptError when the
    stored receipt or document is not of this shape."""
    if job.kind == "drawer":
        return None
    if job.kind == "document":  # a plain document kept in the job (a delivery's act)
        return _plain_document(job)
    if not job.document:
        return _build(store, job.kind, job.sale_id, job.return_id)
    try:
        data = json.loads(job.document)
    except ValueError:
        raise ReceiptError("the stored receipt is not JSON") from None
    doc = Receipt.from_dict(data)
    row = (SaleReturn.get_or_none(SaleReturn.id == job.return_id) if job.return_id
           else Sale.get_or_none(Sale.id == job.sale_id))
    if row is not None:
        doc = dataclasses.replace(doc, fiscal=receipts._fiscal(row))
    return doc


def _plain_document(job: PrintJob) -> dict:
    """A ``document`` job's text: ``{"kind": "document", "title", "rows"}``, never read as a
    receipt; one that is missing or of another shape fails at once (ReceiptError)."""
    try:
        data = json.loads(job.document or "")
    except ValueError:
        raise ReceiptError("the stored document is not JSON") from None
    if (not isinstance(data, dict) or data.get("kind") != "document"
            or not isinstance(data.get("rows"), list)):
        raise ReceiptError("the stored document is not a plain document")
    return data


def _never_prints(exc: BaseException) -> bool:
    """A data or layout error will fail the same way every time; a device error may pass
    (the device-failure contract says which: ``retry_safe``)."""
    if isinstance(exc, DeviceFailure):
        return not exc.retry_safe
    return not isinstance(exc, (OSError, TimeoutError, ConnectionError))


def _age(job: PrintJob) -> float:
    made = datetime.fromisoformat(job.created_at)
    if made.tzinfo is None:
        made = made.replace(tzinfo=timezone.utc)
    return (clock.now() - made).total_seconds()


def _waiting_for_fiscal(store, job: PrintJob) -> bool:
    """With a fiscal register, print the receipt once the register confirmed (or failed)."""
    if not store.fiscal_enabled or job.kind in ("drawer", "document"):
        return False
    row = (SaleReturn.get_or_none(SaleReturn.id == job.return_id) if job.return_id
           else Sale.get_or_none(Sale.id == job.sale_id))
    return bool(row and row.fiscal_status == "pending")


class _Permanent(Exception):
    """Stops the retries of a job that will never print."""


class Spooler(Worker):
    name = "print-spooler"

    def __init__(self, store, printer: ReceiptPrinter, max_wait: float = 30.0,
                 drawer: CashDrawer | str | None = "printer", drawer_timeout: float = 5.0):
        """``drawer``: the cash drawer (a ``CashDrawer``), ``"printer"`` to kick it through
        ``printer.open_drawer()``, or None for no drawer at all."""
        super().__init__(interval=1.0)
        self.store, self.printer, self.max_wait = store, printer, max_wait
        self.drawer, self.drawer_timeout = drawer, drawer_timeout
        self.lang = store.config.get("ui", "language")
        self.last_error: str | None = None
        self._printer_status = {"state": "unknown", "message": "not checked yet"}
        self._status_checked = 0.0
        store.on("print.queued", self.poke)
        store.on("sale.committed", self._after_sale)
        store.on("return.committed", self._after_return)
        store.on("fiscal.settled", self.poke)
        store.on("shift.closed", self._after_shift_closed)

    def _after_sale(self, sale_id: int, **_):
        sale = Sale.get_by_id(sale_id)
        cash = any(p.method == "cash" for p in sale.payments)
        enqueue(self.store, "receipt", sale_id=sale_id,
                drawer_first=cash and self.drawer is not None)

    def _after_return(self, return_id: int, **_):
        ret = SaleReturn.get_by_id(return_id)
        cash = any(r.method == "cash" for r in ret.refunds)
        enqueue(self.store, "return_receipt", sale_id=ret.sale_id, return_id=return_id,
                drawer_first=cash and self.drawer is not None)

    def _after_shift_closed(self, shift_id: int, **_):
        from .report_print import queue_z
        queue_z(self.store, shift_id)  # the Z report on paper, as the till closes

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
        """Drawer kicks first: the cashier is waiting for the drawer now, and a kick queued
        behind a burst of receipts would expire before its turn; then jobs in order."""
        queued = PrintJob.select().where(PrintJob.status == "queued")
        for job in queued.order_by(PrintJob.kind != "drawer", PrintJob.id):
            if not _waiting_for_fiscal(self.store, job):
                return job
        return None

    def run_round(self):
        job = self._next()
        if job is None:
            self._refresh_status()
            return None  # idle: rest until a job is queued
        try:
            self._print_with_retry(job)
        except _Permanent:  # failed or expired at once: on to the next job
            pass
        return 0

    def _print_with_retry(self, job: PrintJob):
        """A printer that is off or out of paper delays the job, never loses it: every
        device failure is retried until the worker stops (the one retry policy); a job that
        can never print is given up at once."""
        retrying = self.retrying(
            Exception, give_up_on=_Permanent, max_wait=self.max_wait,
            before_sleep=lambda state: self._failed(job, state.outcome.exception()))
        for attempt in retrying:
            with attempt:
                try:
                    self._print_once(job)
                except (_Permanent, RetryError):
                    raise
                except Exception as e:
                    if _never_prints(e):
                        self._give_up(job, "failed", f"cannot be printed: {e}"[:300]
                                      if str(e) else type(e).__name__)
                        raise _Permanent() from e
                    raise
        self._status_checked = 0.0  # a job went through: re-check the printer soon

    def _print_once(self, job: PrintJob):
        if job.kind == "drawer":
            if self.drawer is None:
                self._give_up(job, "expired", "no cash drawer is configured")
                raise _Permanent()
            if _age(job) > self.drawer_timeout:
                self._give_up(job, "expired", f"drawer kick not delivered within "
                                              f"{self.drawer_timeout:g} s: dropped")
                raise _Permanent()
            if self.drawer == "printer":
                self.printer.open_drawer()
            else:
                self.drawer.open()
        else:
            doc = document(self.store, job)
            self.printer.print_receipt(doc)
        with self.store.db.write():
            PrintJob.update(status="done", done_at=clock.iso(), attempts=job.attempts + 1,
                            last_error=None).where(PrintJob.id == job.id).execute()
        self.last_error = None

    def _give_up(self, job: PrintJob, status: str, reason: str):
        log.warning("print job %s (%s) %s: %s", job.id, job.kind, status, reason)
        with self.store.db.write():
            PrintJob.update(status=status, done_at=clock.iso(), attempts=job.attempts + 1,
                            last_error=reason[:300]).where(PrintJob.id == job.id).execute()

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
