"""Deferred projection (issue 22): a push stores its events and is acknowledged; the sales,
lines, stock and bonuses follow, exactly once, in seq order per store, whatever crashes and
however many workers project at once.  Compared with the same batches ingested inline."""

from __future__ import annotations

import random
import threading

import pytest
import requests

from sync.hub import validate
from sync.hub.app import bind
from sync.hub.ingest import ingest
from sync.hub.projector import backlog, drain, pending, project_store
from sync.hub.registry import add_store, init_hub
from sync.hub.sql import Sql

from .hubkit import ADMIN, HubProcess, event, pg_available, pg_drop, pg_schema_url, push_raw

pytestmark = pytest.mark.postgres
SECRET = b"s" * 32
PHONES = [f"+7916{n:07d}" for n in range(5)]


def new_hub(stores=("S1",)):
    why = pg_available()
    if why:
        pytest.skip(why)
    url, schema = pg_schema_url()
    db = bind(url)
    init_hub(db, ADMIN, SECRET)
    for sid in stores:
        add_store(db, sid, f"token-{sid}-" + "x" * 24, SECRET)
    return db, schema


@pytest.fixture
def two_hubs():
    """(deferred hub, inline hub) on PostgreSQL, each with stores S1..S3."""
    made = [new_hub(("S1", "S2", "S3")) for _ in range(2)]
    yield made[0][0], made[1][0]
    for db, schema in made:
        db.close_all()
        pg_drop(schema)


def day(store: str, first_seq: int, first_sale: int, first_entry: int, n: int, rng) -> list:
    """``n`` events of a store: sales (some with a customer), returns of earlier sales,
    voids, stock receipts, bonus accruals and redemptions."""
    out, sales, seq, sale_id, entry = [], [], first_seq, first_sale, first_entry
    for _ in range(n):
        roll = rng.random()
        if roll < 0.5 or not sales:
            sku = f"SKU{rng.randint(0, 9)}"
            lines = [{"line_id": sale_id * 10, "sku": sku, "qty": "1.000", "price": 500,
                      "amount": 500}]
            out.append(event(store, seq, "sale.completed", {
                "sale_id": sale_id, "client_ref": f"{store}-{sale_id}", "total": 500,
                "subtotal": 500, "paid": 500, "change": 0, "lines": lines}))
            sales.append((sale_id, sku))
            sale_id += 1
        elif roll < 0.6:
            sid, sku = sales.pop(rng.randrange(len(sales)))
            out.append(event(store, seq, "sale.returned", {
                "return_id": sid, "sale_id": sid, "total": 500,
                "lines": [{"line_id": sid * 10, "sku": sku, "qty": "1.000", "amount": 500}]}))
        elif roll < 0.65:
            sid, sku = sales.pop(rng.randrange(len(sales)))
            out.append(event(store, seq, "sale.voided", {"sale_id": sid, "lines": [
                {"line_id": sid * 10, "sku": sku, "qty": "1.000", "amount": 500}]}))
        elif roll < 0.8:
            out.append(event(store, seq, "stock.moved", {"kind": "receipt", "lines": [
                {"sku": f"SKU{rng.randint(0, 9)}", "qty": "5.000"}]}))
        else:
            entry += 1
            amount = rng.choice([300, 120, -50])
            out.append(event(store, seq, "loyalty.posted", {
                "entry_id": entry, "phone": rng.choice(PHONES),
                "kind": "accrual" if amount > 0 else "redemption", "amount": amount}))
        seq += 1
    return out


def batches(store: str, rng, count=6, size=40) -> list[list]:
    events = day(store, 1, 1, 0, count * size, rng)
    return [events[i:i + size] for i in range(0, len(events), size)]


def push(db, store: str, raw: list, deferred: bool) -> int:
    return ingest(db, store, validate.batch({"store_id": store, "events": raw}, store),
                  deferred=deferred)


def state(db) -> dict:
    sql = Sql(db)
    q = {"sales": "SELECT store_id, sale_id, total, seq, voided_seq FROM hub_sale",
         "returns": "SELECT store_id, return_id, sale_id, total FROM hub_return",
         "lines": "SELECT store_id, sale_id, line_no, sku, qty_milli, net FROM hub_sale_line",
         "stock": "SELECT store_id, sku, on_hand_milli FROM hub_stock",
         "balances": "SELECT phone, balance FROM hub_customer",
         "ledger": "SELECT store_id, entry_id, amount, balance_after FROM hub_ledger",
         "overdrafts": "SELECT store_id, phone, amount, balance_after FROM hub_overdraft"}
    return {k: sorted(tuple(r) for r in sql.rows(v)) for k, v in q.items()}


def test_a_deferred_push_stores_the_events_and_the_projector_applies_them_once(two_hubs):
    deferred, inline = two_hubs
    work = batches("S1", random.Random(1))
    for raw in work:
        assert push(deferred, "S1", raw, True) == raw[-1]["seq"]
        push(inline, "S1", raw, False)
    assert backlog(deferred) > 0 and [s for s, _ in pending(deferred)] == ["S1"]
    before = state(deferred)
    assert before["sales"] == [] or len(before["sales"]) < len(state(inline)["sales"])
    assert drain(deferred) > 0
    assert backlog(deferred) == 0 and pending(deferred) == []
    assert drain(deferred) == 0  # nothing applied twice
    assert state(deferred) == state(inline)
    assert state(inline)["balances"] and state(inline)["returns"]


def test_stores_pushing_while_two_projectors_race_end_exactly_like_inline(two_hubs):
    deferred, inline = two_hubs
    work = {sid: batches(sid, random.Random(k)) for k, sid in enumerate(("S1", "S2", "S3"))}
    done = threading.Event()
    errors = []

    def store(sid):
        try:
            for raw in work[sid]:
                push(deferred, sid, raw, True)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    def projector():
        try:
            while not done.is_set():
                drain(deferred, wait=False)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    pushers = [threading.Thread(target=store, args=(sid,)) for sid in work]
    projectors = [threading.Thread(target=projector) for _ in range(2)]
    for t in pushers + projectors:
        t.start()
    for t in pushers:
        t.join()
    done.set()
    for t in projectors:
        t.join()
    assert not errors, errors
    drain(deferred)
    for sid, bs in work.items():
        for raw in bs:
            push(inline, sid, raw, False)
    assert without_order(state(deferred)) == without_order(state(inline))


def without_order(s: dict) -> dict:
    """What does not depend on the order the stores' batches interleave in (a balance after
    each entry and an overdraft do: the stores are not ordered against each other)."""
    s = dict(s, ledger=sorted(r[:3] for r in s["ledger"]))
    s.pop("overdrafts")
    return s


def test_a_return_of_a_sale_not_yet_projected_is_applied_after_it(two_hubs):
    deferred, _ = two_hubs
    work = day("S1", 1, 1, 0, 1, random.Random(3))  # one sale
    push(deferred, "S1", work, True)
    assert state(deferred)["sales"] == []  # held, not yet projected
    ret = event("S1", 2, "sale.returned", {"return_id": 1, "sale_id": 1, "total": 500, "lines": [
        {"line_id": 10, "sku": work[0]["payload"]["lines"][0]["sku"], "qty": "1.000",
         "amount": 500}]})
    push(deferred, "S1", [ret], True)  # its sale is projected first, in this push
    s = state(deferred)
    assert [r[:3] for r in s["sales"]] == [("S1", 1, 500)] and len(s["returns"]) == 1
    bad = event("S1", 3, "sale.voided", {"sale_id": 99, "lines": [
        {"line_id": 990, "sku": "SKU1", "qty": "1.000", "amount": 500}]})
    with pytest.raises(validate.BadRequest) as refused:
        push(deferred, "S1", [bad], True)
    assert refused.value.code == "event_rejected"
    assert backlog(deferred) == 0


def test_an_event_its_projection_refuses_is_listed_and_the_rest_applies(two_hubs):
    deferred, _ = two_hubs
    first = day("S1", 1, 1, 0, 1, random.Random(3))
    twin = dict(first[0], event_id="another-event", seq=2)  # the same sale id again: a defect
    later = day("S1", 3, 2, 0, 1, random.Random(4))
    push(deferred, "S1", first, True)
    push(deferred, "S1", [twin], True)
    push(deferred, "S1", later, True)
    drain(deferred)
    assert [r[1] for r in state(deferred)["sales"]] == [1, 2]
    listed = Sql(deferred).rows("SELECT seq, status, reason FROM hub_rejected_event")
    assert [(r[0], r[1]) for r in listed] == [(2, "not_applied")]
    assert "already recorded" in listed[0][2]
    assert project_store(deferred, "S1") == 0 and backlog(deferred) == 0


@pytest.mark.slow
def test_a_hub_killed_while_projecting_applies_everything_once_after_restart(tmp_path):
    """Three stores push at once; the hub is killed (SIGKILL) mid-stream, with pushes in
    flight and acknowledged events not yet projected; after the restart every store pushes
    all its batches again (what a store whose acks were lost does).  The hub ends exactly
    like an inline hub given each batch once."""
    inline, inline_schema = new_hub(("S1", "S2", "S3"))
    url, schema = pg_schema_url()
    hub = HubProcess(url, "k" * 32, extra=["--projection", "deferred"])
    toks = {sid: f"token-{sid}-" + "y" * 24 for sid in ("S1", "S2", "S3")}
    work = {sid: batches(sid, random.Random(k + 5), count=12, size=50)
            for k, sid in enumerate(toks)}
    acked = []

    def store(sid):
        for raw in work[sid]:
            try:
                r = push_raw(hub.url, toks[sid], sid, raw)
            except requests.RequestException:
                return  # the hub died under it
            if r.status_code != 200:
                return
            acked.append(sid)
    try:
        assert hub.run_cli("init", "--admin-token", ADMIN).returncode == 0
        for sid, tok in toks.items():
            assert hub.run_cli("add-store", sid, "--token", tok).returncode == 0
        hub.start()
        threads = [threading.Thread(target=store, args=(sid,)) for sid in toks]
        [t.start() for t in threads]
        while len(acked) < 12 and any(t.is_alive() for t in threads):
            threading.Event().wait(0.01)
        hub.kill()
        [t.join() for t in threads]
        db = bind(url)
        left = backlog(db)  # acknowledged, not projected when the hub died (usually > 0)
        hub.start()
        for sid, bs in work.items():
            for raw in bs:
                r = push_raw(hub.url, toks[sid], sid, raw)
                assert r.status_code == 200, r.text
                push(inline, sid, raw, False)
        r = requests.get(hub.url + "/hub/v1/stores/S1/stock", timeout=30,
                         headers={"Authorization": f"Bearer {ADMIN}"})  # a read waits for all
        assert r.status_code == 200
        assert backlog(db) == 0, left
        assert without_order(state(db)) == without_order(state(inline))
        db.close_all()
    finally:
        hub.stop()
        pg_drop(schema)
        inline.close_all()
        pg_drop(inline_schema)


def test_a_customer_question_waits_only_for_the_stores_that_name_the_customer(two_hubs):
    deferred, _ = two_hubs
    push(deferred, "S1", [event("S1", 1, "loyalty.posted", {
        "entry_id": 1, "phone": PHONES[0], "kind": "accrual", "amount": 300})], True)
    push(deferred, "S2", [event("S2", 1, "loyalty.posted", {
        "entry_id": 1, "phone": PHONES[1], "kind": "accrual", "amount": 700})], True)
    push(deferred, "S3", day("S3", 1, 1, 0, 1, random.Random(3)), True)  # a sale, no customer
    assert drain(deferred, phone=PHONES[0]) == 1
    assert [s for s, _ in pending(deferred)] == ["S2", "S3"]
    assert state(deferred)["balances"] == [(PHONES[0], 300)]
    assert drain(deferred, phone="+79990000000") == 0
    assert drain(deferred) == 2


def test_a_bonus_check_sees_a_redemption_the_hub_holds_but_has_not_applied(pg_url, tmp_path):
    from .hubkit import HubServer, signed_for
    hub = HubServer(pg_url, tmp_path, projection="deferred")
    try:
        hub.app.config["HUB_PROJECTOR"].stop()  # no background help: the read must apply it
        tok = hub.add_store("S1")
        r = push_raw(hub.url, tok, "S1", [
            event("S1", 1, "loyalty.posted", {"entry_id": 1, "phone": PHONES[0],
                                              "kind": "accrual", "amount": 1000}),
            event("S1", 2, "loyalty.posted", {"entry_id": 2, "phone": PHONES[0],
                                              "kind": "redemption", "amount": -800})])
        assert r.json() == {"acked_through": 2}
        assert backlog(hub.db) == 2
        body = ('{"phone": "%s", "amount": 500, "client_ref": "till-1"}' % PHONES[0]).encode()
        r = requests.post(hub.url + "/hub/v1/loyalty/authorize", data=body, timeout=30,
                          headers=signed_for(tok, "POST", "/hub/v1/loyalty/authorize", body))
        assert r.status_code == 409 and r.json()["balance"] == 200, r.text
    finally:
        hub.stop()


def test_an_event_whose_projection_breaks_never_stops_the_store_or_the_reads(two_hubs,
                                                                              monkeypatch):
    """A projection that raises (a defect of the hub's, or an event held by an older hub
    that the newer one cannot read back) leaves that event out and lists it; the store's
    other events are applied and every read still answers."""
    from sync.hub import projections
    deferred, _ = two_hubs
    work = day("S1", 1, 1, 0, 6, random.Random(8))
    shifts = [event("S1", 7, "shift.opened", {"shift_id": 1, "number": 1}),
              event("S1", 8, "sale.completed", {
                  "sale_id": 99, "client_ref": "S1-99", "total": 500, "subtotal": 500,
                  "paid": 500, "change": 0, "lines": [
                      {"line_id": 990, "sku": "SKU1", "qty": "1.000", "amount": 500}]})]
    push(deferred, "S1", work + shifts, True)
    Sql(deferred).run("UPDATE hub_event SET payload = '{not json' WHERE store_id = 'S1' "
                      "AND seq = 2")
    real = projections.Projections.on_shift_opened
    monkeypatch.setattr(projections.Projections, "on_shift_opened",
                        lambda self, e: (_ for _ in ()).throw(KeyError("number")))
    assert drain(deferred) == 8
    monkeypatch.setattr(projections.Projections, "on_shift_opened", real)
    listed = Sql(deferred).rows("SELECT seq, status, reason FROM hub_rejected_event ORDER BY seq")
    assert [(r[0], r[1]) for r in listed] == [(2, "not_applied"), (7, "not_applied")]
    assert "JSONDecodeError" in listed[0][2] and "KeyError" in listed[1][2]
    assert 99 in [r[1] for r in state(deferred)["sales"]]
    assert backlog(deferred) == 0 and drain(deferred) == 0


def test_a_hub_of_the_previous_release_still_running_after_the_upgrade_cannot_apply(two_hubs):
    """Its push would apply events without moving the projection mark (and the projector
    would apply them again): its connections lack this release's setting, so the update of
    the store's position fails and its whole transaction is rolled back."""
    import psycopg2

    from .hubkit import PG_BASE
    deferred, _ = two_hubs
    schema = deferred.hub_schema
    old = psycopg2.connect(PG_BASE, options=f"-c search_path={schema}")  # no setting
    try:
        cur = old.cursor()
        with pytest.raises(psycopg2.Error) as refused:
            cur.execute("UPDATE hub_store SET acked_through = 1 WHERE store_id = 'S1'")
        assert "older release" in str(refused.value)
        old.rollback()
        cur.execute("UPDATE hub_store SET last_seen_at = 'x' WHERE store_id = 'S1'")  # fine
        old.commit()
    finally:
        old.close()
    assert Sql(deferred).scalar("SELECT acked_through FROM hub_store WHERE store_id = 'S1'") == 0
    push(deferred, "S1", day("S1", 1, 1, 0, 1, random.Random(3)), True)  # this release: fine
    assert drain(deferred) == 1
