"""The outbox pusher: everything the store committed reaches the hub, once, in order."""

from __future__ import annotations

import random
import shutil

import pytest

from agent import outbox
from sync.client import HubClient
from sync.errors import HubRefused, HubUnavailable
from sync.hub.app import HubConfig
from sync.pusher import OutboxPusher
from sync.reconcile import differences
from sync.state import LiveState
from sync.status import sync_status
from sync.wiring import build_workers

from .conftest import synced_store
from .faultproxy import FaultProxy
from .hubkit import HubServer
from .till import Till


def pusher_for(store, url=None, **kw) -> OutboxPusher:
    hub = store.config.section("hub")
    client = HubClient(url or hub["url"], hub["token"], store.store_id, timeout=5)
    return OutboxPusher(store, client, LiveState(), **kw)


def test_a_day_of_business_reaches_the_hub_and_the_totals_match(any_hub, tmp_path):
    store = synced_store(tmp_path, any_hub.url, any_hub.add_store("S1"))
    Till(store).business(80, random.Random(7))
    _, (pusher, _) = build_workers(store, LiveState())
    assert pusher.run_once() == outbox.last_seq()
    st = sync_status(store)
    assert (st["pending"], st["acked_through"], st["hub_reachable"]) == (0, outbox.last_seq(), True)
    assert differences(store, any_hub.url, any_hub.admin_token) == []
    store.close()


def test_the_cashier_keeps_selling_while_the_hub_is_down_and_it_drains_later(hub, tmp_path):
    proxy = FaultProxy(hub.port)
    proxy.down = True
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"))
    till = Till(store)
    pusher = pusher_for(store, batch_events=7)
    pusher.start()  # retrying with backoff in the background, never in the cashier's way
    try:
        for _ in range(20):
            till.sell()
        with pytest.raises(HubUnavailable):
            pusher_for(store).run_once(retry_forever=False)
        st = sync_status(store)
        assert st["pending"] == outbox.last_seq() > 20
        assert st["last_error"] and "unreachable" in st["last_error"]
        assert st["hub_reachable"] is False and st["oldest_pending_age_seconds"] >= 0
        proxy.down = False
        pusher.wake()
        from .hubkit import wait_for
        wait_for(lambda: sync_status(store)["pending"] == 0, what="the outbox to drain")
    finally:
        pusher.stop()
    assert differences(store, hub.url, hub.admin_token) == []
    proxy.close()
    store.close()


def test_a_refused_token_is_reported_and_not_retried(hub, tmp_path):
    hub.add_store("S1")
    proxy = FaultProxy(hub.port)
    store = synced_store(tmp_path, proxy.url, "tok-not-the-right-one-000")
    Till(store).sell()
    with pytest.raises(HubRefused) as e:
        pusher_for(store).run_once(retry_forever=True)  # forever, yet it must stop at once
    assert e.value.status == 401
    assert proxy.counts["requests"] == 1
    st = sync_status(store)
    assert "401" in st["last_error"] and st["pending"] == outbox.last_seq()
    proxy.close()
    store.close()


def test_a_hub_restored_from_a_backup_gets_the_lost_events_again(tmp_path):
    db_file = tmp_path / "hub.db"
    hub = HubServer(f"sqlite:///{db_file}", tmp_path)
    tok = hub.add_store("S1")
    store = synced_store(tmp_path, hub.url, tok)
    till = Till(store)
    rng = random.Random(3)
    till.business(30, rng)
    pusher_for(store).run_once()
    hub.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    held_then = outbox.last_seq()
    shutil.copy(db_file, tmp_path / "backup.db")
    till.business(30, rng)
    pusher_for(store).run_once()
    hub.stop()
    restored = tmp_path / "restored.db"
    shutil.copy(tmp_path / "backup.db", restored)
    hub = HubServer(f"sqlite:///{restored}", tmp_path)  # the hub came back from its backup
    try:
        assert hub.admin("/hub/v1/stores/S1/summary")[1]["acked_through"] == held_then
        till.business(5, rng)
        pusher_for(store, url=hub.url).run_once()  # 409 expected_seq -> resend from there
        assert hub.admin("/hub/v1/stores/S1/summary")[1]["acked_through"] == outbox.last_seq()
        assert differences(store, hub.url, hub.admin_token) == []
    finally:
        hub.stop()
        store.close()


def test_a_batch_over_the_hubs_limit_is_split_until_it_fits(tmp_path):
    hub = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, max_body=30_000)
    try:
        store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
        Till(store).business(120, random.Random(5))
        pusher_for(store, batch_events=500, batch_bytes=5_000_000).run_once()
        assert sync_status(store)["pending"] == 0
        assert differences(store, hub.url, hub.admin_token) == []
        store.close()
    finally:
        hub.stop()


def test_batches_respect_the_configured_count_and_bytes(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    Till(store).business(40, random.Random(9))
    sizes = []
    pusher = pusher_for(store, batch_events=6, batch_bytes=4000)
    real = pusher.client.push
    pusher.client.push = lambda body: sizes.append(len(body)) or real(body)
    pusher.run_once()
    assert len(sizes) >= outbox.last_seq() // 6
    assert sync_status(store)["pending"] == 0
    store.close()


def test_an_unconfigured_hub_leaves_events_queued(tmp_path):
    from tests.conftest import make_store
    store = make_store(tmp_path / "s")
    assert build_workers(store, LiveState()) == (None, [])
    st = sync_status(store)
    assert st["hub_configured"] is False and st["pending"] == outbox.last_seq() > 0
    store.close()


def test_hub_config_is_the_one_the_hub_uses(hub):
    assert isinstance(hub.app.config["HUB_AUTH"].secret, bytes)
    assert HubConfig("sqlite:///x", b"s").max_body > 1_000_000


def test_the_old_last_error_is_cleared_once_the_hub_answers_again(hub, tmp_path):
    """Issue 13 item 9 (owned by issue 14): the status kept the old last_error after the
    hub was back."""
    proxy = FaultProxy(hub.port)
    proxy.down = True
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"))
    Till(store).sell()
    pusher = pusher_for(store)
    with pytest.raises(HubUnavailable):
        pusher.run_once()
    assert sync_status(store)["last_error"]
    proxy.down = False
    assert pusher.run_once() > 0
    st = sync_status(store)
    assert st["last_error"] is None and st["pending"] == 0 and st["blocked"] is None
    assert st["last_error_at"]  # when it last went wrong stays, for the record
    proxy.close()
    store.close()
