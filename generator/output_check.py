"""Check the output folder and its twin against what the cache recorded, beside the build.

Before it writes, a build makes sure the output folder and its hidden twin hold what the cache
says they hold (output.trusted): it asks the system about every file and folder in them, some
56,000 questions at 10,000 articles, a quarter of a second on one core. Meanwhile the build reads
the archive back from the cache and makes its index, on one core as well. So a large check runs in
a forked child process from the build's start, and the build takes its answer when it needs it:
whether the live folder is to be trusted, and the stat lines that proved the twin (or that it is
not to be trusted). The live folder's own lines stay in the child: the build records the twin
after the swap, so only the twin's lines are of use to it, and each folder's are some 3.8 MB at
10,000 articles, to pickle, send and unpickle while the build waits.

The child only asks the system about the output folders and answers through a pipe: it neither
writes nor uses the cache's database connection it inherits. A small check, a process without
``fork``, or a preview server's (whose memory answers without asking the system) runs in process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from pathlib import Path
from typing import Any

from generator.cache import BuildCache
from generator.memory import StatLines
from generator.output import OutputWriter, Recorded, Remembered, Trusted, recorded, trusted_folders, verified

# A folder of fewer files than this is checked in process: a fork would cost more than it saves.
FORK_AT = 4000


class FolderCheck:
    """What the output folder and its twin hold, checked in a child process when that pays."""

    def __init__(self, cache: BuildCache, output_dir: Path, remembered: Remembered | None) -> None:
        self.cache = cache
        self.output_dir = output_dir
        self.remembered = remembered
        self._answer: tuple[Trusted | None, Trusted | None] | None = None
        self._child: _Child | None = None
        if remembered is None and hasattr(os, "fork"):
            twin = OutputWriter.twin_of(output_dir)
            front, back = recorded(cache, output_dir), recorded(cache, twin)
            if front is not None and len(front[0]) >= FORK_AT:
                self._records = (front, back)
                self._child = _Child(output_dir, front, twin, back)

    def front(self) -> Trusted | None:
        """The output folder's trusted manifest and stat lines, or None."""
        return self.result()[0]

    def result(self) -> tuple[Trusted | None, Trusted | None]:
        """The trusted manifest and stat lines of the output folder and of its twin, or None."""
        if self._answer is None:
            answer = self._child.answer() if self._child is not None else None
            self._child = None
            if answer is not None:
                (front, back), (front_proved, back_lines) = self._records, answer
                # The live folder's lines are not sent back (see the module's docstring): an OutputWriter
                # keeps them only for a preview server, whose check never forks.
                self._answer = (
                    (front[0], {}) if front_proved else None,
                    (back[0], back_lines) if back is not None and back_lines is not None else None,
                )
            else:  # no child, or one that failed: ask in process
                self._answer = trusted_folders(self.cache, self.output_dir, self.remembered)
        return self._answer

    def close(self) -> None:
        """End the child if the build stops before asking for its answer."""
        if self._child is not None:
            self._child.end()
            self._child = None

    def __enter__(self) -> FolderCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check(front: Path, front_record: Recorded, back: Path, back_record: Recorded | None) -> Any:
    """In the child: whether the live folder is proved, and the stat lines that prove the twin, or
    None when it is not to be trusted."""
    front_lines = verified(front, front_record)
    back_lines: StatLines | None = None
    if back_record is not None:
        linked = (front_record[0], front_lines) if front_lines is not None else None
        back_lines = verified(back, back_record, linked)
    return front_lines is not None, back_lines


class _Child:
    """A forked process running _check(); its answer comes back pickled through a pipe."""

    def __init__(self, front: Path, front_record: Recorded, back: Path, back_record: Recorded | None) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: answer, then leave at once (no cleanup of the parent's objects)
            code = 1
            try:
                os.close(read)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                with open(write, "wb") as out:
                    pickle.dump(_check(front, front_record, back, back_record), out, protocol=5)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self.read = pid, read

    def answer(self) -> Any:
        """The child's answer; None when it failed (the parent then checks for itself)."""
        try:
            with open(self.read, "rb") as pipe:
                data = pipe.read()
        finally:
            _, status = os.waitpid(self.pid, 0)
        if not data or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            answer = pickle.loads(data)  # the bytes of this process's own child, through a pipe
        except Exception:
            return None
        return answer if isinstance(answer, tuple) and len(answer) == 2 else None

    def end(self) -> None:
        os.close(self.read)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
