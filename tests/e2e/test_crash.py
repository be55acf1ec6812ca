"""kill -9 in the middle of a burst of sales: every answered sale is whole, nothing half-written."""

import threading
import time
import uuid

import pytest
import requests

from agent.models import Outbox, Payment, Sale, SaleLine, StockLevel, StockMove
from agent.store import Store
from tests.agent_process import AgentProcess
from tests.conftest import make_store


@pytest.mark.slow
def test_kill9_mid_burst_loses_no_answered_sale_and_leaves_none_half_written(tmp_path):
    make_store(tmp_path / "s").close()
    agent = AgentProcess(tmp_path / "s").start()
    api = agent.session("anna")
    api.post("/api/v1/shifts/open", json={"opening_cash": 0})
    answered, stop = {}, threading.Event()

    def burst(worker):
        while not stop.is_set():
            ref = f"{worker}-{uuid.uuid4().hex}"
            try:
                r = api.post("/api/v1/sales", json={
                    "client_ref": ref,
                    "lines": [{"sku": "MILK", "qty": 1}, {"sku": "CHEESE", "qty": "0.250"}],
                    "payments": [{"method": "cash", "amount": 50000}]})
            except requests.RequestException:
                return
            if r.status_code == 201:
                answered[ref] = r.json()["sale_id"]

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(4)]
    [t.start() for t in threads]
    deadline = time.monotonic() + 30
    while len(answered) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    agent.kill9()
    stop.set()
    [t.join(30) for t in threads]
    assert len(answered) >= 20

    agent.start()  # restarts cleanly on the same files
    agent.stop()
    store = Store.open(tmp_path / "s")
    try:
        assert store.db.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        for ref, sale_id in answered.items():
            sale = Sale.get_or_none(Sale.client_ref == ref)
            assert sale is not None and sale.id == sale_id, f"answered sale {ref} lost"
        for sale in Sale.select():  # every sale on disk is whole
            assert SaleLine.select().where(SaleLine.sale == sale).count() == 2
            assert Payment.select().where(Payment.sale == sale).count() == 1
            assert StockMove.select().where(StockMove.sale_id == sale.id).count() == 2
            assert Outbox.select().where((Outbox.type == "sale.completed")
                                         & Outbox.payload.contains(f'"sale_id":{sale.id},')).count() == 1
        seqs = [o.seq for o in Outbox.select(Outbox.seq).order_by(Outbox.seq)]
        assert seqs == list(range(1, len(seqs) + 1))
        for level in StockLevel.select():
            assert level.on_hand_milli == sum(m.qty_milli for m in StockMove.select().where(
                StockMove.product == level.product_id))
    finally:
        store.close()
