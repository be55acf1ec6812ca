"""Shared fixtures: a real store on a temporary SQLite file, API clients, a live server."""

from __future__ import annotations

import io
import socket
import uuid
from pathlib import Path

import pytest

from agent import cashiers
from agent.config import write_new
from agent.csv_import import import_csv
from agent.store import Store

CATALOG = """sku,name,barcodes,price,unit,vat,stock
MILK,Молоко 3.2% 1 л,4607001234562,89.90,pcs,10,100
BREAD,Хлеб Бородинский,4607001234579,54.50,pcs,10,50
CHEESE,Сыр Российский весовой,2000001000007,899.00,kg,10,10
COFFEE,Кофе «Арабика» 250 г,4607001234593,459.00,pcs,20,20
WATER,Вода 1.5 л,4607001234623|4607001234630,45.00,pcs,none,200
"""
BARCODES = {"MILK": "4607001234562", "BREAD": "4607001234579", "CHEESE": "2000001000007",
            "COFFEE": "4607001234593", "WATER": "4607001234623"}
PINS = {"anna": "1111", "boris": "2222", "maria": "9999"}


def make_store(path: Path, store_id: str = "S1", **config) -> Store:
    path.mkdir(parents=True, exist_ok=True)
    values = {"store": {"id": store_id, "name": "Тестовый магазин"}}
    for section, keys in config.items():
        values.setdefault(section, {}).update(keys)
    write_new(path, values)
    store = Store.open(path)
    import_csv(store, io.StringIO(CATALOG))
    for login, name, role in (("anna", "Анна", "cashier"), ("boris", "Борис", "senior"),
                              ("maria", "Мария", "manager")):
        cashiers.add(store, login, name, role, PINS[login])
    return store


@pytest.fixture
def store(tmp_path):
    s = make_store(tmp_path / "store")
    yield s
    s.close()


class Api:
    """A tiny logged-in client over Flask's test client (or requests for a live server)."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _h(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def login(self, login="anna", pin=None, register="1"):
        r = self.client.post("/api/v1/session", json={"login": login, "pin": pin or PINS[login],
                                                       "register": register})
        assert r.status_code == 200, r.get_json()
        return Api(self.client, r.get_json()["token"])

    def get(self, path, **kw):
        return self.client.get(path, headers=self._h(), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self._h(), **kw)

    def sell(self, lines, payments=None, client_ref=None, expect=201, **extra):
        body = {"client_ref": client_ref or uuid.uuid4().hex, "lines": lines, **extra}
        if payments is None:
            q = self.post("/api/v1/sales/quote", json={"lines": lines, **extra}).get_json()
            payments = [{"method": "card", "amount": q["total"]}] if q["total"] else []
        body["payments"] = payments
        r = self.post("/api/v1/sales", json=body)
        assert r.status_code == expect, r.get_json()
        return r.get_json()


@pytest.fixture
def app(store):
    from pos_ui import create_app
    return create_app(store)


@pytest.fixture
def anon(app):
    return Api(app.test_client())


@pytest.fixture
def cashier(anon):
    return anon.login("anna")


@pytest.fixture
def manager(anon):
    return anon.login("maria")


@pytest.fixture
def open_shift(cashier):
    r = cashier.post("/api/v1/shifts/open", json={"opening_cash": 100000})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_agent(store):
    """The real store process (waitress) on a free loopback port, in this process."""
    from pos_ui.process import StoreProcess
    proc = StoreProcess(store, "127.0.0.1", 0).start_background()
    yield proc
    proc.stop()
