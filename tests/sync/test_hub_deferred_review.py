"""Review of deferred projection (issue 22): scenarios that break it.  Each test states the
defect it shows; they fail on the code they were written against."""

from __future__ import annotations

import threading
import time

import pytest

from sync.hub import ingest as ingest_module
from sync.hub import rejected, validate
from sync.hub.ingest import ingest
from sync.hub.projector import backlog, drain
from sync.hub.sql import Sql

from .hubkit import event
from .test_hub_deferred import new_hub

pytestmark = pytest.mark.postgres


@pytest.fixture
def hub():
    db, schema = new_hub(("S1", "S2"))
    yield db
    db.close_all()
    from .hubkit import pg_drop
    pg_drop(schema)


def sale(store: str, seq: int, sale_id: int, sku: str = "SKU1", number: int | None = None,
         **extra) -> dict:
    payload = {"sale_id": sale_id, "total": 500, "subtotal": 500, "paid": 500, "change": 0,
               "lines": [{"line_id": sale_id * 10, "sku": sku, "qty": "1.000", "price": 500,
                          "amount": 500}], **extra}
    if number is not None:
        payload["number"] = number
    return event(store, seq, "sale.completed", payload)


def no_receipt_return(store: str, seq: int, return_id: int) -> dict:
    """A return without a receipt: never deferred (its projection may refuse)."""
    return event(store, seq, "return.without_sale", {
        "return_id": return_id, "total": 500, "kind": "no_receipt",
        "lines": [{"sku": "SKU1", "qty": "1.000", "amount": 500}]})


def push(db, store: str, raw: list, deferred: bool = True) -> int:
    return ingest(db, store, validate.batch({"store_id": store, "events": raw}, store),
                  deferred=deferred)


def sales(db, store: str = "S1") -> list[int]:
    return [int(r[0]) for r in Sql(db).rows(
        "SELECT sale_id FROM hub_sale WHERE store_id = ? ORDER BY sale_id", (store,))]


def waiting_on_lock(db) -> bool:
    return bool(Sql(db).scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                               "wait_event_type = 'Lock' AND datname = current_database()",
                               (), 0))


def test_an_inline_forced_retry_racing_its_own_deferred_push_skips_the_events_between(
        hub, monkeypatch):
    """A store's push Q (sales 2..4, deferrable) is still in its transaction when the store,
    having timed out, retries with the same events plus a return without a receipt (seq 5:
    projected inline).  The retry P read ``acked_through`` = 1 before Q committed, waits on
    Q's event rows, finds 2..4 held and inserts 5 only; then ``catch_up(sql, store, acked)``
    projects through the *stale* acked (1), applies 5 and moves the mark to 5.  Sales 2..4
    are acknowledged and never projected (the mark says they are): lost for every report,
    stock and bonus, silently (backlog 0)."""
    push(hub, "S1", [sale("S1", 1, 1)])
    drain(hub)
    q_events = [sale("S1", s, s) for s in (2, 3, 4)]
    in_q, release = threading.Event(), threading.Event()
    real = ingest_module._deferrable

    def paused(sql, store_id, events):  # Q: events inserted, not yet committed
        got = real(sql, store_id, events)
        if threading.current_thread().name == "Q":
            in_q.set()
            release.wait(10)
        return got
    monkeypatch.setattr(ingest_module, "_deferrable", paused)
    errors = []

    def run(raw):
        try:
            push(hub, "S1", raw)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    q = threading.Thread(target=run, args=(q_events,), name="Q")
    p = threading.Thread(target=run, args=(q_events + [no_receipt_return("S1", 5, 77)],),
                         name="P")
    q.start()
    assert in_q.wait(10)
    p.start()
    deadline = time.monotonic() + 5
    while not waiting_on_lock(hub) and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    q.join(10)
    p.join(10)
    assert not errors, errors
    drain(hub)
    assert sales(hub) == [1, 2, 3, 4], f"backlog {backlog(hub)}"


def test_a_foreign_return_by_receipt_number_of_a_sale_acknowledged_but_not_projected_is_lost(
        hub):
    """S1's sale (receipt number 7) is acknowledged and held for the projector.  S2 took
    the goods back offline and pushes a foreign ``return.without_sale`` naming the original
    by its receipt number ("n7").  The batch is projected inline, catching up S2's backlog
    only: ``ForeignReturns.apply`` looks S1's sale up in ``hub_sale``, finds nothing (S1's
    events are not projected yet) and records nothing.  On an inline hub the sale was
    projected at S1's acknowledgement and the return line is recorded against it; here it
    never is (no re-check when S1's sale is projected): double returns of that sale go
    unflagged and the returnable quantity stays wrong for good."""
    push(hub, "S1", [sale("S1", 1, 1, number=7)])  # acknowledged, held
    push(hub, "S2", [event("S2", 1, "return.without_sale", {
        "return_id": 1, "total": 500, "kind": "foreign", "origin_store": "S1",
        "origin_sale": "n7", "lines": [{"line_id": 10, "sku": "SKU1", "qty": "1.000",
                                        "amount": 500}]})])
    drain(hub)
    got = Sql(hub).rows("SELECT origin_store, origin_sale_id, origin_line_id, qty_milli "
                        "FROM hub_foreign_return")
    assert [tuple(r) for r in got] == [("S1", 1, 10, 1000)]


def test_an_event_refused_by_its_projection_is_listed_not_applied_even_after_a_rejection(hub):
    """The store first pushed a malformed event at seq 2 (listed ``rejected``), then the
    fixed event for seq 2, valid but reusing sale id 1: acknowledged, and refused by the
    projector.  ``rejected.write(..., status="not_applied")`` upserts on (store, seq) without
    setting ``status``: the row stays ``rejected``.  The operator is told the event awaits a
    decision (the console's and the API's ``not_applied`` count is 0) and quarantining it
    answers 409 ``not_next`` (the hub holds seq 2 already)."""
    push(hub, "S1", [sale("S1", 1, 1)])
    bad = sale("S1", 2, 2)
    bad["payload"]["total"] = "five hundred"
    rejected.record(hub, "S1", bad, "total must be a whole number")  # what the push did
    push(hub, "S1", [dict(sale("S1", 2, 1), event_id="twin-of-1")])
    drain(hub)
    listed = rejected.listing(hub, "S1")
    assert [(r["seq"], r["status"]) for r in listed] == [(2, "not_applied")]
    assert rejected.count_quarantined(hub, "S1", "not_applied") == 1


def foreign_return(store: str, seq: int, return_id: int, origin: str, origin_sale: str) -> dict:
    return event(store, seq, "return.without_sale", {
        "return_id": return_id, "total": 500, "kind": "foreign", "origin_store": origin,
        "origin_sale": origin_sale, "lines": [{"line_id": 10, "sku": "SKU1", "qty": "1.000",
                                               "amount": 500}]})


def test_a_double_foreign_return_of_a_sale_not_yet_projected_is_never_flagged(hub):
    """S1 sold one item (acknowledged, held).  S2 takes it back twice (offline approval,
    return ids 1 and 2, both by sale id).  ``ForeignReturns._sold`` finds no S1 sale in
    ``hub_sale`` ("has not reached the hub (yet)") so neither line is flagged, and nothing
    looks again once S1's sale is projected (``flag_own_returns`` runs only on S1's own
    returns).  An inline hub flags the second return; here the chain's office never sees
    the double refund at ``GET /hub/v1/returns/doubles``."""
    push(hub, "S1", [sale("S1", 1, 1)])  # acknowledged, held
    push(hub, "S2", [foreign_return("S2", 1, 1, "S1", "1")])
    push(hub, "S2", [foreign_return("S2", 2, 2, "S1", "1")])
    drain(hub)
    from sync.hub.foreign_returns import doubles
    assert [(d["store_id"], d["return_id"]) for d in doubles(hub)] == [("S2", 2)]


def test_expire_bonuses_on_a_hub_database_of_the_previous_release_runs(tmp_path):
    """The release is installed; the daily ``store-hub expire-bonuses`` cron runs before the
    hub service was restarted (the database is still at schema 11, no ``hub_projection``).
    ``cmd_expire`` now calls ``projector.drain`` right after ``check_ready`` without
    ``upgrade`` (``cmd_rejected`` does upgrade): the query of ``hub_projection`` fails and
    the bonus expiry is not posted that day."""
    from .hubkit import ADMIN, HubProcess, pg_available, pg_drop, pg_schema_url
    why = pg_available()
    if why:
        pytest.skip(why)
    url, schema = pg_schema_url()
    hub = HubProcess(url, "k" * 32)
    try:
        assert hub.run_cli("init", "--admin-token", ADMIN).returncode == 0
        import psycopg2
        conn = psycopg2.connect(url.split("?")[0], options=f"-c search_path={schema}")
        conn.autocommit = True
        with conn.cursor() as cur:  # the previous release's database: schema 11
            cur.execute("DROP TABLE hub_projection")
            cur.execute("UPDATE hub_setting SET value = '11' WHERE key = 'schema_version'")
        conn.close()
        done = hub.run_cli("expire-bonuses")
        assert done.returncode == 0, done.stderr[-500:]
    finally:
        pg_drop(schema)


def test_one_store_whose_projection_fails_unexpectedly_does_not_stop_every_read_of_the_chain(
        hub, monkeypatch):
    """Only ``HubApiError`` is caught around a projection.  Anything else raised while one
    store's held events are projected (a projection bug, a value the column refuses, a
    statement or lock timeout on a 2,000-event chunk) propagates out of ``drain``, which
    every read calls first and which walks the stores in id order: S1 failing makes every
    API read of the chain answer 500 — S2's stock and sales, the feed of every store,
    redemption checks, the console — until an operator intervenes, and the projector
    threads retry the same chunk every second for ever.  (Inline, only S1's push failed
    and nothing of it was acknowledged.)  Here a fault is injected into S1's shift
    projection."""
    from sync.hub.projections import Projections
    real = Projections.on_shift_opened

    def broken(self, e):
        if self.store_id == "S1":
            raise ValueError("simulated projection fault")
        return real(self, e)
    monkeypatch.setattr(Projections, "on_shift_opened", broken)
    push(hub, "S1", [event("S1", 1, "shift.opened", {"shift_id": 1})])  # acknowledged
    push(hub, "S2", [sale("S2", 1, 1)])
    try:
        drain(hub)  # what a read of S2's sales does first
    except ValueError:
        pass
    assert sales(hub, "S2") == [1]


def test_an_unauthenticated_request_does_not_wait_for_or_do_the_chains_projections(tmp_path):
    """``connect`` (before_request) calls ``projector.drain(db)`` for every rule not in
    ``NO_WAIT`` — before any authentication, and also for unknown paths (rule ``None``).
    Anyone who can reach the hub makes a request thread apply (and, with ``wait=True``,
    wait on the row locks of) every store's backlog before being answered 401/404: a
    handful of cheap anonymous requests during a backlog occupy all of a worker's waitress
    threads, and the stores' pushes queue behind them.  Here the background projector is
    stopped so that only requests can project."""
    import requests

    from .hubkit import HubServer, pg_available, pg_drop, pg_schema_url, push_raw
    why = pg_available()
    if why:
        pytest.skip(why)
    url, schema = pg_schema_url()
    h = HubServer(url, tmp_path, projection="deferred")
    try:
        tok = h.add_store("S1")
        h.app.config["HUB_PROJECTOR"].start().stop()  # requests alone project from here on
        assert push_raw(h.url, tok, "S1", [sale("S1", 1, 1)]).status_code == 200
        assert backlog(h.db) == 1
        assert requests.get(h.url + "/no/such/route", timeout=10).status_code == 404
        assert requests.get(h.url + "/hub/v1/stock", timeout=10).status_code == 401
        assert backlog(h.db) == 1  # nothing authenticated asked for it
    finally:
        h.stop()
        pg_drop(schema)


def test_one_refused_event_does_not_make_its_whole_chunk_projected_event_by_event(
        hub, monkeypatch):
    """A chunk (up to 2,000 events) with one refused event is undone and re-applied one
    event per savepoint (a ``Projections``, a ``LineBatch``, a loyalty lock, a mark write
    each).  A store — faulty or hostile — that reuses one sale id per 2,000 events makes
    all its events cost that, and every read of the chain waits for it (``drain``).
    Inline, the same batch was refused with one 409.  Applying the events before the
    refused one as one chunk, then the rest (bisecting on a further refusal), keeps it to a
    few passes."""
    from sync.hub import projector
    calls = []
    real = projector._apply

    def counted(sql, store_id, events, through):
        calls.append(len(events))
        return real(sql, store_id, events, through)
    monkeypatch.setattr(projector, "_apply", counted)
    raw = [sale("S1", s, s) for s in range(1, 201)]
    raw[99] = dict(sale("S1", 100, 1), event_id="reuses-sale-1")
    push(hub, "S1", raw)
    drain(hub)
    assert len(sales(hub)) == 199
    assert len(calls) <= 5, f"{len(calls)} projection passes for 200 events"


def test_the_welcome_bonus_acknowledged_first_is_the_one_that_stands(hub):
    """Two stores each gave the same new customer a welcome bonus offline.  "The first for
    the phone stands; a second is reversed by the hub": inline, first is the first
    acknowledged.  Deferred, it is the first *projected* — ``drain`` walks stores in id
    order and the projector threads in any order — so S1's welcome, acknowledged after
    S2's, stands and S2's is reversed: the wrong store is charged in the ledger and the
    audit names the wrong store."""
    phone = "+79160000001"

    def welcome(store):
        return event(store, 1, "loyalty.posted", {"entry_id": 1, "phone": phone,
                                                  "kind": "welcome", "amount": 300})
    push(hub, "S2", [welcome("S2")])  # acknowledged first
    push(hub, "S1", [welcome("S1")])
    drain(hub)
    given = Sql(hub).scalar("SELECT given_by FROM hub_welcome WHERE phone = ?", (phone,))
    assert given == "store:S2"
