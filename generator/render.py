"""Render one route to the bytes of its file: a pure function of its inputs."""

from __future__ import annotations

from generator.context import Context, page_view, site_view
from generator.routes import Route
from generator.templates import TemplateSet


def render_route(templates: TemplateSet, ctx: Context, route: Route) -> bytes:
    template = templates.env.get_template(route.template)
    html = template.render(site=site_view(ctx, route), page=page_view(ctx, route))
    return html.encode("utf-8")
