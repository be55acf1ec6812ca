"""Issue 13 item 8: the print spooler never blocks on a job that cannot print, never fires a
stale drawer kick, and ``[devices] drawer = ""`` means no drawer."""

import json
import time
from datetime import timedelta

import pytest

from agent import clock, print_queue
from agent.models import PrintJob
from drivers.emulators.printer import VirtualNetworkPrinter
from pos_ui.process import StoreProcess
from tests.agent_process import HttpApi
from tests.conftest import make_store


def until(cond, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def start(tmp_path, printer, **devices):
    store = make_store(tmp_path / "s", devices={
        "printer": f"escpos+tcp://127.0.0.1:{printer.port}", "print_retry_max": 0.5, **devices})
    return store


@pytest.fixture
def printer():
    p = VirtualNetworkPrinter().start()
    yield p
    p.close()


def test_unprintable_jobs_fail_at_once_and_later_receipts_still_print(tmp_path, printer):
    store = start(tmp_path, printer, drawer="printer:")
    old_dict = {"kind": "sale", "lines": [{"name": "x", "qty": "1", "amount": 1.5}]}
    with store.db.write():  # spooled before this version, or broken on disk
        PrintJob.create(kind="receipt", sale_id=999, document=json.dumps(old_dict),
                        created_at=clock.iso())
        PrintJob.create(kind="receipt", sale_id=998, document="{not json",
                        created_at=clock.iso())
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    try:
        api = HttpApi.login(proc.url)
        api.post("/api/v1/shifts/open", {"opening_cash": 0})
        api.sell([{"sku": "MILK", "qty": 1}], [{"method": "card", "amount": 8990}])
        jobs = printer.wait_for_jobs(1, timeout=15)
        assert "Молоко" in printer.text(0) and len(jobs) == 1
        until(lambda: PrintJob.select().where(PrintJob.status == "queued").count() == 0,
              "the queue never emptied")
        failed = list(PrintJob.select().where(PrintJob.status == "failed").order_by(PrintJob.id))
        assert [j.sale_id for j in failed] == [999, 998]
        assert all(j.attempts == 1 and "cannot be printed" in j.last_error for j in failed)
    finally:
        proc.stop()
        store.close()


def test_a_stale_drawer_kick_is_dropped_never_fired_later(tmp_path, printer):
    store = start(tmp_path, printer, drawer="printer:", drawer_timeout=5.0)
    long_ago = clock.iso(clock.now() - timedelta(minutes=3))
    with store.db.write():  # queued while the printer was off, before a restart
        for _ in range(3):
            PrintJob.create(kind="drawer", created_at=long_ago)
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    try:
        api = HttpApi.login(proc.url)
        api.post("/api/v1/shifts/open", {"opening_cash": 0})
        api.sell([{"sku": "MILK", "qty": 1}], [{"method": "cash", "amount": 10000}])
        jobs = printer.wait_for_jobs(2, timeout=15)  # this sale's kick, then its receipt
        until(lambda: PrintJob.select().where(PrintJob.status == "queued").count() == 0,
              "the queue never emptied")
        assert sum(b"\x1bp" in j for j in printer.jobs) == 1, "an old kick fired"
        assert b"\x1bp" in jobs[0]
        stale = PrintJob.select().where(PrintJob.status == "expired")
        assert stale.count() == 3 and all("dropped" in j.last_error for j in stale)
    finally:
        proc.stop()
        store.close()


def test_no_drawer_configured_means_no_drawer_kicks(tmp_path, printer):
    store = start(tmp_path, printer, drawer="")
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    try:
        api = HttpApi.login(proc.url)
        api.post("/api/v1/shifts/open", {"opening_cash": 0})
        api.sell([{"sku": "MILK", "qty": 1}], [{"method": "cash", "amount": 10000}])
        printer.wait_for_jobs(1, timeout=15)
        until(lambda: PrintJob.select().where(PrintJob.status == "queued").count() == 0,
              "the queue never emptied")
        r = api.post("/api/v1/drawer/open", {"approval_pin": "9999", "approval_login": "maria"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "no_drawer"
        assert [j.kind for j in PrintJob.select()] == ["receipt"]
        assert not any(b"\x1bp" in j for j in printer.jobs)
    finally:
        proc.stop()
        store.close()


def test_a_spooled_receipt_round_trips_through_json(store, cashier, open_shift):
    sale = cashier.sell([{"sku": "MILK", "qty": 2}, {"sku": "CHEESE", "qty": "0.412"}])
    job_id = print_queue.enqueue(store, "receipt", sale_id=sale["sale_id"])
    job = PrintJob.get_by_id(job_id)
    doc = print_queue.document(store, job)
    assert doc.to_dict() == json.loads(job.document) | {"fiscal": None}
    assert doc.total == sale["total"] == sum(ln.amount for ln in doc.lines)
