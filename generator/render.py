"""Render routes to the bytes of their files, in parallel, skipping pages whose inputs did not change.

Rendering a page is a pure function of its route, the index, the settings and
the templates, so a page whose fingerprint is unchanged is not rendered again.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import jinja2

from generator.cache import DamagedBody
from generator.context import Context, page_inputs, page_view, site_view
from generator.errors import Diagnostic
from generator.feeds import atom_xml
from generator.model import Article
from generator.pagemeta import feed_document
from generator.routes import Route
from generator.templates import TemplateSet
from generator.workers import PageStore, parallel_map, state

# Errors that are the templates' whatever their traceback; any other exception is theirs when it was
# raised while running template code (a template can compute 1 // 0 or index past a list's end).
_TEMPLATE_ERRORS = (jinja2.TemplateError, RecursionError)


def render_route(templates: TemplateSet, ctx: Context, route: Route) -> bytes:
    if route.kind == "feed":
        config = ctx.config
        feed = feed_document(
            ctx.links,
            route,
            ctx.body,
            site_title=config.title,
            description=config.description,
            language=config.language,
            authority=config.tag_authority,
            full=config.feed_content == "full",
        )
        return atom_xml(feed)
    template = templates.env.get_template(route.template)
    html = template.render(site=site_view(ctx, route), page=page_view(ctx, route))
    return html.encode("utf-8")


def fingerprint(templates: TemplateSet, ctx: Context, route: Route, settings: str) -> str:
    """A hash of everything the page of ``route`` is made from."""
    data = repr((settings, templates.digest(route.template), page_inputs(ctx, route)))
    return hashlib.blake2b(data.encode(), digest_size=20).hexdigest()


@dataclass(frozen=True)
class PageState:
    """What a build leaves for the next one to tell which pages an edit can have changed."""

    structure: str  # a hash of every route, group count, relation and template: see structure_key
    articles: dict[str, tuple[str, str]]  # source path -> (digest, card digest)

    def to_data(self) -> dict[str, object]:
        return {"structure": self.structure, "articles": self.articles}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PageState:
        """The inverse of to_data(); KeyError, TypeError or ValueError when ``data`` is not its."""
        structure, articles = data["structure"], data["articles"]
        if not isinstance(structure, str) or not isinstance(articles, dict):
            raise TypeError("not a page state")
        return cls(structure, articles)


def page_state(
    templates: TemplateSet, ctx: Context, routes: tuple[Route, ...], settings: str, index_key: str
) -> PageState:
    """``index_key`` is the key of the index ``routes`` were made from (index_store.index_key)."""
    return PageState(
        structure=structure_key(templates, routes, settings, index_key),
        articles={a.source_path: (a.digest, a.card_digest) for a in ctx.index.articles},
    )


def structure_key(templates: TemplateSet, routes: tuple[Route, ...], settings: str, index_key: str) -> str:
    """A hash of everything a page shows besides its own articles' cards and bodies.

    Which pages there are and which articles each list holds follow from the index and the
    settings (page sizes among them). The index follows from its key: every article's date, slug,
    countries, topics and tags, the labels of tags, the names of countries and the site's topics
    (index_store.index_key). The templates are added. Two builds with one structure differ only
    in the pages that show a changed article. Hashing the key rather than the 18,000 routes of
    10,000 articles saves a rebuild some 40 ms.
    """
    used = sorted({r.template for r in routes})
    data = repr((settings, index_key, [templates.digest(name) for name in used]))
    return hashlib.blake2b(data.encode(), digest_size=20).hexdigest()


def fingerprints(
    templates: TemplateSet,
    ctx: Context,
    routes: tuple[Route, ...],
    settings: str,
    states: tuple[PageState | None, PageState],
    known: Callable[[str], str | None],
    jobs: int = 1,
) -> dict[str, str]:
    """The fingerprint of every route. Given the previous build's state and this one's, only pages
    an edit touched are computed again; the rest keep the fingerprint ``known`` gives (the live
    folder's, which the previous build made)."""
    previous, current = states
    if previous is None or current.structure != previous.structure:
        # Every page's, in ``jobs`` processes: 171,000 pages of 100,000 articles took one 5 s.
        shared = {"templates": templates, "ctx": ctx, "routes": routes, "settings": settings}
        found = parallel_map(_fingerprint_of, range(len(routes)), jobs=jobs, shared=shared, count=len(routes))
        return {r.path: f for r, f in zip(routes, found, strict=True)}  # read to the end: the pool ends
    changed = {p for p, d in current.articles.items() if previous.articles.get(p) != d}
    cards = {p for p in changed if previous.articles[p][1] != current.articles[p][1]}
    result: dict[str, str] = {}
    for route in routes:
        old = known(route.path)
        if old is None or _touched(ctx, route, changed, cards):
            result[route.path] = fingerprint(templates, ctx, route, settings)
        else:
            result[route.path] = old
    return result


def _fingerprint_of(number: int) -> str:
    return fingerprint(state("templates"), state("ctx"), state("routes")[number], state("settings"))


def _touched(ctx: Context, route: Route, changed: set[str], cards: set[str]) -> bool:
    if route.kind == "feed":
        return any(a.source_path in changed for a in route.articles)
    if isinstance(route.subject, Article):
        if route.subject.source_path in changed:
            return True
        if not cards:  # only bodies changed (the usual edit): no other page shows a body
            return False
        near = ctx.index.neighbours[route.subject.source_path]
        linked = (near.previous, near.next, *near.related)
        return any(a is not None and a.source_path in cards for a in linked)
    return bool(cards) and any(a.source_path in cards for a in route.articles)


@dataclass(frozen=True)
class Written:
    """A page the rendering process stored itself (see render_routes): the digest of its bytes and
    whether a file was written for it (not when the output had those bytes already), or the error
    that stopped the write."""

    digest: str
    placed: bool = False
    error: OSError | None = None


Rendered = bytes | Written | Diagnostic


def render_routes(
    templates: TemplateSet,
    ctx: Context,
    routes: list[Route],
    jobs: int,
    store: PageStore | None = None,
    settings: str | None = None,
) -> Generator[tuple[Route, Rendered, str | None], None, None]:
    """Each route with its bytes, or with the diagnostic of the template error that stopped it.
    With ``store(path, data)``, which stores a page in the output's new build and returns its digest
    and whether it wrote a file (output.OutputWriter.page_store), each page is stored where it was
    rendered and only that comes back. With ``settings``, each rendered page comes with its
    fingerprint (see fingerprint()), made in the same process: a build with no earlier pages to
    keep renders every page, and needs their fingerprints only to leave them to the next build."""
    # Workers get the routes by fork, so only a number travels to them, never a route's articles.
    shared = {"templates": templates, "ctx": ctx, "routes": routes, "store": store, "settings": settings}
    results = parallel_map(_render_one, range(len(routes)), jobs=jobs, shared=shared, count=len(routes))
    with contextlib.closing(results):  # see parallel_map: a build may stop at a failed write
        for route, (data, page_print) in zip(routes, results, strict=True):
            yield route, data, page_print


def _render_one(number: int) -> tuple[Rendered, str | None]:
    route: Route = state("routes")[number]
    data = _rendered(route)
    if isinstance(data, Diagnostic):
        return data, None
    settings: str | None = state("settings")
    page_print = None if settings is None else fingerprint(state("templates"), state("ctx"), route, settings)
    store: PageStore | None = state("store")
    if store is None:
        return data, page_print
    try:
        return Written(*store(route.path, data)), page_print
    except OSError as exc:
        return Written("", error=exc), page_print


def _rendered(route: Route) -> bytes | Diagnostic:
    templates: TemplateSet = state("templates")
    try:
        return render_route(templates, state("ctx"), route)
    except DamagedBody:
        raise  # the orchestrator starts the build again without that body
    except Exception as exc:
        if isinstance(exc, _TEMPLATE_ERRORS) or templates.raised_in_template(exc):
            return templates.diagnostic(exc, route.template)
        raise  # Dateline's own bug: its traceback is what a report needs
