"""``store-agent sync``: push the outbox and pull the feed now (``--once``), show the
status (``--status``), or run both workers in the foreground until stopped."""

from __future__ import annotations

import signal
import sys
import threading

from .errors import HubError, HubUnavailable
from .state import LiveState
from .status import sync_status
from .wiring import build_workers


def _print_status(info: dict) -> None:
    for key, value in info.items():
        if key == "blocked" and value:
            value = f"sync blocked at seq {value['seq']}: {value['reason']}"
        print(f"{key}: {'-' if value is None else value}")


def run(store, once: bool = False, status: bool = False) -> int:
    if status:
        _print_status(sync_status(store))
        return 0
    live = LiveState()
    client, workers = build_workers(store, live)
    if client is None:
        print("store-agent: no hub configured ([hub] url and token in config.toml)",
              file=sys.stderr)
        return 1
    if once:
        failed = False
        for worker in workers:
            try:
                worker.run_once(retry_forever=False)
            except HubError as e:
                failed = True
                print(f"store-agent: {worker.name}: {e.message}", file=sys.stderr)
                if isinstance(e, HubUnavailable):
                    break  # the same hub: the feed would only wait for it again
        info = sync_status(store, live)
        print(f"pending: {info['pending']}  acked_through: {info['acked_through']}  "
              f"feed_cursor: {info['feed_cursor']}")
        return 1 if failed else 0
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    for worker in workers:
        worker.start()
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for worker in workers:
            worker.stop()
    return 0
