"""One pattern for the store's background work: the print spooler, the fiscal worker, the
customer display feed and the outbox pusher / feed puller are each a ``Worker``.

A worker is one thread that runs rounds: first the jobs handed to it (``submit``: run a
call on this thread, in order, and get a future), then ``run_round()``, its own work.  A
round returns how long to rest (``None``: ``interval``; ``0``: go again at once); a
``poke()`` (new work: a sale was committed) cuts the rest short, ``stop()`` ends it.
Failures inside a round are retried with the one retry policy (``retrying``: tenacity,
exponential backoff with full jitter, capped, sleeping interruptibly).  Tests and callers
wait for a worker with ``wait_idle(timeout)`` (every job and poke so far handled, and a
round found nothing to do) or on a job's future, never by sleeping.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from tenacity import (
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    stop_any,
    wait_random_exponential,
)

log = logging.getLogger("store_agent.worker")


class Worker:
    name = "worker"
    #: tenacity: a random wait in [0, min(cap, multiplier * 2**n)] seconds
    backoff: tuple[float, float] = (0.2, 30.0)

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._pokes = 0  # pokes and jobs handed in so far
        self._idle_seen = -1  # ``_pokes`` as of the start of the last round that found no work

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def poke(self, **_) -> None:
        """New work may be there: end the current rest now."""
        with self._cond:
            self._pokes += 1
        self._wake.set()

    wake = poke  # a store listener: ``store.on("sale.committed", worker.wake)``

    def submit(self, fn, *args) -> Future:
        """Run ``fn(*args)`` on the worker thread before its next round; its future.  A
        caller that gives up may ``cancel()`` it: a job not started by then never runs."""
        fut: Future = Future()
        with self._cond:
            self._jobs.put((fn, args, fut, self.job_stamp()))
            self._pokes += 1
        self._wake.set()
        return fut

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every job and poke so far is handled and a round found nothing to do."""
        with self._cond:
            target = self._pokes
            return self._cond.wait_for(lambda: self._idle_seen >= target, timeout)

    # -- what subclasses write ---------------------------------------------------------------
    def run_round(self) -> float | None:
        """One round of work; the rest before the next (``None``: ``interval``, 0: at once)."""
        return None

    def job_stamp(self):
        """What a job is stamped with when submitted (``run_jobs(until=...)`` compares it);
        ``None`` by default."""
        return None

    # -- the loop --------------------------------------------------------------------------
    def run_jobs(self, until=None) -> None:
        """Run the jobs handed in, in order; with ``until``, only those stamped no later
        (the rest wait, still in order)."""
        while True:
            with self._jobs.mutex:
                head = self._jobs.queue[0] if self._jobs.queue else None
            if head is None:
                return
            if until is not None and head[3] is not None and head[3] > until:
                return
            try:
                fn, args, fut, _ = self._jobs.get_nowait()
            except queue.Empty:
                return
            if not fut.set_running_or_notify_cancel():
                continue  # its caller gave up waiting: never run late
            try:
                fut.set_result(fn(*args))
            except Exception as e:
                log.warning("%s: command failed: %s", self.name, e)
                fut.set_exception(e)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            self._wake.clear()  # before reading the count: a later poke wakes the next rest
            with self._cond:
                seen = self._pokes
            self.run_jobs()
            try:
                pause = self.run_round()
            except Exception:  # never let the worker die; the next round tries again
                if not self.stopping.is_set():
                    log.exception("%s failed", self.name)
                pause = None
            pause = self.interval if pause is None else pause
            with self._cond:
                if self._pokes != seen:  # new work came in during the round (a retry's
                    continue             # wait may have taken its wake-up): go again
                if pause > 0:
                    self._idle_seen = seen
                    self._cond.notify_all()
            if pause > 0:
                self.rest(pause)

    def rest(self, seconds: float, wake_early: bool = True) -> None:
        """Wait ``seconds``; a poke cuts it short (unless ``wake_early`` is False), a stop
        always does."""
        if not wake_early:
            self.stopping.wait(seconds)
            return
        if self._wake.wait(seconds):
            self._wake.clear()

    def _nap(self, seconds: float) -> None:
        self.rest(seconds, wake_early=True)

    # -- the one retry policy --------------------------------------------------------------
    def retrying(self, retry_on: type[BaseException] | tuple = Exception, *,
                 attempts: int | None = None, max_wait: float | None = None,
                 wake_early: bool = False, before_sleep=None,
                 give_up_on: type[BaseException] | tuple = ()) -> Retrying:
        """Retry ``retry_on`` (but never ``give_up_on``) with exponential backoff and full
        jitter, capped at ``max_wait`` (default ``backoff[1]``), until the worker stops (or
        ``attempts``).  ``wake_early``: a poke (new work) ends a wait early.  The last error
        is re-raised."""
        stop = (lambda rs: self.stopping.is_set())  # noqa: E731
        if attempts is not None:
            stop = stop_any(stop, stop_after_attempt(attempts))
        retry = retry_if_exception_type(retry_on)
        if give_up_on:
            retry = retry & retry_if_not_exception_type(give_up_on)
        return Retrying(retry=retry,
                        wait=wait_random_exponential(multiplier=self.backoff[0],
                                                     max=max_wait or self.backoff[1]),
                        stop=stop, reraise=True,
                        sleep=self._nap if wake_early else self.stopping.wait,
                        before_sleep=before_sleep)
