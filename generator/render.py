"""Render routes to the bytes of their files, in parallel, skipping pages whose inputs did not change.

Rendering a page is a pure function of its route, the index, the settings and
the templates, so a page whose fingerprint is unchanged is not rendered again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import jinja2

from generator.context import Context, page_inputs, page_view, site_view
from generator.errors import Diagnostic
from generator.routes import Route
from generator.templates import TemplateSet
from generator.workers import parallel_map, state

_RENDER_ERRORS = (jinja2.TemplateError, RecursionError, TypeError, AttributeError, ValueError, KeyError)


def render_route(templates: TemplateSet, ctx: Context, route: Route) -> bytes:
    template = templates.env.get_template(route.template)
    html = template.render(site=site_view(ctx, route), page=page_view(ctx, route))
    return html.encode("utf-8")


def fingerprint(templates: TemplateSet, ctx: Context, route: Route, settings: str) -> str:
    """A hash of everything the page of ``route`` is made from."""
    data = repr((settings, templates.digest(route.template), page_inputs(ctx, route)))
    return hashlib.blake2b(data.encode(), digest_size=20).hexdigest()


def render_routes(
    templates: TemplateSet, ctx: Context, routes: list[Route], jobs: int
) -> Iterator[tuple[Route, bytes | Diagnostic]]:
    """Each route with its bytes, or with the diagnostic of the template error that stopped it."""
    shared = {"templates": templates, "ctx": ctx}
    results = parallel_map(_render_one, routes, jobs=jobs, shared=shared, count=len(routes))
    yield from zip(routes, results, strict=True)


def _render_one(route: Route) -> bytes | Diagnostic:
    templates: TemplateSet = state("templates")
    try:
        return render_route(templates, state("ctx"), route)
    except _RENDER_ERRORS as exc:
        return templates.diagnostic(exc, route.template)
