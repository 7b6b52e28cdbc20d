"""Copies of a folder's files made of hard links, for the output folder's hidden twin.

A build writes into the twin and then swaps it with the live folder (see output.py), so every
build after the first needs a twin holding the live files. A first build leaves none: its twin
became the live folder. Making one means a folder and a link for each page, some 18,700 folders
and 18,500 links at 10,000 articles, a second of system time on this project's machine. Two
places make it ahead of need, beside other work, so that no build waits for it:

- a first build large enough to fork for it (FORK_AT) forks a child once its pages are written,
  which links them into a spare folder while the build makes its search index and sitemap on the
  other core (TwinCopy); after the swap the spare folder becomes the twin;
- a later build that finds no twin has the child that checks the output folders make one
  (output.link_twin, output_check.py).

The work is system calls, so two threads keep two cores busy, each in its own run of folders.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from generator.workers import end_child, fork_child

# Below this many files a first build does not fork to copy them: the next build links them in
# a tenth of a second.
FORK_AT = 4000

SPARE_SUFFIX = ".dateline-spare"
# Below this many links, relink_files makes them in the calling thread.
RELINK_THREADS_AT = 64


def link_files(source: str, target: str, rels: Iterable[str], threads: int = 2) -> None:
    """Hard-link each of ``rels`` (paths checked by the caller) from ``source`` into ``target``,
    making the folders that hold them; ``target`` exists. Raises OSError when one fails."""
    names = list(rels)
    levels: dict[int, set[str]] = {}
    for rel in names:
        folder = rel.rpartition("/")[0]
        while folder:
            levels.setdefault(folder.count("/"), set()).add(folder)
            folder = folder.rpartition("/")[0]

    def make(folders: list[str]) -> None:
        for folder in folders:
            with contextlib.suppress(FileExistsError):  # a file there makes the links into it fail
                os.mkdir(f"{target}/{folder}")

    def link(part: list[str]) -> None:
        for rel in part:
            os.link(f"{source}/{rel}", f"{target}/{rel}")

    with ThreadPoolExecutor(threads) as pool:
        for depth in sorted(levels):  # a folder's parent is made before it
            list(pool.map(make, _runs(sorted(levels[depth]), threads)))
        list(pool.map(link, _runs(sorted(names), threads)))


def relink_files(source: str, target: str, rels: list[str]) -> tuple[str, OSError] | None:
    """Hard-link each of ``rels`` from ``source`` over the file of that path in ``target``, whose
    folders are there (checked by the caller); the first that failed, with its error, or None.

    The old entry is unlinked, then the link made: the old file, maybe shared with the live folder,
    is never changed. Nothing reads the twin meanwhile, so it need not be replaced in one step, as
    a temporary link renamed over it would (three system calls where this takes two). Many links
    are made in two threads, in runs of neighbours (see _runs): catching the twin up with a build
    that changed 20,000 files took 0.9 to 1.2 s this way, 1.7 to 2.0 s in one thread with a rename."""
    failures: list[tuple[str, OSError]] = []

    def link(part: list[str]) -> None:
        for rel in part:
            path = f"{target}/{rel}"
            try:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                os.link(f"{source}/{rel}", path)
            except OSError as exc:
                failures.append((rel, exc))
                return

    if len(rels) < RELINK_THREADS_AT:
        link(rels)
    else:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(link, _runs(rels, 2)))
    return min(failures, key=lambda failure: failure[0]) if failures else None


def _runs(items: list[str], count: int) -> list[list[str]]:
    """``items`` cut into ``count`` runs of neighbours (fewer if there are fewer items), their
    lengths an item apart at most. Making an entry locks its folder, so
    threads given every other item of a sorted list, most often siblings, took turns in one
    folder after another; in runs they meet only where two runs join. Copying the 10,000-article
    benchmark's output (18,500 files) took 0.8 to 1.5 s in runs against 0.9 to 1.7 s, faster in
    seven pairs of seven."""
    count = min(count, len(items))
    if count < 1:
        return []
    size, longer = divmod(len(items), count)
    ends = [(n + 1) * size + min(n + 1, longer) for n in range(count)]
    return [items[end - size - (n < longer) : end] for n, end in enumerate(ends)]


class TwinCopy:
    """A forked child linking the files a first build has written so far into a spare folder."""

    def __init__(self, written: str, spare: str, rels: list[str]) -> None:
        self.written, self.spare, self.rels = written, spare, set(rels)

        def link() -> None:
            remove(spare)  # one left by a build that was killed
            os.mkdir(spare)
            link_files(written, spare, rels)

        self.pid = fork_child(link)

    def finish(self, rels: Iterable[str]) -> bool:
        """Wait for the child, then link the build's other files, made after it started; whether
        the spare folder now holds every one of ``rels``. One that does not is removed."""
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        complete = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if complete:
            try:
                link_files(self.written, self.spare, [rel for rel in rels if rel not in self.rels], 1)
            except OSError:
                complete = False
        if not complete:
            remove(self.spare)
        return complete

    def abandon(self) -> None:
        """End the child of a build that stops before its swap, and remove the spare folder."""
        if self.pid:
            end_child(self.pid)
            self.pid = 0
        remove(self.spare)


def remove(path: str | os.PathLike[str]) -> None:
    """Remove a spare folder (or whatever took its name), never following a link; nothing there
    is nothing to do."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
