"""The background loop both sync workers share: start/stop, a wake-up, tenacity retries.

Transient failures (``HubUnavailable``) are retried with exponential backoff and full
jitter; ``retry_forever`` (the serve loop) never gives up while the worker runs, the
one-shot run (``store-agent sync --once``) tries a few times.  A refusal
(``HubRefused``) ends the round and the loop rests ``REFUSED_PAUSE`` before the next.
"""

from __future__ import annotations

import logging
import threading
import time

from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_any,
    wait_random_exponential,
)

from .errors import HubError, HubRefused, HubUnavailable
from .state import record_error

log = logging.getLogger("store_agent.sync")
REFUSED_PAUSE = 60.0
MAX_BACKOFF = 60.0


class Worker:
    """A background loop with ``start()`` / ``stop()`` that can be woken early.

    Subclasses set ``store`` and ``live`` (a ``LiveState``) and implement
    ``run_once(retry_forever)``, which does one round and raises ``HubError`` on failure."""

    name = "sync-worker"
    backoff = (0.5, MAX_BACKOFF)  # tenacity: random wait in [0, min(max, m * 2**n)] seconds

    def __init__(self, interval: float):
        self.interval = interval
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self, **_) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            pause, refused = self.interval, False
            try:
                self.run_once(retry_forever=True)
            except HubRefused as e:
                log.warning("%s: %s", self.name, e.message)
                pause, refused = max(self.interval, REFUSED_PAUSE), True
            except HubError as e:  # only when stopping
                log.info("%s: %s", self.name, e.message)
            except Exception:  # never let the worker die; the next round tries again
                log.exception("%s failed", self.name)
            self._rest(pause, refused)

    def _rest(self, pause: float, refused: bool) -> None:
        """Wait ``pause``; a wake (a new sale) cuts it short, except after a refusal: a
        401 is not retried at the pace of the till."""
        deadline = time.monotonic() + pause
        while not self.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._wake.wait(left):
                self._wake.clear()
                if not refused:
                    return

    def retrying(self, retry_forever: bool, attempts: int = 4) -> Retrying:
        stop = (lambda rs: self.stopping.is_set())  # noqa: E731
        if not retry_forever:
            stop = stop_any(stop, stop_after_attempt(attempts))
        return Retrying(retry=retry_if_exception_type(HubUnavailable),
                        wait=wait_random_exponential(multiplier=self.backoff[0],
                                                     max=self.backoff[1]),
                        stop=stop, sleep=self.stopping.wait, reraise=True,
                        before_sleep=self._before_sleep)

    def _before_sleep(self, retry_state) -> None:
        exc = retry_state.outcome.exception()
        record_error(self.store, self.live, getattr(exc, "message", str(exc)), reachable=False)
