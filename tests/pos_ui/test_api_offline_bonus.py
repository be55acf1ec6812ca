"""Issue 13 item 5: with the hub down, the quote offers only what the commit will accept."""

import time
import uuid

import pytest

from pos_ui.process import StoreProcess
from tests.agent_process import HttpApi
from tests.conftest import free_port, make_store

PHONE = "+79161234567"


@pytest.fixture
def offline_till(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the hub is down
    store = make_store(tmp_path / "s", hub={"url": dead, "token": "t", "timeout": 1.0,
                                            "push_interval": 0.2},
                       loyalty={"welcome_bonus": 10000, "redeem_cap_percent": 50,
                                "authorize_timeout": 0.5})
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    api = HttpApi.login(proc.url, "maria")
    yield api, store
    proc.stop()
    store.close()


def test_offline_quote_and_commit_agree_on_the_redemption_limit(offline_till):
    api, store = offline_till
    api.post("/api/v1/shifts/open", {"opening_cash": 0})
    assert api.post("/api/v1/customers", {"phone": PHONE}).status_code == 201
    deadline = time.monotonic() + 20  # sync tries the hub and finds it out of reach
    while api.get("/api/v1/sync/status").json().get("hub_reachable") is not False:
        assert time.monotonic() < deadline, "sync never noticed the hub is down"
        time.sleep(0.05)
    lines = [{"sku": "MILK", "qty": 2}]
    q = api.post("/api/v1/sales/quote", {"lines": lines, "customer_phone": PHONE}).json()
    assert q["bonus"]["max_redeem"] == 0  # never confirmed by the hub: nothing offline
    r = api.post("/api/v1/sales/quote", {"lines": lines, "customer_phone": PHONE,
                                         "redeem_bonus": 1000})
    assert r.status_code == 409, r.json()
    assert r.json()["error"]["code"] == "bonus_exceeds_offline_limit"
    c = api.post("/api/v1/sales", {"client_ref": uuid.uuid4().hex, "lines": lines,
                                   "customer_phone": PHONE, "redeem_bonus": 1000,
                                   "payments": [{"method": "card", "amount": 17980 - 1000}]})
    assert c.status_code == 409 and c.json()["error"]["code"] == r.json()["error"]["code"]
    assert c.json()["error"]["available"] == r.json()["error"]["available"] == 0
    sale = api.post("/api/v1/sales", {"client_ref": uuid.uuid4().hex, "lines": lines,
                                      "customer_phone": PHONE,
                                      "payments": [{"method": "card", "amount": 17980}]})
    assert sale.status_code == 201  # without redemption the sale goes through offline
