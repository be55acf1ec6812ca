"""How sync plugs into ``store-agent serve`` (called by the composition root, ``pos_ui.process``).

Adds the pull API and the status route, the status source, and, when ``[hub] url`` and
``token`` are set, the outbox pusher and the feed puller as workers and the hub client as
``store.hub`` (the store core asks it to authorize redemptions and look customers up).
"""

from __future__ import annotations

from . import pull_api, status
from .client import HubClient
from .feed import FeedPuller
from .pusher import OutboxPusher
from .state import LiveState


def hub_client(store) -> HubClient | None:
    hub = store.config.section("hub")
    if not (hub["url"] and hub["token"]):
        return None
    from agent import outbox
    return HubClient(hub["url"], hub["token"], store.store_id, timeout=hub["timeout"],
                     head=outbox.last_seq)


def build_workers(store, live: LiveState) -> tuple[HubClient | None, list]:
    hub = store.config.section("hub")
    client = hub_client(store)
    if client is None:
        return None, []
    pusher = OutboxPusher(store, client, live, interval=hub["push_interval"],
                          batch_events=hub["batch_events"], batch_bytes=hub["batch_bytes"])
    puller = FeedPuller(store, client, live, interval=hub["feed_interval"])
    return client, [pusher, puller]


def attach(process, blueprints: list) -> None:
    store = process.store
    live = LiveState()
    from . import metrics
    measured = metrics.AgentMetrics(store)
    live.observe_push = measured.push_seconds.observe
    blueprints.append(metrics.make_blueprint(store, measured))
    blueprints.append(pull_api.make_blueprint(store))
    blueprints.append(status.make_blueprint(store, live))
    process.status_sources["sync"] = lambda: status.sync_status(store, live)
    client, workers = build_workers(store, live)
    if client is None:
        return
    store.hub = client
    pusher = workers[0]
    store.on("sale.committed", pusher.wake)  # push a sale at once, not at the next tick
    store.on("return.committed", pusher.wake)
    process.workers.extend(workers)
