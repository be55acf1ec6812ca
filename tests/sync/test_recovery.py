"""A store restored from an old backup catches up with the hub: it replays the hub's copy of
its events, renumbers nothing, sends nothing twice, and sells on (in-process: a real store
database and a real hub on a loopback port)."""

from __future__ import annotations

import random
import sqlite3

import pytest

from agent import backup, outbox
from agent.errors import Conflict
from agent.models import Outbox
from agent.store import Store
from sync.errors import HubRefused
from sync.reconcile import differences, store_totals
from sync.recovery import catch_up
from sync.state import LiveState
from sync.wiring import build_workers, hub_client

from .conftest import synced_store
from .hubkit import signed_for
from .till import Till


def _push(store) -> None:
    _, (pusher, _) = build_workers(store, LiveState())
    pusher.backoff = (0.01, 0.05)
    pusher.run_once()
    assert outbox.acked_through() == outbox.last_seq()


def _hub_events(hub, store_id):
    from sync.hub.sql import Sql
    return [(int(s), e) for s, e in Sql(hub.db).rows(
        "SELECT seq, event_id FROM hub_event WHERE store_id = ? ORDER BY seq", (store_id,))]


def test_a_restored_store_replays_what_the_hub_holds_and_sells_on(any_hub, tmp_path):
    hub = any_hub
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"), batch_events=7)
    till, rng = Till(store), random.Random(20)
    till.business(25, rng)
    _push(store)
    archive = tmp_path / "before.tar.gz"
    manifest = backup.backup(store.config, archive)
    assert manifest["store_id"] == "S1" and manifest["outbox_last_seq"] == outbox.last_seq()
    till.business(80, rng)  # sales, returns, receipts, counts, bonus entries after the copy
    till.bonus("+79161234567", "accrual", 777)
    _push(store)
    before, last = store_totals(store), outbox.last_seq()
    held = _hub_events(hub, "S1")
    assert held[-1][0] == last > manifest["outbox_last_seq"]
    data_dir = store.config.data_dir
    store.close()

    done = backup.restore(data_dir, archive)
    assert done["kept"] and (data_dir / "store.db").exists()
    store = Store.open(data_dir)
    assert outbox.last_seq() == manifest["outbox_last_seq"]
    with pytest.raises(Conflict) as refused:  # no new event may take a seq the hub holds
        Till(store).sell()
    assert refused.value.code == "store_recovering"
    assert outbox.last_seq() == manifest["outbox_last_seq"]

    _push(store)  # the pusher catches up first, then pushes nothing
    assert backup.recovery_pending(store.db.db) is None
    assert outbox.last_seq() == last and outbox.acked_through() == last
    assert store_totals(store) == before
    assert differences(store, hub.url, hub.admin_token) == []
    assert [(r.seq, r.event_id) for r in Outbox.select().order_by(Outbox.seq)] == held
    assert _hub_events(hub, "S1") == held  # nothing renumbered, nothing doubled at the hub

    sale = Till(store).sell()  # sells on, after the hub's last seq
    assert outbox.last_seq() == last + 1
    _push(store)
    assert differences(store, hub.url, hub.admin_token) == []
    assert store_totals(store)["sales_count"] == before["sales_count"] + 1
    from sync.hub.sql import Sql
    assert Sql(hub.db).scalar("SELECT COUNT(*) FROM hub_sale WHERE store_id = 'S1' AND "
                              "sale_id = ?", (sale["sale_id"],)) == 1
    store.close()


def test_catch_up_refuses_a_database_of_another_lineage(hub, tmp_path):
    tok = hub.add_store("S1")
    store = synced_store(tmp_path, hub.url, tok)
    Till(store).business(5, random.Random(1))
    _push(store)
    data_dir = store.config.data_dir
    store.close()
    # a different database that claims to be S1 (another machine's, a fork): same seqs,
    # other events
    other = synced_store(tmp_path / "other", hub.url, tok)
    Till(other).business(8, random.Random(2))
    archive = tmp_path / "other.tar.gz"
    backup.backup(other.config, archive)
    other.close()
    backup.restore(data_dir, archive)
    store = Store.open(data_dir)
    before = outbox.last_seq()
    with pytest.raises(HubRefused, match="another event"):
        catch_up(store, hub_client(store))
    assert outbox.last_seq() == before and backup.recovery_pending(store.db.db) is not None
    store.close()


def test_restore_refuses_a_backup_of_another_store_unless_forced(tmp_path):
    from tests.conftest import make_store
    a = make_store(tmp_path / "a", "A")  # one store database open at a time (agent.db)
    archive = tmp_path / "a.tar.gz"
    backup.backup(a.config, archive)
    a.close()
    b = make_store(tmp_path / "b", "B")
    b_dir = b.config.data_dir
    b.close()
    digest = (b_dir / "store.db").read_bytes()
    with pytest.raises(Conflict, match="backup of store 'A'"):
        backup.restore(b_dir, archive)
    assert (b_dir / "store.db").read_bytes() == digest  # nothing changed
    done = backup.restore(b_dir, archive, force=True)
    assert done["store_id"] == "A"
    kept = sqlite3.connect(done["kept"])
    assert kept.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept.close()


def test_the_hub_answers_a_store_only_its_own_events(hub, tmp_path):
    import requests
    tok1, tok2 = hub.add_store("S1"), hub.add_store("S2")
    store = synced_store(tmp_path, hub.url, tok1)
    Till(store).business(6, random.Random(3))
    _push(store)
    path = "/hub/v1/stores/S1/events?after=2&limit=3"
    r = requests.get(hub.url + path, headers=signed_for(tok1, "GET", path), timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert [e["seq"] for e in body["events"]] == [3, 4, 5]
    assert body["acked_through"] == outbox.last_seq()
    row = Outbox.get(Outbox.seq == 3)
    assert body["events"][0]["event_id"] == row.event_id
    assert outbox.dumps(body["events"][0]["payload"]) == row.payload
    r = requests.get(hub.url + path, headers=signed_for(tok2, "GET", path), timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"]
    bad = "/hub/v1/stores/S1/events?after=x"
    r = requests.get(hub.url + bad, headers=signed_for(tok1, "GET", bad), timeout=10)
    assert r.status_code == 400 and r.json()["error"]["field"] == "after"
    store.close()


def test_while_recovering_every_action_that_records_an_event_is_refused_and_writes_nothing(
        tmp_path):
    import hashlib
    import uuid

    from agent import counts, deliveries, loyalty, returns, shifts, stock
    from tests.conftest import make_store
    store = make_store(tmp_path / "s")
    till = Till(store)
    sale = till.sell(lines=[{"sku": "MILK", "qty": "2"}])
    with store.db.write():
        backup.mark_for_recovery(store.db.db, "test")
    session = till.session

    def tables():
        names = [r[0] for r in store.db.db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' "
            "AND name NOT IN ('api_session', 'cashier') ORDER BY name")]
        h = hashlib.sha256()
        for name in names:
            h.update(repr(store.db.db.execute_sql(f'SELECT * FROM "{name}"').fetchall()).encode())
        return h.hexdigest()

    before = tables()
    actions = [
        lambda: till.sell(),
        lambda: returns.commit(store, session, {
            "client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"],
            "lines": [{"line_id": sale["lines"][0]["line_id"], "qty": "1"}]}),
        lambda: stock.post_document(store, "receipt", uuid.uuid4().hex,
                                    [{"sku": "MILK", "qty": "5"}], cashier=session.cashier),
        lambda: shifts.cash_move(store, session, "in", 1000, "change fund"),
        lambda: shifts.close_shift(store, session, 0),
        lambda: loyalty.register(store, session, "+79160000001", "Новый"),
        # issue 15's stock documents
        lambda: deliveries.receive_unexpected(store, uuid.uuid4().hex, "ИП Петров", "1",
                                              [{"sku": "MILK", "qty": 3}], session.cashier),
        lambda: counts.post_count(store, uuid.uuid4().hex, "partial",
                                  [{"sku": "MILK", "counted": 1}], session.cashier),
        lambda: counts.post_writeoff(store, uuid.uuid4().hex, counts.reasons(store)[0],
                                     [{"sku": "MILK", "qty": 1}], session.cashier),
    ]
    for action in actions:
        with pytest.raises(Conflict) as refused:
            action()
        assert refused.value.code == "store_recovering"
    assert tables() == before
    with store.db.write():
        store.db.db.execute_sql("DELETE FROM sync_state WHERE key = ?", (backup.RECOVERY_KEY,))
    shifts.cash_move(store, session, "in", 1000, "change fund")  # and sells on once recovered
    store.close()


COMPARED = {  # the columns a replay must reproduce exactly (not the local clock's stamps)
    "sale": "id, client_ref, shift_id, register_id, number, cashier_id, customer_phone, subtotal,"
            " total, paid, change, bonus_earned, bonus_redeemed, fiscal_status, created_at",
    "sale_line": "*", "payment": "*", "refund": "*", "return_line": "*", "stock_level": "*",
    "sale_return": "id, client_ref, sale_id, shift_id, number, cashier_id, approved_by_id, total,"
                   " bonus_reversed, bonus_restored, bonus_withheld, created_at",
    "stock_move": "product_id, kind, qty_milli, sale_id, return_id, doc_id",
    "stock_doc": "id, client_ref, kind, cashier_id",
    "shift": "id, register_id, number, cashier_id, closed_by_id, opening_cash, counted_cash,"
             " open_marker, last_receipt_number",
    "cash_move": "id, shift_id, kind, amount, reason, cashier_id",
    "customer": "phone, name, email",
    "bonus_entry": "id, phone, kind, amount, sale_id, return_id, reason, cashier, expires_at,"
                   " origin, hub_entry_id",
    "outbox": "seq, event_id, type, schema, occurred_at, payload",
}


def _rows(db_file, table, cols):
    conn = sqlite3.connect(db_file)
    try:
        return sorted(conn.execute(f"SELECT {cols} FROM {table}").fetchall(), key=repr)
    finally:
        conn.close()


def test_the_replayed_tables_are_the_ones_the_store_wrote(hub, tmp_path):
    """Row for row, not only totals: every table an event describes comes back as written."""
    import uuid

    from agent import loyalty, shifts, stock
    from tests.conftest import make_store
    store = make_store(tmp_path / "s", "S1", loyalty={"welcome_bonus": 500},
                       hub={"url": hub.url, "token": hub.add_store("S1"), "timeout": 5.0})
    archive = tmp_path / "empty.tar.gz"
    first = backup.backup(store.config, archive)  # the catalog and the cashiers, nothing sold
    till, rng = Till(store), random.Random(5)
    store.hub = None  # registration offline: the provisional welcome bonus is an event too
    loyalty.register(store, till.session, "+79031112233", "Ольга")
    till.business(60, rng)
    shifts.cash_move(store, till.session, "in", 5000, "размен")
    stock.post_document(store, "writeoff", uuid.uuid4().hex, [{"sku": "BREAD", "qty": "2"}],
                        cashier=till.session.cashier)
    shifts.close_shift(store, till.session, 123456)
    till = Till(store, register="2")  # a second register, a new shift
    till.business(15, rng)
    _push(store)
    original = tmp_path / "original.db"
    backup.snapshot(store.config.db_path, original)
    data_dir = store.config.data_dir
    store.close()

    backup.restore(data_dir, archive)
    store = Store.open(data_dir)
    done = catch_up(store, hub_client(store), page=13)
    assert done["applied"] == outbox.last_seq() - first["outbox_last_seq"] > 70
    assert done["unknown"] == 0
    store.close()
    for table, cols in COMPARED.items():
        mine, theirs = _rows(data_dir / "store.db", table, cols), _rows(original, table, cols)
        assert mine == theirs, f"{table} differs after the replay"
        assert theirs or table in ("refund",), f"the scenario wrote no {table}"
    # the entries the core wrote carry their event's seq (the test till's own leave it empty)
    core_written = _rows(original, "bonus_entry WHERE seq IS NOT NULL", "id, seq")
    assert core_written  # the welcome bonus at least
    assert set(core_written) <= set(_rows(data_dir / "store.db", "bonus_entry", "id, seq"))


def test_a_restored_fiscal_store_takes_the_registers_outcomes_from_the_hub(hub, tmp_path):
    """Receipts fiscalised or voided after the backup come back as the register left them;
    the fiscal worker waits meanwhile, so it never prints a receipt again on its own."""
    from agent import voids
    from agent.fiscal_queue import FiscalWorker
    from agent.models import Sale, Shift
    from drivers.fiscal.dummy import DummyRegister
    from tests.conftest import make_store
    store = make_store(tmp_path / "s", "S1", devices={"fiscal": "dummy:"},
                       hub={"url": hub.url, "token": hub.add_store("S1"), "timeout": 5.0})
    worker = FiscalWorker(store, DummyRegister())
    till = Till(store)
    a, b, c, d = (till.sell(lines=[{"sku": "MILK", "qty": str(n)}]) for n in (1, 2, 3, 4))
    archive = tmp_path / "pending.tar.gz"
    backup.backup(store.config, archive)  # four receipts not yet at the register
    worker.register.open_shift("Мария")  # as the worker does on shift.opened, on its thread
    assert worker._fiscalize("sale", a["sale_id"]) and worker._fiscalize("sale", b["sale_id"])
    Sale.update(fiscal_status="failed").where(Sale.id == c["sale_id"]).execute()
    voids.void_sale(store, till.session, c["sale_id"])
    _push(store)
    fiscal = {s.id: (s.fiscal_status, s.fiscal_document_number, s.fiscal_sign)
              for s in Sale.select()}
    data_dir = store.config.data_dir
    store.close()

    backup.restore(data_dir, archive)
    store = Store.open(data_dir)
    worker = FiscalWorker(store, DummyRegister())
    assert Sale.select().where(Sale.fiscal_status == "pending").count() == 4
    assert worker._next() is None  # waits: the hub may hold what the register did
    catch_up(store, hub_client(store))
    now = {s.id: (s.fiscal_status, s.fiscal_document_number, s.fiscal_sign)
           for s in Sale.select()}
    assert now == fiscal
    assert now[a["sale_id"]][0] == "done" and now[c["sale_id"]][0] == "voided"
    # the backup predates the opening cash's deposit on the register (fix 28): it is owed
    # first; settled here, the sale that never reached the register is next
    assert worker._next()[0] == "deposit"
    Shift.update(fiscal_cash_status="done").execute()
    assert worker._next()[:2] == ("sale", d["sale_id"])  # never at the register: fiscalised now
    assert differences(store, hub.url, hub.admin_token) == []
    store.close()


def test_replay_keeps_an_unknown_event_in_its_seq_and_refuses_a_hole(tmp_path):
    from agent import replay
    from tests.conftest import make_store
    store = make_store(tmp_path / "s")
    last = outbox.last_seq()

    def ev(seq, etype="order.status_changed"):
        return {"event_id": f"e-{seq}", "seq": seq, "type": etype, "schema": 2,
                "occurred_at": "2026-05-01T10:00:00.000000Z",
                "payload": {"order_id": "W-1", "status": "ready", "note": "Готов"}}

    with pytest.raises(Conflict) as hole:
        replay.apply_events(store, [ev(last + 2)])
    assert hole.value.code == "replay_gap" and outbox.last_seq() == last
    done = replay.apply_events(store, [ev(last), ev(last + 1)])  # the first is held already
    assert done == {"applied": 1, "skipped": 1, "unknown": 1, "invalid": 0, "quarantined": 0}
    row = Outbox.get(Outbox.seq == last + 1)
    assert (row.event_id, row.type, row.schema) == (f"e-{last + 1}", "order.status_changed", 2)
    assert row.payload == outbox.dumps(ev(0)["payload"])
    assert outbox.acked_through() == last + 1  # the hub holds it: never pushed again
    store.close()


def test_a_restored_fiscal_store_holds_the_registers_z_and_replays_closes_as_unknown(tmp_path):
    """Issue 13's register Z per shift under issue 20's recovery: a Z still owed waits while
    the store catches up (the hub may hold what the register did), a shift close replayed from
    the hub leaves its Z failed for a senior to check (never printed again by itself), and the
    doctor reports a pending or failed Z."""
    from agent import doctor, replay, shifts
    from agent.fiscal_queue import FiscalWorker, z_state
    from drivers.fiscal.dummy import DummyRegister
    from tests.conftest import make_store
    store = make_store(tmp_path / "s", "S1", devices={"fiscal": "dummy:"})
    worker = FiscalWorker(store, DummyRegister())
    till = Till(store)
    till.sell(lines=[{"sku": "MILK", "qty": "1"}])
    z = shifts.close_shift(store, till.session, 0)
    assert z_state(z["shift_id"])["status"] == "pending"
    with store.db.write():
        backup.mark_for_recovery(store.db.db, "test")
    assert worker._z_due(None) is None and worker.run_round() is None  # waits
    checks = {c.name: c for c in doctor.database_checks(store.config.db_path)}
    assert "1 Z report pending" in checks["fiscal documents"].detail
    with store.db.write():
        store.db.db.execute_sql("DELETE FROM sync_state WHERE key = ?", (backup.RECOVERY_KEY,))
    assert worker._z_due(None).id == z["shift_id"]  # caught up: the register gets its Z

    # a close the store only knows from the hub: nobody knows whether its Z printed
    opened = Till(store, register="2")
    shift_id = shifts.current("2").id
    last = outbox.last_seq()
    replay.apply_events(store, [{
        "event_id": "e-close", "seq": last + 1, "type": "shift.closed", "schema": 1,
        "occurred_at": "2026-05-01T10:00:00.000000Z",
        "payload": {"shift_id": shift_id, "counted_cash": 0, "closed_by": "maria"}}])
    assert opened and z_state(shift_id)["status"] == "failed"
    assert "recovered from the hub" in z_state(shift_id)["error"]
    checks = {c.name: c for c in doctor.database_checks(store.config.db_path)}
    assert checks["fiscal documents"].verdict == doctor.FAIL
    assert "1 Z report failed" in checks["fiscal documents"].detail
    store.close()


def _quarantine_next(hub, store, store_id: str) -> int:
    """The hub refuses the store's next unsent event (as a poison event of an older rule
    would be) and the operator quarantines it: held at its seq, never applied at the hub."""
    import json as _json

    from sync.hub.sql import Sql
    seq = outbox.acked_through() + 1
    row = Outbox.get(Outbox.seq == seq)
    body = {"event_id": row.event_id, "store_id": store_id, "seq": seq, "type": row.type,
            "schema": row.schema, "occurred_at": row.occurred_at,
            "payload": _json.loads(row.payload)}
    Sql(hub.db).run("INSERT INTO hub_rejected_event (store_id, seq, event_id, type, body, reason, "
                    "first_seen, last_seen, count, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (store_id, seq, row.event_id, row.type,
                     _json.dumps(body, ensure_ascii=True, sort_keys=True), "refused (test)",
                     row.occurred_at, row.occurred_at, 1, "rejected"))
    [rej] = hub.admin(f"/hub/v1/rejected?store_id={store_id}")[1]["items"]
    code, done = hub.admin(f"/hub/v1/rejected/{rej['id']}/quarantine", method="POST")
    assert code == 200 and done["status"] == "quarantined"
    return seq


def test_a_quarantined_event_is_replayed_as_the_store_first_wrote_it(any_hub, tmp_path):
    hub = any_hub
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"), batch_events=7)
    till, rng = Till(store), random.Random(4)
    till.business(10, rng)
    _push(store)
    archive = tmp_path / "before.tar.gz"
    backup.backup(store.config, archive)
    till.business(6, rng)
    _push(store)
    till.sell(rng=rng)  # its sale.completed is refused at the hub and quarantined
    till.business(6, rng)
    seq = _quarantine_next(hub, store, "S1")
    _push(store)  # the quarantined seq is acknowledged without being applied
    last = outbox.last_seq()
    assert outbox.acked_through() == last > seq
    code, summary = hub.admin("/hub/v1/stores/S1/summary")
    assert summary["quarantined"] == 1 and summary["acked_through"] == last
    before, reported = store_totals(store), differences(store, hub.url, hub.admin_token)
    held = [(r.seq, r.event_id) for r in Outbox.select().order_by(Outbox.seq)]
    data_dir = store.config.data_dir
    store.close()

    backup.restore(data_dir, archive)
    store = Store.open(data_dir)
    done = catch_up(store, hub_client(store))
    assert done["recovered"] and done["last_seq"] == last
    # the store equals the store before the loss, the quarantined sale included (the hub
    # left it out of its projections, so the checker reports just what it reported before)
    assert store_totals(store) == before
    assert differences(store, hub.url, hub.admin_token) == reported
    assert [(r.seq, r.event_id) for r in Outbox.select().order_by(Outbox.seq)] == held
    assert outbox.acked_through() == last
    Till(store).sell()  # sells on after the hub's last seq
    assert outbox.last_seq() == last + 1
    store.close()


def test_replay_keeps_but_does_not_apply_events_the_event_schema_refuses(tmp_path):
    from agent import replay
    from agent.models import Customer
    from tests.conftest import make_store
    store = make_store(tmp_path / "s", "S1")
    at, n = "2026-03-01T10:00:00.000000Z", outbox.last_seq()
    events = [
        {"event_id": "e1", "store_id": "S1", "seq": n + 1, "type": "customer.upserted", "schema": 1,
         "occurred_at": at, "payload": {"phone": "+79165550001", "name": "Ива\u0000н"}},
        {"event_id": "e2", "store_id": "S1", "seq": n + 2, "type": "stock.moved", "schema": 1,
         "occurred_at": at, "payload": {"lines": [{"sku": "MILK", "qty": "1e308"}]}},
        {"event_id": "e3", "store_id": "S1", "seq": n + 3, "type": "mystery.happened", "schema": 1,
         "occurred_at": at, "payload": {}},
        {"event_id": "q4", "store_id": "S1", "seq": n + 4, "type": "quarantined", "schema": 1,
         "occurred_at": at, "payload": None, "quarantined": True},  # an unreadable body
        {"event_id": "e5", "store_id": "S1", "seq": n + 5, "type": "customer.upserted", "schema": 1,
         "occurred_at": at, "payload": {"phone": "+79165550002", "name": "Anna"}},
    ]
    try:
        done = replay.apply_events(store, events)
    finally:
        store.close()
    store = Store.open(tmp_path / "s")
    assert done == {"applied": 5, "skipped": 0, "unknown": 2, "invalid": 2, "quarantined": 1}
    assert [r.event_id for r in Outbox.select().where(Outbox.seq > n).order_by(Outbox.seq)] == [
        "e1", "e2", "e3", "q4", "e5"]
    phones = {c.phone for c in Customer.select()}
    assert "+79165550001" not in phones and "+79165550002" in phones
    store.close()


STOCK_DOCS_COMPARED = {  # issue 15's tables, as the store wrote them (row ids the feed made aside)
    "delivery": "id, ref, source, number, supplier, status, act_number, receive_ref,"
                " received_by, received_at",
    "delivery_line": "delivery_id, line_no, product_id, name, expected_milli, price,"
                     " received_milli, damaged_milli",
    "transfer": "transfer_id, direction, from_store, to_store, status, client_ref, receive_ref,"
                " cashier, sent_at, received_at",
    "transfer_line JOIN transfer t ON t.id = transfer_line.transfer_id":
        "t.transfer_id, sku, sent_milli, received_milli",
    "stock_doc": "id, client_ref, kind, cashier_id, note",  # created_at: the event's clock
    "stock_move": "product_id, kind, qty_milli, sale_id, return_id, doc_id",
    "stock_level": "*",
}


def test_a_restored_store_gets_its_deliveries_transfers_counts_and_write_offs_back(hub, tmp_path):
    """Backed up before them: a delivery expected at the hub and received with a shortage, a
    damaged and a surplus line, one received without being expected, a transfer sent, one
    received short, a partial count and a write-off.  Restored and caught up, every stock
    document table and the stock are what they were, and the ledger sums to the on-hand."""
    import uuid

    from agent import counts, deliveries, transfers
    from agent.models import Cashier

    from .hubkit import event, push_raw
    s2 = hub.add_store("S2")
    assert push_raw(hub.url, s2, "S2", [event("S2", 1, "stock.moved", {
        "doc_id": 1, "kind": "receipt", "lines": [{"sku": "MILK", "qty": "50.000"}]})]).ok
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    _, (pusher, puller) = build_workers(store, LiveState())
    puller.run_once()  # S1 hears of S2
    archive = tmp_path / "before.tar.gz"
    first = backup.backup(store.config, archive)

    who = Cashier.get(Cashier.login == "maria")
    code, expected = hub.admin("/hub/v1/deliveries", "POST", {
        "store_id": "S1", "number": "ТН-7", "supplier": "ООО Хлебозавод",
        "lines": [{"sku": "BREAD", "qty": "10", "price": 3000}, {"sku": "MILK", "qty": "5"},
                  {"sku": "GHOST", "qty": "2"}]})
    assert code == 201, expected
    assert push_raw(hub.url, s2, "S2", [event("S2", 2, "transfer.sent", {
        "transfer_id": "S2:T1", "from_store": "S2", "to_store": "S1", "sent_at": "2026-03-01",
        "lines": [{"sku": "MILK", "qty": "6.000"}, {"sku": "BREAD", "qty": "2.000"}]})]).ok
    puller.run_once()  # the expected delivery and the incoming transfer
    (d,) = deliveries.listing("expected")
    deliveries.receive(store, d["delivery_id"], uuid.uuid4().hex,
                       [{"sku": "BREAD", "qty": 9, "damaged_qty": 1}, {"sku": "COFFEE", "qty": 2}],
                       cashier=who)
    deliveries.receive_unexpected(store, uuid.uuid4().hex, "ИП Петров", "17",
                                  [{"sku": "MILK", "qty": 3}], cashier=who)
    transfers.send(store, uuid.uuid4().hex, "S2", [{"sku": "MILK", "qty": 4}], cashier=who)
    transfers.receive(store, "S2:T1", uuid.uuid4().hex,
                      [{"sku": "MILK", "qty": 5}, {"sku": "COFFEE", "qty": 1}], cashier=who)
    counts.post_count(store, uuid.uuid4().hex, "partial", [{"sku": "BREAD", "counted": 7}],
                      cashier=who)
    reason = counts.reasons(store)[0]
    counts.post_writeoff(store, uuid.uuid4().hex, reason, [{"sku": "MILK", "qty": 1}],
                         cashier=who)
    _push(store)
    copy = hub_client(store).own_events(first["outbox_last_seq"])["events"]  # the hub's copy
    kinds = {e["type"] for e in copy}
    assert {"delivery.received", "transfer.sent", "transfer.received"} <= kinds, kinds
    original = tmp_path / "original.db"
    backup.snapshot(store.config.db_path, original)
    data_dir = store.config.data_dir
    store.close()

    backup.restore(data_dir, archive)
    store = Store.open(data_dir)
    done = catch_up(store, hub_client(store), page=3)
    assert done["applied"] == outbox.last_seq() - first["outbox_last_seq"]
    assert (done["unknown"], done["invalid"]) == (0, 0)
    replayed = {r[0] for r in _rows(data_dir / "store.db", f"outbox WHERE seq > "
                                    f"{first['outbox_last_seq']}", "type")}
    assert {"delivery.received", "transfer.sent", "transfer.received", "stock.counted",
            "stock.moved"} <= replayed, replayed
    assert kinds == replayed
    _, (_, puller) = build_workers(store, LiveState())
    puller.run_once()  # the feed's old items again (the backup's cursor) change nothing
    store.close()
    for table, cols in {**STOCK_DOCS_COMPARED, "outbox": COMPARED["outbox"]}.items():
        mine, theirs = _rows(data_dir / "store.db", table, cols), _rows(original, table, cols)
        assert mine == theirs, f"{table} differs after the replay"
        assert theirs, f"the scenario wrote no {table}"
    ledger = _rows(data_dir / "store.db", "stock_level l WHERE l.on_hand_milli <> (SELECT "
                   "COALESCE(SUM(qty_milli), 0) FROM stock_move m WHERE m.product_id = "
                   "l.product_id)", "l.product_id")
    assert ledger == []
