"""Turn a route into the view model its template sees."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from markupsafe import Markup

from generator import __version__, urls
from generator.config import SiteConfig
from generator.index import SiteIndex
from generator.model import Article, Country, Period, StoredBody, Tag, Topic
from generator.pagemeta import countries_map, coverage_chart, feed_links, month_counts, page_meta
from generator.routes import Route
from generator.search import search_page
from generator.urls import Links
from generator.views import (
    ArticleCard,
    ArticleView,
    CreditView,
    GroupView,
    Link,
    PageLinks,
    PageView,
    PaginationView,
    SiteView,
    day_label,
)

_K = TypeVar("_K")
_V = TypeVar("_V")

STYLESHEETS = ("style.css", "pygments.css")
WORDS_PER_MINUTE = 230
_RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"})
_NAV = (
    ("Home", urls.home(), ("home",)),
    ("Countries", urls.countries(), ("countries", "country", "country_topic")),
    ("Topics", urls.topics(), ("topics", "topic")),
    ("Tags", urls.tags(), ("tags", "tag")),
    ("Archive", urls.archive(), ("archive", "year", "month")),
    ("Search", urls.search(), ("search",)),
)


@dataclass(frozen=True)
class Context:
    """What every view needs besides the route: the settings, the index, links and bodies."""

    config: SiteConfig
    index: SiteIndex
    links: Links
    body: Callable[[Article], StoredBody]
    # An article's card is the same on every page of one folder: made once, shown many times.
    cards: dict[tuple[str, str], ArticleCard] = field(default_factory=dict, compare=False, repr=False)
    # Group data many pages share (a country's topics), made plain once for fingerprints.
    plain: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    # The site's part of a page (title, navigation, stylesheets) is the same on every page of one
    # kind in one folder.
    sites: dict[tuple[str, str], SiteView] = field(default_factory=dict, compare=False, repr=False)
    # The front page's country and topic lists, the same on each of its pages (5,000 at 100,000
    # articles) but for where links lead from: by the link to the home page.
    home_groups: dict[str, tuple[GroupView, ...]] = field(default_factory=dict, compare=False, repr=False)

    def plain_key(self, name: object, make: Callable[[], object]) -> object:
        if name not in self.plain:
            self.plain[name] = _key(make())
        return self.plain[name]


def site_view(ctx: Context, route: Route) -> SiteView:
    return _kept(ctx.sites, (_folder(ctx, route), route.kind), lambda: _make_site_view(ctx, route))


# Views kept for reuse, per kind: memory stays bounded on huge archives read offline (one entry a
# folder).
_MAX_KEPT = 200_000


def _kept(memo: dict[_K, _V], key: _K, make: Callable[[], _V]) -> _V:
    """``memo[key]``, made by ``make()`` the first time."""
    value = memo.get(key)
    if value is None:
        if len(memo) >= _MAX_KEPT:
            memo.clear()
        value = memo[key] = make()
    return value


def _folder(ctx: Context, route: Route) -> str:
    """What links from ``route`` depend on: in clean mode they are absolute paths, alike from
    every page; offline, they are relative to the page's folder."""
    return posixpath.dirname(route.path) if ctx.links.mode == "offline" else ""


def _make_site_view(ctx: Context, route: Route) -> SiteView:
    link = _linker(ctx, route)
    return SiteView(
        title=ctx.config.title,
        description=ctx.config.description,
        language=ctx.config.language,
        home_url=link(urls.home()),
        nav=tuple(Link(label, link(target), current=route.kind in kinds) for label, target, kinds in _NAV),
        stylesheets=tuple(link(urls.asset(name)) for name in STYLESHEETS),
        icon=link(urls.asset("favicon.svg")),
        generator=f"Dateline {__version__}",
    )


def page_view(ctx: Context, route: Route) -> PageView:
    """The view model of ``route``."""
    maker = _MAKERS[route.kind]
    return maker(ctx, route)


def direction(language: str) -> str:
    """The writing direction of a language code (``ar``, ``fa-AF``)."""
    return "rtl" if language.split("-")[0].lower() in _RTL_LANGUAGES else "ltr"


def _linker(ctx: Context, route: Route) -> Callable[..., str]:
    # Clean links are absolute paths, so the 404 page works at whatever URL it is served.
    return lambda target, fragment="": ctx.links.url(target, source=route.path, fragment=fragment)


def _base(
    ctx: Context, route: Route, title: str, description: str = "", language: str = "", **fields: object
) -> PageView:
    """A page's view; ``language`` is the page's own when it is not the site's (an article's)."""
    language = language or ctx.config.language
    page = route.pagination.number if route.pagination else 1
    head = title if route.kind == "home" else f"{title} · {ctx.config.title}"
    if page > 1:
        head = f"{title}, page {page} · {ctx.config.title}"
    fields.setdefault("breadcrumbs", ())
    fields.setdefault("feeds", feed_links(route, _linker(ctx, route), ctx.config.title))
    fields.setdefault(
        "meta",
        page_meta(
            ctx.links,
            route,
            title=title,
            description=description or ctx.config.description,
            site_title=ctx.config.title,
            language=ctx.config.language,
        ),
    )
    return PageView(
        kind=route.kind,
        title=title,
        head_title=head,
        description=description,
        language=language,
        direction=direction(language),
        canonical_url=ctx.links.absolute(route.path),
        articles=_cards(ctx, route, route.articles),
        pagination=_pagination(ctx, route),
        total=route.total,
        **fields,  # type: ignore[arg-type]
    )


def _crumbs(ctx: Context, route: Route, *trail: tuple[str, str]) -> tuple[Link, ...]:
    link = _linker(ctx, route)
    items = [("Home", urls.home()), *trail]
    return tuple(
        Link(label, link(target), current=i == len(items) - 1) for i, (label, target) in enumerate(items)
    )


def _pagination(ctx: Context, route: Route) -> PaginationView | None:
    p = route.pagination
    if p is None or p.count < 2:
        return None
    link = _linker(ctx, route)
    pages = PageLinks(p.paths, p.number, link)
    return PaginationView(
        number=p.number,
        count=p.count,
        previous_url=link(p.paths[p.number - 2]) if p.number > 1 else None,
        next_url=link(p.paths[p.number]) if p.number < p.count else None,
        shown=tuple(None if n is None else pages[n - 1] for n in shown_pages(p.number, p.count)),
        pages=pages,
    )


def shown_pages(number: int, count: int) -> list[int | None]:
    """The page numbers a page of a series links to: the first and the last, two either side of
    ``number``, and None for each run of pages left out; a run of one page is shown instead."""
    kept = {1, count, *range(max(1, number - 2), min(count, number + 2) + 1)}
    if number - 2 == 3:
        kept.add(2)
    if number + 2 == count - 2:
        kept.add(count - 1)
    shown: list[int | None] = []
    for n in sorted(kept):
        if shown and n - 1 != shown[-1]:
            shown.append(None)
        shown.append(n)
    return shown


def _date_label(article: Article) -> str:
    return day_label(article.published.date())


def _country_links(ctx: Context, route: Route, countries: tuple[Country, ...]) -> tuple[Link, ...]:
    link = _linker(ctx, route)
    return tuple(Link(c.name, link(urls.country(c))) for c in countries)


def _topic_links(ctx: Context, route: Route, topics: tuple[Topic, ...]) -> tuple[Link, ...]:
    link = _linker(ctx, route)
    return tuple(Link(t.label, link(urls.topic(t))) for t in topics)


def _cards(ctx: Context, route: Route, articles: tuple[Article, ...]) -> tuple[ArticleCard, ...]:
    """The cards of ``articles`` as ``route`` shows them, each made once per folder: a list page
    shows twenty, most of them made for another page already."""
    folder, kept = _folder(ctx, route), ctx.cards
    found = []
    for article in articles:
        card = kept.get((article.source_path, folder))
        if card is None:
            card = _kept(kept, (article.source_path, folder), partial(_make_card, ctx, route, article))
        found.append(card)
    return tuple(found)


def _make_card(ctx: Context, route: Route, article: Article) -> ArticleCard:
    return ArticleCard(
        title=article.title,
        url=_linker(ctx, route)(urls.article(article)),
        date_iso=article.published.isoformat() if article.has_time else article.day.isoformat(),
        date_label=_date_label(article),
        summary=article.summary,
        source=article.source,
        countries=_country_links(ctx, route, article.countries),
        topics=_topic_links(ctx, route, article.topics),
    )


def _home(ctx: Context, route: Route) -> PageView:
    link = _linker(ctx, route)

    def groups() -> tuple[GroupView, ...]:
        index = ctx.index
        return (
            GroupView(
                "Countries",
                tuple(Link(c.name, link(urls.country(c)), len(a)) for c, a in index.by_country.items()),
            ),
            GroupView(
                "Topics", tuple(Link(t.label, link(urls.topic(t)), len(a)) for t, a in index.by_topic.items())
            ),
        )

    shared = _kept(ctx.home_groups, link(urls.home()), groups)
    return _base(ctx, route, ctx.config.title, ctx.config.description, groups=shared)


def _article(ctx: Context, route: Route) -> PageView:
    article = route.subject
    assert isinstance(article, Article)
    link = _linker(ctx, route)
    body = ctx.body(article)
    related = ctx.index.neighbours[article.source_path]

    def neighbour(other: Article | None) -> Link | None:
        return Link(other.title, link(urls.article(other))) if other else None

    view = ArticleView(
        title=article.title,
        date_iso=article.published.isoformat() if article.has_time else article.day.isoformat(),
        date_label=_date_label(article),
        updated_iso=article.updated.isoformat() if article.updated else None,
        updated_label=day_label(article.updated.date()) if article.updated else None,
        summary=article.summary,
        source=article.source,
        source_url=article.source_url,
        authors=article.authors,
        credits=tuple(CreditView(c.text, c.role) for c in article.credits),
        body_html=Markup(body.html),  # sanitized by generator.markdown
        countries=_country_links(ctx, route, article.countries),
        topics=_topic_links(ctx, route, article.topics),
        tags=tuple(Link(t.label, link(urls.tag(t))) for t in article.tags),
        previous=neighbour(related.previous),
        next=neighbour(related.next),
        related=_cards(ctx, route, related.related),
        word_count=article.word_count,
        reading_minutes=max(1, -(-article.word_count // WORDS_PER_MINUTE)),
        dek=article.summary if article.summary and article.summary != body.summary else None,
        toc=tuple(Link(name, link(route.path, fragment=anchor)) for _, anchor, name in body.toc),
    )
    crumbs = _crumbs(
        ctx,
        route,
        (str(article.published.year), urls.period(Period(article.published.year))),
        (f"{article.published:%B}", urls.period(Period(article.published.year, article.published.month))),
        (article.title, route.path),
    )
    return _base(
        ctx, route, article.title, article.summary, article.language, article=view, breadcrumbs=crumbs
    )


def _index_page(ctx: Context, route: Route) -> PageView:
    link = _linker(ctx, route)
    if route.kind == "countries":
        title = "Countries"
        links = tuple(Link(c.name, link(urls.country(c)), len(a)) for c, a in ctx.index.by_country.items())
    elif route.kind == "topics":
        title = "Topics"
        links = tuple(Link(t.label, link(urls.topic(t)), len(a)) for t, a in ctx.index.by_topic.items())
    else:
        title = "Tags"
        links = tuple(Link(t.label, link(urls.tag(t)), len(a)) for t, a in ctx.index.by_tag.items())
    return _base(
        ctx,
        route,
        title,
        groups=(GroupView(f"All {title.lower()}", links),),
        breadcrumbs=_crumbs(ctx, route, (title, route.path)),
        map=countries_map(ctx.index, link)
        if route.kind == "countries" and ctx.index.by_country
        else Markup(""),
    )


def _country(ctx: Context, route: Route) -> PageView:
    country = route.subject
    assert isinstance(country, Country)
    link = _linker(ctx, route)
    topics = tuple(
        Link(t.label, link(urls.country_topic(country, t)), n)
        for t, n in ctx.index.topics_of_country(country)
    )
    return _base(
        ctx,
        route,
        country.name,
        f"News from the archive about {country.name}.",
        groups=(GroupView(f"Topics in {country.name}", topics),) if topics else (),
        breadcrumbs=_crumbs(
            ctx, route, ("Countries", urls.countries()), (country.name, urls.country(country))
        ),
        **_chart(ctx, route),
    )


def _country_topic(ctx: Context, route: Route) -> PageView:
    assert isinstance(route.subject, tuple)
    country, topic = route.subject
    link = _linker(ctx, route)
    others = tuple(
        Link(t.label, link(urls.country_topic(country, t)), n, current=t == topic)
        for t, n in ctx.index.topics_of_country(country)
    )
    return _base(
        ctx,
        route,
        f"{topic.label} in {country.name}",
        topic.description,
        groups=(
            GroupView(f"Topics in {country.name}", others),
            GroupView(
                "See also",
                (
                    Link(f"All of {country.name}", link(urls.country(country))),
                    Link(f"{topic.label} everywhere", link(urls.topic(topic))),
                ),
            ),
        ),
        breadcrumbs=_crumbs(
            ctx,
            route,
            ("Countries", urls.countries()),
            (country.name, urls.country(country)),
            (topic.label, urls.country_topic(country, topic)),
        ),
    )


def _topic(ctx: Context, route: Route) -> PageView:
    topic = route.subject
    assert isinstance(topic, Topic)
    link = _linker(ctx, route)
    countries = tuple(
        Link(c.name, link(urls.country_topic(c, topic)), n) for c, n in ctx.index.countries_of_topic(topic)
    )
    return _base(
        ctx,
        route,
        topic.label,
        topic.description,
        groups=(GroupView(f"{topic.label} by country", countries),) if countries else (),
        breadcrumbs=_crumbs(ctx, route, ("Topics", urls.topics()), (topic.label, urls.topic(topic))),
        **_chart(ctx, route),
    )


def _chart(ctx: Context, route: Route) -> dict[str, object]:
    chart, summary, table = coverage_chart(ctx.index, route)
    return {"chart": chart, "chart_summary": summary, "chart_table": table}


def _tag(ctx: Context, route: Route) -> PageView:
    tag = route.subject
    assert isinstance(tag, Tag)
    return _base(
        ctx,
        route,
        tag.label,
        breadcrumbs=_crumbs(ctx, route, ("Tags", urls.tags()), (tag.label, urls.tag(tag))),
    )


def _archive(ctx: Context, route: Route) -> PageView:
    link = _linker(ctx, route)
    groups = tuple(
        GroupView(
            year.label,
            tuple(
                Link(m.label, link(urls.period(m)), len(a))
                for m, a in ctx.index.by_month.items()
                if m.year == year.year
            ),
        )
        for year in ctx.index.by_year
    )
    return _base(
        ctx, route, "Archive", groups=groups, breadcrumbs=_crumbs(ctx, route, ("Archive", urls.archive()))
    )


def _period(ctx: Context, route: Route) -> PageView:
    period = route.subject
    assert isinstance(period, Period)
    link = _linker(ctx, route)
    trail = [("Archive", urls.archive()), (str(period.year), urls.period(Period(period.year)))]
    groups: tuple[GroupView, ...] = ()
    if period.month is None:
        months = tuple(
            Link(m.label, link(urls.period(m)), len(a))
            for m, a in ctx.index.by_month.items()
            if m.year == period.year
        )
        groups = (GroupView(f"Months of {period.year}", months),)
    else:
        trail.append((f"{period.label.split()[0]}", urls.period(period)))
    return _base(ctx, route, period.label, groups=groups, breadcrumbs=_crumbs(ctx, route, *trail))


def _search(ctx: Context, route: Route) -> PageView:
    page = search_page(_linker(ctx, route), offline=ctx.links.mode == "offline")
    return _base(ctx, route, "Search", breadcrumbs=_crumbs(ctx, route, ("Search", route.path)), search=page)


def _not_found(ctx: Context, route: Route) -> PageView:
    return _base(ctx, route, "Page not found")


_MAKERS: dict[str, Callable[[Context, Route], PageView]] = {
    "home": _home,
    "article": _article,
    "countries": _index_page,
    "topics": _index_page,
    "tags": _index_page,
    "country": _country,
    "country_topic": _country_topic,
    "topic": _topic,
    "tag": _tag,
    "archive": _archive,
    "year": _period,
    "month": _period,
    "404": _not_found,
    "search": _search,
}


def page_inputs(ctx: Context, route: Route) -> tuple[object, ...]:
    """Everything of the index that the page of ``route`` shows, as plain comparable data.

    Two builds that give a route equal inputs (with the same settings and
    templates) render byte-identical pages, so an unchanged page is not
    rendered again. Each kind lists exactly what its view maker above reads.
    """
    index = ctx.index
    digest = index.cards
    shown = tuple(digest[a.source_path] for a in route.articles)
    # The pages a page links to (shown_pages), not the whole series: the fingerprints of a series of
    # n pages would otherwise cost the square of n. The first page's path is among them, and the
    # others follow from it and the count.
    p = route.pagination
    pages = (
        (p.number, p.count, tuple(p.paths[n - 1] for n in shown_pages(p.number, p.count) if n)) if p else None
    )
    subject = route.subject.digest if isinstance(route.subject, Article) else _key(route.subject)
    common = (route.path, route.kind, subject, route.total, pages, shown)
    if route.kind == "feed":  # entries show whole articles, not just their cards
        return (*common, tuple(a.digest for a in route.articles))
    if route.kind in ("country", "topic") and (route.pagination is None or route.pagination.number == 1):
        months = ctx.plain_key(
            ("months", route.kind, _key(route.subject)), lambda: _subject_months(ctx, route)
        )
        common = (*common, months)
    if route.kind == "article":
        assert isinstance(route.subject, Article)
        near = index.neighbours[route.subject.source_path]
        linked = (near.previous, near.next, *near.related)
        return (*common, tuple(digest[a.source_path] if a else None for a in linked))
    if route.kind == "home":
        return (*common, ctx.plain_key("home", lambda: (_counts(index.by_country), _counts(index.by_topic))))
    if route.kind in ("countries", "topics", "tags"):
        groups = {"countries": index.by_country, "topics": index.by_topic, "tags": index.by_tag}
        return (*common, _counts(groups[route.kind]))
    if route.kind in ("country", "country_topic"):
        country = route.subject if isinstance(route.subject, Country) else route.subject[0]  # type: ignore[index]
        return (*common, ctx.plain_key(("topics of", country.code), lambda: index.topics_of_country(country)))
    if route.kind == "topic":
        topic = route.subject
        assert isinstance(topic, Topic)
        return (*common, ctx.plain_key(("countries of", topic.slug), lambda: index.countries_of_topic(topic)))
    if route.kind in ("archive", "year"):
        year = route.subject.year if isinstance(route.subject, Period) else None
        months = ctx.plain_key("months", lambda: tuple((p, len(a)) for p, a in index.by_month.items()))
        return (*common, tuple(m for m in months if year in (None, m[0][0])))  # type: ignore[index]
    return common


def _subject_months(ctx: Context, route: Route) -> object:
    group = ctx.index.by_country if route.kind == "country" else ctx.index.by_topic
    return sorted(month_counts(group.get(route.subject, ())).items())  # type: ignore[call-overload]


def _counts(groups: Mapping[Any, tuple[Article, ...]]) -> tuple[tuple[object, int], ...]:
    return tuple((_key(key), len(articles)) for key, articles in groups.items())


def _key(value: object) -> object:
    """Plain data for a subject or a group key: cheaper to compare and hash than dataclass reprs."""
    if isinstance(value, Country):
        return value.code
    if isinstance(value, Topic):
        return (value.slug, value.label, value.description)
    if isinstance(value, Tag):
        return (value.slug, value.label)
    if isinstance(value, Period):
        return (value.year, value.month)
    if isinstance(value, tuple):
        return tuple(_key(v) for v in value)
    return value
