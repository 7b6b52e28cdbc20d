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


def route_places(
    routes: tuple[Route, ...], stop: Callable[[], bool] = lambda: False
) -> dict[str, tuple[int, ...]] | None:
    """The numbers of the routes that show each article (as their subject or in their list), by
    the article's source path; None when ``stop()``, asked every few thousand routes, said so."""
    places: dict[str, list[int]] = {}
    for number, route in enumerate(routes):
        if number % 4096 == 0 and stop():
            return None
        if isinstance(route.subject, Article):
            places.setdefault(route.subject.source_path, []).append(number)
        for article in route.articles:
            places.setdefault(article.source_path, []).append(number)
    return {path: tuple(numbers) for path, numbers in places.items()}


def patched_routes(
    routes: tuple[Route, ...], places: Mapping[str, tuple[int, ...]], old: SiteIndex, new: SiteIndex
) -> tuple[Route, ...] | None:
    """What build_routes() gives for ``new``, made from ``routes``, which it gave for ``old``
    (``places`` being their route_places()), when ``new`` holds the same articles in the same
    groups and order, some of them other objects (see index.patched_index): only the routes that
    show those are made again. None when ``new`` is not such an index."""
    if new.signature != old.signature or len(new.articles) != len(old.articles):
        return None
    if any(list(a) != list(b) for a, b in _groups(old, new)):
        return None  # a tag's label, or the topics' order
    changed: dict[str, Article] = {}
    for was, now in zip(old.articles, new.articles, strict=True):
        if was.source_path != now.source_path:
            return None
        if was is not now:
            changed[now.source_path] = now
    result = list(routes)
    for path in changed:
        for number in places.get(path, ()):
            route = result[number]
            subject = route.subject
            if isinstance(subject, Article):
                subject = changed.get(subject.source_path, subject)
            swapped = tuple([changed.get(a.source_path, a) for a in route.articles])
            result[number] = Route(route.path, route.kind, subject, swapped, route.total, route.pagination)
    return tuple(result)


def _groups(old: SiteIndex, new: SiteIndex) -> Iterator[tuple[Mapping[Any, Any], Mapping[Any, Any]]]:
    yield old.by_country, new.by_country
    yield old.by_topic, new.by_topic
    yield old.by_tag, new.by_tag
    yield old.by_country_topic, new.by_country_topic
