"""Watch a site's sources and hand over what changed in debounced batches.

Watched: ``site.toml``, ``content/``, ``templates/`` and ``static/`` (and the
default theme when it lives outside the site). Not watched: output folders,
the build cache and anything hidden, so a build never triggers itself, and
editors' swap and backup files. Saving in an editor (a temporary file renamed
over the old one) or a ``git checkout`` of many files makes a burst of
events; a batch is handed over only once no event came for ``delay`` seconds
(or after ``max_delay`` of steady events), as in MkDocs' livereload.

inotify has a per-user limit of watches (one a folder). When it is reached,
watching falls back to polling with a message saying so; ``poll=True`` asks
for polling from the start (network file systems, containers).
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from generator.config import CONFIG_NAME

log = logging.getLogger(__name__)

WATCHED_FOLDERS = ("content", "templates", "static")
THEME = "(theme)"  # how changes to the default theme are named in batches
POLL_SECONDS = 0.5
# Only changes count: the build itself opens and reads every source, and must not wake the watcher.
_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
_EDITOR_SUFFIXES = (".swp", ".swx", ".swo", ".swpx", "~", ".tmp", ".kate-swp", ".crswap")
_LIMITS = (errno.ENOSPC, errno.EMFILE)  # inotify: watches, instances


def ignored_name(name: str) -> bool:
    """Hidden files and editors' temporary files (vim's swap and "4913" probe, emacs' #autosave#)."""
    return (
        name.startswith(".")
        or name.endswith(_EDITOR_SUFFIXES)
        or name == "4913"
        or (name.startswith("#") and name.endswith("#"))
    )


@dataclass(frozen=True)
class Changes:
    """One debounced batch: paths relative to the site folder ("content/a.md", "site.toml")."""

    paths: frozenset[str]

    def describe(self) -> str:
        if CONFIG_NAME in self.paths:
            return f"{CONFIG_NAME} changed: rebuilding everything"
        shown = sorted(self.paths)
        if len(shown) == 1:
            return f"{shown[0]} changed"
        return f"{len(shown)} files changed ({', '.join(shown[:3])}{', ...' if len(shown) > 3 else ''})"


class ChangeQueue:
    """Collects changed paths; :meth:`next_batch` returns them once the burst is over."""

    def __init__(self, delay: float, max_delay: float) -> None:
        self.delay = delay
        self.max_delay = max_delay
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._first = self._last = 0.0
        self._closed = False

    def add(self, path: str) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending.add(path)
            self._last = now
            self._cond.notify_all()

    def next_batch(self) -> Changes | None:
        """Block until changes came and then stopped; None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending or self._closed)
            while not self._closed:
                wait = min(self._last + self.delay, self._first + self.max_delay) - time.monotonic()
                if wait <= 0:
                    break
                self._cond.wait(wait)
            if self._closed:
                return None
            batch = Changes(frozenset(self._pending))
            self._pending.clear()
            return batch

    def quiet_for(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a change; True when none came and the queue is open."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending or self._closed, seconds)
            return not self._pending and not self._closed

    def waiting(self) -> bool:
        """Whether a change is waiting for a rebuild, or the queue is closed: work that can wait
        (see serve.PreviewServer._ready_twin) should stop."""
        with self._cond:
            return bool(self._pending) or self._closed

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class SiteWatcher:
    """watchdog observers on a site's sources, feeding a :class:`ChangeQueue`."""

    def __init__(
        self,
        root: Path,
        *,
        poll: bool = False,
        delay: float = 0.1,
        max_delay: float = 2.0,
        theme: Path | None = None,
    ) -> None:
        self.root = root.resolve()
        self.theme = theme.resolve() if theme is not None and theme.is_dir() else None
        if self.theme is not None and self.theme.is_relative_to(self.root / "templates"):
            self.theme = None  # the site's own templates: watched already
        self.queue = ChangeQueue(delay, max_delay)
        self.polling = poll
        self._observer: BaseObserver | None = None
        self._folders: dict[Path, tuple[ObservedWatch, int]] = {}  # watched folder -> watch, inode
        self._handler = _Handler(self)
        self._lock = threading.Lock()

    def start(self) -> str | None:
        """Start watching; returns a message for the user when inotify's limit forced polling."""
        try:
            self._start_observer()
        except OSError as exc:
            if self.polling or exc.errno not in _LIMITS:
                raise
            return self._fall_back(exc)
        return None

    def next_batch(self) -> Changes | None:
        changes = self.queue.next_batch()
        if changes is not None and changes.paths & set(WATCHED_FOLDERS):
            try:
                self._watch_folders()  # a watched folder was made, removed or replaced
            except OSError as exc:
                if not self.polling and exc.errno in _LIMITS:
                    log.warning("%s", self._fall_back(exc))
                else:  # the rebuild goes ahead; only this folder's later changes may be missed
                    log.warning("cannot watch %s: %s", exc.filename or "a folder", exc.strerror or exc)
        return changes

    def stop(self) -> None:
        self.queue.close()
        self._stop_observer()

    def _start_observer(self) -> None:
        with self._lock:
            self._observer = PollingObserver(timeout=POLL_SECONDS) if self.polling else Observer()
            self._folders.clear()
            self._observer.schedule(self._handler, str(self.root), recursive=False, event_filter=_EVENTS)
            if self.theme is not None:
                self._observer.schedule(self._handler, str(self.theme), recursive=True, event_filter=_EVENTS)
            self._observer.start()
        self._watch_folders()

    def _fall_back(self, exc: OSError) -> str:
        self._stop_observer()
        self.polling = True
        self._start_observer()
        return (
            f"cannot watch the site with inotify ({exc.strerror}): watching by polling instead, "
            f"which notices changes within {POLL_SECONDS:g} s. Raise the limit "
            "(sysctl fs.inotify.max_user_watches) to watch with inotify; --poll chooses polling."
        )

    def _stop_observer(self) -> None:
        with self._lock:
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            if observer.is_alive():
                observer.join(timeout=5)

    def _watch_folders(self) -> None:
        """Watch each of content/, templates/, static/ that exists, anew if it was replaced."""
        with self._lock:
            observer = self._observer
            if observer is None:
                return
            for name in WATCHED_FOLDERS:
                folder = self.root / name
                try:
                    inode = folder.stat().st_ino if folder.is_dir() and not folder.is_symlink() else 0
                except OSError:
                    inode = 0
                known = self._folders.get(folder)
                if known is not None and known[1] == inode:
                    continue
                if known is not None:
                    observer.unschedule(known[0])
                    del self._folders[folder]
                if inode:
                    watch = observer.schedule(
                        self._handler, str(folder), recursive=True, event_filter=_EVENTS
                    )
                    self._folders[folder] = (watch, inode)

    def relevant(self, path: str) -> str | None:
        """``path`` relative to the site (or the theme), or None when its change does not matter."""
        where = Path(path)
        if self.theme is not None and where.is_relative_to(self.theme):
            parts = where.relative_to(self.theme).parts
            return f"{THEME}/{'/'.join(parts)}" if parts and not any(map(ignored_name, parts)) else None
        if not where.is_relative_to(self.root):
            return None
        parts = where.relative_to(self.root).parts
        if not parts or any(map(ignored_name, parts)):
            return None
        if len(parts) == 1 and parts[0] not in (CONFIG_NAME, *WATCHED_FOLDERS):
            return None  # the output folder, the lock file, notes: nothing the build reads
        if parts[0] not in (CONFIG_NAME, *WATCHED_FOLDERS):
            return None
        return "/".join(parts)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: SiteWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type == "modified":
            return  # a folder's listing changed: the file's own event says which
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = raw.decode() if isinstance(raw, bytes) else raw
            if path and (rel := self.watcher.relevant(path)) is not None:
                self.watcher.queue.add(rel)
