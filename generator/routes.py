"""Every page of the site, decided from the index: one :class:`Route` an output file."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from generator import urls
from generator.index import SiteIndex
from generator.model import Article, Country, Period, Tag, Topic

RouteKind = Literal[
    "home", "article", "countries", "country", "country_topic", "topics", "topic",
    "tags", "tag", "archive", "year", "month", "404", "feed", "search",
]  # fmt: skip
Subject = Article | Country | Topic | Tag | Period | tuple[Country, Topic] | None

TEMPLATES: dict[str, str] = {
    "home": "home.html",
    "article": "article.html",
    "countries": "index.html",
    "topics": "index.html",
    "tags": "index.html",
    "archive": "archive.html",
    "404": "404.html",
    "feed": "",  # Atom, written by generator.feeds rather than a template
    "search": "search.html",
}


@dataclass(frozen=True)
class Pagination:
    number: int  # 1-based
    paths: tuple[str, ...]  # output path of every page of the series

    @property
    def count(self) -> int:
        return len(self.paths)


@dataclass(frozen=True)
class Route:
    """One output page: where it goes, what it shows and which template draws it."""

    path: str
    kind: RouteKind
    subject: Subject
    articles: tuple[Article, ...] = ()  # the articles on this page
    total: int = 0  # articles in the whole list
    pagination: Pagination | None = None

    @property
    def template(self) -> str:
        return TEMPLATES.get(self.kind, "list.html")


def build_routes(index: SiteIndex, page_size: int, feed_size: int = 20) -> tuple[Route, ...]:
    """All routes, in a stable order."""
    return tuple(_routes(index, page_size)) + tuple(_feeds(index, feed_size))


def _feeds(index: SiteIndex, size: int) -> Iterator[Route]:
    """The site's feed and one per country, topic and tag: their latest articles, newest first."""
    yield Route(urls.feed(), "feed", None, index.articles[:size], len(index.articles))
    groups: tuple[Mapping[Any, tuple[Article, ...]], ...] = (index.by_country, index.by_topic, index.by_tag)
    for group in groups:
        for subject, articles in group.items():
            yield Route(urls.feed(subject), "feed", subject, articles[:size], len(articles))


def _routes(index: SiteIndex, size: int) -> Iterator[Route]:
    yield from _paged("home", None, index.articles, size, lambda n: urls.home(n))
    for article in index.articles:
        yield Route(urls.article(article), "article", article)
    yield Route(urls.countries(), "countries", None)
    for country, arts in index.by_country.items():
        yield from _paged("country", country, arts, size, lambda n, c=country: urls.country(c, n))
    for (country, topic), arts in index.by_country_topic.items():
        yield from _paged(
            "country_topic",
            (country, topic),
            arts,
            size,
            lambda n, c=country, t=topic: urls.country_topic(c, t, n),
        )
    yield Route(urls.topics(), "topics", None)
    for topic, arts in index.by_topic.items():
        yield from _paged("topic", topic, arts, size, lambda n, t=topic: urls.topic(t, n))
    yield Route(urls.tags(), "tags", None)
    for tag, arts in index.by_tag.items():
        yield from _paged("tag", tag, arts, size, lambda n, t=tag: urls.tag(t, n))
    yield Route(urls.archive(), "archive", None)
    for period, arts in index.by_year.items():
        yield from _paged("year", period, arts, size, lambda n, p=period: urls.period(p, n))
    for period, arts in index.by_month.items():
        yield from _paged("month", period, arts, size, lambda n, p=period: urls.period(p, n))
    yield Route(urls.search(), "search", None)
    yield Route(urls.not_found(), "404", None)


def _paged(
    kind: RouteKind, subject: Subject, articles: tuple[Article, ...], size: int, path: Callable[[int], str]
) -> Iterator[Route]:
    """A list split into pages of ``size``; an empty list still gets its first page."""
    count = max(1, -(-len(articles) // size))
    paths = tuple(path(n) for n in range(1, count + 1))
    for number in range(1, count + 1):
        chunk = articles[(number - 1) * size : number * size]
        yield Route(paths[number - 1], kind, subject, chunk, len(articles), Pagination(number, paths))
