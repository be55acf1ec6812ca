"""The outbox pusher: committed events to the hub, in seq order, until the hub holds them.

Batches are cut by count (``[hub] batch_events``) and bytes (``batch_bytes``) and sent
from the hub's last known position: the local ack marker, or the ``expected_seq`` of a 409
(the hub lost or never got events; we resend, rows are never deleted).  Network errors,
timeouts, 429 and 5xx are retried by tenacity with exponential backoff and full jitter and
no give-up (only a stop of the worker ends it), capped at ``CATCH_UP_CAP`` seconds while
events wait (not the workers' 60 s): after an outage the first ack comes within a few
seconds of the hub's return, and the full jitter spreads a chain's stores over that window
(no thundering herd).  While the hub is down each retry is a cheap probe (``GET /healthz``,
unsigned, nothing written at the hub) and the batch is sent again only once it answers; 413 halves the batch; 401/403 and other
refusals are not retried: they are recorded for the status screen and the worker rests
``worker.REFUSED_PAUSE`` before trying again.  A poison event (400 ``event_rejected``)
is recorded as "sync blocked at seq N: reason" until the hub's operator quarantines it.  Nothing here holds the store's write lock
while on the network, so a cashier never waits for the hub.
"""

from __future__ import annotations

import time

from agent import outbox

from . import recovery
from .errors import HubGap, HubRefused, HubTooLarge, HubUnavailable
from .state import record_blocked, record_error, record_success
from .worker import Worker


def envelope_json(row, store_id: str) -> str:
    head = outbox.dumps({"event_id": row.event_id, "store_id": store_id, "seq": row.seq,
                         "type": row.type, "schema": row.schema,
                         "occurred_at": row.occurred_at})
    return head[:-1] + ',"payload":' + row.payload + "}"


def _rejected_seq(e: HubRefused) -> int | None:
    """The seq of the event the hub refused for good (400 ``event_rejected``), or None."""
    body = e.body if isinstance(e.body, dict) else {}
    seq = body.get("seq")
    if (body.get("error") or {}).get("code") != "event_rejected" or isinstance(seq, bool) \
            or not isinstance(seq, int):
        return None
    return seq


#: the longest wait between two tries while events are pending (seconds)
CATCH_UP_CAP = 3.5


class OutboxPusher(Worker):
    name = "outbox-pusher"
    catch_up_cap = CATCH_UP_CAP

    def __init__(self, store, client, live, interval: float = 2.0, batch_events: int = 500,
                 batch_bytes: int = 1_000_000):
        super().__init__(interval)
        self.store, self.client, self.live = store, client, live
        self.batch_events, self.batch_bytes = max(1, batch_events), max(1000, batch_bytes)
        self.recovery_page = max(1, batch_events)

    def run_once(self, retry_forever: bool = False) -> int:
        """Push until nothing is pending; returns how many events the hub newly confirmed."""
        try:
            return self._push_all(retry_forever)
        except HubRefused as e:
            seq = _rejected_seq(e)
            if seq is not None:
                record_blocked(self.store, self.live, seq,
                               e.body["error"].get("message") or e.message)
            else:
                record_error(self.store, self.live, e.message, reachable=True)
            raise
        except HubUnavailable as e:
            record_error(self.store, self.live, e.message, reachable=False)
            raise

    def _push_all(self, retry_forever: bool) -> int:
        if recovery.needed(self.store):  # a restored store: the hub's copy first
            recovery.catch_up(self.store, self.client, self.recovery_page)
        start = outbox.acked_through()
        cursor, limit, poison = start, self.batch_events, None
        while not self.stopping.is_set():
            rows = outbox.pending(cursor, limit, self.batch_bytes)
            if poison is not None:  # send what precedes a refused event on its own
                rows = [r for r in rows if r.seq < poison.body["seq"]]
                if not rows:
                    raise poison
            if not rows:
                break
            body = self.client.push_body([envelope_json(r, self.store.store_id) for r in rows])
            try:
                acked = self._send(body, retry_forever)
            except HubGap as gap:
                if gap.expected_seq - 1 > outbox.last_seq():
                    raise HubRefused(f"the hub holds events up to {gap.expected_seq - 1}, more "
                                     f"than this store ever wrote ({outbox.last_seq()}): was the "
                                     "store database restored from a backup?", 409) from None
                cursor = gap.expected_seq - 1
                continue
            except HubRefused as e:
                if _rejected_seq(e) is None or not cursor + 1 < _rejected_seq(e) <= rows[-1].seq:
                    raise
                poison = e
                continue
            except HubTooLarge:
                if len(rows) == 1:
                    raise HubRefused(f"event {rows[0].seq} alone is larger than the hub accepts",
                                     413) from None
                limit = max(1, len(rows) // 2)
                continue
            record_success(self.store, self.live, "last_push_at", acked)
            if acked < rows[-1].seq:  # a hub must hold what it confirmed; never loop on it
                raise HubRefused(f"the hub confirmed {acked} after receiving up to "
                                 f"{rows[-1].seq}", 200)
            cursor = acked
        return max(0, outbox.acked_through() - start)

    def _send(self, body: bytes, retry_forever: bool) -> int:
        failed = False
        for attempt in self.retrying(retry_forever,
                                     max_wait=min(self.catch_up_cap, self.backoff[1])):
            with attempt:
                if failed:  # the hub was unreachable: a cheap probe before the batch again
                    self.client.probe()
                failed = True
                started = time.monotonic()
                acked = self.client.push(body)
                if self.live is not None and self.live.observe_push is not None:
                    self.live.observe_push(time.monotonic() - started)
                return acked
        raise HubUnavailable("stopped")
