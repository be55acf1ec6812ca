"""One device-failure contract (agent.ports.DeviceFailure): the drivers' exceptions carry
it, and the core decides only from it (never from a category string or a class name)."""

import threading
import time

import pytest

from agent.fiscal_queue import FiscalWorker
from agent.models import Sale
from agent.ports import DeviceFailure, failure_message, needs_person
from drivers.display import DisplayError
from drivers.fiscal import DeviceError, LinkDown, LinkLost, OutcomeUnknown, ReceiptNotFiscalized
from drivers.fiscal.errors import Category, FiscalError
from drivers.printer import PrinterError
from drivers.scale import ScaleError, ScaleTimeout
from tests.conftest import Api, make_store


@pytest.mark.parametrize("exc, person, retry_safe", [
    (LinkDown("no answer"), False, True),
    (LinkLost(0x80, "answer lost"), False, False),
    (OutcomeUnknown(), False, True),
    (ReceiptNotFiscalized(DeviceError(0x80, 0x6B)), False, True),  # paper out: insert paper
    (DeviceError(0x80, 0x16), True, True),  # shift over 24 h: a person closes it
    (FiscalError("нет", "no", category=Category.FISCAL_STORAGE), True, False),
    (PrinterError("printer offline"), False, True),
    (PrinterError("cannot lay out", retryable=False), True, False),
    (ScaleTimeout("scale does not answer"), True, True),
    (DisplayError("display port gone"), False, True),
])
def test_every_driver_failure_carries_the_contract(exc, person, retry_safe):
    assert isinstance(exc, DeviceFailure)
    assert exc.needs_person is person and needs_person(exc) is person
    assert exc.retry_safe is retry_safe
    assert failure_message(exc, "ru") and failure_message(exc, "en")


def test_the_register_speaks_russian_to_the_cashier_and_english_to_the_log():
    e = LinkDown("no ACK after 3 ENQs")
    assert "Нет связи с ККТ" in e.message("ru") and e.message("en") == "no ACK after 3 ENQs"
    assert isinstance(ScaleError("x"), DeviceFailure)


def test_anything_else_needs_a_person_and_is_told_by_its_text():
    assert needs_person(RuntimeError("boom")) is True
    assert failure_message(RuntimeError("boom"), "ru") == "boom"
    assert failure_message(KeyError(), "en") == "KeyError"


class Trouble(Exception):
    """A failure of some future device the core has never heard of: only the contract."""

    retry_safe = True

    def __init__(self, person: bool):
        super().__init__("internal text")
        self.needs_person = person

    def message(self, lang):
        return {"ru": "касса занята", "en": "register busy"}[lang]


class Register:
    """A register that fails with ``Trouble`` until allowed, then fiscalises."""

    def __init__(self, person: bool):
        self.person, self.allowed, self.calls = person, threading.Event(), 0

    def fiscalize(self, doc):
        self.calls += 1
        if not self.allowed.is_set():
            raise Trouble(self.person)
        return type("Result", (), {"document_number": 7, "fiscal_sign": 1234, "fn_number": "9"})()

    def open_shift(self, name):
        return None


@pytest.fixture
def fiscal_store(tmp_path):
    store = make_store(tmp_path / "s", devices={"fiscal": "dummy:"}, ui={"language": "ru"})
    yield store
    store.close()


def _sell(store):
    from pos_ui import create_app
    api = Api(create_app(store).test_client()).login("maria")
    assert api.post("/api/v1/shifts/open", json={"opening_cash": 0}).status_code == 201
    return api.sell([{"sku": "MILK", "qty": 1}])["sale_id"]


def _wait_for_error(sale_id):
    deadline = time.monotonic() + 30
    while not Sale.get_by_id(sale_id).fiscal_error:
        assert time.monotonic() < deadline, "the failure was never recorded"
        time.sleep(0.05)
    return Sale.get_by_id(sale_id)


def test_a_failure_that_passes_by_itself_keeps_the_sale_pending_and_retries(fiscal_store):
    register = Register(person=False)
    worker = FiscalWorker(fiscal_store, register, retry_max=0.05)
    worker.start()
    try:
        sale_id = _sell(fiscal_store)
        sale = _wait_for_error(sale_id)
        assert sale.fiscal_status == "pending" and sale.fiscal_error == "касса занята"
        register.allowed.set()
        worker.poke()
        assert worker.wait_idle(30)
        sale = Sale.get_by_id(sale_id)
        assert sale.fiscal_status == "done" and sale.fiscal_document_number == 7
        assert sale.fiscal_error is None
    finally:
        worker.stop()


def test_a_failure_that_needs_a_person_marks_the_sale_failed_and_stops_trying(fiscal_store):
    register = Register(person=True)
    worker = FiscalWorker(fiscal_store, register, retry_max=0.05)
    worker.start()
    try:
        sale_id = _sell(fiscal_store)
        assert worker.wait_idle(30)
        sale = Sale.get_by_id(sale_id)
        assert sale.fiscal_status == "failed" and sale.fiscal_error == "касса занята"
        calls = register.calls
        worker.poke()
        assert worker.wait_idle(30) and register.calls == calls  # until a manager retries
    finally:
        worker.stop()
