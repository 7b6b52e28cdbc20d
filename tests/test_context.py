"""View models: what templates see is plain text and links already made by generator.urls."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from markupsafe import Markup
from test_routes import CONFLICT, REFUGEES, SYRIA, TURKEY, index_of, make, of_kind

from generator import views
from generator.config import LinkMode, SiteConfig
from generator.context import Context, direction, page_view, shown_pages, site_view
from generator.model import Article, StoredBody
from generator.routes import Route, build_routes
from generator.urls import Links

BASE = "https://example.org/archive/"
BODY_SUMMARY = "The first paragraph."


def body(article: Article) -> StoredBody:
    """A rendered body stand-in: the tests here are about views, not Markdown."""
    return StoredBody(
        html=f"<p>{BODY_SUMMARY}</p><h2 id='more'>More</h2>",
        summary=BODY_SUMMARY,
        words=len(BODY_SUMMARY.split()),
        toc=((2, "more", "More"),),
    )


def context(mode: LinkMode, *articles: Article, page_size: int = 5) -> tuple[Context, tuple[Route, ...]]:
    config = SiteConfig(
        root=Path("site"), title="Fixture archive", base_url=BASE, page_size=page_size, links=mode,
        topics=(CONFLICT, REFUGEES),
    )  # fmt: skip
    index = index_of(*articles)
    return Context(config, index, Links(mode, BASE), body), build_routes(index, page_size)


def route_at(routes: tuple[Route, ...], path: str) -> Route:
    (route,) = (r for r in routes if r.path == path)
    return route


OLDER = make("older", (2020, 1, 5))
ARTICLE = replace(
    make(
        "the-article", (2020, 2, 18), countries=(TURKEY, SYRIA), topics=(CONFLICT, REFUGEES), tags=("Idlib",)
    ),
    title="The Article",
    summary="A dek that is not the first paragraph.",
)
NEWER = make("newer", (2020, 3, 1), countries=(TURKEY,), topics=(REFUGEES,))
ARTICLE_PATH = "2020/02/the-article/index.html"


def link_pairs(links: tuple[views.Link, ...]) -> list[tuple[str, str]]:
    return [(link.label, link.url) for link in links]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("clean", {
            "home": "/archive/",
            "countries": [("Turkey", "/archive/countries/turkey/"), ("Syria", "/archive/countries/syria/")],
            "topics": [("Conflict", "/archive/topics/conflict/"),
                       ("Migration and refugees", "/archive/topics/refugees/")],
            "tags": [("Idlib", "/archive/tags/idlib/")],
            "previous": ("Older", "/archive/2020/01/older/"),
            "next": ("Newer", "/archive/2020/03/newer/"),
            "toc": [("More", "/archive/2020/02/the-article/#more")],
            "crumbs": ["/archive/", "/archive/2020/", "/archive/2020/02/", "/archive/2020/02/the-article/"],
            "stylesheets": ["/archive/assets/style.css", "/archive/assets/pygments.css"],
        }),
        ("offline", {
            "home": "../../../index.html",
            "countries": [("Turkey", "../../../countries/turkey/index.html"),
                          ("Syria", "../../../countries/syria/index.html")],
            "topics": [("Conflict", "../../../topics/conflict/index.html"),
                       ("Migration and refugees", "../../../topics/refugees/index.html")],
            "tags": [("Idlib", "../../../tags/idlib/index.html")],
            "previous": ("Older", "../../01/older/index.html"),
            "next": ("Newer", "../../03/newer/index.html"),
            "toc": [("More", "index.html#more")],
            "crumbs": ["../../../index.html", "../../index.html", "../index.html", "index.html"],
            "stylesheets": ["../../../assets/style.css", "../../../assets/pygments.css"],
        }),
    ],
)  # fmt: skip
def test_an_article_page_links_through_urls(mode: LinkMode, expected: dict[str, object]) -> None:
    ctx, routes = context(mode, OLDER, ARTICLE, NEWER)
    route = route_at(routes, ARTICLE_PATH)
    page, site = page_view(ctx, route), site_view(ctx, route)
    article = page.article
    assert article is not None
    assert site.home_url == expected["home"]
    assert list(site.stylesheets) == expected["stylesheets"]
    assert link_pairs(article.countries) == expected["countries"]  # in the article's own order
    assert link_pairs(article.topics) == expected["topics"]
    assert link_pairs(article.tags) == expected["tags"]
    assert article.previous and (article.previous.label, article.previous.url) == expected["previous"]
    assert article.next and (article.next.label, article.next.url) == expected["next"]
    assert link_pairs(article.toc) == expected["toc"]
    assert [c.url for c in page.breadcrumbs] == expected["crumbs"]
    assert [c.label for c in page.breadcrumbs] == ["Home", "2020", "February", "The Article"]
    assert [c.current for c in page.breadcrumbs] == [False, False, False, True]
    # The canonical URL is absolute in both modes: it names the published page.
    assert page.canonical_url == "https://example.org/archive/2020/02/the-article/"


def test_an_article_view_shows_its_metadata_in_words() -> None:
    long = replace(ARTICLE, word_count=231, authors=("Jane Doe",))
    ctx, routes = context("clean", OLDER, long, NEWER)
    article = page_view(ctx, route_at(routes, ARTICLE_PATH)).article
    assert article is not None
    assert (article.date_iso, article.date_label) == ("2020-02-18", "18 February 2020")
    assert article.reading_minutes == 2  # 231 words at 230 a minute, rounded up
    assert article.dek == "A dek that is not the first paragraph."
    assert article.authors == ("Jane Doe",)
    assert str(article.body_html).startswith(f"<p>{BODY_SUMMARY}</p>")


def test_a_summary_that_is_the_first_paragraph_is_not_repeated_as_a_dek() -> None:
    same = replace(ARTICLE, summary=BODY_SUMMARY, word_count=0)
    ctx, routes = context("clean", same)
    article = page_view(ctx, route_at(routes, ARTICLE_PATH)).article
    assert article is not None
    assert article.dek is None
    assert article.reading_minutes == 1  # never "0 min read"


def test_a_card_links_from_the_page_that_shows_it() -> None:
    # Cards are made once per folder and reused: a card made for one folder must not leak into another.
    ctx, routes = context("offline", OLDER, ARTICLE, NEWER)
    home = page_view(ctx, route_at(routes, "index.html"))
    country = page_view(ctx, route_at(routes, "countries/syria/index.html"))
    pair = page_view(ctx, route_at(routes, "countries/syria/conflict/index.html"))
    assert [c.url for c in home.articles if c.title == "The Article"] == [ARTICLE_PATH]
    assert [c.url for c in country.articles if c.title == "The Article"] == [f"../../{ARTICLE_PATH}"]
    assert [c.url for c in pair.articles if c.title == "The Article"] == [f"../../../{ARTICLE_PATH}"]


def test_a_country_and_topic_page_is_linked_from_both_sides() -> None:
    ctx, routes = context("clean", OLDER, ARTICLE, NEWER)
    country = page_view(ctx, route_at(routes, "countries/syria/index.html"))
    topic = page_view(ctx, route_at(routes, "topics/refugees/index.html"))
    pair = page_view(ctx, route_at(routes, "countries/syria/refugees/index.html"))
    assert [(g.heading, [(x.label, x.url, x.count) for x in g.links]) for g in country.groups] == [
        ("Topics in Syria", [
            ("Conflict", "/archive/countries/syria/conflict/", 2),
            ("Migration and refugees", "/archive/countries/syria/refugees/", 1),
        ]),
    ]  # fmt: skip
    assert [(g.heading, [(x.label, x.url, x.count) for x in g.links]) for g in topic.groups] == [
        ("Migration and refugees by country", [
            ("Syria", "/archive/countries/syria/refugees/", 1),
            ("Turkey", "/archive/countries/turkey/refugees/", 2),
        ]),
    ]  # fmt: skip
    assert pair.title == "Migration and refugees in Syria"
    assert [x.label for x in pair.groups[0].links if x.current] == ["Migration and refugees"]
    assert link_pairs(pair.groups[1].links) == [
        ("All of Syria", "/archive/countries/syria/"),
        ("Migration and refugees everywhere", "/archive/topics/refugees/"),
    ]


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("index.html", "Home"),
        (ARTICLE_PATH, None),
        ("countries/index.html", "Countries"),
        ("countries/syria/conflict/index.html", "Countries"),
        ("topics/conflict/index.html", "Topics"),
        ("tags/idlib/index.html", "Tags"),
        ("2020/02/index.html", "Archive"),
        ("search/index.html", "Search"),
        ("404.html", None),
    ],
)
def test_the_navigation_marks_the_section_the_reader_is_in(path: str, current: str | None) -> None:
    ctx, routes = context("clean", OLDER, ARTICLE, NEWER)
    nav = site_view(ctx, route_at(routes, path)).nav
    assert [link.label for link in nav] == ["Home", "Countries", "Topics", "Tags", "Archive", "Search"]
    assert [link.label for link in nav if link.current] == ([current] if current else [])


def test_pagination_links_the_pages_of_a_series() -> None:
    ctx, routes = context("offline", *(make(f"a{i}", (2020, 1, 1 + i)) for i in range(5)), page_size=2)
    first, second, third = (page_view(ctx, r) for r in of_kind(routes, "country"))
    assert (first.head_title, second.head_title) == (
        "Syria · Fixture archive",
        "Syria, page 2 · Fixture archive",
    )
    p = second.pagination
    assert p is not None
    assert (p.number, p.count) == (2, 3)
    assert (p.previous_url, p.next_url) == ("../../index.html", "../3/index.html")
    assert [(x.label, x.url, x.current) for x in p.pages] == [
        ("1", "../../index.html", False),
        ("2", "index.html", True),
        ("3", "../3/index.html", False),
    ]
    assert first.pagination and (first.pagination.previous_url, first.pagination.next_url) == (
        None,
        "page/2/index.html",
    )
    assert third.pagination and third.pagination.next_url is None
    assert [page.total for page in (first, second, third)] == [5, 5, 5]


def test_a_single_page_list_has_no_pagination() -> None:
    ctx, routes = context("clean", OLDER, ARTICLE)
    assert page_view(ctx, route_at(routes, "countries/syria/index.html")).pagination is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "ltr"),
        ("ar", "rtl"),
        ("fa-AF", "rtl"),
        ("HE", "rtl"),
        ("ur", "rtl"),
        ("tr", "ltr"),
        ("", "ltr"),
    ],
)
def test_direction_of_a_language(language: str, expected: str) -> None:
    assert direction(language) == expected


def test_an_article_in_another_language_keeps_its_own_language_and_direction() -> None:
    arabic = replace(ARTICLE, language="ar")
    ctx, routes = context("clean", OLDER, arabic)
    page = page_view(ctx, route_at(routes, ARTICLE_PATH))
    home = page_view(ctx, route_at(routes, "index.html"))
    assert (page.language, page.direction) == ("ar", "rtl")
    assert (home.language, home.direction) == ("en", "ltr")


PLAIN = (str, int, bool, type(None))


def leaves(value: object, where: str) -> Iterator[tuple[str, object]]:
    """Every value inside a view, by where it is; a dataclass yields itself and then its fields."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield where, value
        for f in dataclasses.fields(value):
            yield from leaves(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, tuple | views.PageLinks):
        for i, item in enumerate(value):
            yield from leaves(item, f"{where}[{i}]")
    else:
        yield where, value


@pytest.mark.parametrize("mode", ["clean", "offline"])
def test_views_hold_no_internal_objects_and_only_ready_links(mode: LinkMode) -> None:
    ctx, routes = context(mode, OLDER, ARTICLE, NEWER, page_size=2)
    wrong: list[str] = []
    for route in routes:
        if route.kind == "feed":  # written by code, from the route itself
            continue
        for name, view in (("site", site_view(ctx, route)), ("page", page_view(ctx, route))):
            for where, value in leaves(view, f"{route.path}: {name}"):
                if dataclasses.is_dataclass(value):
                    if type(value).__module__ != views.__name__:
                        wrong.append(f"{where}: a {type(value).__name__}")
                elif not isinstance(value, PLAIN):  # Markup is a str
                    wrong.append(f"{where}: a {type(value).__name__}")
                elif where.endswith(".url") and isinstance(value, str):
                    # A link is ready to print: under the base path (clean) or relative (offline).
                    ok = (
                        value.startswith("/archive/")
                        if mode == "clean"
                        else not value.startswith(("/", "http"))
                    )
                    if not ok:
                        wrong.append(f"{where}: {value}")
    assert wrong == []


def test_markup_in_views_is_only_what_dateline_made_safe() -> None:
    # Text from articles stays str, so autoescape escapes it; only sanitized HTML is Markup.
    hostile = replace(ARTICLE, title="<script>x</script>", summary="<b>s</b>")
    ctx, routes = context("clean", hostile)
    page = page_view(ctx, route_at(routes, ARTICLE_PATH))
    assert page.article is not None
    assert not isinstance(page.title, Markup)
    assert not isinstance(page.article.summary, Markup)
    assert isinstance(page.article.body_html, Markup)
    assert "<script>x</script>" not in str(page.meta)


def _shown_by_the_old_rule(number: int, count: int) -> list[int | None]:
    """What the theme's pagination showed when it looped over every page of the series."""
    shown: list[int | None] = []
    for n in range(1, count + 1):
        if (
            n in (1, count)
            or abs(n - number) <= 2
            or (n == 2 and number == 5)
            or (n == count - 1 and number == count - 4)
        ):
            shown.append(n)
        elif n in (2, count - 1):
            shown.append(None)
    return shown


@pytest.mark.parametrize("count", range(1, 16))
def test_a_page_links_the_pages_near_it_and_the_ends_of_its_series(count: int) -> None:
    for number in range(1, count + 1):
        assert shown_pages(number, count) == _shown_by_the_old_rule(number, count)


def test_a_long_series_shows_a_few_links_and_keeps_every_page() -> None:
    ctx, routes = context("offline", *(make(f"a{i}", (2020, 1, 1 + i)) for i in range(25)), page_size=2)
    pages = [page_view(ctx, r) for r in of_kind(routes, "country")]
    p = pages[6].pagination
    assert p is not None and (p.number, p.count) == (7, 13)
    assert [link.label if link else None for link in p.shown] == [
        "1",
        None,
        "5",
        "6",
        "7",
        "8",
        "9",
        None,
        "13",
    ]
    assert [link.label for link in p.pages] == [str(n) for n in range(1, 14)]
    assert p.pages[6].current and p.shown[4] == p.pages[6]
