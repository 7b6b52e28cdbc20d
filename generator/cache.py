"""The persistent build cache: one SQLite file in ``.dateline/`` inside the site.

It remembers, for each content file, its stat and digest, the article read
from it (packed by records.py) and the Markdown rendering of its body; and,
for each output folder, the fingerprint and digest of every file in it. Every entry is keyed by the
hash of what produced it, so a stale entry is never found, only a missing one.

The cache is never trusted blindly: a file that is not a SQLite database, is
truncated, fails its integrity check or was written by another schema is
deleted and made anew, and a single record that does not decode is treated
as missing. Deleting ``.dateline/`` changes nothing but speed.

A ``--no-cache`` build uses a throw-away cache in ``.dateline/scratch-*``,
locked while the build runs; one left by a killed build is removed by the
next build of the site.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from generator import __version__
from generator.model import Article, RenderedBody, StoredBody
from generator.records import Damaged, SourceEntry, Values, pack, pack_plain, unpack, unpack_plain

log = logging.getLogger(__name__)

CACHE_DIR = ".dateline"
CACHE_FILE = "cache.sqlite"
SCHEMA = f"dateline-cache-14/{__version__}"  # bump when a record changes shape, or the file's layout
# The page size a new cache file is made with. The states a build rewrites whole (the output's manifests,
# the search and page states: some 12 MB at 10,000 articles) are large values, which SQLite writes as
# chains of overflow pages: with pages of 64 KiB instead of the default 4 KiB, writing 12.5 MB of them
# took 45 ms instead of 225, and storing 10,000 bodies 0.55 s instead of 1.4 s (reading each body back
# by its key took a fifth longer, 30 microseconds instead of 25: far less than the writing saves).
PAGE_SIZE = 65536
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, checksum INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    bucket INTEGER PRIMARY KEY, settings TEXT NOT NULL, checksum INTEGER NOT NULL, entries BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bodies (
    key TEXT PRIMARY KEY, html BLOB, summary TEXT, words INTEGER, toc TEXT, checksum INTEGER, terms BLOB);
CREATE TABLE IF NOT EXISTS trees (tree TEXT PRIMARY KEY, manifest BLOB NOT NULL);
"""
SCRATCH_PREFIX = "scratch-"
_STALE_SECONDS = 60  # a scratch folder younger than this may belong to a build that has not locked it yet

# What decoding a record that holds garbage can raise: such a record is treated as missing.
UNDECODABLE = (zlib.error, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError, AttributeError)
Manifest = dict[str, tuple[str, str]]  # output path -> (fingerprint, digest)


class DamagedBody(Exception):
    """A stored body that fails its checksum when read: the build forgets it and starts again."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


# Content files are stored in this many groups by a hash of their path, so that an edit writes one
# group again, not the whole archive, while loading them all stays a few hundred reads.
SOURCE_BUCKETS = 256


def source_bucket(name: str) -> int:
    return zlib.crc32(name.encode()) % SOURCE_BUCKETS


class BuildCache:
    """A handle on the cache file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = _open(path)
        self._owner = True  # the connection that checked the file, and so may vouch for it when closed

    @classmethod
    def reader(cls, path: Path) -> BuildCache:
        """A second connection to an open cache, for a worker process (never checks or rebuilds)."""
        cache = cls.__new__(cls)
        cache.path = path
        cache.db = sqlite3.connect(path, timeout=60)
        cache._owner = False
        return cache

    def close(self) -> None:
        self.db.close()
        if self._owner:
            _mark_checked(self.path)

    def __enter__(self) -> BuildCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- small values -------------------------------------------------------------------------------

    def get_value(self, key: str) -> Any:
        """Plain data a build left for the next (see records.pack_plain); None when there is none
        or it does not decode."""
        row = self.db.execute("SELECT checksum, data FROM state WHERE key = ?", (key,)).fetchone()
        if row is None or not isinstance(row[1], bytes) or zlib.crc32(row[1]) != row[0]:
            return None
        try:
            return unpack_plain(row[1])
        except Damaged:
            return None

    def put_value(self, key: str, value: object) -> None:
        """Store plain data under ``key``; None removes it."""
        with self.db:
            if value is None:
                self.db.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                data = pack_plain(value)
                self.db.execute(
                    "INSERT OR REPLACE INTO state VALUES (?, ?, ?)", (key, zlib.crc32(data), data)
                )

    # -- content files -------------------------------------------------------------------------------

    def source_entries(self, settings: str, values: Values) -> tuple[dict[str, SourceEntry], set[int]]:
        """What the last build read from each content file under these settings, and the buckets
        found whole. A bucket whose checksum or contents are wrong is left out: its files are read
        again."""
        entries: dict[str, SourceEntry] = {}
        whole: set[int] = set()
        rows = self.db.execute("SELECT bucket, settings, checksum, entries FROM sources")
        for bucket, their_settings, checksum, data in rows:
            if their_settings != settings or not isinstance(data, bytes) or zlib.crc32(data) != checksum:
                continue
            try:
                found = unpack(data, values)
            except Damaged:
                continue
            if all(source_bucket(name) == bucket for name in found):
                entries.update(found)
                whole.add(bucket)
        return entries, whole

    def put_source_entries(
        self, settings: str, entries: dict[str, SourceEntry], whole: set[int], changed: set[str]
    ) -> None:
        """Store ``entries``, all there are now. The buckets of the ``changed`` files (made, edited
        or gone) are written again, as is any not among the ``whole`` ones source_entries() found;
        buckets holding none of the entries are dropped; the others are as stored already."""
        buckets: dict[int, dict[str, SourceEntry]] = {}
        for name, entry in entries.items():
            buckets.setdefault(source_bucket(name), {})[name] = entry
        rewrite = {source_bucket(n) for n in changed} | (buckets.keys() - whole)
        stored = {bucket for (bucket,) in self.db.execute("SELECT bucket FROM sources")}
        with self.db:
            self.db.executemany(
                "DELETE FROM sources WHERE bucket = ?", ((b,) for b in stored - buckets.keys())
            )
            for bucket in sorted(rewrite & buckets.keys()):
                data = pack(buckets[bucket])
                self.db.execute(
                    "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                    (bucket, settings, zlib.crc32(data), data),
                )

    # -- rendered bodies -----------------------------------------------------------------------------

    def body_keys(self) -> set[str]:
        """Keys of the bodies stored. Each is checked when read (see body()), not here: reading
        every body of a large archive on each build would cost more than the build's own work."""
        return {key for (key,) in self.db.execute("SELECT key FROM bodies")}

    def body(self, key: str) -> StoredBody:
        """A stored body; DamagedBody when its checksum or encoding is wrong, KeyError when missing."""
        html, summary, words, toc, _, _ = self._checked_row(key)
        try:
            return StoredBody(
                html=html.decode(),
                summary=summary,
                words=words,
                toc=tuple(tuple(item) for item in json.loads(toc)),  # type: ignore[misc]
            )
        except UNDECODABLE:
            raise DamagedBody(key) from None

    def damaged_bodies(self) -> list[str]:
        """The keys of the stored bodies that fail their checksum: every body is read."""
        rows = self.db.execute("SELECT key, html, summary, words, toc, checksum, terms FROM bodies")
        return [key for key, *fields in rows if not _whole(*fields)]

    def forget_bodies(self, keys: Iterable[str]) -> None:
        with self.db:
            self.db.executemany("DELETE FROM bodies WHERE key = ?", ((k,) for k in keys))

    def put_bodies(self, bodies: Iterable[PackedBody]) -> None:
        """Store bodies packed by pack_body()."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?, ?, ?, ?)", bodies)

    def body_terms(self, key: str) -> str | None:
        """The search terms of a cached body (see search.body_terms), or None."""
        try:
            return self._checked_row(key)[5].decode()  # type: ignore[no-any-return]
        except (DamagedBody, *UNDECODABLE):  # missing (KeyError), damaged or undecodable
            return None

    def _checked_row(self, key: str) -> tuple[Any, ...]:
        """A body's row, columns in table order after the key; KeyError when missing, DamagedBody
        when it fails its checksum (the only check of the row: nothing in it is compressed)."""
        row = self.db.execute(
            "SELECT html, summary, words, toc, checksum, terms FROM bodies WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            raise KeyError(key)
        if not _whole(*row):
            raise DamagedBody(key)
        return row  # type: ignore[no-any-return]

    def prune_bodies(self, keep: set[str]) -> None:
        stale = {key for (key,) in self.db.execute("SELECT key FROM bodies")} - keep
        with self.db:
            self.db.executemany("DELETE FROM bodies WHERE key = ?", ((k,) for k in stale))

    # -- output folders ------------------------------------------------------------------------------

    def manifest(self, tree: str) -> tuple[Manifest, str] | None:
        """path -> (fingerprint, digest) of every file of an output folder, in the order recorded,
        with the stamp of their stats when recorded; None if unknown (or if the record does not
        decode)."""
        row = self.db.execute("SELECT manifest FROM trees WHERE tree = ?", (tree,)).fetchone()
        if row is None:
            return None
        data = row[0]
        if not isinstance(data, bytes) or data[:4] != zlib.crc32(data[4:]).to_bytes(4, "big"):
            return None
        try:
            stamp, files = unpack_plain(data[4:])
            if not isinstance(stamp, str) or not isinstance(files, dict):
                return None
            if not all(type(entry) is tuple and len(entry) == 2 for entry in files.values()):
                return None
        except (*UNDECODABLE, Damaged):
            return None
        return files, stamp

    def manifest_size(self, tree: str) -> int:
        """The size in bytes of what is recorded of an output folder; 0 when nothing is."""
        row = self.db.execute("SELECT length(manifest) FROM trees WHERE tree = ?", (tree,)).fetchone()
        return row[0] if row is not None and isinstance(row[0], int) else 0

    def rename_manifest(self, old: str, new: str) -> None:
        """A folder's key changed (it was touched) but not its files: keep its manifest under the new key."""
        with self.db:
            self.db.execute("UPDATE OR REPLACE trees SET tree = ? WHERE tree = ?", (new, old))

    def put_manifest(self, tree: str, manifest: Manifest | None, stamp: str = "") -> None:
        with self.db:
            if manifest is None:
                self.db.execute("DELETE FROM trees WHERE tree = ?", (tree,))
                return
            # Not compressed: at 10,000 articles compressing and decompressing the two manifests of
            # a build took 40 ms, a tenth of what the rest of a rebuild after one edit costs.
            data = pack_plain((stamp, manifest))  # its order is the stamp's
            data = zlib.crc32(data).to_bytes(4, "big") + data
            self.db.execute("INSERT OR REPLACE INTO trees VALUES (?, ?)", (tree, data))


class BodyReader:
    """Rendered bodies by article, read from the cache through one connection per process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._readers: dict[int, BuildCache] = {}

    def __call__(self, article: Article) -> StoredBody:
        return self.by_key(article.body_digest)

    def by_key(self, key: str) -> StoredBody:
        return self._reader().body(key)

    def terms(self, key: str) -> str | None:
        return self._reader().body_terms(key)

    def _reader(self) -> BuildCache:
        pid = os.getpid()  # SQLite connections must not cross a fork
        if pid not in self._readers:
            self._readers[pid] = BuildCache.reader(self.path)
        return self._readers[pid]

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()


def open_cache(site_root: Path, scratch: Path | None = None) -> BuildCache:
    """The site's cache; with ``scratch``, a throw-away cache in that folder."""
    if scratch is not None:
        return BuildCache(scratch / CACHE_FILE)
    return BuildCache(_cache_folder(site_root) / CACHE_FILE)


@contextlib.contextmanager
def throwaway_cache(site_root: Path) -> Iterator[BuildCache]:
    """A cache for one ``--no-cache`` build, removed afterwards.

    It lives in ``.dateline/`` rather than the system's temporary folder so that one left by a
    killed build is found and removed by the next build of the site (see _remove_stale_scratch).
    """
    try:
        parent = _cache_folder(site_root)
    except OSError:  # a site folder we may not write to: the build can still run from elsewhere
        parent = Path(tempfile.gettempdir())
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=parent))
    try:
        handle = os.open(scratch, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)  # tells other builds this folder is in use
            with BuildCache(scratch / CACHE_FILE) as cache:
                yield cache
        finally:
            os.close(handle)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _cache_folder(site_root: Path) -> Path:
    """``.dateline/``, made if need be, with what killed ``--no-cache`` builds left in it removed."""
    folder = site_root / CACHE_DIR
    if not folder.is_dir() and (folder.is_symlink() or folder.exists()):
        # The name is Dateline's own: a file or a broken link there is in the way, not the user's work.
        log.warning("%s is not a folder; replacing it with a new build cache", folder)
        folder.unlink()
    folder.mkdir(exist_ok=True)
    _remove_stale_scratch(folder)
    return folder


def _remove_stale_scratch(folder: Path) -> None:
    """Remove scratch caches that no running build holds (their build was killed)."""
    for scratch in folder.glob(f"{SCRATCH_PREFIX}*"):
        try:
            if time.time() - scratch.lstat().st_mtime < _STALE_SECONDS or scratch.is_symlink():
                continue
            handle = os.open(scratch, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # locked: a build is using it
        else:
            shutil.rmtree(scratch, ignore_errors=True)
        finally:
            os.close(handle)


def _open(path: Path) -> sqlite3.Connection:
    try:
        unchanged = _unchanged_since_closed(path)  # before connecting, which makes a write-ahead log
        db = _connect(str(path))
        if _schema(db) == SCHEMA and (unchanged or _integrity_ok(db)):
            return db
        db.close()
        log.info("build cache %s is from another version; starting a new one", path)
    except sqlite3.DatabaseError as exc:
        log.warning("build cache %s is damaged (%s); starting a new one", path, exc)
    for leftover in _files_of(path):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)  # a folder where the cache belongs: the name is Dateline's own
        else:
            leftover.unlink(missing_ok=True)
    return _connect(str(path))


def _integrity_ok(db: sqlite3.Connection) -> bool:
    return db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


# The integrity check reads the whole file: a second or two for the 900 MB of a 100,000-article
# archive. A file exactly as Dateline closed it (same inode, size and modification time, and no
# write-ahead log left by a process that died) was checked when it was opened then, so it is not
# read through again; any other change to it, a truncation or garbage written over it, is checked.
_CHECKED_SUFFIX = ".checked"


def _file_state(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    if path.with_name(path.name + "-wal").exists():
        return None
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _unchanged_since_closed(path: Path) -> bool:
    state = _file_state(path)
    try:
        marker = path.with_name(path.name + _CHECKED_SUFFIX).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return False
    return state is not None and marker == state


def _mark_checked(path: Path) -> None:
    """Remember the state the file was closed in; any failure only costs the next build a check."""
    marker = path.with_name(path.name + _CHECKED_SUFFIX)
    state = _file_state(path)
    with contextlib.suppress(OSError):
        if state is None:
            marker.unlink(missing_ok=True)
            return
        temp = marker.with_name(marker.name + ".tmp")
        temp.write_text(state, encoding="ascii")
        os.replace(temp, marker)


def _connect(where: str) -> sqlite3.Connection:
    db = sqlite3.connect(where, timeout=60)
    # Before the write-ahead log, which fixes the page size: a file made earlier keeps its own.
    db.execute(f"PRAGMA page_size={PAGE_SIZE}")
    db.execute("PRAGMA journal_mode=WAL")  # readers in worker processes never block the writer
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_TABLES)
    if _schema(db) is None:
        with db:
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
    return db


# A body as the bodies table holds it: key, html, summary, words, toc, checksum, terms.
PackedBody = tuple[str, bytes, str, int, str, int, bytes]


def pack_body(key: str, body: RenderedBody) -> PackedBody:
    """``body`` as put_bodies() stores it. Made where the body was rendered (a worker process of a
    cold build), so that the build's main process, which every worker waits on, only inserts it.

    Not compressed: zlib took 85 microseconds a body of the benchmark corpus (5 KB of HTML, 1.4 KB
    of terms) and reading it back 30 more, a tenth of a second of a first build's CPU for every
    thousand articles; the cache is 3.6 KB an article larger for it (36 MB at 10,000 articles)."""
    html, words = body.html.encode(), body.words
    toc, terms = json.dumps(body.toc), body.terms.encode()
    return key, html, body.summary, words, toc, _checksum(html, body.summary, words, toc, terms), terms


def _whole(html: bytes, summary: str, words: int, toc: str, checksum: int, terms: bytes) -> bool:
    """Whether a body's row is as stored (the columns in table order)."""
    try:
        return type(words) is int and _checksum(html, summary, words, toc, terms) == checksum
    except (TypeError, AttributeError, OverflowError):  # a field of the wrong type
        return False


def _checksum(html: bytes, summary: str, words: int, toc: str, terms: bytes) -> int:
    check = zlib.crc32(summary.encode(), zlib.crc32(html))
    check = zlib.crc32(toc.encode(), zlib.crc32(words.to_bytes(8, "big"), check))
    return zlib.crc32(terms, check)


def _schema(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return row[0] if row else None


def _files_of(path: Path) -> Iterator[Path]:
    yield path
    yield path.with_name(path.name + "-wal")
    yield path.with_name(path.name + "-shm")
    yield path.with_name(path.name + _CHECKED_SUFFIX)
