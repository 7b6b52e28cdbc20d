"""The only orchestrator: the order of stages is the order of statements in :func:`build`.

config -> sources -> front matter -> bodies -> index -> routes -> render -> write.
Everything is read and checked before anything is written, and the output
folder is replaced in one step at the end.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
from tqdm import tqdm

from generator import urls
from generator.config import LinkMode, SiteConfig, load_config
from generator.context import Context
from generator.errors import BuildFailed, Diagnostic, raise_if_errors
from generator.frontmatter import FrontMatter, parse_front_matter
from generator.index import build_index
from generator.markdown import MARKDOWN_SETTINGS_VERSION, pygments_css, render_markdown
from generator.model import Article, RenderedBody, Source
from generator.output import OutsideOutput, Staging, copy_tree, output_lock
from generator.render import render_route
from generator.routes import Route, build_routes
from generator.sources import find_sources, read_source
from generator.templates import TemplateSet, load_templates, theme_dir
from generator.urls import Links


@dataclass(frozen=True)
class BuildOptions:
    output: Path | None = None  # overrides site.toml's output
    links: LinkMode | None = None  # overrides site.toml's links
    drafts: bool = False
    strict: bool = False
    progress: bool = False


@dataclass(frozen=True)
class BuildResult:
    config: SiteConfig
    articles: int
    pages: int
    files_changed: int
    files_unchanged: int
    seconds: float
    warnings: tuple[Diagnostic, ...]


def build(site: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the site in ``site`` and swap it into its output folder; raises BuildFailed on problems."""
    started = time.perf_counter()
    config = load_config(site, output=options.output, links=options.links)
    paths, problems = find_sources(config.root, config.content_dir)
    sources, read_problems = _read(config.root, paths)
    matters, fm_problems = _front_matter(sources, config)
    problems += read_problems + fm_problems
    if not options.drafts:
        matters = [(s, fm) for s, fm in matters if not fm.draft]
    bodies = {_body_key(fm): render_markdown(fm.body) for _, fm in matters}
    articles = [_article(source, fm, bodies[_body_key(fm)]) for source, fm in matters]
    index, index_problems = build_index(articles, config.topics)
    problems += index_problems
    _stop_on_errors(problems, options.strict)
    routes = build_routes(index, config.page_size)
    templates = load_templates(config.root)
    ctx = Context(config, index, Links(config.links, config.base_url), lambda a: bodies[a.body_digest])
    with output_lock(config.output_dir):
        staging = Staging(config.output_dir)
        try:
            _write_site(staging, templates, ctx, routes, options.progress)
            staging.commit()
        except BaseException:
            staging.discard()
            raise
    return BuildResult(
        config=config,
        articles=len(index.articles),
        pages=len(routes),
        files_changed=staging.changed,
        files_unchanged=staging.unchanged,
        seconds=time.perf_counter() - started,
        warnings=tuple(p for p in problems if p.severity == "warning"),
    )


def _read(root: Path, paths: list[Path]) -> tuple[list[Source], list[Diagnostic]]:
    sources: list[Source] = []
    problems: list[Diagnostic] = []
    for path in paths:
        result = read_source(root, path)
        (problems if isinstance(result, Diagnostic) else sources).append(result)  # type: ignore[arg-type]
    return sources, problems


def _front_matter(
    sources: Iterable[Source], config: SiteConfig
) -> tuple[list[tuple[Source, FrontMatter]], list[Diagnostic]]:
    matters: list[tuple[Source, FrontMatter]] = []
    problems: list[Diagnostic] = []
    for source in sources:
        matter, found = parse_front_matter(source, config)
        problems += found
        if matter is not None:
            matters.append((source, matter))
    return matters, problems


def _body_key(fm: FrontMatter) -> str:
    """Bodies are keyed by their text and the rendering settings, so a cache can reuse them."""
    return hashlib.sha256(f"{MARKDOWN_SETTINGS_VERSION}\0{fm.body}".encode()).hexdigest()


def _article(source: Source, fm: FrontMatter, body: RenderedBody) -> Article:
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
        body_digest=_body_key(fm),
        word_count=len(body.text.split()),
    )


def _stop_on_errors(problems: list[Diagnostic], strict: bool) -> None:
    if strict:
        problems = [replace(p, severity="error") for p in problems]
    raise_if_errors(problems)


def _write_site(
    staging: Staging, templates: TemplateSet, ctx: Context, routes: tuple[Route, ...], progress: bool
) -> None:
    problems: list[Diagnostic] = []
    failed_templates: set[str] = set()
    items: Iterable[Route] = routes
    if progress:
        items = tqdm(routes, desc="Rendering", unit="page", file=sys.stderr, leave=False)
    for route in items:
        if route.template in failed_templates:
            continue  # one message per broken template, not one per page
        try:
            data = render_route(templates, ctx, route)
        except (jinja2.TemplateError, RecursionError, TypeError, AttributeError, ValueError) as exc:
            failed_templates.add(route.template)
            problems.append(templates.diagnostic(exc, route.template))
            continue
        _write(staging, route.path, data, problems)
    _write_assets(staging, ctx, problems)
    raise_if_errors(problems)


def _write(staging: Staging, path: str, data: bytes, problems: list[Diagnostic]) -> None:
    try:
        staging.write(path, data)
    except OutsideOutput:
        problems.append(Diagnostic(path, None, "refusing to write outside the output folder"))
    except FileExistsError as exc:
        problems.append(Diagnostic(path, None, str(exc)))
    except OSError as exc:
        raise BuildFailed(
            [Diagnostic(path, None, f"cannot write the output: {exc.strerror or exc}")]
        ) from None


def _write_assets(staging: Staging, ctx: Context, problems: list[Diagnostic]) -> None:
    # The site's templates/static files override the default theme's of the same name.
    theme_files = _static_files(theme_dir() / "static")
    site_files = _static_files(ctx.config.templates_dir / "static")
    for name, path in sorted((theme_files | site_files).items()):
        _write(staging, urls.asset(name), path.read_bytes(), problems)
    _write(staging, urls.asset("pygments.css"), pygments_css().encode(), problems)
    problems += copy_tree(staging, ctx.config.static_dir, "")


def _static_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }
