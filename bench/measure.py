"""Run one command and measure its wall time and peak memory.

Peak memory comes from two places:

* ``max_rss_kib``: ``ru_maxrss`` from ``os.wait4`` on the child. On Linux the
  kernel folds the peak of every descendant the child has waited for into it
  (``RUSAGE_BOTH``), so a process pool's workers are covered: this is the
  largest *single* process in the tree, exactly, not a sum. It is the same
  number ``/usr/bin/time -f %M`` prints.
* ``tree_rss_kib``: the largest *sum* of resident memory over the live process
  tree, sampled from ``/proc`` every 50 ms. It can miss short spikes but shows
  what a pool costs all together; it equals ``max_rss_kib`` (give or take the
  sampling) for a single-process build.
* ``tree_pss_kib``: the same sum of proportional set sizes (``/proc/PID/smaps_rollup``):
  a page shared by the parent and its forked workers counts once in all, split
  between them, so this is what the tree really takes from the machine.

CPU time (``user_seconds``, ``system_seconds``) is ``ru_utime`` and ``ru_stime`` from
the same ``os.wait4``: the child's and every descendant's it waited for, so a
process pool's workers and a Go program's threads are all counted. System time
shows what the file system costs: on a machine whose ext4 has no journal, creating
files right after many were deleted is mostly system time.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Measurement:
    seconds: float
    max_rss_kib: int
    tree_rss_kib: int
    returncode: int
    tree_pss_kib: int = 0
    user_seconds: float = 0.0
    system_seconds: float = 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def tree_rss_kib(root: int, size: Callable[[int], int] = _rss_kib) -> int:
    """Resident memory of ``root`` and all its live descendants, in KiB."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += size(pid)
        stack += _children(pid)
    return total


class TreeSampler(threading.Thread):
    """Polls the process tree under ``pid`` and keeps the largest total RSS seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kib, self.peak_pss_kib = pid, interval, 0, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        rounds = 0
        while not self._stop_event.is_set():
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.pid))
            if rounds % 10 == 0:  # smaps_rollup walks every mapping: read it every half second
                self.peak_pss_kib = max(self.peak_pss_kib, tree_rss_kib(self.pid, _pss_kib))
            rounds += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def measure(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> Measurement:
    """Run ``command`` with output to ``log``; wall seconds, peak RSS and exit status."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        sampler = TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    tree = max(sampler.peak_kib, usage.ru_maxrss)
    return Measurement(
        seconds, usage.ru_maxrss, tree, child.returncode, sampler.peak_pss_kib, usage.ru_utime, usage.ru_stime
    )
