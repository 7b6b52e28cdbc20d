"""Write the site so that the output folder is always wholly one build.

Two folders take turns: the output folder readers see, and a hidden twin
beside it (``.output.dateline-back``) holding the build before. A build
brings the twin up to date, changing only files whose bytes differ, then
swaps the two in one system call (``renameat2(RENAME_EXCHANGE)`` on Linux).
A build killed at any moment leaves the output folder as it was.

Files are never changed in place: a new version is written beside and
renamed over the old, and an unchanged file is hard-linked from the live
folder, so it keeps its modification time and upload tools see only real
changes. What each folder holds is remembered in the build cache, keyed by
the folder's inode and modification time, with a stamp of the stat of every
file and sub-folder in it, so a folder changed behind Dateline's back (a file
edited, added or deleted by hand) is not trusted: its files are compared by
their bytes and rewritten where they differ.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from generator.cache import BuildCache, Manifest
from generator.hardlinks import FORK_AT, SPARE_SUFFIX, TwinCopy, link_files, relink_files, remove
from generator.memory import StatLines
from generator.workers import PageStore

BACK_SUFFIX = ".dateline-back"
# Files the twin is brought up to date with between two looks at whether to stop (OutputWriter.mirror).
_LINK_BATCH = 256
# A rebuild that renders this many pages has the rendering processes store them (page_store).
STORE_IN_WORKERS_AT = 64


class OutsideOutput(Exception):
    """A path that would land outside the output folder."""


class WriteFailed(Exception):
    """The system refused a change to the output (disk full, permissions, a busy folder).

    ``shown`` names the file as readers of the output folder will see it, never the hidden twin
    or a temporary file, and as messages show paths: from the site folder.
    """

    def __init__(self, shown: str, action: str, error: OSError) -> None:
        self.shown = shown
        self.message = f"cannot {action}: {error.strerror or error}"
        super().__init__(f"{shown}: {self.message}")


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def tree_key(folder: Path) -> str | None:
    try:
        st = folder.stat()
    except FileNotFoundError:
        return None
    return f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}"


# What a preview server recorded of the folders it wrote, folder path -> (key, manifest, stat
# lines) (see memory.BuildMemory): trusted while the folder's key is unchanged, so that a rebuild
# need not ask the system about every file and sub-folder again (37,000 of them at 10,000 articles).
Remembered = dict[str, tuple[str, Manifest, StatLines]]


Trusted = tuple[Manifest, StatLines]  # a folder's manifest, with the stat lines that proved it
Recorded = tuple[Manifest, str]  # a folder's manifest as the cache holds it, with its stamp


def trusted_folders(
    cache: BuildCache, output_dir: Path, remembered: Remembered | None
) -> tuple[Trusted | None, Trusted | None]:
    """What the output folder and its twin hold, each trusted or None (see trusted). The twin is
    checked too: it shares files with the live folder (hard links), so an edit in place there is
    an edit here, and a file deleted from it would be missing after the swap."""
    front = trusted(cache, output_dir, remembered)
    return front, trusted(cache, OutputWriter.twin_of(output_dir), remembered, front)


def trusted(
    cache: BuildCache, folder: Path, remembered: Remembered | None, linked: Trusted | None = None
) -> Trusted | None:
    """The trusted manifest of ``folder`` with the stat lines that proved it (see verified); what
    ``remembered`` holds of it is trusted without a look at every file."""
    key = tree_key(folder)
    known = remembered.get(os.fspath(folder)) if remembered is not None else None
    if known is not None and known[0] == key:
        return known[1], known[2]
    found = recorded(cache, folder)
    if found is None:
        return None
    lines = verified(folder, found, linked)
    if lines is None:
        return None
    if remembered is not None and key is not None:
        # Proved as a record of its own would be: a preview server's next build need not look at
        # every file again (two folders of 171,000 files, 1.3 s, at 100,000 articles).
        remembered[os.fspath(folder)] = (key, found[0], lines)
    return found[0], lines


def recorded(cache: BuildCache, folder: Path) -> Recorded | None:
    """What the cache recorded of ``folder`` under its present key; None when nothing was, or
    nothing that can be checked (a record without a stamp)."""
    key = tree_key(folder)
    found = cache.manifest(key) if key is not None else None
    return found if found is not None and found[1] else None


def verified(folder: Path, found: Recorded, linked: Trusted | None = None) -> StatLines | None:
    """The stat lines of ``folder``, when they are those the record's stamp was made of.

    ``linked`` is the live folder's trusted manifest and stat lines, given when ``folder`` is its
    twin: a file the twin holds with the same fingerprint and digest is most likely the same
    file (a hard link), and then its stat is the live one's. The guess is checked, as every stat
    line is, by the stamp; when it is wrong, every file is asked about after all."""
    manifest, stamp = found
    if linked is not None:
        lines = stat_lines(folder, manifest, _linked_lines(manifest, *linked))
        if lines is not None and stamp_of(lines) == stamp:
            return lines
    lines = stat_lines(folder, manifest)
    return lines if lines is not None and stamp_of(lines) == stamp else None


def _linked_lines(manifest: Manifest, live: Manifest, live_lines: StatLines) -> StatLines:
    """The live folder's stat lines of the files ``manifest`` has as it has them.

    Why a guess right here is a stat line right for the twin: its stamp covers the inode of each
    file and the modification time of each folder. A folder whose entries did not change still
    leads to the inode recorded, and that inode, being the live folder's file, has the live
    folder's stat."""
    guess: StatLines = {}
    get = live.get
    for rel, entry in manifest.items():
        line = live_lines.get(rel) if get(rel) == entry else None
        if line is not None:
            guess[rel] = line
    return guess


def stat_lines(folder: Path, paths: Iterable[str], known: StatLines | None = None) -> StatLines | None:
    """The stat of each of ``paths`` in ``folder`` and of the sub-folders holding them; None when a
    file is gone. Lines in ``known`` are taken as they are instead of asking the system again.

    The folder's own key (tree_key) only changes when an entry at its top changes. A file edited
    in place changes its own size or modification time; one added, removed or renamed deeper
    down changes its folder's modification time.
    """
    prefix = os.fspath(folder) + "/"  # plain concatenation: os.path.join costs as much as the lstat
    lstat = os.lstat
    known = known or {}
    lines: StatLines = {}
    try:
        for rel in paths:
            line = known.get(rel)
            if line is None:
                st = lstat(prefix + rel)
                line = f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n"
            lines[rel] = line
            parent = rel.rpartition("/")[0]
            while parent and parent + "/" not in lines:
                line = known.get(parent + "/")
                if line is None:
                    st = lstat(prefix + parent)
                    line = f"{parent}/\0{st.st_mtime_ns}\0{st.st_ino}\n"
                lines[parent + "/"] = line
                parent = parent.rpartition("/")[0]
    except OSError:
        return None
    return lines


def stamp_of(lines: StatLines) -> str:
    """A hash of stat lines in the order gathered: stat_lines() follows the order of the manifest,
    which the cache keeps as recorded."""
    return hashlib.blake2b("".join(lines.values()).encode(), digest_size=20).hexdigest()


def link_twin(front: Path, front_trusted: Trusted) -> StatLines | None:
    """Make the missing twin of ``front`` a copy of it (see hardlinks.py); returns the twin's stat
    lines, or None when it could not be made (a twin that is there already is not touched).
    ``front_trusted`` is the live folder's proved manifest and stat lines."""
    manifest, front_lines = front_trusted
    for rel in manifest:
        _check_relative(rel)
    back = OutputWriter.twin_of(front)
    try:
        os.mkdir(back)
    except OSError:
        return None
    try:
        link_files(os.fspath(front), os.fspath(back), manifest)
    except OSError:
        return None  # a twin half made is not trusted: the build completes it file by file
    # A hard link is the file itself, its stat line the live one's: only folders are asked about.
    return stat_lines(back, manifest, _linked_lines(manifest, manifest, front_lines))


class OutputWriter:
    """Brings the twin folder to the new build, then swaps it in with :meth:`commit`."""

    def __init__(
        self,
        output_dir: Path,
        cache: BuildCache,
        site_root: Path | None = None,
        *,
        remembered: Remembered | None = None,
        checked: tuple[Trusted | None, Trusted | None] | None = None,
    ) -> None:
        """``checked`` is what the live folder and its twin were found to hold (FolderCheck),
        when that was found already."""
        self.front = output_dir
        self.back = self.twin_of(output_dir)
        self.spare = self.spare_of(output_dir)
        self._copy: TwinCopy | None = None
        self.cache = cache
        self.site_root = site_root if site_root is not None else output_dir.parent  # messages start there
        self.remembered = remembered  # the folders only this process writes to (a preview server's)
        front, back = checked if checked is not None else trusted_folders(cache, output_dir, remembered)
        self.front_manifest = front[0] if front is not None else None
        self._front_lines = front[1] if front is not None and remembered is not None else None
        self.front_real = self.front.resolve() if self.front.exists() else None
        self.back_manifest = back[0] if back is not None else None
        # The stat lines that proved the twin, so that recording it as the live folder after the swap
        # asks the system only about what the build changed, not about every file once more. (Some
        # 100 bytes a file: the live folder's are not kept, being needed only in the rare case of new
        # fingerprints for the same bytes.)
        self._back_lines = back[1] if back is not None else None
        self._changed: set[str] = set()  # paths in the twin made, replaced or removed by this build
        self.desired: Manifest = {}
        self.written = 0
        self.linked = 0
        self._folders: set[str] = {""}  # folders of the twin known to be real folders inside it
        self._fresh: set[str] = set()  # folders this build made: nothing in them predates it
        self._as_live: list[str] = []  # files of the new build identical to the live folder's
        self._claimed: dict[str, str] = {}  # lower-cased path -> path: two paths one host may confuse
        self._started = False

    @staticmethod
    def twin_of(output_dir: Path) -> Path:
        return output_dir.parent / f".{output_dir.name}{BACK_SUFFIX}"

    @staticmethod
    def spare_of(output_dir: Path) -> Path:
        """Where a first build copies its files to make the twin after its swap (copy_ahead)."""
        return output_dir.parent / f".{output_dir.name}{SPARE_SUFFIX}"

    def copy_ahead(self) -> None:
        """On a first build, once its pages are written: have a forked child link them into the
        spare folder, which becomes the twin after the swap (hardlinks.TwinCopy), so that the next
        build has a twin to write in. Not for a preview server, which makes its twin while it waits
        for an edit, nor for a small site, whose next build links its twin in a blink."""
        if (
            self._copy is None
            and "" in self._fresh
            and self.remembered is None
            and not os.path.lexists(self.front)
            and len(self.desired) >= FORK_AT
            and hasattr(os, "fork")
        ):
            self._copy = TwinCopy(os.fspath(self.back), os.fspath(self.spare), list(self.desired))

    def close(self) -> None:
        """End a copy that a build stopped before its swap did not use."""
        if self._copy is not None:
            self._copy.abandon()
            self._copy = None

    def known_fingerprint(self, rel: str) -> str | None:
        entry = self.front_manifest.get(rel) if self.front_manifest is not None else None
        return entry[0] if entry else None

    def known(self, rel: str, fingerprint: str) -> bool:
        """True when the live folder already has this file for this fingerprint: no need to render it."""
        entry = self.front_manifest.get(rel) if self.front_manifest is not None else None
        return entry is not None and entry[0] == fingerprint

    def keep_known(self, prints: Iterable[tuple[str, str]]) -> list[int]:
        """Record, as put(rel, fingerprint, None) would, each file whose fingerprint the live folder's
        file has already; return the positions in ``prints`` of the others. A rebuild after one edit
        hands over 18,000 unchanged pages at 10,000 articles: one pass over them, not two calls a page."""
        front = self.front_manifest or {}
        others: list[int] = []
        for number, (rel, fingerprint) in enumerate(prints):
            entry = front.get(rel)
            if entry is None or entry[0] != fingerprint:
                others.append(number)
                continue
            self._claim(rel)
            self.desired[rel] = entry
            self._as_live.append(rel)
        return others

    def fresh_twin(self) -> str | None:
        """The twin's path when this is a first build, with no live folder whose files could be kept:
        every file is new, so the processes that render pages may write them into the twin
        themselves (write_new), sparing the main process the pages' bytes (400 MB at 10,000
        articles). Starts the twin; None on any other build."""
        if os.path.lexists(self.front):
            return None
        self._begin()
        return os.fspath(self.back) if "" in self._fresh else None

    def page_store(self, paths: Iterable[str]) -> PageStore | None:
        """What rendering processes call to store each page of ``paths`` themselves, which are
        claimed for it; None where the main process is to write them (``put``).

        On a first build (see fresh_twin), ``store_new``: every page is a new file of a fresh twin.
        On a rebuild that renders many pages (a template changed, an article added at the top of
        long lists) with both folders' manifests known, ``store_changed``: a page whose bytes the
        live folder or the twin has already is left, any other replaces the twin's file. The
        folders and old entries in the way are seen to here first, so the processes only make files
        in folders that are checked. Either spares the main process the pages' bytes, which it
        would otherwise receive and write one by one while the workers wait on it."""
        paths = list(paths)
        twin = self.fresh_twin()
        few = len(paths) < STORE_IN_WORKERS_AT
        if twin is None and (few or self.front_manifest is None or self.back_manifest is None):
            return None
        for rel in paths:
            self._claim(rel)
        if twin is not None:
            return partial(store_new, twin)
        self._begin()
        back = self.back_manifest
        for rel in paths:
            if rel in back:
                continue  # a file the twin was proved to hold (output_check), so in real folders
            try:
                self._make_way(rel)
            except OSError as exc:
                raise self.failed(rel, "write the output", exc) from exc
        return partial(store_changed, os.fspath(self.back), self.front_manifest, self.back_manifest)

    def put_stored(self, rel: str, fingerprint: str, digest: str, placed: bool) -> None:
        """Record the page a page store handled at ``rel``: the bytes of ``digest``, which it
        wrote into the twin when ``placed``."""
        self.desired[rel] = (fingerprint, digest)
        if placed:
            self._changed.add(rel)
            self.written += 1
        elif self._front_digest(rel) == digest:
            self._as_live.append(rel)  # as put() does: the twin gets it from the live folder
        # else the twin has these bytes already

    def _claim(self, rel: str) -> None:
        """Refuse a path outside the output, or one given twice (also in another case)."""
        _check_relative(rel)
        first = self._claimed.setdefault(rel.lower(), rel)
        if first != rel or rel in self.desired:
            raise FileExistsError(f"{rel} would be written twice (also as {first})")

    def put(self, rel: str, fingerprint: str, data: bytes | None) -> None:
        """Record one file of the new build; ``data`` None means "as in the live folder"."""
        self._claim(rel)
        if data is None:
            assert self.front_manifest is not None
            digest = self.front_manifest[rel][1]
        else:
            digest = digest_of(data)
        self.desired[rel] = (fingerprint, digest)
        live_digest = self._front_digest(rel)
        if (
            data is None
            or live_digest == digest
            # (No live folder on a first build: nothing there to compare with.)
            or (live_digest is None and self.front_real is not None and _same_bytes(self.front / rel, data))
        ):
            self._as_live.append(rel)  # the twin gets it from the live folder, if a swap is needed at all
            return
        if self._twin_has(rel, digest, data):
            return
        try:
            self._start()
            self._changed.add(rel)
            self._place(rel, data)
        except OSError as exc:
            raise self.failed(rel, "write the output", exc) from exc
        self.written += 1

    def changed_count(self) -> int:
        """How many files of the output folder this build adds, changes or removes, as someone who
        publishes the folder sees it; call before commit(). The twin's own bookkeeping (written,
        linked) is no measure of that: after an output folder was deleted, its twin may already hold
        every file, and a twin made anew links thousands of unchanged files."""
        if self.front_real is None:  # no output folder before this build: every file is new to it
            return len(self.desired)
        front = self.front_manifest
        if front is None:  # a folder whose files are not known: what this build put in its place
            return self.written + self.linked
        changed = sum(1 for rel, (_, digest) in self.desired.items() if self._front_digest(rel) != digest)
        return changed + sum(1 for rel in front if rel not in self.desired)

    def unchanged(self) -> bool:
        """True when the new build is exactly the live folder: nothing to swap."""
        if self.front_manifest is None or len(self._as_live) != len(self.desired):
            return False
        return self.desired.keys() == self.front_manifest.keys()

    def commit(self, swapped: Callable[[], None] = lambda: None) -> None:
        """Bring the rest of the twin up to date, remove what the build no longer has, swap it in;
        ``swapped()`` is called once it is in, before what the folders hold is recorded."""
        if self.unchanged():
            if self.desired != self.front_manifest:
                self._remember(self.front, self.desired)  # same bytes, new fingerprints
            self._trust_untouched_twin()
            return
        self._complete_twin()
        # The copy links from the twin's path: it is finished before the swap moves the twin.
        copied, self._copy = self._copy is not None and self._copy.finish(self.desired), None
        old_front_key = tree_key(self.front) if self.front_manifest is not None else None
        try:
            if self.front.exists():
                _exchange(self.back, self.front)
            else:
                os.rename(self.back, self.front)
        except OSError as exc:
            if copied:
                remove(self.spare)
            raise self.failed("", "swap the new build in", exc) from exc
        if copied:  # a first build: its copy becomes the twin, now that the twin is the live folder
            try:
                os.rename(self.spare, self.back)
            except OSError:  # the build is in all the same; the next one makes a twin
                remove(self.spare)
                copied = False
        swapped()
        lines = self._remember(self.front, self.desired, self._unchanged_lines())
        if copied and lines is not None:
            self._remember(self.back, self.desired, _linked_lines(self.desired, self.desired, lines))
        if old_front_key is not None and self.back.exists():
            # The old live folder is now the twin; its files are as recorded, only its key moves.
            os.utime(self.back)
            new_key = tree_key(self.back)
            self.cache.rename_manifest(old_front_key, new_key)  # type: ignore[arg-type]
            if self.remembered is not None and self._front_lines is not None and new_key is not None:
                self.remembered[os.fspath(self.back)] = (new_key, self.front_manifest, self._front_lines)  # type: ignore[assignment]

    def _trust_untouched_twin(self) -> None:
        """Record the twin again as it was when this build started it for its page store and then
        wrote nothing there (every page rendered to the bytes it had): left untrusted, the next
        build would link every file of the site into it again."""
        untouched = not self._changed and not self._fresh
        if self._started and untouched and self.back_manifest is not None and self._back_lines is not None:
            self._remember(self.back, self.back_manifest, self._back_lines)

    def mirror(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """Make the twin a copy of the live folder (hard links), without a swap, so that the next
        build only writes what it changes: the preview server does this while it waits for the
        first edit, which would otherwise link every file of the site into the twin. Gives up,
        leaving the twin untrusted, as soon as ``stop()`` says so; returns whether it finished."""
        if self.front_manifest is None or self.back_manifest == self.front_manifest:
            return True
        for rel, (fingerprint, _) in sorted(self.front_manifest.items()):
            self.put(rel, fingerprint, None)
        if not self._complete_twin(stop):
            self._remember_stopped_mirror()
            return False
        self._remember(self.back, self.desired, self._unchanged_lines())
        return True

    def _remember_stopped_mirror(self) -> None:
        """Record what a mirror stopped part way left in the twin: what it held before, and the
        live files linked since. Left untrusted, the twin would have the next build link every
        file of the site into it again (25 s at 100,000 articles, where the rest took a second or
        two). A twin whose earlier files are not known (an untrusted one the mirror was filling
        over) stays untrusted: a file there that the build no longer has would never be removed."""
        if self.back_manifest is not None:
            held = dict(self.back_manifest)
        elif "" in self._fresh:
            held = {}  # a twin this mirror made holds only what it linked
        else:
            return
        # A mirror only links live files: each path it changed now holds the live file.
        held.update((rel, self.desired[rel]) for rel in sorted(self._changed))
        self._remember(self.back, held, self._unchanged_lines())

    def _complete_twin(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """Link into the twin what the new build has as the live folder has it, and remove from the
        twin what the new build no longer has; False when ``stop()`` ended it before."""
        self._begin()
        batch: list[str] = []
        for number, rel in enumerate(self._as_live):
            if number % _LINK_BATCH == 0:
                self._link_from_live(batch)  # before stop(): the twin then holds what _changed says
                batch = []
                if stop():
                    return False
            if not self._twin_has(rel, self.desired[rel][1], None):
                batch.append(rel)
        self._link_from_live(batch)
        self._remove_extras()
        return True

    def _link_from_live(self, rels: list[str]) -> None:
        """Link the live folder's file at each of ``rels`` into the twin, in place of the twin's."""
        for rel in rels:
            self._changed.add(rel)
            try:
                self._make_way(rel)
            except OSError as exc:
                raise self.failed(rel, "write the output", exc) from exc
        failed = relink_files(os.fspath(self.front), os.fspath(self.back), rels)
        if failed is not None:
            raise self.failed(failed[0], "write the output", failed[1]) from failed[1]
        self.linked += len(rels)

    def failed(self, rel: str, action: str, error: OSError) -> WriteFailed:
        """The WriteFailed of ``error``, naming ``rel`` as readers of the output folder see it."""
        return WriteFailed(_shown(self.front / rel if rel else self.front, self.site_root), action, error)

    def _twin_has(self, rel: str, digest: str, data: bytes | None) -> bool:
        if self.back_manifest is not None:
            return self.back_manifest.get(rel, ("", ""))[1] == digest
        folder = rel.rpartition("/")[0]
        if data is None or self._made_by_this_build(folder) or not self.back.is_dir():
            return False
        target = f"{self.back}/{rel}"
        return (
            self._folder(folder, make=False)
            and not os.path.islink(target)
            and _same_bytes(Path(target), data)
        )

    def _made_by_this_build(self, folder: str) -> bool:
        return (
            "" in self._fresh
            or folder in self._fresh
            or any(f in self._fresh for f in _folders_above(folder))
        )

    def _begin(self) -> None:
        """_start(), a failure of which is a message naming the output folder."""
        try:
            self._start()
        except OSError as exc:
            raise self.failed("", "prepare the new build", exc) from exc

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        self._remember(self.back, None)  # from here on the twin is changing: not to be trusted if we die
        remove(self.spare)  # a copy a killed build left (copy_ahead comes after this)
        if self.back.is_symlink() or (self.back.exists() and not self.back.is_dir()):
            self.back.unlink()
        try:
            self.back.mkdir(parents=True)
        except FileExistsError:
            return
        self._fresh.add("")  # the whole twin is new (a first build, or one after the output was deleted)

    def _front_digest(self, rel: str) -> str | None:
        entry = self.front_manifest.get(rel) if self.front_manifest is not None else None
        return entry[1] if entry else None

    def _place(self, rel: str, data: bytes) -> None:
        """Write ``data`` at ``rel`` in the twin, never through a planted link. (The live folder's
        files are linked in by relink_files.)"""
        target = f"{self.back}/{rel}"
        if self._make_way(rel):
            _write(target, data)  # a folder this build made holds nothing it did not put there
        else:
            _replace(target, data)

    def _make_way(self, rel: str) -> bool:
        """Make ``rel``'s folder in the twin a real folder inside it, and take away an old folder
        at ``rel``; refuse a link there. True when the folder is one this build made."""
        folder = rel.rpartition("/")[0]
        self._folder(folder)
        if self._made_by_this_build(folder):
            return True
        target = f"{self.back}/{rel}"
        if os.path.islink(target):
            raise OutsideOutput(rel)
        if os.path.isdir(target):  # a folder of the old build where this build has a file
            self._changed.add(rel)
            shutil.rmtree(target)
        return False

    def _folder(self, folder: str, *, make: bool = True) -> bool:
        """Whether ``folder`` of the twin is a real folder, checked part by part from the twin's top;
        with ``make``, made one where it is not.

        A part that is a link leading out of the twin is refused; one leading inside it, or a file
        in the way, is replaced by a folder. Parts are looked at one system call each, rather than
        resolving each folder's whole path again: building a new twin makes some 20,000 of them."""
        if folder in self._folders:
            return True
        parent = folder.rpartition("/")[0]
        if not self._folder(parent, make=make):
            return False
        path = f"{self.back}/{folder}"
        if make and self._made_by_this_build(parent):
            # Nothing in a folder this build made predates it, and this one is not in self._folders:
            # it should not be there, and making it is the one system call needed.
            try:
                os.mkdir(path)
            except FileExistsError:
                pass  # put there by someone else all the same: looked at as any other part
            else:
                self._fresh.add(folder)
                self._folders.add(folder)
                return True
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            if not make:
                return False
            os.mkdir(path)
            self._fresh.add(folder)
        else:
            if stat.S_ISLNK(st.st_mode) and not _resolves_inside(Path(path), self.back):
                raise OutsideOutput(folder)
            if not stat.S_ISDIR(st.st_mode):
                if not make:
                    return False
                Path(path).unlink()
                Path(path).mkdir()
                self._fresh.add(folder)
        self._folders.add(folder)
        return True

    def _remove_extras(self) -> None:
        if "" in self._fresh:
            return  # a twin this build made holds only what it put there: nothing to walk for
        if self.back_manifest is not None:
            present = set(self.back_manifest)
        else:
            present = {p.relative_to(self.back).as_posix() for p in _walk_files(self.back)}
        folders: set[Path] = set()
        for rel in sorted(present - set(self.desired)):
            if rel in self._folders:
                continue  # a file of the old build that this build replaced by a folder of new files
            path = self.back / rel
            self._changed.add(rel)
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except (FileNotFoundError, NotADirectoryError):
                pass  # gone already, or a folder above it is now a file of this build
            except OSError as exc:
                raise self.failed(rel, "remove an old file of the output", exc) from exc
            folders.update(p for p in path.parents if p != self.back and self.back in p.parents)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty

    def _unchanged_lines(self) -> StatLines | None:
        """The twin's stat lines from before this build, less every path it changed and every folder
        above one (a file made, replaced or removed changes its folders' modification times)."""
        lines = self._back_lines
        if lines is None:
            return None
        stale = set(self._changed)
        stale.update(f"{folder}/" for rel in self._changed for folder in _folders_above(rel))
        return {k: v for k, v in lines.items() if k not in stale}

    def _remember(
        self, folder: Path, manifest: Manifest | None, known: StatLines | None = None
    ) -> StatLines | None:
        """Record what ``folder`` holds; returns its stat lines, when it is recorded."""
        if manifest is not None and folder.exists():
            # A new modification time gives the folder a new key, so a manifest that another
            # cache (or a --no-cache build) recorded for it earlier is never found again.
            os.utime(folder)
        if self.remembered is not None:
            self.remembered.pop(os.fspath(folder), None)
        key = tree_key(folder)
        if key is None:
            return None
        lines = stat_lines(folder, manifest, known) if manifest is not None else None
        stamp = stamp_of(lines) if lines is not None else None
        # Without a stamp nothing proves later that the folder still holds these files: forget it.
        self.cache.put_manifest(key, manifest if stamp else None, stamp or "")
        if self.remembered is not None and manifest is not None and lines is not None and stamp:
            self.remembered[os.fspath(folder)] = (key, manifest, lines)
        return lines if stamp else None


def _shown(path: Path, site_root: Path) -> str:
    """``path`` from the site folder, as messages show paths, when it is inside the site folder or
    beside it (``../out/index.html``); a path further away reads better whole."""
    relative = Path(os.path.relpath(path, site_root))
    return path.as_posix() if relative.parts[:2] == ("..", "..") else relative.as_posix()


def _check_relative(rel: str) -> None:
    if not rel or "\x00" in rel or "\\" in rel or rel.startswith("/") or ".." in rel.split("/"):
        raise OutsideOutput(rel)


def _replace(target: str, data: bytes) -> None:
    """Write ``data`` in a new file beside ``target`` and rename it over: never change a (maybe
    shared) inode."""
    temp = Path(target).with_name(f".{Path(target).name}.dateline-tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    _write(os.fspath(temp), data)
    os.replace(temp, target)


def _folders_above(rel: str) -> Iterator[str]:
    """The folders holding ``rel``, nearest first: "a/b/c.html" gives "a/b", then "a"."""
    folder = rel.rpartition("/")[0]
    while folder:
        yield folder
        folder = folder.rpartition("/")[0]


def _resolves_inside(link: Path, folder: Path) -> bool:
    try:
        return link.resolve().is_relative_to(folder.resolve())
    except (RuntimeError, OSError):  # a link that loops leads nowhere usable
        return False


def _walk_files(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        for name in files:
            yield Path(root, name)
        for name in dirs:
            if Path(root, name).is_symlink():
                yield Path(root, name)


def _write(path: str, data: bytes) -> None:
    """``Path(path).write_bytes(data)`` without its objects (18,500 files a cold build at 10,000),
    and never through a link planted at ``path``."""
    _fill(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666), data)


def _fill(handle: int, data: bytes) -> None:
    """Write all of ``data`` to the open file ``handle`` (a write may take only part), then close it."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def write_new(twin: str, rel: str, data: bytes) -> str:
    """Make the file ``rel`` of the fresh twin ``twin`` (OutputWriter.fresh_twin), with the folders
    it needs; returns the digest of ``data``. ``rel`` was claimed, so checked, in the main process.
    Only this build writes in a twin it made, and never over a file there: a second write of one
    path fails rather than following a link."""
    path = f"{twin}/{rel}"
    # Its folder first: nearly every page has a folder of its own, which trying the file first
    # found missing, then os.makedirs() asked about its parent, before making it and trying again.
    folder = path.rpartition("/")[0]
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:  # exist_ok: another process may make a folder for a page beside
        os.makedirs(folder, exist_ok=True)
    _fill(os.open(path, _NEW_FILE, 0o666), data)
    return digest_of(data)


def store_new(twin: str, rel: str, data: bytes) -> tuple[str, bool]:
    """A page store (OutputWriter.page_store) for a fresh twin: write_new, and the page is placed."""
    return write_new(twin, rel, data), True


def store_changed(twin: str, live: Manifest, back: Manifest, rel: str, data: bytes) -> tuple[str, bool]:
    """A page store (OutputWriter.page_store) for a rebuild: unless the live folder (manifest
    ``live``) or the twin (``back``) has these bytes at ``rel`` already, a new file replaces the
    twin's, whose folder the main process checked; returns the digest and whether it wrote."""
    digest = digest_of(data)
    if live.get(rel, _NO_ENTRY)[1] == digest or back.get(rel, _NO_ENTRY)[1] == digest:
        return digest, False
    _replace(f"{twin}/{rel}", data)
    return digest, True


_NO_ENTRY = ("", "")
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders in one system call where the system can, else in three renames."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))
    spare = a.with_name(a.name + ".swap")
    os.rename(b, spare)
    os.rename(a, b)
    os.rename(spare, a)


@contextlib.contextmanager
def output_lock(output_dir: Path) -> Iterator[None]:
    """One build at a time per output folder (and so per cache)."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = output_dir.parent / f".{output_dir.name}.lock"
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
