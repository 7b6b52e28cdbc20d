"""What pages carry besides their content: feeds, metadata for sharing, coverage charts, the map.

Kept apart from :mod:`generator.context` so each stays short; the view makers
there call these with the route they are drawing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime

from markupsafe import Markup

from generator import charts, urls
from generator.feeds import Feed, FeedEntry, entry_id
from generator.index import SiteIndex
from generator.metadata import json_ld_script, news_article_ld, opengraph_tags
from generator.model import Article, Country, StoredBody, Tag, Topic
from generator.routes import Route
from generator.urls import Links
from generator.views import Link
from generator.worldmap import world_map_svg

Month = tuple[int, int]
# A feed's own id needs a date (RFC 4151); a fixed one keeps the id the same forever.
FEED_ID_DAY = date(2000, 1, 1)
FEED_ID_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
Linker = Callable[..., str]


def feed_links(route: Route, link: Linker, site_title: str) -> tuple[Link, ...]:
    """The feed of the page's own country, topic or tag (if it has one), then the site's."""
    subject = route.subject
    own: tuple[Link, ...] = ()
    if route.kind in ("country", "topic", "tag") and isinstance(subject, Country | Topic | Tag):
        label = subject.name if isinstance(subject, Country) else subject.label
        own = (Link(f"{label} · {site_title}", link(urls.feed(subject))),)
    return (*own, Link(site_title, link(urls.feed())))


def page_meta(
    links: Links, route: Route, *, title: str, description: str, site_title: str, language: str
) -> Markup:
    """OpenGraph tags for every page, and JSON-LD NewsArticle for an article page."""
    url = links.absolute(route.path)
    article = route.subject if isinstance(route.subject, Article) else None
    tags = opengraph_tags(
        title=title,
        description=description,
        url=url,
        type="article" if article else "website",
        site_name=site_title,
        locale=language.replace("-", "_"),
        published=article.published if article else None,
    )
    if article is None:
        return tags
    data = news_article_ld(
        headline=article.title,
        description=article.summary,
        url=url,
        date_published=article.published if article.has_time else article.day,
        date_modified=article.updated,
        authors=article.authors,
        publisher_name=article.source or site_title,
        section=article.topics[0].label if article.topics else None,
        keywords=tuple(t.label for t in article.tags) + tuple(c.name for c in article.countries),
        in_language=article.language,
    )
    return Markup(tags + Markup("\n") + json_ld_script(data))


def month_counts(articles: tuple[Article, ...]) -> dict[Month, int]:
    return dict(Counter((a.published.year, a.published.month) for a in articles))


def coverage_chart(index: SiteIndex, route: Route) -> tuple[Markup, str, Markup]:
    """The timeline of a country's or topic's coverage, its summary and table; shown on the first page."""
    subject = route.subject
    first_page = route.pagination is None or route.pagination.number == 1
    if not first_page or not isinstance(subject, Country | Topic):
        return Markup(""), "", Markup("")
    articles = (
        index.by_country.get(subject, ()) if isinstance(subject, Country) else index.by_topic.get(subject, ())
    )
    counts = month_counts(articles)
    name = subject.name if isinstance(subject, Country) else subject.label
    title = f"Articles per month: {name}"
    return (
        charts.timeline_svg(counts, title=title, id_prefix=f"chart-{subject.slug}"),
        charts.timeline_summary(counts),
        charts.timeline_table(counts, caption=title),
    )


def countries_map(index: SiteIndex, link: Linker) -> Markup:
    counts = {c.code: len(a) for c, a in index.by_country.items()}
    links = {c.code: link(urls.country(c)) for c in index.by_country}
    names = {c.code: c.name for c in index.by_country}
    return world_map_svg(counts, links, names, id_prefix="world")


def feed_document(
    links: Links,
    route: Route,
    body: Callable[[Article], StoredBody],
    *,
    site_title: str,
    description: str,
    language: str,
    authority: str,
    full: bool,
) -> Feed:
    """The Atom feed of a feed route: its articles, newest first, with ids that outlive a move of the site."""
    subject = route.subject
    if isinstance(subject, Country | Topic | Tag):
        label = subject.name if isinstance(subject, Country) else subject.label
        title, page = f"{label} · {site_title}", _page_of(subject)
    else:
        title, page = site_title, urls.home()
    entries = tuple(_entry(links, a, body, authority, full) for a in route.articles)
    newest = max((e.updated for e in entries), default=None)
    return Feed(
        id=entry_id(authority, FEED_ID_DAY, links.absolute(page), links.base_url),
        title=title,
        subtitle=description,
        self_url=links.absolute(route.path),
        site_url=links.absolute(page),
        updated=newest or FEED_ID_MOMENT,
        language=language,
        entries=entries,
        author=site_title,
    )


def _entry(
    links: Links, a: Article, body: Callable[[Article], StoredBody], authority: str, full: bool
) -> FeedEntry:
    url = links.absolute(urls.article(a))
    return FeedEntry(
        id=entry_id(authority, a.day, url, links.base_url),
        title=a.title,
        url=url,
        published=a.published,
        updated=a.updated or a.published,
        summary=a.summary,
        content_html=body(a).html if full else None,
        authors=a.authors,
        categories=tuple(c.name for c in a.countries)
        + tuple(t.label for t in a.topics)
        + tuple(t.label for t in a.tags),
        language=a.language,
    )


def _page_of(subject: Country | Topic | Tag) -> str:
    if isinstance(subject, Country):
        return urls.country(subject)
    return urls.topic(subject) if isinstance(subject, Topic) else urls.tag(subject)
