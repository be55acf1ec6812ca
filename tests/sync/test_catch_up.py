"""Catch-up after an outage: the pusher's waits stay short while events are pending, it
probes the hub cheaply while it is down, and the first ack follows the hub's return."""

from __future__ import annotations

import pytest

from agent import outbox
from sync.errors import HubUnavailable
from sync.pusher import CATCH_UP_CAP, OutboxPusher
from sync.state import LiveState
from sync.status import sync_status

from .conftest import synced_store
from .faultproxy import FaultProxy
from .hubkit import wait_for
from .test_pusher import pusher_for
from .till import Till


def test_the_wait_between_tries_is_capped_while_events_are_pending(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    pusher = pusher_for(store)
    wait = pusher.retrying(True, max_wait=pusher.catch_up_cap).wait

    class State:  # what tenacity hands its wait strategy
        def __init__(self, n):
            self.attempt_number = n

    waits = [wait(State(n)) for n in range(1, 40) for _ in range(20)]
    assert max(waits) <= CATCH_UP_CAP <= 4
    assert min(waits) < CATCH_UP_CAP / 4 < CATCH_UP_CAP * 3 / 4 < max(waits)  # full jitter
    store.close()


class FlakyClient:
    """A hub client whose hub is down for ``down`` calls, counting what was sent."""

    def __init__(self, down: int):
        self.down, self.pushes, self.probes = down, 0, 0

    def push_body(self, envelopes):
        return b"[" + b",".join(e.encode() for e in envelopes) + b"]"

    def _maybe_down(self):
        if self.down > 0:
            self.down -= 1
            raise HubUnavailable("hub unreachable: ConnectionError")

    def push(self, body):
        self.pushes += 1
        self._maybe_down()
        return outbox.last_seq()

    def probe(self):
        self.probes += 1
        self._maybe_down()


def test_while_the_hub_is_down_retries_probe_and_the_batch_goes_once_it_answers(hub, tmp_path):
    store = synced_store(tmp_path, hub.url, hub.add_store("S1"))
    Till(store).sell()
    client = FlakyClient(down=6)
    pusher = OutboxPusher(store, client, LiveState())
    pusher.catch_up_cap = 0.02
    assert pusher.run_once(retry_forever=True) == outbox.last_seq()
    # the first push failed, five probes failed, the sixth probe found the hub: one more push
    assert (client.pushes, client.probes) == (2, 6)
    store.close()


@pytest.mark.slow
def test_queued_events_are_acked_soon_after_the_hub_returns_without_a_wake_up(hub, tmp_path):
    proxy = FaultProxy(hub.port)
    proxy.down = True
    store = synced_store(tmp_path, proxy.url, hub.add_store("S1"))
    till = Till(store)
    for _ in range(10):
        till.sell()
    pusher = pusher_for(store, batch_events=500)
    pusher.start()
    try:
        # enough failed tries that an uncapped backoff would already wait tens of seconds
        wait_for(lambda: proxy.counts["refused"] >= 7, timeout=120, what="failed tries")
        assert sync_status(store)["pending"] == outbox.last_seq()
        proxy.down = False  # the hub is back; nobody pokes the pusher
        wait_for(lambda: sync_status(store)["pending"] == 0, timeout=4 * CATCH_UP_CAP + 10,
                 what="the first ack after the hub came back")
    finally:
        pusher.stop()
        proxy.close()
    store.close()
