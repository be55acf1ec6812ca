"""X and Z reports and receipt reprints come out of a real (emulated) network printer:
the X on request, the Z when the shift closes and again from the back office."""

import pytest

from drivers.emulators.printer import VirtualNetworkPrinter
from pos_ui.process import StoreProcess
from tests.agent_process import HttpApi
from tests.conftest import BARCODES, make_store


@pytest.fixture
def till(tmp_path):
    printer = VirtualNetworkPrinter().start()
    store = make_store(tmp_path / "s", devices={
        "printer": f"escpos+tcp://127.0.0.1:{printer.port}", "print_retry_max": 0.5})
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    yield HttpApi.login(proc.url, "anna"), HttpApi.login(proc.url, "maria"), printer
    proc.stop()
    store.close()
    printer.close()


def test_x_on_request_z_at_close_and_again_and_a_receipt_reprinted(till):
    anna, maria, printer = till
    shift = anna.post("/api/v1/shifts/open", {"opening_cash": 50000}).json()
    sale = anna.sell([{"barcode": BARCODES["MILK"], "qty": 2}],
                     [{"method": "cash", "amount": 20000}])
    printer.wait_for_jobs(1, timeout=15)  # the sale's receipt
    r = anna.post("/api/v1/shifts/current/x-report/print", {})
    assert r.status_code == 202, r.text
    printer.wait_for_jobs(2, timeout=15)
    x = printer.text(1)
    assert "X-ОТЧЁТ" in x and "Продаж: 1" in x and "179.80" in x and "Наличных в кассе" in x
    assert "КАССОВЫЙ ЧЕК" not in x and "Пересчитано" not in x

    z = anna.post("/api/v1/shifts/close", {"counted_cash": 67000}).json()
    printer.wait_for_jobs(3, timeout=15)
    text = printer.text(2)
    assert "Z-ОТЧЁТ (ЗАКРЫТИЕ СМЕНЫ)" in text and f"Смена № {shift['number']}" in text
    assert "Пересчитано" in text and "670.00" in text and f"{z['difference'] / 100:.2f}" in text

    r = maria.post(f"/api/v1/shifts/{shift['shift_id']}/z-report/print", {})
    assert r.status_code == 202, r.text
    printer.wait_for_jobs(4, timeout=15)
    assert printer.text(3).count("Z-ОТЧЁТ") == 1 and "670.00" in printer.text(3)

    r = maria.post(f"/api/v1/receipts/{sale['sale_id']}/print", {})
    assert r.status_code == 202, r.text
    printer.wait_for_jobs(5, timeout=15)
    assert "Молоко" in printer.text(4)
