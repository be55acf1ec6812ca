"""One welcome bonus per phone across the chain when two stores register it at the same
instant through two hub workers: the unique key on the phone decides, not a Python lock."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
import requests

from .hubkit import HubProcess, event, hub_db_url, pg_drop, signed, token

ADMIN = "admin-" + "r" * 20
WELCOME = 10000


def _at_once(calls):
    barrier, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        out[i] = fn()
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return out


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_stores_registering_one_phone_at_once_give_one_welcome(engine, tmp_path):
    url, schema = hub_db_url(engine, tmp_path, "race.db")
    a = HubProcess(url, "secret-" + "r" * 24)
    assert a.run_cli("init", "--admin-token", ADMIN).returncode == 0
    assert a.run_cli("loyalty-rules", "--welcome-bonus", str(WELCOME)).returncode == 0
    toks = {s: token() for s in ("S1", "S2")}
    for s, tok in toks.items():
        assert a.run_cli("add-store", s, "--token", tok).returncode == 0
    b = HubProcess(url, "secret-" + "r" * 24)
    a.start(), b.start()
    admin = {"Authorization": f"Bearer {ADMIN}"}
    try:
        def online(worker, store, phone):
            def call():
                body = json.dumps({"phone": phone, "name": store}).encode()
                r = requests.post(worker.url + "/hub/v1/customers", data=body, timeout=60,
                                  headers=signed(toks[store], body, target="/hub/v1/customers"))
                return r.status_code
            return call

        def offline(worker, store, phone, seq):  # a welcome the store gave while offline
            def call():
                events = [event(store, seq, "customer.upserted", {"phone": phone}),
                          event(store, seq + 1, "loyalty.posted", {
                              "entry_id": seq, "phone": phone, "kind": "welcome",
                              "amount": WELCOME})]
                body = json.dumps({"store_id": store, "batch_id": uuid.uuid4().hex,
                                   "events": events}).encode()
                r = requests.post(worker.url + "/hub/v1/events", data=body,
                                  headers=signed(toks[store], body), timeout=60)
                return r.status_code
            return call

        seq = 1
        for i in range(12):
            phone = f"+7916123{i:04d}"
            if i % 2 == 0:  # both stores online, through different hub workers
                codes = _at_once([online(a, "S1", phone), online(b, "S2", phone)])
                assert sorted(codes) == [200, 201], codes
            else:  # S1 online, S2's offline registration arrives at the same instant
                codes = _at_once([online(a, "S1", phone), offline(b, "S2", phone, seq)])
                seq += 2
                assert codes[1] == 200 and codes[0] in (200, 201), codes
            view = requests.get(a.url + f"/hub/v1/customers/{phone}", headers=admin).json()
            assert view["balance"] == WELCOME, view
            kinds = [(e["kind"], e["amount"]) for e in view["ledger"]]
            assert sum(a for k, a in kinds) == WELCOME
            assert sum(1 for k, a in kinds if k == "welcome") - \
                sum(1 for k, a in kinds if k == "reversal") == 1, kinds
    finally:
        a.stop(), b.stop()
        if schema:
            pg_drop(schema)


def test_store_hub_add_channel_registers_a_channel_and_refuses_bad_input(tmp_path):
    hub = HubProcess(f"sqlite:///{tmp_path / 'cli.db'}", "secret-" + "c" * 24)
    assert hub.run_cli("init", "--admin-token", ADMIN).returncode == 0
    tok, store_tok = token(), token()
    assert hub.run_cli("add-store", "S1", "--token", store_tok).returncode == 0
    done = hub.run_cli("add-channel", "site", "--token", tok)
    assert done.returncode == 0 and "channel site registered" in done.stdout
    for args, why in ((["site", "--token", "short"], "at least 16"),
                      (["web", "--token", store_tok], "belongs to a store"),
                      (["bad id!", "--token", token()], "channel id")):
        r = hub.run_cli("add-channel", *args)
        assert r.returncode == 1 and why in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    r = hub.run_cli("loyalty-rules", "--accrual-percent", "101")
    assert r.returncode == 1 and "accrual_percent" in r.stderr
    hub.start()
    try:
        r = requests.post(hub.url + "/hub/v1/customers", json={"phone": "+79161234567"},
                          headers={"Authorization": f"Bearer {tok}"}, timeout=30)
        assert r.status_code == 201
    finally:
        hub.stop()


def test_a_hub_made_before_channels_gets_the_tables_and_keeps_its_welcomes(tmp_path):
    """No hub migrations: the new tables are created on start and filled from the ledger,
    so a phone welcomed before the upgrade is not welcomed again."""
    from sync.hub.app import HubConfig, bind, create_app
    from sync.hub.db import ensure_schema
    from sync.hub.models import HubSetting, create_schema
    from sync.hub.vault import check_value, load_secret, token_hash
    url = f"sqlite:///{tmp_path / 'old.db'}"
    secret = load_secret(url, str(tmp_path / "old.secret"), create=True)
    db = bind(url)
    ensure_schema(db)
    create_schema(db)  # the schema of the release before this one
    HubSetting.create(key="admin_token_hash", value=token_hash(ADMIN))
    HubSetting.create(key="secret_check", value=check_value(secret))
    db.execute_sql("INSERT INTO hub_customer (phone, balance, ledger_seq, store_entries, "
                   "updated_at) VALUES ('+79161234567', 500, 1, '{\"S1\": 1}', 'x')")
    db.execute_sql("INSERT INTO hub_ledger (store_id, entry_id, phone, kind, amount, "
                   "balance_after, created_at, seq) VALUES ('S1', 1, '+79161234567', "
                   "'welcome', 500, 500, 'x', 1)")
    assert not db.table_exists("hub_welcome")
    app = create_app(HubConfig(db_url=url, secret=secret)).test_client()
    from sync.hub.channels import add_channel
    tok = token()
    add_channel(db, "site", tok)
    r = app.post("/hub/v1/customers", json={"phone": "+79161234567"},
                 headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200 and r.get_json()["balance"] == 500
    seen = db.execute_sql("SELECT store_id, phone FROM hub_customer_seen").fetchall()
    assert seen == [("S1", "+79161234567")]  # S1's feed keeps bringing her balance
    db.close_all()
