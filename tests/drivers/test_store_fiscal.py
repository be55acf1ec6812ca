"""Sales through the store process with a Shtrih-M register emulator on TCP."""

import time

import pytest

from agent.models import Outbox, Sale
from drivers.fiscal.emulator import ShtrihEmulator
from pos_ui.process import StoreProcess
from tests.agent_process import HttpApi
from tests.conftest import make_store


class Live(HttpApi):
    def fiscal(self, sale_id, want, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            got = self.get(f"/api/v1/sales/{sale_id}").json()["fiscal"]
            if got["status"] == want:
                return got
            assert time.monotonic() < deadline, f"fiscal status stayed {got}"
            time.sleep(0.1)


@pytest.fixture
def shop(tmp_path):
    emu = ShtrihEmulator("tcp").start()
    store = make_store(tmp_path / "s", devices={"fiscal": emu.url + "?timeout=2",
                                                "print_retry_max": 0.5})
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    yield Live.login(proc.url, "maria"), emu, store
    proc.stop()
    store.close()
    emu.stop()


def test_a_full_fiscal_shift_the_registers_journal_equals_the_stores_sales(shop):
    api, emu, _ = shop
    assert api.post("/api/v1/shifts/open", {"opening_cash": 10000}).status_code == 201
    sales = [
        api.sell([{"sku": "MILK", "qty": 2}, {"sku": "COFFEE", "qty": 1}],
                 [{"method": "cash", "amount": 70000}]),
        api.sell([{"sku": "WATER", "qty": 3}, {"sku": "CHEESE", "qty": "0.412"}],
                 [{"method": "card", "amount": 13500 + 37039}]),
        api.sell([{"sku": "BREAD", "qty": 1}], [{"method": "card", "amount": 2000},
                                                {"method": "cash", "amount": 5000}]),
    ]
    docs = [api.fiscal(s["sale_id"], "done") for s in sales]
    ret = api.post("/api/v1/returns", {"client_ref": "r1", "sale_id": sales[0]["sale_id"],
                                       "lines": [{"line_id": sales[0]["lines"][0]["line_id"],
                                                  "qty": 1}]})
    assert ret.status_code == 201
    deadline = time.monotonic() + 20
    while api.get(f"/api/v1/returns/{ret.json()['return_id']}").json()["fiscal"]["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    z = api.post("/api/v1/shifts/close", {"counted_cash": 10000 + 70000 - 62355 + 5000 - 2000
                                          - 8990}).json()
    receipts = emu.receipts()
    assert [r["fd"] for r in receipts[:3]] == [d["document_number"] for d in docs]
    assert [r["total"] for r in receipts] == [s["total"] for s in sales] + [8990]
    fz = z["fiscal_z"]
    deadline = time.monotonic() + 20  # the register's Z is queued; the close never waits long
    while fz["status"] == "pending":
        assert time.monotonic() < deadline, fz
        time.sleep(0.1)
        fz = api.get(f"/api/v1/shifts/{z['shift_id']}/fiscal-z").json()
    assert fz["status"] == "done" and fz["matches"] is True
    assert [d["type"] for d in emu.journal][0] == "shift_open"
    assert Outbox.select().where(Outbox.type == "sale.fiscalized").count() == 3


def test_register_offline_at_the_sale_keeps_it_pending_then_one_receipt(shop):
    api, emu, store = shop
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    store.fiscal.shift_opening.result(timeout=20)  # the shift is open on the register
    emu.go_offline()
    sale = api.sell([{"sku": "MILK", "qty": 1}], [{"method": "card", "amount": 8990}])
    got = api.fiscal(sale["sale_id"], "pending")
    deadline = time.monotonic() + 20
    while not got.get("error"):
        assert time.monotonic() < deadline, "the cashier is never told why it is pending"
        got = api.get(f"/api/v1/sales/{sale['sale_id']}").json()["fiscal"]
        time.sleep(0.2)
    emu.go_online()
    api.fiscal(sale["sale_id"], "done", timeout=60)
    assert len(emu.receipts()) == 1


def test_a_refused_receipt_is_failed_and_a_manager_voids_it(shop):
    api, emu, store = shop
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    store.fiscal.shift_opening.result(timeout=20)
    emu.expire_shift()  # shift over 24 h: the register refuses, a person must act
    before = api.get("/api/v1/stock?sku=COFFEE").json()["on_hand"]
    sale = api.sell([{"sku": "COFFEE", "qty": 2}], [{"method": "card", "amount": 91800}])
    got = api.fiscal(sale["sale_id"], "failed")
    assert "24" in got["error"]
    assert api.get("/api/v1/shifts/current").json()["fiscal"]["failed"] == 1
    cashier = Live.login(api.url, "anna")
    assert cashier.post(f"/api/v1/sales/{sale['sale_id']}/void", {}).status_code == 403
    r = api.post(f"/api/v1/sales/{sale['sale_id']}/void", {})
    assert r.status_code == 200 and r.json()["fiscal"]["status"] == "voided"
    assert api.get("/api/v1/stock?sku=COFFEE").json()["on_hand"] == before
    x = api.get("/api/v1/shifts/current").json()
    assert x["sales_count"] == 0 and x["by_method"]["card"]["net"] == 0
    assert emu.receipts() == []
    assert Outbox.select().where(Outbox.type == "sale.voided").count() == 1
    assert api.post(f"/api/v1/sales/{sale['sale_id']}/void", {}).status_code == 409


def test_a_completed_sale_cannot_be_voided(shop):
    api, emu, _ = shop
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    sale = api.sell([{"sku": "MILK", "qty": 1}], [{"method": "card", "amount": 8990}])
    api.fiscal(sale["sale_id"], "done")
    r = api.post(f"/api/v1/sales/{sale['sale_id']}/void", {})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_voidable"
    assert Sale.get_by_id(sale["sale_id"]).fiscal_status == "done"
