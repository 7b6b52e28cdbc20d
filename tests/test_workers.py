"""The process pool: results in input order, and only so many items handed out ahead of the
results taken, so that a slow consumer (the writer) never has thousands of pages waiting in memory."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from generator import workers
from generator.cache import DamagedBody
from generator.workers import CHUNKS_AHEAD, Beside, parallel_map


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


# --- Beside: one computation in a forked child ------------------------------------------------------


def test_beside_computes_in_a_child_and_brings_back_large_values(deadline: None) -> None:
    parent = os.getpid()
    big = bytes(range(256)) * 40_000  # 10 MB: more than a pipe holds, so the child waits for the reader
    job = Beside(lambda: (os.getpid(), big))
    pid, value = job.result()
    assert pid != parent
    assert value == big
    assert job.pid is None


def test_beside_raises_what_the_child_raised(deadline: None) -> None:
    parent = os.getpid()

    def fail() -> None:
        raise DamagedBody("key-in-child" if os.getpid() != parent else "key-in-parent")

    with pytest.raises(DamagedBody) as raised:
        Beside(fail).result()
    assert raised.value.key == "key-in-child"


@pytest.mark.parametrize("trouble", ["unpicklable value", "child killed"])
def test_beside_computes_in_process_when_the_child_cannot_answer(deadline: None, trouble: str) -> None:
    parent = os.getpid()

    def work() -> object:
        if os.getpid() != parent:
            if trouble == "child killed":
                os.kill(os.getpid(), signal.SIGKILL)
            return lambda: "a lambda does not pickle"
        return "made in process"

    assert Beside(work).result() == "made in process"


def test_ending_beside_stops_its_child(deadline: None) -> None:
    job = Beside(lambda: time.sleep(60))
    pid = job.pid
    assert pid is not None
    job.end()
    with pytest.raises(ProcessLookupError):  # killed and reaped: not even a zombie is left
        os.kill(pid, 0)
    job.end()  # twice is harmless
