"""A received delivery's act summary comes out of a real (emulated) network printer as a
plain document, never worded like a fiscal receipt."""

import uuid

import pytest

from drivers.emulators.printer import VirtualNetworkPrinter
from pos_ui.process import StoreProcess
from tests.agent_process import HttpApi
from tests.conftest import make_store


@pytest.fixture
def printer_store(tmp_path):
    printer = VirtualNetworkPrinter().start()
    store = make_store(tmp_path / "s", devices={
        "printer": f"escpos+tcp://127.0.0.1:{printer.port}", "print_retry_max": 0.5})
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    yield HttpApi.login(proc.url, "maria"), printer
    proc.stop()
    store.close()
    printer.close()


def test_the_act_summary_prints_with_the_damaged_line(printer_store):
    api, printer = printer_store
    r = api.post("/api/v1/deliveries", {"client_ref": uuid.uuid4().hex, "supplier": "ИП Петров",
                                        "number": "15", "lines": [
                                            {"sku": "COFFEE", "qty": 3, "damaged_qty": 1},
                                            {"sku": "MILK", "qty": 2}]})
    assert r.status_code == 201, r.text
    printer.wait_for_jobs(1, timeout=15)
    text = printer.text(0)
    assert "АКТ О РАСХОЖДЕНИИ (ТОРГ-2)" in text and "Акт № 1" in text
    assert "Кофе \"Арабика\" 250 г" in text  # the printer's codepage has no «»
    assert "бой/брак" in text and "1.000" in text
    assert "Молоко" not in text  # a line without a discrepancy is not in the summary
    assert "КАССОВЫЙ ЧЕК" not in text and "ИТОГ" not in text


def test_a_document_job_is_never_read_as_a_receipt_and_a_broken_one_fails_at_once(tmp_path):
    """On the typed-receipt spooler (issue 13): a ``document`` job is its own plain dict, an
    unreadable one (or a receipt-shaped one) fails at once and the act behind it still prints."""
    import json

    from agent import clock, print_queue
    from agent.documents import ReceiptError
    from agent.models import PrintJob

    printer = VirtualNetworkPrinter().start()
    store = make_store(tmp_path / "s", devices={
        "printer": f"escpos+tcp://127.0.0.1:{printer.port}", "print_retry_max": 0.5})
    try:
        receipt_like = {"kind": "sale", "lines": [{"name": "x", "qty": "1", "amount": 100}],
                        "total": 100}
        with store.db.write():
            broken = [PrintJob.create(kind="document", document=text, created_at=clock.iso())
                      for text in ("{not json", None, json.dumps(receipt_like))]
        for job in broken:
            with pytest.raises(ReceiptError):
                print_queue.document(store, job)
        proc = StoreProcess(store, "127.0.0.1", 0).start_background()
        try:
            api = HttpApi.login(proc.url, "maria")
            r = api.post("/api/v1/deliveries", {
                "client_ref": uuid.uuid4().hex, "supplier": "ИП Петров", "number": "16",
                "lines": [{"sku": "COFFEE", "qty": 1, "damaged_qty": 1}]})
            assert r.status_code == 201, r.text
            printer.wait_for_jobs(1, timeout=15)
            assert "АКТ О РАСХОЖДЕНИИ (ТОРГ-2)" in printer.text(0)
            assert len(printer.jobs) == 1
            for job in broken:
                job = PrintJob.get_by_id(job.id)
                assert job.status == "failed" and job.attempts == 1, job.last_error
                assert "cannot be printed" in job.last_error
        finally:
            proc.stop()
    finally:
        store.close()
        printer.close()
