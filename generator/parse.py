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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator import __version__
from generator.cache import BodyReader, BuildCache, PackedBody, pack_body, source_bucket
from generator.config import SiteConfig
from generator.errors import Diagnostic
from generator.frontmatter import FrontMatter, parse_front_matter
from generator.index import relation_key
from generator.markdown import MARKDOWN_SETTINGS_VERSION, MarkdownTooDeep, render_markdown
from generator.memory import BuildMemory
from generator.model import Article, Source
from generator.records import SourceEntry, Values
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


def read_articles(
    config: SiteConfig,
    paths: list[str],
    cache: BuildCache,
    jobs: int,
    progress: Callable[[Iterator[Any], int], Iterator[Any]] | None = None,
    memory: BuildMemory | None = None,
    stats: Mapping[str, os.stat_result] | None = None,
) -> Parsed:
    """The articles of the files at ``paths``; with ``memory``, what the last build of this process read of
    them is taken from it rather than from the cache. ``stats`` holds the stat of files taken
    already, by path."""
    settings = settings_digest(config)
    values = Values(config)
    warm = memory.entries.pop((str(cache.path), settings), None) if memory is not None else None
    if warm is not None:
        known, whole = warm, {source_bucket(n) for n in warm}  # the last build stored all of them
    else:
        known, whole = cache.source_entries(settings, values)
    bodies = cache.body_keys()
    names = [rel(config.root, p) for p in paths]
    stats = stats or {}

    entries: dict[str, SourceEntry] = {}
    misses: list[Path] = []
    missed: set[str] = set()  # their names
    for name, path in zip(names, paths, strict=True):
        entry = _cached(path, known.get(name), bodies, stats.get(path))
        if entry is None:
            misses.append(Path(path))
            missed.add(name)
        else:
            entries[name] = entry

    shared = {
        "config": config,
        "settings": settings,
        "bodies": bodies,
        "bodies_reader": BodyReader(cache.path),
    }
    batch: list[PackedBody] = []
    rendered = 0
    unreadable: set[str] = set()
    now_ns = time.time_ns()
    parsed = parallel_map(_parse_one, misses, jobs=jobs, count=len(misses), shared=shared)
    results = progress(parsed, len(misses)) if progress is not None else parsed
    with contextlib.closing(parsed):  # see parallel_map
        for name, entry, body in results:
            if entry.article is not None:
                entry = replace(entry, article=values.shared(entry.article))
            if entry.mtime_ns > now_ns - _RACY_NS:
                entry = replace(entry, mtime_ns=-1)  # read it again next time: it may change unseen
            entries[name] = entry
            if entry.size < 0:
                unreadable.add(name)
            if body is not None and entry.article is not None:
                batch.append(body)
                rendered += 1
            if len(batch) >= 256:  # bodies go to disk as they come, to keep memory bounded
                cache.put_bodies(batch)
                batch.clear()
    cache.put_bodies(batch)

    ordered = [entries[name] for name in names]
    articles = [e.article for e in ordered if e.article is not None]
    problems = [d for e in ordered for d in e.diagnostics]
    kept = {n: e for n, e in zip(names, ordered, strict=True) if n not in unreadable}
    changed = missed | (known.keys() - kept.keys())
    cache.put_source_entries(settings, kept, whole, changed)
    if memory is not None:
        memory.entries.clear()  # only the settings of this build: keep memory to what is current
        memory.entries[(str(cache.path), settings)] = kept
    return Parsed(tuple(articles), tuple(problems), read=len(misses), rendered=rendered)


def _cached(
    path: str, entry: SourceEntry | None, bodies: set[str], st: os.stat_result | None
) -> SourceEntry | None:
    """The stored entry of a file whose stat (``st``, or asked now) is unchanged, if its body is
    still in the cache."""
    if entry is None:
        return None
    try:
        st = st or os.stat(path)
    except OSError:
        return None  # reading it will say what is wrong
    if (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns):
        return None
    return entry if entry.article is None or entry.article.body_digest in bodies else None


def _parse_one(path: Path) -> tuple[str, SourceEntry, PackedBody | None]:
    """Read, validate and render one file (in a worker process). An entry of size -1 is for a file
    that could not be read: nothing of it is remembered."""
    config: SiteConfig = state("config")
    name = rel(config.root, path)
    try:
        st = path.stat()
        size, mtime_ns = st.st_size, st.st_mtime_ns
    except OSError:
        size, mtime_ns = -1, -1
    source = read_source(config.root, path)
    if isinstance(source, Diagnostic):
        return name, SourceEntry(-1, -1, "", None, (source,)), None
    matter, problems = parse_front_matter(source, config)
    diagnostics = list(problems)

    def entry(article: Article | None) -> SourceEntry:
        return SourceEntry(size, mtime_ns, source.digest, article, tuple(diagnostics))

    if matter is None:
        return name, entry(None), None
    key = body_key(matter.body)
    rendered = None
    if key in state("bodies"):
        kept = state("bodies_reader").by_key(key)
        summary, words = kept.summary, kept.words
    else:
        limit = render_seconds(matter.body)
        try:
            with time_limit(limit):
                rendered = render_markdown(matter.body)
            rendered = replace(rendered, terms=body_terms(rendered.text))
        except (RenderTimeout, MarkdownTooDeep) as exc:
            message = (
                f"rendering the Markdown took longer than {limit} seconds: the body probably holds "
                "a construct the renderer handles badly (thousands of nested brackets, lists or emphasis marks)"
                if isinstance(exc, RenderTimeout)
                else "the Markdown is nested too deeply to render (hundreds of list or quote markers in a "
                "row): flatten it"
            )
            diagnostics.append(Diagnostic(name, matter.body_line, message))
            return name, entry(None), None
        summary, words = rendered.summary, rendered.words
    article = _article(source, matter, summary, words, key)
    article = replace(
        article,
        digest=_hash(repr((state("settings"), source.path, source.digest))),
        card_digest=_hash(repr(article.card_fields())),
        relation_digest=relation_key(article),
    )
    return name, entry(article), None if rendered is None else pack_body(key, rendered)


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _article(source: Source, fm: FrontMatter, body_summary: str, words: int, key: str) -> Article:
    return Article(
        source_path=source.path,
        slug=fm.slug,
        title=fm.title,
        published=fm.published,
        has_time=fm.has_time,
        updated=fm.updated,
        summary=fm.summary or body_summary,
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
        word_count=words,
    )
