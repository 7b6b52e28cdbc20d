"""Sources to articles: read, validate front matter and render bodies, through the cache.

A file whose size and modification time are unchanged is not even read; a
file whose bytes are unchanged is not parsed again; a body whose text is
unchanged is not rendered again. Misses are worked on in parallel.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator import __version__
from generator.cache import BodyReader, BuildCache, Stat
from generator.config import SiteConfig
from generator.errors import Diagnostic
from generator.frontmatter import FrontMatter, parse_front_matter
from generator.index import relation_key
from generator.markdown import MARKDOWN_SETTINGS_VERSION, MarkdownTooDeep, render_markdown
from generator.model import Article, RenderedBody, Source
from generator.records import (
    Values,
    article_from_record,
    article_record,
    diagnostic_from_record,
    diagnostic_record,
)
from generator.search import TERMS_VERSION, body_terms
from generator.sources import read_source, rel
from generator.workers import parallel_map, state

# Python-Markdown is slow on some pathological input (a few thousand "[" take seconds, and the time
# grows with the square of their number); one such file must not hang a whole build. Ordinary
# Markdown renders at about 400 KB a second, so the limit grows with the body (a second per 100 KB)
# to leave a large article ample room, while a small pathological one is stopped within seconds.
RENDER_SECONDS = 10


def render_seconds(body: str) -> float:
    """The time limit on rendering ``body``."""
    return RENDER_SECONDS + len(body) // 100_000


class RenderTimeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout after ``seconds``; only where signals can be used (a process's main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise RenderTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# Within one long-running process (the preview server) what the last build read stays in memory:
# an entry follows from the file's bytes and the settings alone, so it never goes stale.
_WARM: dict[tuple[str, str], dict[str, _Entry]] = {}

# A file modified this close to the moment its stat was taken may change again within the same
# clock tick without its mtime moving, so such a stat is not remembered (git's "racy" entries).
_RACY_NS = 100_000_000


@dataclass(frozen=True)
class Parsed:
    articles: tuple[Article, ...]  # drafts included; the orchestrator decides
    problems: tuple[Diagnostic, ...]
    read: int  # files read and parsed in this build
    rendered: int  # bodies rendered in this build


def settings_digest(config: SiteConfig) -> str:
    """Everything besides a file's bytes that decides the article read from it."""
    topics = [(t.slug, t.label, t.description) for t in config.topics]
    data = repr((__version__, MARKDOWN_SETTINGS_VERSION, config.language, topics))
    return hashlib.sha256(data.encode()).hexdigest()


def body_key(body: str) -> str:
    """Bodies are keyed by their text and the rendering settings."""
    return hashlib.sha256(f"{MARKDOWN_SETTINGS_VERSION}\0{TERMS_VERSION}\0{body}".encode()).hexdigest()


@dataclass(frozen=True)
class _Entry:
    stat: Stat | None  # None: the file could not be read, so nothing of it is remembered
    digest: str
    record: dict[str, Any]  # {"article": article record or None, "diagnostics": [...]}, as cached
    article: Article | None


def read_articles(
    config: SiteConfig,
    paths: list[Path],
    cache: BuildCache,
    jobs: int,
    progress: Callable[[Iterator[Any], int], Iterator[Any]] | None = None,
) -> Parsed:
    settings = settings_digest(config)
    warm = _WARM.get((str(cache.path), settings))
    if warm is None:
        known = cache.file_digests()
        records = cache.article_records(settings)
    else:  # the previous build in this process read these: no need to load them again
        known = {n: (e.stat, e.digest) for n, e in warm.items() if e.stat is not None}
        records = {(n, e.digest): e.record for n, e in warm.items()}
    bodies = cache.body_keys()
    now_ns = time.time_ns()
    names = [rel(config.root, p) for p in paths]

    entries: dict[str, _Entry] = {}
    misses: list[Path] = []
    missed: list[str] = []
    values = Values(config)
    for name, path in zip(names, paths, strict=True):
        entry = _cached(name, path, known.get(name), records, bodies, values, warm)
        if entry is None:
            misses.append(path)
            missed.append(name)
        else:
            entries[name] = entry

    shared = {
        "config": config,
        "settings": settings,
        "bodies": bodies,
        "bodies_reader": BodyReader(cache.path),
    }
    batch: list[tuple[str, RenderedBody]] = []
    rendered = 0
    results = parallel_map(_parse_one, misses, jobs=jobs, count=len(misses), shared=shared)
    if progress is not None:
        results = progress(results, len(misses))
    for name, stat, digest, record, body in results:
        article = article_from_record(record["article"], values) if record["article"] else None
        entries[name] = _Entry(stat, digest, record, article)
        if body is not None and article is not None:
            batch.append((article.body_digest, body))
            rendered += 1
        if len(batch) >= 256:  # bodies go to disk as they come, to keep memory bounded
            cache.put_bodies(batch)
            batch.clear()
    cache.put_bodies(batch)

    ordered = [entries[name] for name in names]
    articles = [e.article for e in ordered if e.article is not None]
    problems = [diagnostic_from_record(d) for e in ordered for d in e.record["diagnostics"]]
    fresh = [(n, e) for n in missed if (e := entries[n]).stat is not None]
    settled = [(n, e.stat, e.digest) for n, e in fresh if e.stat.mtime_ns < now_ns - _RACY_NS]  # type: ignore[union-attr]
    racy = {n for n, _ in fresh} - {n for n, _, _ in settled}
    cache.put_file_digests(settled, gone=(set(known) - set(names)) | racy)
    cache.put_article_records(
        settings,
        ((n, e.digest, e.record) for n, e in fresh),
        keep=((n, e.digest) for n, e in zip(names, ordered, strict=True) if e.stat is not None),
    )
    _WARM.clear()  # one site per process at a time: keep memory to the current one
    _WARM[(str(cache.path), settings)] = {
        n: e
        for n, e in zip(names, ordered, strict=True)
        if e.stat is not None and e.stat.mtime_ns < now_ns - _RACY_NS
    }
    return Parsed(tuple(articles), tuple(problems), read=len(misses), rendered=rendered)


def _cached(
    name: str,
    path: Path,
    known: tuple[Stat, str] | None,
    records: dict[tuple[str, str], dict[str, Any]],
    bodies: set[str],
    values: Values,
    warm: dict[str, _Entry] | None = None,
) -> _Entry | None:
    """The cached entry of a file whose stat is unchanged, if all of it is still in the cache."""
    if known is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None  # reading it will say what is wrong
    stat, digest = known
    if (st.st_size, st.st_mtime_ns) != (stat.size, stat.mtime_ns):
        return None
    entry = warm.get(name) if warm is not None else None
    if entry is not None and entry.digest == digest:
        return entry if entry.article is None or entry.article.body_digest in bodies else None
    record = records.get((name, digest))
    if record is None:
        return None
    if record["article"] is None:
        return _Entry(stat, digest, record, None)
    try:
        article = article_from_record(record["article"], values)
    except (KeyError, ValueError, TypeError):
        return None  # a record of another shape: parse the file again
    return _Entry(stat, digest, record, article) if article.body_digest in bodies else None


def _parse_one(path: Path) -> tuple[str, Stat | None, str, dict[str, Any], RenderedBody | None]:
    """Read, validate and render one file (in a worker process)."""
    config: SiteConfig = state("config")
    name = rel(config.root, path)
    try:
        st = path.stat()
        stat: Stat | None = Stat(st.st_size, st.st_mtime_ns)
    except OSError:
        stat = None
    source = read_source(config.root, path)
    if isinstance(source, Diagnostic):
        return name, None, "", {"article": None, "diagnostics": [diagnostic_record(source)]}, None
    matter, problems = parse_front_matter(source, config)
    record: dict[str, Any] = {"article": None, "diagnostics": [diagnostic_record(p) for p in problems]}
    body = None
    if matter is not None:
        key = body_key(matter.body)
        stored = key in state("bodies")
        if stored:
            body = state("bodies_reader").by_key(key)
        else:
            limit = render_seconds(matter.body)
            try:
                with time_limit(limit):
                    body = render_markdown(matter.body)
                body = replace(body, terms=body_terms(body.text))
            except (RenderTimeout, MarkdownTooDeep) as exc:
                message = (
                    f"rendering the Markdown took longer than {limit} seconds: the body probably holds "
                    "a construct the renderer handles badly (thousands of nested brackets, lists or emphasis marks)"
                    if isinstance(exc, RenderTimeout)
                    else "the Markdown is nested too deeply to render (hundreds of list or quote markers in a "
                    "row): flatten it"
                )
                record["diagnostics"].append(diagnostic_record(Diagnostic(name, matter.body_line, message)))
                return name, None, source.digest, record, None
        article = _article(source, matter, body, key)
        article = replace(
            article,
            digest=_hash(repr((state("settings"), source.path, source.digest))),
            card_digest=_hash(repr(article.card_fields())),
            relation_digest=relation_key(article),
        )
        record["article"] = article_record(article)
        if stored:
            body = None
    return name, stat, source.digest, record, body


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _article(source: Source, fm: FrontMatter, body: RenderedBody, key: str) -> Article:
    return Article(
        source_path=source.path,
        slug=fm.slug,
        title=fm.title,
        published=fm.published,
        has_time=fm.has_time,
        updated=fm.updated,
        summary=fm.summary or body.summary,
        source=fm.source,
        source_url=fm.source_url,
        authors=fm.authors,
        credits=fm.credits,
        countries=fm.countries,
        topics=fm.topics,
        tags=fm.tags,
        language=fm.language,
        draft=fm.draft,
        body_digest=key,
        word_count=len(body.text.split()),
    )
