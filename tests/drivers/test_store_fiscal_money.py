"""Issue 13: money through the real store and the emulated Shtrih-M register, combined.

A sale with a bonus redemption (the per-line bonus allocation is its discount) and a partial
return each get exactly one register receipt whose total is the store's.
"""

import time
import uuid

import pytest

from agent import receipts
from drivers.fiscal.emulator import ShtrihEmulator
from drivers.receipt_layout import receipt_text
from pos_ui.process import StoreProcess
from tests.agent_process import HttpApi
from tests.conftest import make_store

LOYALTY = {"welcome_bonus": 10000, "accrual_percent": 5, "redeem_cap_percent": 30}
PHONE = "+79161234567"


class Live(HttpApi):
    def sell(self, lines, payments, **extra) -> dict:
        r = self.post("/api/v1/sales", {"client_ref": uuid.uuid4().hex, "lines": lines,
                                        "payments": payments, **extra})
        assert r.status_code == 201, r.text
        return r.json()

    def settled(self, path, timeout=20):
        """Poll the sale/return until the register settled it (done or failed)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.get(path).json()["fiscal"]
            if got["status"] != "pending":
                return got
            assert time.monotonic() < deadline, f"{path} stayed pending: {got}"
            time.sleep(0.05)


def wait_for(cond, timeout=20):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


@pytest.fixture
def shop(tmp_path):
    emu = ShtrihEmulator("tcp").start()
    store = make_store(tmp_path / "s", devices={"fiscal": emu.url + "?timeout=2"},
                       loyalty=LOYALTY)
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    api = Live.login(proc.url, "maria")
    assert api.post("/api/v1/shifts/open", {"opening_cash": 0}).status_code == 201
    yield api, emu, store
    proc.stop()
    store.close()
    emu.stop()


def test_bonus_redemption_discount_and_partial_return_one_register_receipt_each(shop):
    api, emu, store = shop
    assert api.post("/api/v1/customers", {"phone": PHONE}).status_code == 201
    lines = [{"sku": "MILK", "qty": 3}, {"sku": "CHEESE", "qty": "0.412"},
             {"sku": "BREAD", "qty": 1}]
    sale = api.sell(lines, [{"method": "cash", "amount": 100000}], customer_phone=PHONE,
                    redeem_bonus=10000)
    assert sale["bonus_redeemed"] == 10000 and sum(ln["discount"] for ln in sale["lines"]) == 10000
    got = api.settled(f"/api/v1/sales/{sale['sale_id']}")
    assert got["status"] == "done", got
    milk = next(ln for ln in sale["lines"] if ln["sku"] == "MILK")
    ret = api.post("/api/v1/returns", {"client_ref": "r-1", "sale_id": sale["sale_id"],
                                       "lines": [{"line_id": milk["line_id"], "qty": 2}]})
    assert ret.status_code == 201, ret.json()
    ret = ret.json()
    got = api.settled(f"/api/v1/returns/{ret['return_id']}")
    assert got["status"] == "done", got
    regs = emu.receipts()
    assert [(r["kind"], r["total"]) for r in regs] == [("sale", sale["total"]),
                                                       ("return", ret["total"])]
    # each register line is the store's net line amount
    assert sum(ln["amount"] for ln in regs[0]["lines"]) == sale["total"]
    assert sum(ln["amount"] for ln in regs[1]["lines"]) == ret["total"]
    assert regs[1]["total"] == sum(r["amount"] for r in ret["refunds"])


def test_the_printed_return_names_the_sale_by_its_receipt_number_and_shows_no_change(shop):
    api, emu, store = shop
    for _ in range(2):  # ids and receipt numbers part ways: sale id 3 is receipt 1 of shift 2
        api.sell([{"sku": "WATER", "qty": 1}], [{"method": "cash", "amount": 4500}])
    api.post("/api/v1/shifts/close", {"counted_cash": 9000})
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    sale = api.sell([{"sku": "WATER", "qty": 2}], [{"method": "cash", "amount": 10000}])
    assert sale["sale_id"] == 3 and sale["number"] == 1
    ret = api.post("/api/v1/returns", {"client_ref": "r-2", "sale_id": 3,
                                       "lines": [{"line_id": sale["lines"][0]["line_id"],
                                                  "qty": 1}]}).json()
    text = api.get(f"/api/v1/receipts/returns/{ret['return_id']}").json()["text"]
    assert "Возврат по продаже №1 (смена 2)" in text and "№3" not in text
    assert "Сдача" not in text


def test_balance_on_the_receipt_is_the_one_right_after_that_sale(shop):
    api, emu, store = shop
    api.post("/api/v1/customers", {"phone": PHONE})
    first = api.sell([{"sku": "MILK", "qty": 1}], [{"method": "card", "amount": 8990}],
                     customer_phone=PHONE)
    after_first = 10000 + first["bonus_earned"]
    api.sell([{"sku": "MILK", "qty": 2}], [{"method": "card", "amount": 17980 - 5000}],
             customer_phone=PHONE, redeem_bonus=5000)
    doc = receipts.for_sale(store, first["sale_id"])
    assert doc.bonus.balance == after_first
    assert "Баланс бонусов" in receipt_text(doc) and "{:,.2f}".format(
        after_first / 100).replace(",", " ").replace(".", ",") in receipt_text(doc)


def test_slip_is_not_titled_fiscal_until_the_register_confirms(shop):
    api, emu, store = shop
    wait_for(lambda: any(d["type"] == "shift_open" for d in emu.journal))
    emu.expire_shift()  # the register refuses: the sale is failed, never fiscal
    sale = api.sell([{"sku": "MILK", "qty": 1}], [{"method": "card", "amount": 8990}])
    assert api.settled(f"/api/v1/sales/{sale['sale_id']}")["status"] == "failed"
    text = receipt_text(receipts.for_sale(store, sale["sale_id"]))
    assert "КАССОВЫЙ ЧЕК" not in text and "НЕ ФИСКАЛЬНЫЙ ДОКУМЕНТ" in text


@pytest.mark.timeout(120)
@pytest.mark.parametrize("trouble", ["hung", "closed"])
def test_shift_close_and_x_answer_quickly_whatever_the_register_does(shop, trouble):
    api, emu, store = shop
    wait_for(lambda: any(d["type"] == "shift_open" for d in emu.journal))
    sale = api.sell([{"sku": "MILK", "qty": 1}], [{"method": "cash", "amount": 8990}])
    assert api.settled(f"/api/v1/sales/{sale['sale_id']}")["status"] == "done"
    if trouble == "hung":
        emu.go_offline()  # the port is open, nothing answers
    else:
        emu.stop()  # nothing listens
    x = api.s.post(api.url + "/api/v1/fiscal/x-report", timeout=15)  # was 19 s
    assert x.status_code == 409 and x.json()["error"]["code"] == "register_unreachable"
    z = api.s.post(api.url + "/api/v1/shifts/close", json={"counted_cash": 8990},
                   timeout=15)  # was 61-73 s
    assert z.status_code == 200, z.text
    z = z.json()
    assert z["closed_at"] and z["sales_count"] == 1  # the POS shift is closed
    assert z["fiscal_z"]["status"] == "pending"
    assert api.get("/api/v1/shifts/current").status_code == 409
    fiscal = api.get("/api/v1/status").json()["fiscal"]
    assert fiscal["z_pending"] == 1  # the status bar knows the register owes a Z
    if trouble == "hung":
        emu.go_online()
        deadline = time.monotonic() + 60
        while (fz := api.get(f"/api/v1/shifts/{z['shift_id']}/fiscal-z").json())[
                "status"] == "pending":
            assert time.monotonic() < deadline, fz
            time.sleep(0.1)
        assert fz["status"] == "done" and fz["receipts"] == 1 and fz["matches"] is True
        assert [d["type"] for d in emu.journal].count("shift_close") == 1
        assert [e["type"] for e in emu.events].count("x_report") == 0  # never printed late


def test_a_sale_whose_receipt_cannot_be_built_fails_and_the_worker_goes_on(shop):
    from agent.models import Sale, SaleLine
    api, emu, store = shop
    sale = api.sell([{"sku": "MILK", "qty": 1}], [{"method": "card", "amount": 8990}])
    assert api.settled(f"/api/v1/sales/{sale['sale_id']}")["status"] == "done"
    with store.db.write():  # as a sale at 0 by an older version (item 3) would be on disk
        SaleLine.update(price=0).where(SaleLine.sale == sale["sale_id"]).execute()
        Sale.update(fiscal_status="pending").where(Sale.id == sale["sale_id"]).execute()
    store.notify("fiscal.retry", kind="sale", id=sale["sale_id"])
    got = api.settled(f"/api/v1/sales/{sale['sale_id']}")
    assert got["status"] == "failed" and "price" in got["error"]
    after = api.sell([{"sku": "WATER", "qty": 1}], [{"method": "card", "amount": 4500}])
    assert api.settled(f"/api/v1/sales/{after['sale_id']}")["status"] == "done"
