"""The process pool: results in input order, and only so many items handed out ahead of the
results taken, so that a slow consumer (the writer) never has thousands of pages waiting in memory."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from generator import workers
from generator.workers import CHUNKS_AHEAD, parallel_map


def _square(n: int) -> int:
    return n * n


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail rather than hang: a pool that waits for its own task thread would never return."""

    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError("the pool did not finish")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_results_come_in_input_order(deadline: None) -> None:
    items = list(range(1000))
    assert list(parallel_map(_square, items, jobs=2, shared={}, count=len(items))) == [n * n for n in items]


def test_items_are_handed_out_only_so_far_ahead_of_the_results_taken(deadline: None) -> None:
    count, jobs = 1000, 2
    handed: list[int] = []

    def items() -> Iterator[int]:
        for n in range(count):
            handed.append(n)
            yield n

    chunk = max(1, min(64, count // (jobs * 8)))
    ahead = chunk * jobs * CHUNKS_AHEAD
    assert ahead < count / 2, "the test needs more items than the pool may hold"
    most = 0
    for taken, result in enumerate(parallel_map(_square, items(), jobs=jobs, shared={}, count=count), 1):
        assert result == (taken - 1) ** 2
        time.sleep(0.002)  # a consumer slower than the workers
        most = max(most, len(handed) - taken)
    # One item more may have been drawn from the input while waiting for room.
    assert most <= ahead + 1
    assert len(handed) == count


def test_a_consumer_that_stops_early_ends_the_pool(deadline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "CHUNKS_AHEAD", 1)
    results = parallel_map(_square, iter(range(5000)), jobs=2, shared={}, count=5000)
    assert [next(results) for _ in range(10)] == [n * n for n in range(10)]
    started = time.monotonic()
    results.close()  # the pool's task thread is waiting for room: it must still end
    assert time.monotonic() - started < 10
