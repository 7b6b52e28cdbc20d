"""Routes: every output page decided from the index, paginated, in a stable order."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from test_index import _random_archive

from generator import urls
from generator.countries import country_by_code
from generator.index import SiteIndex, build_index, patched_index, relation_signature
from generator.model import Article, Country, Period, Tag, Topic
from generator.routes import Route, build_routes, patched_routes, route_places

SYRIA = country_by_code("SY")
TURKEY = country_by_code("TR")
CONFLICT = Topic("conflict", "Conflict")
REFUGEES = Topic("refugees", "Migration and refugees")
TOPICS = (CONFLICT, REFUGEES)


def make(
    slug: str,
    when: tuple[int, int, int],
    *,
    countries: tuple[Country, ...] = (SYRIA,),
    topics: tuple[Topic, ...] = (CONFLICT,),
    tags: tuple[str, ...] = (),
) -> Article:
    """A synthetic article's metadata: only what routes look at is varied."""
    return Article(
        source_path=f"content/{slug}.md", slug=slug, title=slug.title(),
        published=datetime(*when, tzinfo=UTC), has_time=False, updated=None, summary="", source=None,
        source_url=None, authors=(), credits=(), countries=countries, topics=topics,
        tags=tuple(Tag(t.lower(), t) for t in tags), language="en", draft=False, body_digest=slug,
    )  # fmt: skip


def index_of(*articles: Article) -> SiteIndex:
    index, problems = build_index(articles, TOPICS)
    assert problems == []
    return index


def of_kind(routes: tuple[Route, ...], kind: str) -> list[Route]:
    return [r for r in routes if r.kind == kind]


def days(n: int) -> list[Article]:
    """``n`` articles a day apart in January and February 2020, all about conflict in Syria."""
    return [make(f"a{i:02d}", (2020, 1 + i // 28, 1 + i % 28)) for i in range(n)]


@pytest.mark.parametrize(
    ("count", "size", "chunks", "paths"),
    [
        (0, 5, [0], ["index.html"]),  # an empty list still has its first page
        (1, 5, [1], ["index.html"]),
        (5, 5, [5], ["index.html"]),
        (6, 5, [5, 1], ["index.html", "page/2/index.html"]),
        (11, 5, [5, 5, 1], ["index.html", "page/2/index.html", "page/3/index.html"]),
        (3, 1, [1, 1, 1], ["index.html", "page/2/index.html", "page/3/index.html"]),
    ],
)
def test_home_is_split_into_pages(count: int, size: int, chunks: list[int], paths: list[str]) -> None:
    index = index_of(*days(count))
    home = of_kind(build_routes(index, size), "home")
    assert [r.path for r in home] == paths
    assert [len(r.articles) for r in home] == chunks
    assert [r.pagination.number for r in home if r.pagination] == list(range(1, len(paths) + 1))
    assert {r.pagination.paths for r in home if r.pagination} == {tuple(paths)}
    assert {r.total for r in home} == {count}
    # Pages follow one another newest first, each article once.
    shown = [a for r in home for a in r.articles]
    assert shown == list(index.articles)


def test_every_list_is_paginated_under_its_own_folder() -> None:
    routes = build_routes(index_of(*days(7)), 3)
    expected = {
        "country": [urls.country(SYRIA, n) for n in (1, 2, 3)],
        "country_topic": [urls.country_topic(SYRIA, CONFLICT, n) for n in (1, 2, 3)],
        "topic": [urls.topic(CONFLICT, n) for n in (1, 2, 3)],
        "year": [urls.period(Period(2020), n) for n in (1, 2, 3)],
        "month": [urls.period(Period(2020, 1), n) for n in (1, 2, 3)],
    }
    for kind, paths in expected.items():
        assert [r.path for r in of_kind(routes, kind)] == paths, kind
    assert urls.country(SYRIA, 3) == "countries/syria/page/3/index.html"
    assert [len(r.articles) for r in of_kind(routes, "month")] == [3, 3, 1]


def test_tags_get_pages_and_untagged_articles_none() -> None:
    routes = build_routes(
        index_of(make("a", (2020, 1, 1), tags=("Idlib", "Hasakah")), make("b", (2020, 1, 2))), 5
    )
    assert [(r.path, r.total) for r in of_kind(routes, "tag")] == [
        ("tags/hasakah/index.html", 1),
        ("tags/idlib/index.html", 1),
    ]


def test_country_topic_pages_only_where_articles_exist() -> None:
    index = index_of(
        make("syria-conflict", (2020, 1, 1), countries=(SYRIA,), topics=(CONFLICT,)),
        make("turkey-refugees", (2020, 1, 2), countries=(TURKEY,), topics=(REFUGEES,)),
    )
    pairs = of_kind(build_routes(index, 5), "country_topic")
    assert [(r.subject, r.path, [a.slug for a in r.articles]) for r in pairs] == [
        ((SYRIA, CONFLICT), "countries/syria/conflict/index.html", ["syria-conflict"]),
        ((TURKEY, REFUGEES), "countries/turkey/refugees/index.html", ["turkey-refugees"]),
    ]  # no Syria and refugees, no Turkey and conflict


def test_one_page_per_article_at_its_dated_path() -> None:
    a, b = make("first", (2019, 12, 31)), make("second", (2020, 2, 18))
    articles = of_kind(build_routes(index_of(a, b), 5), "article")
    assert [(r.path, r.subject) for r in articles] == [
        ("2020/02/second/index.html", b),
        ("2019/12/first/index.html", a),
    ]
    assert all(r.pagination is None and r.articles == () for r in articles)


def test_feeds_of_the_site_and_each_country_topic_and_tag() -> None:
    articles = [
        make(f"a{i}", (2020, 1, 1 + i), countries=(SYRIA, TURKEY) if i % 2 else (SYRIA,), tags=("Idlib",))
        for i in range(5)
    ]
    feeds = of_kind(build_routes(index_of(*articles), page_size=2, feed_size=3), "feed")
    assert [(r.path, r.total, [a.slug for a in r.articles]) for r in feeds] == [
        ("feed.xml", 5, ["a4", "a3", "a2"]),  # the latest feed_size, newest first
        ("countries/syria/feed.xml", 5, ["a4", "a3", "a2"]),
        ("countries/turkey/feed.xml", 2, ["a3", "a1"]),
        ("topics/conflict/feed.xml", 5, ["a4", "a3", "a2"]),
        ("tags/idlib/feed.xml", 5, ["a4", "a3", "a2"]),
    ]
    assert {r.template for r in feeds} == {""}  # written by generator.feeds, not by a template
    assert all(r.pagination is None for r in feeds)


def test_pages_without_a_list_are_always_there() -> None:
    routes = build_routes(index_of(), 5)
    assert [(r.kind, r.path) for r in routes] == [
        ("home", "index.html"),
        ("countries", "countries/index.html"),
        ("topics", "topics/index.html"),
        ("tags", "tags/index.html"),
        ("archive", "archive/index.html"),
        ("search", "search/index.html"),
        ("404", "404.html"),
        ("feed", "feed.xml"),
    ]


@pytest.mark.parametrize(
    ("kind", "template"),
    [
        ("home", "home.html"),
        ("article", "article.html"),
        ("countries", "index.html"),
        ("topics", "index.html"),
        ("tags", "index.html"),
        ("country", "list.html"),
        ("country_topic", "list.html"),
        ("topic", "list.html"),
        ("tag", "list.html"),
        ("year", "list.html"),
        ("month", "list.html"),
        ("archive", "archive.html"),
        ("search", "search.html"),
        ("404", "404.html"),
    ],
)
def test_each_kind_is_drawn_by_its_template(kind: str, template: str) -> None:
    routes = build_routes(index_of(make("a", (2020, 1, 1), tags=("Idlib",))), 5)
    assert {r.template for r in of_kind(routes, kind)} == {template}


def test_order_is_stable_whatever_order_articles_come_in() -> None:
    articles = [
        make("b", (2020, 3, 1), countries=(TURKEY, SYRIA), topics=(REFUGEES, CONFLICT), tags=("Idlib",)),
        make("a", (2020, 3, 1), tags=("Hasakah",)),  # same day as b: the slug decides
        make("c", (2019, 7, 9), countries=(TURKEY,), topics=(REFUGEES,)),
        *days(4),
    ]
    routes = build_routes(index_of(*articles), 2)
    again = build_routes(index_of(*reversed(articles)), 2)
    assert routes == again
    # Kinds come in blocks, in the order the site is read: lists before indexes, feeds last.
    kinds = list(dict.fromkeys(r.kind for r in routes))
    assert kinds == [
        "home", "article", "countries", "country", "country_topic", "topics", "topic",
        "tags", "tag", "archive", "year", "month", "search", "404", "feed",
    ]  # fmt: skip
    # Within a block: years newest first, countries by name, each list's pages in turn.
    assert [r.path for r in of_kind(routes, "year")] == [
        "2020/index.html", "2020/page/2/index.html", "2020/page/3/index.html", "2019/index.html",
    ]  # fmt: skip
    assert [r.path for r in of_kind(routes, "country")] == [
        "countries/syria/index.html", "countries/syria/page/2/index.html", "countries/syria/page/3/index.html",
        "countries/turkey/index.html",
    ]  # fmt: skip


def test_no_two_routes_share_a_path() -> None:
    articles = [
        make(f"a{i}", (2018 + i % 3, 1 + i % 12, 1 + i % 28), countries=(SYRIA, TURKEY)[: 1 + i % 2],
             topics=TOPICS[: 1 + i % 2], tags=("Idlib", "Hasakah")[: i % 3])
        for i in range(40)
    ]  # fmt: skip
    paths = Counter(r.path for r in build_routes(index_of(*articles), 3))
    assert [p for p, n in paths.items() if n > 1] == []


@pytest.mark.parametrize("seed", range(6))
def test_patched_routes_are_the_routes_made_anew(seed: int) -> None:
    """What the preview server does after an edit that leaves every article's place: only the
    routes showing the edited articles are made again, and the result equals build_routes()."""
    rng = random.Random(seed)
    before = _random_archive(rng, 90)
    old, _ = build_index(before, TOPICS, None, relation_signature(before))
    routes = build_routes(old, 7, 5)
    places = route_places(routes)
    assert places is not None
    after = list(before)
    for i in rng.sample(range(len(after)), rng.randint(1, 5)):
        after[i] = replace(after[i], title=f"{after[i].title} (edited)", card_digest=f"c{rng.random()}")
    signature = relation_signature(after)
    new = patched_index(old, after, signature)
    assert new is not None
    patched = patched_routes(routes, places, old, new)
    assert patched == build_routes(new, 7, 5)
    mine = {a.source_path: a for a in after}
    assert all(a is mine[a.source_path] for r in patched for a in r.articles)
    rebuilt, _ = build_index(after, TOPICS, None, signature)  # an index equal to the patched one
    assert patched_routes(routes, places, old, rebuilt) == build_routes(rebuilt, 7, 5)


def test_route_places_stop_when_asked() -> None:
    """Made ahead by the preview server while it waits, and given up when an edit comes."""
    before = _random_archive(random.Random(3), 700)
    index, _ = build_index(before, TOPICS, None, relation_signature(before))
    routes = build_routes(index, 2, 5)
    assert len(routes) > 4096
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    assert route_places(routes, stop) is None and len(asked) == 2
    whole = route_places(routes, lambda: False)
    assert whole == route_places(routes) and whole is not None
    assert all(n < len(routes) for numbers in whole.values() for n in numbers)


def test_routes_are_not_patched_for_an_index_of_another_shape() -> None:
    before = _random_archive(random.Random(9), 30)
    old, _ = build_index(before, TOPICS, None, relation_signature(before))
    routes = build_routes(old, 7, 5)
    moved = [replace(before[0], published=datetime(2021, 1, 1, tzinfo=UTC)), *before[1:]]
    relabelled = [replace(a, tags=tuple(Tag(t.slug, t.label.upper()) for t in a.tags)) for a in before]
    for articles, topics in (
        (moved, TOPICS),
        (relabelled, TOPICS),
        (before, TOPICS[::-1]),
        (before[1:], TOPICS),
    ):
        new, _ = build_index(articles, topics, None, relation_signature(articles))
        assert patched_routes(routes, route_places(routes) or {}, old, new) is None
