"""The one background-worker pattern (agent.worker): jobs, pokes, idleness, retries, stop."""

import threading

import pytest

from agent.worker import Worker


class Counter(Worker):
    """Counts rounds; a round with work left in ``todo`` goes again at once."""

    name = "counter"

    def __init__(self, interval=600.0):
        super().__init__(interval)
        self.todo, self.done, self.rounds = [], [], 0

    def run_round(self):
        self.rounds += 1
        if not self.todo:
            return None
        self.done.append(self.todo.pop(0))
        return 0


@pytest.fixture
def counter():
    w = Counter()
    w.start()
    yield w
    w.stop()


def test_jobs_run_on_the_worker_thread_in_order_and_answer_through_futures(counter):
    names = []
    futures = [counter.submit(lambda i=i: names.append((i, threading.current_thread().name)) or i)
               for i in range(5)]
    assert [f.result(timeout=20) for f in futures] == list(range(5))
    assert [n for n, _ in names] == list(range(5))
    assert {t for _, t in names} == {"counter"}


def test_a_failing_job_fails_its_future_only(counter):
    bad = counter.submit(lambda: 1 / 0)
    good = counter.submit(lambda: "still running")
    with pytest.raises(ZeroDivisionError):
        bad.result(timeout=20)
    assert good.result(timeout=20) == "still running"


def test_a_poke_ends_the_rest_and_wait_idle_covers_the_work_it_announced(counter):
    assert counter.wait_idle(20)  # the first round found nothing (interval: 10 minutes)
    counter.todo.extend(["a", "b", "c"])
    counter.poke()
    assert counter.wait_idle(20)
    assert counter.done == ["a", "b", "c"] and counter.todo == []


def test_wait_idle_is_false_while_a_round_is_still_retrying():
    release = threading.Event()

    class Stubborn(Worker):
        name = "stubborn"
        backoff = (0.01, 0.05)

        def run_round(self):
            for attempt in self.retrying(RuntimeError, wake_early=True):
                with attempt:
                    if not release.is_set():
                        raise RuntimeError("not yet")
            return None

    w = Stubborn(interval=600.0)
    w.start()
    try:
        w.poke()
        assert not w.wait_idle(0.3)
        release.set()
        assert w.wait_idle(20)
    finally:
        w.stop()


def test_the_retry_policy_is_exponential_with_jitter_and_capped_and_reraises():
    w = Worker()
    w.backoff = (1.0, 8.0)
    r = w.retrying(ValueError, attempts=3)

    class State:
        attempt_number = 0

    state = State()
    for n in range(1, 12):
        state.attempt_number = n
        waits = {r.wait(state) for _ in range(50)}
        assert all(0 <= x <= min(8.0, 2 ** n) for x in waits)
        assert len(waits) > 1  # jitter
    calls = []
    fast = w.retrying(ValueError, attempts=3, max_wait=0.01)
    with pytest.raises(ValueError):
        for attempt in fast:
            with attempt:
                calls.append(1)
                raise ValueError("always")
    assert len(calls) == 3
    with pytest.raises(KeyError):  # only the named failures are retried
        for attempt in w.retrying(ValueError):
            with attempt:
                calls.append(2)
                raise KeyError("other")
    assert calls.count(2) == 1


def test_stop_ends_a_retry_that_would_go_on_forever():
    started = threading.Event()

    class Forever(Worker):
        name = "forever"
        backoff = (600.0, 600.0)  # each wait would be minutes

        def run_round(self):
            for attempt in self.retrying(OSError):
                with attempt:
                    started.set()
                    raise OSError("down")

    w = Forever()
    w.start()
    assert started.wait(20)
    w.stop(timeout=20)
    assert not w._thread.is_alive()
