"""A process pool for the expensive stages (Markdown, page rendering).

Workers are forked, so they start with the parent's state (settings, index,
templates) without pickling it; only small work items and results travel.
Results come back in input order, so output never depends on scheduling. Only so many items are
handed out ahead of the results taken: the parent writes what the workers make, and when it is the
slower side (writing files costs system time too), results would otherwise pile up in its memory,
rendered pages and all, by the thousand.
Workers collect cyclic garbage even when the parent had paused that (build._kept_to_the_end).

Beside runs one computation in a forked child while the caller does other work (the search index
of a large build, while its pages render) and brings its value back pickled through a pipe.
fork_child() and end_child() are how every forked helper of a build (Beside, the output check, the
twin copy) starts and stops.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, BinaryIO, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items a pool costs more than it saves.
MIN_PARALLEL = 64
# Chunks handed out to each worker ahead of the results taken: enough that no worker waits.
CHUNKS_AHEAD = 4
_STATE: dict[str, Any] = {}
# What rendering workers call to store a page themselves (output.OutputWriter.page_store): given its
# path in the output and its bytes, it returns their digest and whether it wrote a file.
PageStore = Callable[[str, bytes], tuple[str, bool]]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def state(key: str) -> Any:
    """What the parent put in place for the workers with :func:`parallel_map`."""
    return _STATE[key]


def parallel_map(
    func: Callable[[T], R], items: Iterable[T], *, jobs: int, shared: dict[str, Any], count: int
) -> Generator[R, None, None]:
    """``map(func, items)`` in ``jobs`` forked processes, in order; in-process for small inputs.
    A caller that may stop early closes it, which ends the pool: left to the garbage collector, the
    workers would live on as long as, say, the exception that stopped it (and its frames)."""
    _STATE.clear()
    _STATE.update(shared)
    if jobs <= 1 or count < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(func, items)
        return
    chunk = max(1, min(64, count // (jobs * 8)))
    ahead = threading.Semaphore(chunk * jobs * CHUNKS_AHEAD)
    stop = threading.Event()

    def handed_out() -> Iterator[T]:
        # Runs in the pool's task thread: it waits here until a result has been taken.
        for item in items:
            while not ahead.acquire(timeout=0.05):
                if stop.is_set():
                    return
            yield item

    with multiprocessing.get_context("fork").Pool(jobs, initializer=gc.enable) as pool:
        try:
            for result in pool.imap(func, handed_out(), chunksize=chunk):
                ahead.release()
                yield result
        finally:
            stop.set()  # a build stopped early: the pool's end waits for its task thread to end


def fork_child(work: Callable[[], None]) -> int:
    """Fork a child that runs ``work()`` and leaves at once, with status 0 when it returned and 1
    when it raised, without cleaning up the parent's objects it shares (files, connections, pools);
    Ctrl-C ends it. Returns its pid, for end_child() or os.waitpid()."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            work()
            code = 0
        finally:
            os._exit(code)
    return pid


def end_child(pid: int) -> None:
    """Kill the child ``pid`` (one that ended already is left as it is) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


class Beside(Generic[R]):
    """``func()`` computed in a forked child while the caller goes on with other work; ``result()``
    takes its value. A child that cannot answer (it died, or its value or error does not pickle)
    is no failure: ``result()`` then computes ``func()`` in process, as if no child had been.

    The child starts with the caller's state by fork, so ``func`` may close over anything; what it
    returns comes back pickled through a pipe. It must not write what the caller also writes: it
    computes, the caller writes."""

    def __init__(self, func: Callable[[], R]) -> None:
        self.func = func
        read, write = os.pipe()

        def answer() -> None:
            os.close(read)
            with open(write, "wb") as out:
                _answer(out, func)

        self.pid: int | None = fork_child(answer)
        os.close(write)
        self.pipe = open(read, "rb")  # noqa: SIM115 (closed by result() or end())

    def result(self) -> R:
        """What ``func()`` returned, or raises what it raised."""
        answer = None
        if self.pid is not None:
            with contextlib.suppress(Exception):  # a child that died: the pipe ends early
                answer = pickle.load(self.pipe)  # this process's own child's bytes, through a pipe
            self.end()
        if not isinstance(answer, tuple) or len(answer) != 2:
            return self.func()
        done, value = answer
        if not done:
            raise value
        return value

    def end(self) -> None:
        """Stop the child, if it is still there; a build that failed meanwhile has no use for it."""
        self.pipe.close()
        if self.pid is not None:
            end_child(self.pid)
            self.pid = None


def _answer(out: BinaryIO, func: Callable[[], object]) -> None:
    try:
        answer: tuple[bool, object] = (True, func())
    except Exception as exc:  # raised in the caller by result()
        answer = (False, exc)
    pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
