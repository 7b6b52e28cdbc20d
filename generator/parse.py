"""Sources to articles: read, validate front matter and render bodies, through the cache.

A file whose size and modification time are unchanged is not even read; a
file whose bytes are unchanged is not parsed again; a body whose text is
unchanged is not rendered again. Misses are worked on in parallel.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import __version__
from generator.cache import BodyReader, BuildCache, Stat
from generator.config import SiteConfig
from generator.errors import Diagnostic
from generator.frontmatter import FrontMatter, parse_front_matter
from generator.markdown import MARKDOWN_SETTINGS_VERSION, render_markdown
from generator.model import Article, RenderedBody, Source
from generator.records import article_from_record, article_record, diagnostic_from_record, diagnostic_record
from generator.sources import read_source, rel
from generator.workers import parallel_map, state

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
    return hashlib.sha256(f"{MARKDOWN_SETTINGS_VERSION}\0{body}".encode()).hexdigest()


def read_articles(config: SiteConfig, paths: list[Path], cache: BuildCache, jobs: int) -> Parsed:
    settings = settings_digest(config)
    known = cache.file_digests()
    records = cache.article_records(settings)
    bodies = cache.body_keys()
    now_ns = time.time_ns()

    stats: dict[str, Stat] = {}
    digests: dict[str, str] = {}
    misses: list[Path] = []
    for path in paths:
        name = rel(config.root, path)
        try:
            st = path.stat()
        except OSError:
            misses.append(path)  # reading it will say what is wrong
            continue
        stat = Stat(st.st_size, st.st_mtime_ns)
        cached = known.get(name)
        record = records.get((name, cached[1])) if cached and cached[0] == stat else None
        if record is not None and (record["article"] is None or record["article"]["body_digest"] in bodies):
            stats[name], digests[name] = stat, cached[1]  # type: ignore[index]
        else:
            misses.append(path)

    results = parallel_map(
        _parse_one,
        misses,
        jobs=jobs,
        count=len(misses),
        shared={"config": config, "bodies": bodies, "bodies_reader": BodyReader(cache.path)},
    )
    new_bodies: list[tuple[str, RenderedBody]] = []
    rendered = 0
    for name, stat, digest, record, body in results:
        if stat is not None:
            stats[name], digests[name] = stat, digest
            records[(name, digest)] = record
        else:
            records[(name, "")] = record  # unreadable: reported, never cached
        if body is not None:
            new_bodies.append((record["article"]["body_digest"], body))
            rendered += 1
        if len(new_bodies) >= 256:  # bodies go to disk as they come, to keep memory bounded
            cache.put_bodies(new_bodies)
            new_bodies.clear()
    cache.put_bodies(new_bodies)

    articles: list[Article] = []
    problems: list[Diagnostic] = []
    current = [(name, digests.get(name, "")) for name in (rel(config.root, p) for p in paths)]
    for key in current:
        record = records[key]
        problems += [diagnostic_from_record(d) for d in record["diagnostics"]]
        if record["article"] is not None:
            articles.append(article_from_record(record["article"], config))
    settled = [name for name, _ in current if name in stats and stats[name].mtime_ns < now_ns - _RACY_NS]
    cache.put_file_digests((name, stats[name], digests[name]) for name in settled)
    cache.put_article_records(settings, ((n, d, records[(n, d)]) for n, d in current if n in stats))
    cache.prune_bodies({a.body_digest for a in articles})
    return Parsed(tuple(articles), tuple(problems), read=len(misses), rendered=rendered)


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
        body = state("bodies_reader").by_key(key) if stored else render_markdown(matter.body)
        record["article"] = article_record(_article(source, matter, body, key))
        if stored:
            body = None
    return name, stat, source.digest, record, body


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
