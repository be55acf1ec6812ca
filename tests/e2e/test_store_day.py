"""A full store day through the HTTP API of a real `store-agent serve` process."""

import uuid

import pytest

from tests.agent_process import AgentProcess
from tests.conftest import BARCODES, make_store


@pytest.fixture
def agent(tmp_path):
    make_store(tmp_path / "store").close()
    proc = AgentProcess(tmp_path / "store").start()
    yield proc
    proc.stop()


def test_a_full_store_day(agent):
    anna = agent.session("anna")
    assert anna.post("/api/v1/shifts/open", json={"opening_cash": 200000}).status_code == 201
    scan = anna.get(f"/api/v1/products/lookup?barcode={BARCODES['WATER']}").json()
    assert scan["sku"] == "WATER"
    results = {}

    def sell(name, lines, payments):
        r = anna.post("/api/v1/sales", json={"client_ref": name, "lines": lines,
                                             "payments": payments})
        assert r.status_code == 201, r.text
        results[name] = r.json()
        return r.json()

    sell("cash", [{"barcode": BARCODES["MILK"], "qty": 2}], [{"method": "cash", "amount": 20000}])
    sell("card", [{"sku": "COFFEE", "qty": 1}], [{"method": "card", "amount": 45900}])
    sell("split", [{"sku": "BREAD", "qty": 3}], [{"method": "card", "amount": 10000},
                                                 {"method": "cash", "amount": 10000}])
    sell("weighed", [{"barcode": BARCODES["CHEESE"], "qty": "0.412"}],
         [{"method": "cash", "amount": 40000}])
    assert results["weighed"]["total"] == 37039  # 899.00 x 0.412 = 370.388 -> 370.39
    again = anna.post("/api/v1/sales", json={"client_ref": "cash",
                                             "lines": [{"sku": "MILK", "qty": 2}],
                                             "payments": [{"method": "cash", "amount": 20000}]})
    assert again.status_code == 200 and again.json()["sale_id"] == results["cash"]["sale_id"]

    sale = results["split"]
    body = {"client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"],
            "lines": [{"line_id": sale["lines"][0]["line_id"], "qty": 1}]}
    refused = anna.post("/api/v1/returns", json=body)
    assert refused.status_code == 403
    maria = agent.session("maria", register="1")
    ret = maria.post("/api/v1/returns", json=body)
    assert ret.status_code == 201 and ret.json()["total"] == 5450

    x = anna.get("/api/v1/shifts/current").json()
    z = anna.post("/api/v1/shifts/close", json={"counted_cash": x["expected_cash"]}).json()
    totals = [r["total"] for r in results.values()]
    assert z["sales_count"] == 4 and z["sales_total"] == sum(totals)
    assert z["returns_total"] == 5450
    assert (z["by_method"]["cash"]["net"] + z["by_method"]["card"]["net"]
            == sum(totals) - 5450)
    assert z["expected_cash"] == 200000 + z["by_method"]["cash"]["net"]
    assert z["difference"] == 0
    assert anna.post("/api/v1/sales", json={"client_ref": "late", "lines": [{"sku": "MILK", "qty": 1}],
                                            "payments": [{"method": "cash", "amount": 9000}]}
                     ).status_code == 409
