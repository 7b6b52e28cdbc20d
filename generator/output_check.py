"""Check the output folder and its twin against what the cache recorded, beside the build.

Before it writes, a build makes sure the output folder and its hidden twin hold what the cache
says they hold (output.trusted): it asks the system about every file and folder in them, some
56,000 questions at 10,000 articles, a quarter of a second on one core. Meanwhile the build reads
the archive back from the cache and makes its index, on one core as well. So a large check runs in
a forked child process from the build's start, and the build takes its answer when it needs it:
whether the live folder is to be trusted (sent first: it is all a no-op build waits for), then the
stat lines that proved the twin (or that it is not to be trusted). The live folder's own lines stay
in the child: the build records the twin after the swap, so only the twin's lines are of use to it,
and each folder's are some 3.8 MB at 10,000 articles, to pickle, send and unpickle while the build
waits.

The child may also make the twin, when there is none (a first build too small to copy its files
ahead leaves none, see hardlinks.py; or it was deleted) and the build asks for it (make_twin(): the
build is going to write). It then links every file of the proved live folder into a new twin
(output.link_twin) while the build reads articles and makes its index, and answers with the new
twin's stat lines. The build records that twin in the cache as soon as it takes the answer, so a
build that fails afterwards still leaves it trusted for the next one.

The child reads what the cache recorded of the two folders through a connection of its own (never
the one it inherits), so that the build need not unpickle those records before the child can start:
a no-op build, which waits for the child's first answer alone, never reads them. It only asks the
system about the output folders, makes that twin, and answers through a pipe. A small check, a process
without ``fork``, or a preview server's (whose memory answers without asking the system) runs in
process, and a twin is then linked by the build's writer when it swaps, as it always was.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
from pathlib import Path
from typing import BinaryIO

from generator.cache import BuildCache, Manifest
from generator.memory import StatLines
from generator.output import (
    OutputWriter,
    Recorded,
    Remembered,
    Trusted,
    link_twin,
    recorded,
    stamp_of,
    tree_key,
    trusted_folders,
    verified,
)
from generator.workers import end_child, fork_child

# A folder whose record in the cache is smaller than this (some 4,000 files) is checked in process:
# a fork would cost more than it saves.
FORK_AT_BYTES = 500_000


class FolderCheck:
    """What the output folder and its twin hold, checked in a child process when that pays."""

    def __init__(self, cache: BuildCache, output_dir: Path, remembered: Remembered | None) -> None:
        self.cache = cache
        self.output_dir = output_dir
        self.remembered = remembered
        self._answer: tuple[Trusted | None, Trusted | None] | None = None
        self._child: _Child | None = None
        if remembered is None and hasattr(os, "fork"):
            key = tree_key(output_dir)
            if key is not None and cache.manifest_size(key) >= FORK_AT_BYTES:
                # The child reads the folders' records itself: at 100,000 articles unpickling them
                # took 0.6 to 0.8 s, which a no-op build, waiting on the child's verdict alone, need
                # not spend before the child can start.
                self._child = _Child(cache.path, output_dir, OutputWriter.twin_of(output_dir))

    def make_twin(self) -> None:
        """Let the child make the missing twin once it has proved the live folder (see the module's
        docstring); a build that is going to write asks for it. Nothing happens without a child,
        or when there is a twin already."""
        if self._child is not None:
            self._child.order_twin()

    def front_trusted(self) -> bool:
        """Whether the output folder holds what the cache recorded. A child's verdict on the live
        folder comes before it looks at the twin, and is all a no-op build waits for."""
        if self._answer is None and self._child is not None:
            proved = self._child.front_proved()
            if proved is not None:
                return proved
        return self.result()[0] is not None

    def result(self) -> tuple[Trusted | None, Trusted | None]:
        """The trusted manifest and stat lines of the output folder and of its twin, or None."""
        if self._answer is None:
            # No child, or one that failed: ask in process.
            self._answer = self._taken() or trusted_folders(self.cache, self.output_dir, self.remembered)
        return self._answer

    def close(self) -> None:
        """End the child if the build stops before asking for its answer; one making the twin is
        waited for, and the twin recorded, so that the next build finds it trusted."""
        if self._child is not None and self._child.linking:
            # Best effort, on the way out of a failed build: its own error is the one to report.
            with contextlib.suppress(OSError, sqlite3.Error):
                self._taken()
        if self._child is not None:
            self._child.end()
            self._child = None

    def _taken(self) -> tuple[Trusted | None, Trusted | None] | None:
        child, self._child = self._child, None
        answer = child.answer() if child is not None else None
        if answer is None:
            return None
        front_proved, back_lines, linked, stamps = answer
        twin = OutputWriter.twin_of(self.output_dir)
        front, back = recorded(self.cache, self.output_dir), recorded(self.cache, twin)
        if front is None or stamps != (front[1], back[1] if back is not None else None):
            return None  # not the records the child checked: ask in process
        if linked:  # the child made the twin: a copy of the live folder
            back = self._record_twin(front[0], back_lines)
        # The live folder's lines are not sent back (see the module's docstring): an OutputWriter
        # keeps them only for a preview server, whose check never forks.
        return (
            (front[0], {}) if front_proved else None,
            (back[0], back_lines) if back is not None and back_lines is not None else None,
        )

    def _record_twin(self, manifest: Manifest, lines: StatLines) -> Recorded | None:
        key = tree_key(OutputWriter.twin_of(self.output_dir))
        if key is None:
            return None
        stamp = stamp_of(lines)
        self.cache.put_manifest(key, manifest, stamp)
        return manifest, stamp

    def __enter__(self) -> FolderCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check(out: BinaryIO, cache_file: Path, front: Path, back: Path, orders: int) -> None:
    """In the child: read the folders' records through a connection of its own, send whether the
    live folder is proved (all a no-op build waits for), then the stat lines that prove the twin
    (or None when it is not to be trusted), whether the twin was made here (when the build's order
    said so; only a missing twin is made) and the stamps of the records checked."""
    with contextlib.closing(BuildCache.reader(cache_file)) as cache:
        front_record = recorded(cache, front)
        if front_record is None:
            raise LookupError("no record of the output folder")  # the build asks in process
        front_lines = verified(front, front_record)
        pickle.dump(front_lines is not None, out, protocol=5)
        out.flush()
        back_record = recorded(cache, back)  # after the verdict, which a no-op build waits for
    back_lines: StatLines | None = None
    made = False
    if back_record is not None:
        linked = (front_record[0], front_lines) if front_lines is not None else None
        back_lines = verified(back, back_record, linked)
    elif front_lines is not None and not os.path.lexists(back) and os.read(orders, 1) == _LINK:
        back_lines = link_twin(front, (front_record[0], front_lines))
        made = back_lines is not None
    stamps = (front_record[1], back_record[1] if back_record is not None else None)
    pickle.dump((back_lines, made, stamps), out, protocol=5)


_LINK, _NO_LINK = b"L", b"N"


class _Child:
    """A forked process running _check(); its answer comes back pickled through a pipe. A second
    pipe carries one order from the build: make the twin if it is missing, or not."""

    def __init__(self, cache_file: Path, front: Path, back: Path) -> None:
        read, write = os.pipe()
        orders, order = os.pipe()

        def check() -> None:
            os.close(read)
            os.close(order)
            with open(write, "wb") as out:
                _check(out, cache_file, front, back, orders)

        pid = fork_child(check)
        os.close(write)
        os.close(orders)
        self.pid, self.pipe, self.order = pid, open(read, "rb"), order  # noqa: SIM115 (closed by answer() or end())
        self.linking = False
        self._proved: bool | None = None

    def order_twin(self) -> None:
        if self.order is not None:
            self._send(_LINK)
            self.linking = True  # if the twin is missing; the build waits for the child on its way out

    def _send(self, message: bytes) -> None:
        # A message, not the pipe's end: forked workers may hold copies of this end open.
        if self.order is not None:
            with contextlib.suppress(OSError):  # a child that ended already
                os.write(self.order, message)
            os.close(self.order)
            self.order = None

    def front_proved(self) -> bool | None:
        """The child's first answer, whether the live folder is proved; None when it failed."""
        if self._proved is None:
            with contextlib.suppress(Exception):  # a child that died: the pipe ends early
                proved = pickle.load(self.pipe)  # this process's own child's bytes, through a pipe
                self._proved = proved if isinstance(proved, bool) else None
        return self._proved

    def answer(self) -> tuple[bool, StatLines | None, bool, tuple[str, str | None]] | None:
        """The child's whole answer; None when it failed (the parent then checks for itself)."""
        self._send(_NO_LINK)
        rest = None
        try:
            proved = self.front_proved()
            if proved is not None:
                with contextlib.suppress(Exception):
                    rest = pickle.load(self.pipe)
        finally:
            self.pipe.close()
            _, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        if proved is None or not isinstance(rest, tuple) or len(rest) != 3:
            return None
        return proved, rest[0], rest[1], rest[2]

    def end(self) -> None:
        self._send(_NO_LINK)
        self.pipe.close()
        end_child(self.pid)
