"""``store-agent doctor`` asks the configured devices: a printer that answers is ok, one
out of paper or not there is a failure with the reason."""

from __future__ import annotations

from drivers.emulators.printer import VirtualNetworkPrinter
from pos_ui.operations import device_checks
from tests.conftest import free_port, make_store


def test_doctor_reports_the_printer_as_it_answers(tmp_path):
    emu = VirtualNetworkPrinter().start()
    try:
        store = make_store(tmp_path / "s", devices={
            "printer": f"escpos+tcp://127.0.0.1:{emu.port}"})
        try:
            [ok] = device_checks(store.config)
            assert ok.name == "printer" and ok.verdict == "ok", ok
            emu.paper_out = True
            [out] = device_checks(store.config)
            assert out.verdict == "fail" and "paper" in out.detail.lower(), out
        finally:
            store.close()
    finally:
        emu.close()


def test_doctor_reports_a_printer_that_is_not_there(tmp_path):
    port = free_port()  # nothing listens
    store = make_store(tmp_path / "s", devices={"printer": f"escpos+tcp://127.0.0.1:{port}"})
    try:
        [gone] = device_checks(store.config, timeout=1.0)
        assert gone.verdict == "fail" and str(port) in gone.detail, gone
    finally:
        store.close()


def test_doctor_has_no_device_lines_for_a_store_without_devices(tmp_path):
    store = make_store(tmp_path / "s")
    try:
        assert device_checks(store.config) == []
    finally:
        store.close()


def test_doctor_asks_the_register_and_the_scale(tmp_path):
    store = make_store(tmp_path / "s", devices={"fiscal": "dummy:", "scale": "dummy:"})
    try:
        checks = {c.name: c for c in device_checks(store.config)}
        assert checks["fiscal register"].verdict == "ok", checks
        assert checks["scale"].verdict == "ok" and "kg" in checks["scale"].detail, checks
    finally:
        store.close()


def test_doctor_reports_a_register_on_a_port_that_does_not_exist(tmp_path):
    store = make_store(tmp_path / "s", devices={
        "fiscal": "shtrih+serial:///dev/does-not-exist?baudrate=115200"})
    try:
        [gone] = device_checks(store.config)
        assert gone.name == "fiscal register" and gone.verdict == "fail", gone
    finally:
        store.close()
