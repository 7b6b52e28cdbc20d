"""The only orchestrator: the order of stages is the order of statements in :func:`build`.

config -> sources -> front matter and bodies -> index -> routes -> render -> write.
Everything is read and checked before anything is written, and the output
folder is replaced in one step at the end.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from generator import __version__, search_store, urls
from generator.cache import (
    CACHE_DIR,
    UNDECODABLE,
    BodyReader,
    BuildCache,
    DamagedBody,
    open_cache,
    throwaway_cache,
)
from generator.config import LinkMode, SiteConfig, load_config
from generator.context import Context
from generator.errors import BuildFailed, Diagnostic, raise_if_errors
from generator.index import SiteIndex, build_index, patched_index, relation_signature
from generator.index_store import earlier_relations, index_key, known_relations, restored, skeleton
from generator.markdown import MARKDOWN_SETTINGS_VERSION, pygments_css
from generator.memory import BuildMemory, RememberedIndex, RememberedRoutes
from generator.model import Article
from generator.output import (
    OutputWriter,
    OutsideOutput,
    WriteFailed,
    digest_of,
    output_lock,
    tree_key,
)
from generator.output_check import FolderCheck
from generator.parse import read_articles
from generator.records import collections_paused, diagnostic_from_record, diagnostic_record
from generator.render import PageState, Written, fingerprints, page_state, render_routes
from generator.routes import Route, build_routes, patched_routes
from generator.search import INDEX_FILE as SEARCH_INDEX
from generator.search_docs import ArticleDocs
from generator.search_index import Files as SearchFiles
from generator.search_index import SearchState, Sources, build_search
from generator.sitemap import robots_txt, sitemap_files
from generator.sources import find_sources, rel
from generator.templates import TemplateSet, load_templates, theme_dir
from generator.urls import Links
from generator.workers import Beside, default_jobs

# A build rendering fewer pages than this makes its search index after them, in process: beside a
# short render (an edit), a fork would cost more than it saves.
SEARCH_BESIDE_AT = 2000
# Nor does an archive of more articles than this: the child's memory (its postings, and the pages
# of the parent it copies as it reads the index) is some 5 KB an article, and at 100,000 articles it
# took a cold build's processes together from 1.5 GB to over 2 GB, the rendering's peak and the
# search index's at once.
SEARCH_BESIDE_MOST = 50_000


@dataclass(frozen=True)
class BuildOptions:
    output: Path | None = None  # overrides site.toml's output
    links: LinkMode | None = None  # overrides site.toml's links
    drafts: bool = False
    strict: bool = False
    progress: bool = False
    cache: bool = True  # False: a throw-away cache, as if building for the first time
    jobs: int = 0  # worker processes; 0 means one per core


@dataclass(frozen=True)
class BuildResult:
    config: SiteConfig
    articles: int
    pages: int
    parsed: int  # content files read and parsed (not found in the cache)
    bodies_rendered: int
    pages_rendered: int
    files_written: int  # into the output folder's twin
    files_linked: int  # into the twin, from the live folder
    files_changed: int  # added, changed or removed, as the published folder sees it
    seconds: float
    warnings: tuple[Diagnostic, ...]
    timings: tuple[tuple[str, float], ...] = field(default=())


def build(
    site: Path,
    options: BuildOptions = BuildOptions(),
    memory: BuildMemory | None = None,
    *,
    swapped: Callable[[SiteConfig], None] = lambda config: None,
) -> BuildResult:
    """Build the site in ``site`` and swap it into its output folder; raises BuildFailed on problems.

    ``memory`` is what a process that builds one site again and again (the preview server) keeps
    between builds; such a process is the only writer of the output folder. ``swapped(config)``
    is called once the output folder holds the new build, before the cache is brought up to date
    (a tenth of a second at 10,000 articles): the preview server reloads its tabs then."""
    try:
        return _build(site, options, memory, swapped)
    except DamagedBody as exc:
        # A stored body failed its checksum when a page needed it. Nothing is written before the
        # swap at the end, so the build can start again with the body gone from the cache: its
        # article is then rendered anew. A body is checked when read, not all on every build.
        with _locked(site, options) as (_, cache):
            cache.forget_bodies({exc.key, *cache.damaged_bodies()})  # where one is, others may be
        return _build(site, options, memory, swapped)


def _build(
    site: Path, options: BuildOptions, memory: BuildMemory | None, swapped: Callable[[SiteConfig], None]
) -> BuildResult:
    clock = _Clock()
    jobs = options.jobs or default_jobs()
    remembered = memory.folders if memory is not None else None
    with (
        _locked(site, options) as (config, cache),
        _few_collections(),
        FolderCheck(cache, config.output_dir, remembered) as check,
    ):
        clock.lap("config")
        paths, problems = find_sources(config.root, config.content_dir)
        stamp, stats = _input_stamp(config, options, paths)
        # A problem find_sources() reports is outside the stamp (a refused link is not an input): a
        # site with one is never "unchanged", or the second build would pass it over in silence.
        # A preview server's first build goes the whole way even when nothing changed: the
        # articles, index and routes it leaves in memory spare its first edit reading them (3 s
        # at 100,000 articles), a wait better had when the server starts than after a save.
        first_in_memory = memory is not None and memory.index is None
        last = _last_build(cache, stamp, config, check) if not problems and not first_in_memory else None
        if last is not None:  # nothing that goes into the site changed since the last build
            clock.lap("sources (unchanged)")
            return replace(last, seconds=clock.total(), timings=tuple(clock.laps))
        clock.lap("sources")
        check.make_twin()  # this build will write: a first one's output has no twin to write in yet
        progress = _bar("Reading", "article") if options.progress else None
        with _kept_to_the_end():  # the articles and the index
            parsed = read_articles(config, paths, cache, jobs, progress, memory, stats)
            problems += parsed.problems
            articles = [a for a in parsed.articles if options.drafts or not a.draft]
            clock.lap("front matter and bodies")
            signature = relation_signature(articles)
            index, index_problems, index_key, stored = _index(
                config, cache, articles, signature, memory, jobs
            )
            problems += index_problems
        _stop_on_errors(problems, options.strict)
        clock.lap("index")
        with _kept_to_the_end():  # every page's route
            routes = _routes(config, index, memory)
        templates, templates_key, stored_digests = _templates(
            config, memory, stats if stamp is not None else None, cache
        )
        ctx = Context(config, index, Links(config.links, config.base_url), BodyReader(cache.path))
        clock.lap("routes")
        writer = OutputWriter(
            config.output_dir, cache, config.root, remembered=remembered, checked=check.result()
        )
        with contextlib.closing(writer):  # a build that stops before its swap ends its copy_ahead()
            previous = _previous_state(cache, config.output_dir)
            search = _SearchIndex(ctx, cache, index_key, writer, jobs)
            with contextlib.closing(search):  # a build that stops before it is written ends its child
                rendered, state = _write_pages(
                    writer, templates, ctx, routes, index_key, jobs, options.progress, previous, search.start
                )
                if options.cache:  # a twin recorded in a throw-away cache would not be trusted
                    writer.copy_ahead()  # on a first build, while the search index and sitemap are made
                clock.lap("render and write pages")
                _write_assets(writer, config)
                _write_discovery(writer, ctx.links, routes, _discovery_key(state, ctx))
                clock.lap("assets and sitemap")
                search_state = _write_search(writer, search.files())
            clock.lap("search index")
            changed = writer.changed_count()
            _commit(writer, lambda: swapped(config))
        ctx.body.close()  # type: ignore[attr-defined]
        cache.prune_bodies({a.body_digest for a in parsed.articles})  # kept till now for the search patch
        clock.lap("swap")
        # What the next build starts from, inside the time shown: 1 s of a rebuild at 100,000 articles.
        if not stored:  # an index of the same key is stored already: no need to write it again
            cache.put_value("index", skeleton(index, index_problems, index_key))
        if memory is not None:
            memory.index = RememberedIndex(
                str(cache.path), config.topics, index, tuple(index_problems), index_key
            )
        cache.put_value("page-state", {"tree": tree_key(config.output_dir), "state": state.to_data()})
        search.store(cache, search_state)
        if templates_key is not None and templates.digests() != stored_digests:
            cache.put_value("templates", {"key": templates_key, "digests": templates.digests()})
        clock.lap("cache state")
        result = BuildResult(
            config=config,
            articles=len(index.articles),
            pages=len(routes),
            parsed=parsed.read,
            bodies_rendered=parsed.rendered,
            pages_rendered=rendered,
            files_written=writer.written,
            files_linked=writer.linked,
            files_changed=changed,
            seconds=clock.total(),
            warnings=tuple(p for p in problems if p.severity == "warning"),
            timings=tuple(clock.laps),
        )
        _remember_build(cache, config, options, stamp, result)  # last: it marks the build complete
    return result


def mirror_output(
    site: Path,
    options: BuildOptions = BuildOptions(),
    memory: BuildMemory | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Make the output folder's hidden twin a copy of it (see OutputWriter.mirror); nothing the
    readers of the output folder see changes. Returns False when ``stop()`` ended it first.
    Raises BuildFailed when the twin cannot be written."""
    remembered = memory.folders if memory is not None else None
    finished = False
    with _locked(site, options) as (config, cache):
        writer = OutputWriter(config.output_dir, cache, config.root, remembered=remembered)
        problems: list[Diagnostic] = []
        with _writing(problems):
            finished = writer.mirror(stop)
    return finished


def clean(site: Path) -> list[Path]:
    """Remove what builds leave behind: the output folder, its twin (and a first build's copy of
    it) and the cache. Returns what went."""
    config = load_config(site)
    removed: list[Path] = []
    with output_lock(config.output_dir):
        twin, spare = OutputWriter.twin_of(config.output_dir), OutputWriter.spare_of(config.output_dir)
        for path in (config.output_dir, twin, spare, config.root / CACHE_DIR):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                removed.append(path)
    return removed


_RACY_NS = 100_000_000


def _input_stamp(
    config: SiteConfig, options: BuildOptions, paths: list[str]
) -> tuple[str | None, dict[str, os.stat_result]]:
    """A hash of everything a build reads, by file stat (None while a file may still be changing),
    and the stat of each file by path, which the parse stage uses rather than asking again."""
    files = [os.fspath(config.root / "site.toml"), *paths]
    for folder in (config.templates_dir, theme_dir(), config.static_dir):
        files += sorted(os.fspath(p) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    lines = [repr((__version__, options.drafts, options.strict, str(config))), "\n"]
    seen: dict[str, os.stat_result] = {}
    newest = 0
    stat = os.stat
    for path in files:  # os.stat on strings: Path.stat costs twice as much a file
        try:
            st = seen[path] = stat(path)
        except OSError:
            return None, seen
        mtime = st.st_mtime_ns
        if mtime > newest:
            newest = mtime
        lines.append(f"{path}\0{st.st_size}\0{mtime}\0{st.st_ino}\n")
    if newest > time.time_ns() - _RACY_NS:
        return None, seen
    return hashlib.sha256("".join(lines).encode()).hexdigest(), seen


def _last_build(
    cache: BuildCache, stamp: str | None, config: SiteConfig, check: FolderCheck
) -> BuildResult | None:
    """The result of the last build, if it read exactly these inputs and its output is still in place."""
    data = cache.get_value("last-build")
    if stamp is None or data is None:
        return None
    front = tree_key(config.output_dir)
    try:
        if data["stamp"] != stamp or data["tree"] != front or front is None:
            return None
        articles, pages = int(data["articles"]), int(data["pages"])
        warnings = tuple(diagnostic_from_record(w) for w in data["warnings"])
    except UNDECODABLE:
        return None
    # The folder's key does not change when a file deep inside it is edited or deleted by hand.
    if not check.front_trusted():
        return None
    return BuildResult(
        config=config,
        articles=articles,
        pages=pages,
        parsed=0,
        bodies_rendered=0,
        pages_rendered=0,
        files_written=0,
        files_linked=0,
        files_changed=0,
        seconds=0.0,
        warnings=warnings,
    )


def _previous_state(cache: BuildCache, output_dir: Path) -> PageState | None:
    """The page state of the build that made the live output folder (not of some other output folder)."""
    data = cache.get_value("page-state")
    if data is None:
        return None
    front = tree_key(output_dir)
    try:
        return PageState.from_data(data["state"]) if front is not None and data["tree"] == front else None
    except UNDECODABLE:
        return None


def _index(
    config: SiteConfig,
    cache: BuildCache,
    articles: list[Article],
    signature: str,
    memory: BuildMemory | None,
    jobs: int,
) -> tuple[SiteIndex, list[Diagnostic], str, bool]:
    """The index, its key (see index_store) and whether the cache holds an index of that key."""
    last = memory.index if memory is not None else None
    if last is not None and (last.cache, last.topics) == (str(cache.path), config.topics):
        patched = patched_index(last.index, articles, signature)
        if patched is not None:  # the same key: an index of the last build's key finished a build
            return patched, list(last.problems), last.key, True
    key = index_key(articles, config.topics, signature)
    stored = cache.get_value("index")
    found = restored(stored, articles, key, signature)
    if found is not None:
        return *found, key, True
    known = known_relations(stored, signature)
    earlier = earlier_relations(stored, articles) if known is None else None
    index, problems = build_index(articles, config.topics, known, signature, earlier, jobs)
    return index, problems, key, False


def _templates(
    config: SiteConfig, memory: BuildMemory | None, stats: dict[str, os.stat_result] | None, cache: BuildCache
) -> tuple[TemplateSet, str | None, dict[str, str] | None]:
    """The site's templates, the key of their files' stats (None while a file may still be
    changing, as ``stats``, the stat of every input file, then is) and the digests the cache holds
    for that key. With ``memory``, the last build's set (its templates compiled, its cards drawn)
    while no template file changed; without, a new set given those digests, if there are any."""
    key = _template_key(config, stats) if stats is not None else None
    stored = cache.get_value("templates") if key is not None else None
    digests = stored["digests"] if isinstance(stored, dict) and stored.get("key") == key else None
    digests = digests if _str_dict(digests) else None
    if memory is not None and key is not None:
        if memory.templates is None or memory.templates[0] != key:
            memory.templates = (key, load_templates(config.root))
        return memory.templates[1], key, digests
    templates = load_templates(config.root)
    if digests is not None:
        templates.known(digests)
    return templates, key, digests


def _template_key(config: SiteConfig, stats: dict[str, os.stat_result]) -> str:
    folders = tuple(os.path.join(os.fspath(f), "") for f in (config.templates_dir, theme_dir()))
    return repr(
        (
            os.fspath(config.root),
            [(p, st.st_size, st.st_mtime_ns, st.st_ino) for p, st in stats.items() if p.startswith(folders)],
        )
    )


def _str_dict(value: object) -> bool:
    return isinstance(value, dict) and all(type(k) is str and type(v) is str for k, v in value.items())


def _routes(config: SiteConfig, index: SiteIndex, memory: BuildMemory | None) -> tuple[Route, ...]:
    """Every page's route; with ``memory``, the last routes patched where the index allows."""
    sizes = (config.page_size, config.feed_entries)
    last = memory.routes if memory is not None else None
    if last is not None and last.sizes == sizes:
        places = last.places()
        patched = patched_routes(last.routes, places, last.index, index)
        if patched is not None:
            memory.routes = RememberedRoutes(index, sizes, patched, places)  # type: ignore[union-attr]
            return patched
    routes = build_routes(index, *sizes)
    if memory is not None:
        memory.routes = RememberedRoutes(index, sizes, routes)
    return routes


def _remember_build(
    cache: BuildCache, config: SiteConfig, options: BuildOptions, stamp: str | None, result: BuildResult
) -> None:
    if stamp is None or not options.cache:
        return
    data = {
        "stamp": stamp,
        "tree": tree_key(config.output_dir),
        "articles": result.articles,
        "pages": result.pages,
        "warnings": [diagnostic_record(w) for w in result.warnings],
    }
    cache.put_value("last-build", data)


@contextlib.contextmanager
def _locked(site: Path, options: BuildOptions) -> Iterator[tuple[SiteConfig, BuildCache]]:
    """The site's settings and its build cache, with its output folder locked against other builds."""
    config = load_config(site, output=options.output, links=options.links)
    with output_lock(config.output_dir), _cache(config, options.cache) as cache:
        yield config, cache


@contextlib.contextmanager
def _cache(config: SiteConfig, enabled: bool) -> Iterator[BuildCache]:
    """The build cache, or a throw-away one. A failure of it (a full disk, a folder we may not write
    to) is one message naming it, never a traceback; the output folder holds a whole build either
    way (the old one, or the new one when the cache failed after the swap)."""
    where = CACHE_DIR
    with contextlib.ExitStack() as stack:
        try:
            cache = stack.enter_context(open_cache(config.root) if enabled else throwaway_cache(config.root))
        except (OSError, sqlite3.Error) as exc:
            message = f"cannot open the build cache: {getattr(exc, 'strerror', None) or exc}"
            raise BuildFailed([Diagnostic(where, None, message)]) from None
        where = rel(config.root, cache.path)
        try:
            yield cache
        except sqlite3.Error as exc:
            message = f"cannot use the build cache: {exc}"
            raise BuildFailed([Diagnostic(where, None, message)]) from None


def _stop_on_errors(problems: list[Diagnostic], strict: bool) -> None:
    if strict:
        problems = [replace(p, severity="error") for p in problems]
    raise_if_errors(problems)


def _page_settings(config: SiteConfig) -> str:
    """Everything besides a route's own inputs and its templates that every page depends on."""
    data = repr((__version__, jinja2.__version__, MARKDOWN_SETTINGS_VERSION, config))
    return hashlib.sha256(data.encode()).hexdigest()


def _write_pages(
    writer: OutputWriter,
    templates: TemplateSet,
    ctx: Context,
    routes: tuple[Route, ...],
    index_key: str,
    jobs: int,
    progress: bool,
    previous: PageState | None,
    rendering: Callable[[int], None],
) -> tuple[int, PageState]:
    """Render the pages whose inputs changed and hand every page to the writer; returns pages
    rendered. ``index_key`` is the key of the index the routes were made from; ``rendering(n)``
    is called before the ``n`` pages to render are."""
    settings = _page_settings(ctx.config)
    # With no live folder's files to keep, every page is rendered: their fingerprints are made as
    # they are, rather than in a pass of their own beforehand.
    keep = writer.front_manifest is not None
    try:
        templates.digest("base.html")
        state = page_state(templates, ctx, routes, settings, index_key)  # every template's digest
        prints = (
            fingerprints(templates, ctx, routes, settings, (previous, state), writer.known_fingerprint, jobs)
            if keep
            else {}
        )
    except jinja2.TemplateError as exc:
        raise BuildFailed([templates.diagnostic(exc, "")]) from None
    problems: list[Diagnostic] = []
    with _writing(problems):
        stale = (
            [routes[n] for n in writer.keep_known((r.path, prints[r.path]) for r in routes)]
            if keep
            else list(routes)
        )
        store = writer.page_store(r.path for r in stale)
        rendering(len(stale))
        rendered = render_routes(templates, ctx, stale, jobs, store, None if keep else settings)
        results = _bar("Rendering", "page")(rendered, len(stale)) if progress else rendered
        with contextlib.closing(rendered):  # a failed write stops the build: end the workers
            for route, data, made in results:
                if isinstance(data, Diagnostic):
                    if data not in problems:
                        problems.append(data)
                    continue
                page_print = prints[route.path] if made is None else made
                if isinstance(data, Written):
                    if data.error is not None:
                        raise writer.failed(route.path, "write the output", data.error)
                    writer.put_stored(route.path, page_print, data.digest, data.placed)
                elif not problems:
                    writer.put(route.path, page_print, data)
    raise_if_errors(problems)
    return len(stale), state


def _write_assets(writer: OutputWriter, config: SiteConfig) -> None:
    theme_files, _ = _static_files(theme_dir() / "static")
    site_files, problems = _static_files(config.templates_dir / "static", config.root)
    static_files, static_problems = _static_files(config.static_dir, config.root)
    problems += static_problems
    raise_if_errors(problems)
    with _writing(problems):
        # The site's templates/static files override the default theme's of the same name.
        for name, path in sorted((theme_files | site_files).items()):
            problems += _put_file(writer, urls.asset(name), path, config.root)
        css = pygments_css().encode()
        writer.put(urls.asset("pygments.css"), digest_of(css), css)
        for name, path in sorted(static_files.items()):
            problems += _put_file(writer, name, path, config.root)
    raise_if_errors(problems)


def _commit(writer: OutputWriter, swapped: Callable[[], None]) -> None:
    """Swap the new build in; a failure on the way is a message, and the live folder stays as it was."""
    problems: list[Diagnostic] = []
    with _writing(problems):
        writer.commit(swapped)
    raise_if_errors(problems)


def _discovery_key(state: PageState, ctx: Context) -> str:
    """What the sitemap is made from: the pages there are (the structure, see render.structure_key,
    which covers the settings) and the date each article last changed, in the index's order."""
    days = [(a.updated or a.published).date().toordinal() for a in ctx.index.articles]
    return digest_of(repr((state.structure, days)).encode())


def _write_discovery(writer: OutputWriter, links: Links, routes: tuple[Route, ...], key: str) -> None:
    """sitemap.xml (with a sitemap index past 50,000 pages) and, at a domain root, robots.txt;
    made again only when ``key`` changed: a page was added, removed or changed its date (or the
    templates or settings changed)."""
    problems: list[Diagnostic] = []
    with _writing(problems):
        if writer.known(urls.sitemap(), key):
            for path, (fingerprint, _) in (writer.front_manifest or {}).items():
                if fingerprint == key:
                    writer.put(path, key, None)
        else:
            pages = [(r.path, _last_change(r)) for r in routes if r.kind not in ("feed", "404")]
            files = sitemap_files([(links.absolute(p), day) for p, day in pages], links.base_url)
            if links.base_path == "/":  # robots.txt is only read at the root of a host
                files[urls.robots()] = robots_txt(links.absolute(urls.sitemap()))
            for path, data in sorted(files.items()):
                writer.put(path, key, data)
    raise_if_errors(problems)


class _SearchIndex:
    """The search index files of a build (see search_index): the previous build's patched where only
    some articles changed. The order of the articles and the filters follow from the index (dates,
    paths, countries, topics): for an index of the same key, they are the previous build's.

    A build that renders many pages of an archive that is not too large (SEARCH_BESIDE_AT,
    SEARCH_BESIDE_MOST) makes them in a forked child meanwhile (workers.Beside): made from scratch,
    at 10,000 articles, they are a second and a quarter on one core, which a first build would
    otherwise spend with the other core idle."""

    def __init__(
        self, ctx: Context, cache: BuildCache, index_key: str, writer: OutputWriter, jobs: int
    ) -> None:
        self.ctx, self.index_key, self.jobs = ctx, index_key, jobs
        self.front, self.known = writer.front, writer.known
        self.previous, self._generations = search_store.load(cache)  # the child must not use the cache
        self._beside: Beside[tuple[SearchFiles, SearchState]] | None = None

    def start(self, pages: int) -> None:
        """Begin making the files beside the rendering of ``pages`` pages, if that pays."""
        articles = len(self.ctx.index.articles)
        if (
            self.jobs > 1
            and pages >= SEARCH_BESIDE_AT
            and articles <= SEARCH_BESIDE_MOST
            and hasattr(os, "fork")
        ):
            self._beside = Beside(self._made)

    def files(self) -> tuple[SearchFiles, SearchState]:
        return self._beside.result() if self._beside is not None else self._made()

    def close(self) -> None:
        if self._beside is not None:
            self._beside.end()

    def store(self, cache: BuildCache, state: SearchState) -> None:
        """Leave ``state`` for the next build: only the columns that changed are written again."""
        search_store.store(cache, state, self.previous, self._generations)

    def _made(self) -> tuple[SearchFiles, SearchState]:
        body: BodyReader = self.ctx.body  # type: ignore[assignment]

        def previous_file(path: str) -> bytes | None:
            try:
                return (self.front / path).read_bytes()
            except OSError:
                return None

        previous = self.previous
        sources = Sources(
            body=lambda doc: _terms(body, doc.body_key),
            old_body=body.terms,
            previous=previous,
            read=previous_file,
            live=lambda path: self.known(path, path),  # a search file's name is its fingerprint
            key=self.index_key,
        )
        order = previous.order(self.index_key) if previous is not None else []
        with collections_paused():
            return build_search(ArticleDocs(self.ctx.index.articles, order), sources)


def _write_search(writer: OutputWriter, made: tuple[SearchFiles, SearchState]) -> SearchState:
    files, state = made
    problems: list[Diagnostic] = []
    with _writing(problems):
        for path, data in files.items():
            # Shard files are named by a hash of their bytes already: the name is their fingerprint.
            writer.put(path, path if data is None or path != SEARCH_INDEX else digest_of(data), data)
    raise_if_errors(problems)
    return state


def _terms(body: BodyReader, key: str) -> str:
    """The search terms of a body, from the cache; a row without them is damaged, and the build
    starts again without it (see build())."""
    terms = body.terms(key)
    if terms is None:
        raise DamagedBody(key)
    return terms


def _last_change(route: Route) -> date | None:
    article = route.subject
    if isinstance(article, Article):
        return (article.updated or article.published).date()
    return None


def _put_file(writer: OutputWriter, target: str, path: Path, site_root: Path) -> list[Diagnostic]:
    """Copy a static file, read only when its size or modification time changed.

    A file that cannot be read is a problem of the site, named from the site folder, not a
    failure to write the output."""
    try:
        st = path.stat()
        stamp = f"file:{st.st_size}:{st.st_mtime_ns}"
        data = None if writer.known(target, stamp) else path.read_bytes()
    except OSError as exc:
        return [Diagnostic(rel(site_root, path), None, f"cannot read: {exc.strerror or exc}")]
    writer.put(target, stamp, data)
    return []


@contextlib.contextmanager
def _writing(problems: list[Diagnostic]) -> Iterator[None]:
    """Turn a failed write into a message: the live output folder is untouched either way."""
    try:
        yield
    except WriteFailed as exc:  # the writer names the output file, not the twin's or a temporary one
        problems.append(Diagnostic(exc.shown, None, exc.message))
    except OutsideOutput as exc:
        problems.append(Diagnostic(str(exc), None, "refusing to write outside the output folder"))
    except FileExistsError as exc:
        problems.append(Diagnostic("output", None, str(exc)))
    except OSError as exc:
        where = str(exc.filename) if exc.filename else "output"
        problems.append(Diagnostic(where, None, f"cannot write the output: {exc.strerror or exc}"))
    raise_if_errors(problems)


def _static_files(folder: Path, site_root: Path | None = None) -> tuple[dict[str, Path], list[Diagnostic]]:
    """The files under ``folder`` by their path in it, hidden ones left out.

    With ``site_root``, a file whose real path is outside the site folder (a symbolic link, or
    ``folder`` itself a link) is refused, as content/ refuses links leading out of it: building
    someone else's site must not publish the builder's own files. Links within the site work.
    """
    files: dict[str, Path] = {}
    problems: list[Diagnostic] = []
    if not folder.is_dir():
        return files, problems
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in name.split("/")):
            continue
        if site_root is not None:
            try:
                inside = path.resolve().is_relative_to(site_root)
            except (RuntimeError, OSError):  # a link that loops: is_file() was true a moment ago
                inside = False
            if not inside:
                where = rel(site_root, path)
                problems.append(Diagnostic(where, None, "symbolic link to a file outside the site folder"))
                continue
        files[name] = path
    return files, problems


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Collect cyclic garbage less often while building. A build makes millions of objects that
    live to its end (records, articles, the index); with the default thresholds the collector
    scans them again and again, a third of the time of a rebuild after an edit."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 10)  # the oldest generation still scanned often enough to free cycles
    try:
        yield
    finally:
        # Every object goes to the oldest generation, unscanned, the young ones too: restoring the
        # thresholds would otherwise set off a collection of the tens of thousands made since the
        # last, 13 to 25 ms at the end of a rebuild after one edit at 10,000 articles, for nothing.
        # A preview server builds again in this process: later full collections let them go.
        gc.freeze()
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextlib.contextmanager
def _kept_to_the_end() -> Iterator[None]:
    """For what lives to the end of the build (the articles and the index): no cyclic garbage
    collection while it is made, and none scans it afterwards (it is frozen). Scanning it was a
    tenth of a second of a rebuild after an edit at 10,000 articles. Little cyclic garbage is
    made meanwhile; forked workers collect as usual (workers.parallel_map)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _bar(label: str, unit: str) -> Callable[[Iterator[Any], int], Iterator[Any]]:
    """A progress bar on the terminal for long stages; short ones show none."""

    def wrap(items: Iterator[Any], total: int) -> Iterator[Any]:
        if total < 200:
            return items
        from tqdm import tqdm  # only a long build in a terminal shows a bar: others need not load it

        return iter(tqdm(items, total=total, desc=label, unit=unit, file=sys.stderr, leave=False))

    return wrap


class _Clock:
    """Wall time per stage, for --profile."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.start
