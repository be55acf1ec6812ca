"""Fix 28 #1: the drawer's cash reaches the (emulated Shtrih-M) register.

The opening cash is deposited on the register (внесение) when the shift opens and cash in/out
during the shift go to it too, in order before later receipts: a cash return the drawer can
pay is never refused by the register for want of cash.
"""

import uuid

import pytest

from drivers.fiscal.emulator import ShtrihEmulator
from pos_ui.process import StoreProcess
from tests.conftest import make_store
from tests.drivers.test_store_fiscal_money import Live

MGR = {"approval_login": "maria", "approval_pin": "9999"}


@pytest.fixture
def shop(tmp_path):
    emu = ShtrihEmulator("tcp").start()
    store = make_store(tmp_path / "s", devices={"fiscal": emu.url + "?timeout=2"})
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    api = Live.login(proc.url, "maria")
    yield api, emu
    proc.stop()
    store.close()
    emu.stop()


def free_return(api, sku, qty=1):
    r = api.post("/api/v1/returns", {"client_ref": uuid.uuid4().hex, "sale_id": None,
                                     "lines": [{"sku": sku, "qty": qty}],
                                     "reason": "чек утерян", **MGR,
                                     "customer": {"name": "Иванов Иван",
                                                  "document": "паспорт 4510 123456"}})
    assert r.status_code == 201, r.text
    return r.json()


def test_opening_cash_is_deposited_so_a_cash_return_goes_through(shop):
    api, emu = shop
    assert api.post("/api/v1/shifts/open", {"opening_cash": 100000}).status_code == 201
    sale = api.sell([{"sku": "BREAD", "qty": 1}], [{"method": "cash", "amount": 5500}])
    assert api.settled(f"/api/v1/sales/{sale['sale_id']}")["status"] == "done"
    ret = free_return(api, "COFFEE")
    got = api.settled(f"/api/v1/returns/{ret['return_id']}")
    assert got["status"] == "done", got
    assert [e for e in emu.events if e["type"] == "cash_in"] == [
        {"type": "cash_in", "amount": 100000}]
    assert emu.device.cash == 100000 + 5450 - 45900


def test_cash_moves_reach_the_register_before_later_receipts(shop):
    api, emu = shop
    assert api.post("/api/v1/shifts/open", {"opening_cash": 0}).status_code == 201
    moved = api.post("/api/v1/shifts/cash", {"kind": "in", "amount": 50000, "reason": "размен"})
    assert moved.status_code in (200, 201), moved.text
    ret = free_return(api, "COFFEE")  # paid from the 500 RUB just put in
    assert api.settled(f"/api/v1/returns/{ret['return_id']}")["status"] == "done"
    out = api.post("/api/v1/shifts/cash", {"kind": "out", "amount": 4100, "reason": "инкассация",
                                            **MGR})
    assert out.status_code in (200, 201), out.text
    sale = api.sell([{"sku": "WATER", "qty": 1}], [{"method": "cash", "amount": 4500}])
    assert api.settled(f"/api/v1/sales/{sale['sale_id']}")["status"] == "done"
    assert [(e["type"], e["amount"]) for e in emu.events if e["type"].startswith("cash")] == [
        ("cash_in", 50000), ("cash_out", 4100)]
    assert emu.device.cash == 50000 - 45900 - 4100 + 4500
