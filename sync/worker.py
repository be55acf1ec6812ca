"""The sync workers' round on the core's worker base (``agent.worker.Worker``).

Transient failures (``HubUnavailable``) are retried with the base's one policy
(exponential backoff, full jitter, capped at ``MAX_BACKOFF``); ``retry_forever`` (the
serve loop) never gives up while the worker runs, the one-shot run (``store-agent sync
--once``) tries a few times.  A refusal (``HubRefused``) ends the round and the loop rests
``REFUSED_PAUSE`` before the next, deaf to wake-ups: a 401 is not retried at the pace of
the till.
"""

from __future__ import annotations

import logging

from tenacity import Retrying

from agent.worker import Worker as CoreWorker

from .errors import HubError, HubRefused, HubUnavailable
from .state import record_error

log = logging.getLogger("store_agent.sync")
REFUSED_PAUSE = 60.0
MAX_BACKOFF = 60.0


class Worker(CoreWorker):
    """Subclasses set ``store`` and ``live`` (a ``LiveState``) and implement
    ``run_once(retry_forever)``, which does one round and raises ``HubError`` on failure."""

    name = "sync-worker"
    backoff = (0.5, MAX_BACKOFF)

    def run_round(self) -> float:
        try:
            self.run_once(retry_forever=True)
        except HubRefused as e:
            log.warning("%s: %s", self.name, e.message)
            self.rest(max(self.interval, REFUSED_PAUSE), wake_early=False)
            return 0
        except HubError as e:  # only when stopping
            log.info("%s: %s", self.name, e.message)
        return self.interval

    def retrying(self, retry_forever: bool, attempts: int = 4,
                 max_wait: float | None = None) -> Retrying:
        return super().retrying(HubUnavailable, attempts=None if retry_forever else attempts,
                                max_wait=max_wait, before_sleep=self._before_sleep)

    def _before_sleep(self, retry_state) -> None:
        exc = retry_state.outcome.exception()
        record_error(self.store, self.live, getattr(exc, "message", str(exc)), reachable=False)
