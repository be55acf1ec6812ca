"""The store process with real device emulators: a TCP printer, a pty display and scale."""

import time

import pytest

from drivers.emulators.display import VirtualDisplay
from drivers.emulators.printer import VirtualNetworkPrinter
from drivers.emulators.scale import VirtualScale
from pos_ui.process import StoreProcess
from tests.agent_process import HttpApi
from tests.conftest import make_store


@pytest.fixture
def devices(tmp_path):
    printer = VirtualNetworkPrinter().start()
    display = VirtualDisplay().start()
    scale = VirtualScale("0.755").start()
    store = make_store(tmp_path / "s", devices={
        "printer": f"escpos+tcp://127.0.0.1:{printer.port}", "drawer": "printer:",
        "display": f"{display.port}?baudrate=9600", "scale": f"{scale.port}?baudrate=9600",
        "print_retry_max": 0.5})
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    api = HttpApi.login(proc.url)
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    yield api, printer, display, scale, proc
    proc.stop()
    store.close()
    for d in (printer, display, scale):
        d.close()


def test_a_cash_sale_opens_the_drawer_and_prints_a_cyrillic_receipt(devices):
    api, printer, *_, proc = devices
    sale = api.sell([{"sku": "MILK", "qty": 2}, {"sku": "CHEESE", "qty": "0.755"}],
                    [{"method": "cash", "amount": 100000}])
    jobs = printer.wait_for_jobs(2, timeout=10)
    assert b"\x1bp" in jobs[0]  # the drawer kick came first
    text = printer.text(1)
    assert "Молоко 3.2% 1 л" in text and "Сыр Российский весовой" in text
    assert "858,55" in text and "141,45" in text  # total and change
    assert proc.store.spooler.wait_idle(10)  # the job is marked done just after the bytes
    assert api.get("/api/v1/status").json()["printer"]["queued"] == 0
    preview = api.get(f"/api/v1/receipts/{sale['sale_id']}").json()
    assert "Молоко 3.2% 1 л" in preview["text"] and "&lt;" not in preview["text"]


def test_printer_down_at_the_sale_gets_the_receipt_when_it_comes_up(devices):
    api, printer, *_ = devices
    printer.stop()
    sale = api.sell([{"sku": "BREAD", "qty": 1}], [{"method": "card", "amount": 5450}])  # 201
    deadline = time.monotonic() + 10
    while api.get("/api/v1/status").json()["printer"]["state"] in ("online", "unknown"):
        assert time.monotonic() < deadline, "printer trouble never shown"
        time.sleep(0.2)
    assert api.get(f"/api/v1/sales/{sale['sale_id']}").status_code == 200
    printer.start()
    printer.wait_for_jobs(1, timeout=15)
    assert "Хлеб Бородинский" in printer.text(0)


def test_reprint_on_demand_is_marked_as_a_copy(devices):
    api, printer, *_ = devices
    sale = api.sell([{"sku": "WATER", "qty": 1}], [{"method": "card", "amount": 4500}])
    printer.wait_for_jobs(1, timeout=10)
    r = api.post(f"/api/v1/receipts/{sale['sale_id']}/print")
    assert r.status_code == 202
    printer.wait_for_jobs(2, timeout=10)
    assert "Вода 1.5 л" in printer.text(1) and "КОПИЯ" in printer.text(1).upper()
    assert api.post("/api/v1/receipts/99999/print").status_code == 404


def test_the_customer_display_follows_the_cart_and_shows_the_change(devices):
    api, printer, display, *_ = devices
    api.post("/api/v1/sales/quote", {"lines": [{"sku": "MILK", "qty": 1}]})
    display.wait_until(lambda: "89,90" in "".join(display.screen), timeout=10)
    api.sell([{"sku": "MILK", "qty": 1}], [{"method": "cash", "amount": 10000}])
    display.wait_until(lambda: "10,10" in "".join(display.screen), timeout=10)


def test_the_scale_reads_a_stable_weight_and_refuses_an_unstable_one(devices):
    api, printer, display, scale, _ = devices
    r = api.get("/api/v1/scale/weight")
    assert r.status_code == 200 and r.json() == {"weight": "0.755"}
    scale.stable = False
    r = api.get("/api/v1/scale/weight")
    assert r.status_code == 409 and r.json()["error"]["code"] == "scale_error"


def test_drawer_on_request_needs_a_manager(devices):
    api, printer, *_ = devices
    r = api.post("/api/v1/drawer/open", {})
    assert r.status_code == 403
    r = api.post("/api/v1/drawer/open", {"approval_pin": "9999", "approval_login": "maria"})
    assert r.status_code == 202
    jobs = printer.wait_for_jobs(1, timeout=10)
    assert jobs[0].startswith(b"\x1b@") or b"\x1bp" in jobs[0]



def test_the_composition_root_sets_the_stores_collaborators(devices):
    *_, proc = devices
    s = proc.store
    assert s.printer is not None and s.spooler in proc.workers
    assert s.display is not None and s.scale is not None
    assert s.fiscal is None and s.fiscal_register is None and s.hub is None  # not configured


def test_a_store_outside_the_process_has_no_collaborators(store):
    assert [store.printer, store.drawer, store.display, store.scale, store.fiscal_register,
            store.hub, store.spooler, store.fiscal] == [None] * 8
