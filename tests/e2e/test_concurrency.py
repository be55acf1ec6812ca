"""Two registers selling the same products at once: no lost update, gapless outbox."""

import threading
import uuid

import pytest

from agent.models import Outbox, Sale, StockLevel, StockMove
from agent.store import Store
from tests.agent_process import AgentProcess
from tests.conftest import make_store

N = 40


def check_store(data_dir, expected_sales):
    store = Store.open(data_dir)
    try:
        assert Sale.select().count() == expected_sales
        seqs = [o.seq for o in Outbox.select(Outbox.seq).order_by(Outbox.seq)]
        assert seqs == list(range(1, len(seqs) + 1)), "outbox seq must be gapless"
        assert Outbox.select().where(Outbox.type == "sale.completed").count() == expected_sales
        for level in StockLevel.select():
            moves = sum(m.qty_milli for m in StockMove.select().where(
                StockMove.product == level.product_id))
            assert level.on_hand_milli == moves
        milk = StockLevel.select().join(StockLevel.product.rel_model).where(
            StockLevel.product.rel_model.sku == "MILK").get()
        assert milk.on_hand_milli == 100_000 - expected_sales * 1000
        assert store.db.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()


def sell_many(api, register, errors):
    try:
        api.post("/api/v1/shifts/open", json={"opening_cash": 0})
        for _ in range(N):
            r = api.post("/api/v1/sales", json={
                "client_ref": uuid.uuid4().hex, "lines": [{"sku": "MILK", "qty": 1}],
                "payments": [{"method": "cash", "amount": 10000}]})
            assert r.status_code == 201, r.text
    except Exception as e:  # surfaced by the main thread
        errors.append(e)


def test_two_registers_on_one_agent_threads(tmp_path):
    make_store(tmp_path / "s").close()
    agent = AgentProcess(tmp_path / "s").start()
    try:
        errors = []
        apis = [agent.session("anna", "1"), agent.session("boris", "2")]
        threads = [threading.Thread(target=sell_many, args=(a, i, errors)) for i, a in enumerate(apis)]
        [t.start() for t in threads]
        [t.join(120) for t in threads]
        assert not errors, errors
    finally:
        agent.stop()
    check_store(tmp_path / "s", 2 * N)


@pytest.mark.slow
def test_two_agent_processes_on_one_database(tmp_path):
    make_store(tmp_path / "s").close()
    a, b = AgentProcess(tmp_path / "s").start(), AgentProcess(tmp_path / "s").start()
    try:
        errors = []
        threads = [threading.Thread(target=sell_many, args=(a.session("anna", "1"), 1, errors)),
                   threading.Thread(target=sell_many, args=(b.session("boris", "2"), 2, errors))]
        [t.start() for t in threads]
        [t.join(180) for t in threads]
        assert not errors, errors
    finally:
        a.stop()
        b.stop()
    check_store(tmp_path / "s", 2 * N)
