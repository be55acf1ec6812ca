"""A supplier's УПД file (5.01 and 5.03, windows-1251 and UTF-8) becomes an expected
delivery through the real command line; received with a shortage, a surplus and a damaged
line, the store's stock, its act and the hub agree.  Bad files: one line, exit 1, nothing."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from agent import sql
from pos_ui import create_app
from sync.reconcile import differences
from sync.state import LiveState
from sync.wiring import build_workers
from tests.conftest import PINS, Api
from tests.upd_files import LINES, write_upd

from .conftest import synced_store


def cli(*args):
    return subprocess.run([sys.executable, "-m", "pos_ui.cli", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("version", ["5.01", "5.03"])
@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_a_upd_file_received_with_gaps_leaves_stock_act_and_hub_equal(hub, tmp_path, version,
                                                                      encoding):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    path = write_upd(tmp_path, version, encoding)
    done = cli("import-delivery", "--data-dir", str(store.config.data_dir), str(path))
    assert done.returncode == 0, done.stderr
    assert "1 unmatched" in done.stdout and "Печенье <Юбилейное> & Co" in done.stdout
    again = cli("import-delivery", "--data-dir", str(store.config.data_dir), str(path))
    assert again.returncode == 0 and "already imported" in again.stdout
    assert sql.scalar("SELECT COUNT(*) FROM delivery") == 1
    api = Api(create_app(store).test_client()).login("maria", PINS["maria"])
    (d,) = api.get("/api/v1/deliveries?status=expected").get_json()["items"]
    assert d["supplier"] == 'ООО "Молочный завод"' and d["number"] == "УТ-1542"
    assert [ln["sku"] for ln in d["lines"]] == ["MILK", "BREAD", "COFFEE", None]
    assert d["lines"][0]["price"] == 6250
    r = api.post(f"/api/v1/deliveries/{d['delivery_id']}/receive", json={
        "client_ref": uuid.uuid4().hex,
        "lines": [{"barcode": "4607001234562", "qty": 8},  # 2 short
                  {"sku": "BREAD", "qty": 6},  # 1 over
                  {"sku": "COFFEE", "qty": 4, "damaged_qty": 1}]})  # 1 damaged
    assert r.status_code == 201, r.get_json()
    act = {ln["line_no"]: ln for ln in r.get_json()["act"]["lines"]}
    assert (act[1]["shortage"], act[2]["surplus"], act[3]["damaged"]) == ("2.000", "1.000", "1.000")
    assert (act[4]["name"], act[4]["shortage"]) == (LINES[3][0], "3.000")  # never arrived
    _, (pusher, puller) = build_workers(store, LiveState())
    pusher.run_once()
    assert differences(store, hub.url, hub.admin_token) == []
    stock = hub.admin("/hub/v1/stores/S1/stock")[1]["items"]
    assert (stock["MILK"], stock["BREAD"], stock["COFFEE"]) == ("108.000", "56.000", "23.000")
    (held,) = hub.admin("/hub/v1/deliveries?store_id=S1")[1]["received"]
    assert held["act"] == r.get_json()["act"]
    page = api.get(f"/api/v1/deliveries/{d['delivery_id']}/act").get_data(as_text=True)
    assert "Печенье &lt;Юбилейное&gt; &amp; Co" in page
    store.close()


@pytest.mark.parametrize("content, says", [
    (b"not xml at all", "not a readable XML file"),
    ('<?xml version="1.0" encoding="utf-8"?><Root/>'.encode(), "not a УПД"),
    ('<?xml version="1.0" encoding="utf-8"?><Файл ИдФайл="x" ВерсФорм="5.01"><Документ '
     'КНД="1115131" Функция="СЧФДОП"><СвСчФакт НомерСчФ="1"/><ТаблСчФакт/></Документ></Файл>'
     .encode(), "has no lines"),
    ('<?xml version="1.0" encoding="utf-8"?><Файл ИдФайл="x" ВерсФорм="5.01"><Документ '
     'КНД="1115131" Функция="СЧФДОП"><СвСчФакт НомерСчФ="1"/><ТаблСчФакт><СведТов НомСтр="1" '
     'НаимТов="Молоко" КолТов="-2"/></ТаблСчФакт></Документ></Файл>'.encode(), "above zero"),
    ('<?xml version="1.0" encoding="utf-8"?><Файл ИдФайл="x" ВерсФорм="5.01"><Документ '
     'КНД="1115131" Функция="СЧФДОП"><СвСчФакт НомерСчФ="1"/><ТаблСчФакт><СведТов НомСтр="1" '
     'НаимТов="Молоко" КолТов="1.5"><ДопСведТов КодТов="4607001234562"/></СведТов></ТаблСчФакт>'
     '</Документ></Файл>'.encode(), "whole number of pieces"),
    ('<?xml version="1.0" encoding="utf-8"?><Файл ИдФайл="x" ВерсФорм="5.01"><Документ '
     'КНД="1115131" Функция="СЧФДОП"><СвСчФакт НомерСчФ="1"/><ТаблСчФакт><СведТов НомСтр="1" '
     'НаимТов="Мол&#144;око" КолТов="2"/></ТаблСчФакт></Документ></Файл>'.encode(),
     "must not contain control characters"),
])
def test_a_bad_upd_file_is_one_line_and_writes_nothing(tmp_path, content, says):
    from tests.conftest import make_store
    store = make_store(tmp_path / "s")
    before = sql.scalar("SELECT COUNT(*) FROM delivery_line")
    path = tmp_path / "ON_NSCHFDOPPR_bad.xml"
    path.write_bytes(content)
    done = cli("import-delivery", "--data-dir", str(store.config.data_dir), str(path))
    assert done.returncode == 1 and says in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert sql.scalar("SELECT COUNT(*) FROM delivery_line") == before == 0
    store.close()


def test_upd_texts_follow_the_one_text_rule_bidi_stripped_and_nfc(tmp_path):
    """Like the CSV and CommerceML importers: bidi controls are stripped from the file's
    texts (supplier, number, names), what is stored is NFC."""
    from agent import upd_import
    from tests.conftest import make_store
    store = make_store(tmp_path / "s")
    path = tmp_path / "ON_NSCHFDOPPR_bidi.xml"
    path.write_bytes(
        ('<?xml version="1.0" encoding="utf-8"?><Файл ИдФайл="bidi1" ВерсФорм="5.01"><Документ '
         'КНД="1115131" Функция="СЧФДОП"><СвСчФакт НомерСчФ="A\u202e17"><СвПрод><ИдСв>'
         '<СвЮЛУч НаимОрг="ООО \u2066Ромашка\u2069" ИННЮЛ="7701234567"/></ИдСв></СвПрод>'
         '</СвСчФакт><ТаблСчФакт><СведТов НомСтр="1" НаимТов="Cafe\u0301 \u202eмолоко" '
         'КолТов="2"/></ТаблСчФакт></Документ></Файл>').encode())
    done = upd_import.import_file(store, path)
    d = done["delivery"]
    assert (d["number"], d["supplier"]) == ("A17", "ООО Ромашка")
    assert d["lines"][0]["name"] == "Caf\u00e9 молоко"
    store.close()


def test_a_delivery_expected_at_the_hub_reaches_the_store_and_comes_back_received(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    code, first = hub.admin("/hub/v1/deliveries", "POST", {
        "store_id": "S1", "number": "ТН-5", "supplier": "ООО Хлебозавод",
        "lines": [{"sku": "BREAD", "qty": "10", "price": 3000}, {"sku": "GHOST", "qty": "2"}]})
    assert code == 201, first
    _, (pusher, puller) = build_workers(store, LiveState())
    puller.run_once()
    puller.run_once()  # the same item again changes nothing
    api = Api(create_app(store).test_client()).login("boris", PINS["boris"])
    (d,) = api.get("/api/v1/deliveries?status=expected").get_json()["items"]
    assert [(ln["sku"], ln["expected"]) for ln in d["lines"]] == [("BREAD", "10.000"), (None, "2.000")]
    r = api.post(f"/api/v1/deliveries/{d['delivery_id']}/receive",
                 json={"client_ref": uuid.uuid4().hex, "lines": [{"sku": "BREAD", "qty": 10}]})
    assert r.status_code == 201, r.get_json()
    pusher.run_once()
    (held,) = hub.admin("/hub/v1/deliveries?store_id=S1")[1]["items"]
    assert held["delivery_id"] == first["delivery_id"] and held["status"] == "received"
    assert held["act"] == r.get_json()["act"]
    assert differences(store, hub.url, hub.admin_token) == []
    store.close()
