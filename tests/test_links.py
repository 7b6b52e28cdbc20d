"""Links: every link of every built site resolves, and generator.urls writes exactly the expected strings."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from pathlib import Path

import pytest
from linkcheck import check_links, html_files, parse_page
from regenerate_golden import SITES

from generator import urls
from generator.config import load_config
from generator.countries import country_by_code
from generator.model import Article, Period, Tag, Topic
from generator.urls import Links

SYRIA = country_by_code("SY")
CONFLICT = Topic("conflict", "Conflict")
GREEK_TAG = Tag("ελλάδα", "Ελλάδα")
GREEK_ENC = "%CE%B5%CE%BB%CE%BB%CE%AC%CE%B4%CE%B1"
ARTICLE = Article(
    source_path="content/other.md", slug="other-slug", title="Other", published=datetime(2020, 2, 3, tzinfo=UTC),
    has_time=False, updated=None, summary="", source=None, source_url=None, authors=(), credits=(),
    countries=(SYRIA,), topics=(CONFLICT,), tags=(), language="en", draft=False, body_digest="",
)  # fmt: skip

# Pages the links are written in: the home page, an article, a later page of a list.
ROOT_PAGE = "index.html"
ARTICLE_PAGE = "2020/02/some-slug/index.html"
PAGED_PAGE = "countries/syria/page/2/index.html"

# target -> (clean with base https://example.org/archive/, offline from ROOT_PAGE, ARTICLE_PAGE, PAGED_PAGE)
LINK_TABLE: dict[str, tuple[str, str, str, str, str]] = {
    "home": (urls.home(), "/archive/", "index.html", "../../../index.html", "../../../../index.html"),
    "home-2": (urls.home(2), "/archive/page/2/", "page/2/index.html", "../../../page/2/index.html",
               "../../../../page/2/index.html"),
    "article": (urls.article(ARTICLE), "/archive/2020/02/other-slug/", "2020/02/other-slug/index.html",
                "../other-slug/index.html", "../../../../2020/02/other-slug/index.html"),
    "countries": (urls.countries(), "/archive/countries/", "countries/index.html",
                  "../../../countries/index.html", "../../../index.html"),
    "country": (urls.country(SYRIA), "/archive/countries/syria/", "countries/syria/index.html",
                "../../../countries/syria/index.html", "../../index.html"),
    "country-2": (urls.country(SYRIA, 2), "/archive/countries/syria/page/2/",
                  "countries/syria/page/2/index.html", "../../../countries/syria/page/2/index.html", "index.html"),
    "country_topic": (urls.country_topic(SYRIA, CONFLICT), "/archive/countries/syria/conflict/",
                      "countries/syria/conflict/index.html", "../../../countries/syria/conflict/index.html",
                      "../../conflict/index.html"),
    "topics": (urls.topics(), "/archive/topics/", "topics/index.html", "../../../topics/index.html",
               "../../../../topics/index.html"),
    "topic": (urls.topic(CONFLICT), "/archive/topics/conflict/", "topics/conflict/index.html",
              "../../../topics/conflict/index.html", "../../../../topics/conflict/index.html"),
    "tags": (urls.tags(), "/archive/tags/", "tags/index.html", "../../../tags/index.html",
             "../../../../tags/index.html"),
    "tag": (urls.tag(GREEK_TAG), f"/archive/tags/{GREEK_ENC}/", f"tags/{GREEK_ENC}/index.html",
            f"../../../tags/{GREEK_ENC}/index.html", f"../../../../tags/{GREEK_ENC}/index.html"),
    "archive": (urls.archive(), "/archive/archive/", "archive/index.html", "../../../archive/index.html",
                "../../../../archive/index.html"),
    "year": (urls.period(Period(2020)), "/archive/2020/", "2020/index.html", "../../index.html",
             "../../../../2020/index.html"),
    "month": (urls.period(Period(2020, 2)), "/archive/2020/02/", "2020/02/index.html", "../index.html",
              "../../../../2020/02/index.html"),
    "404": (urls.not_found(), "/archive/404.html", "404.html", "../../../404.html", "../../../../404.html"),
    "asset": (urls.asset("style.css"), "/archive/assets/style.css", "assets/style.css",
              "../../../assets/style.css", "../../../../assets/style.css"),
    "feed": (urls.feed(), "/archive/feed.xml", "feed.xml", "../../../feed.xml", "../../../../feed.xml"),
    "feed-country": (urls.feed(SYRIA), "/archive/countries/syria/feed.xml", "countries/syria/feed.xml",
                     "../../../countries/syria/feed.xml", "../../feed.xml"),
    "feed-topic": (urls.feed(CONFLICT), "/archive/topics/conflict/feed.xml", "topics/conflict/feed.xml",
                   "../../../topics/conflict/feed.xml", "../../../../topics/conflict/feed.xml"),
    "feed-tag": (urls.feed(GREEK_TAG), f"/archive/tags/{GREEK_ENC}/feed.xml", f"tags/{GREEK_ENC}/feed.xml",
                 f"../../../tags/{GREEK_ENC}/feed.xml", f"../../../../tags/{GREEK_ENC}/feed.xml"),
    "search": (urls.search(), "/archive/search/", "search/index.html", "../../../search/index.html",
               "../../../../search/index.html"),
    "sitemap": (urls.sitemap(), "/archive/sitemap.xml", "sitemap.xml", "../../../sitemap.xml",
                "../../../../sitemap.xml"),
    "robots": (urls.robots(), "/archive/robots.txt", "robots.txt", "../../../robots.txt",
               "../../../../robots.txt"),
}  # fmt: skip
CASES = [
    pytest.param(row[0], source, mode, expected, id=f"{name}-{mode}-from-{source.split('/')[0]}")
    for name, row in LINK_TABLE.items()
    for source, clean, offline in zip(
        (ROOT_PAGE, ARTICLE_PAGE, PAGED_PAGE), (row[1],) * 3, row[2:], strict=True
    )
    for mode, expected in (("clean", clean), ("offline", offline))
]


# Rows whose name is not the urls function they call.
ROW_FUNCTION = {"404": "not_found", "year": "period", "month": "period"}


def test_link_table_has_a_row_for_every_path_function() -> None:
    # A path function added to generator/urls.py without a row here would go untested in both modes.
    functions = {
        name
        for name, function in inspect.getmembers(urls, inspect.isfunction)
        if function.__module__ == urls.__name__ and not name.startswith("_")
    }
    covered = {ROW_FUNCTION.get(name, name.split("-")[0]) for name in LINK_TABLE}
    assert functions - covered == set()


@pytest.mark.parametrize(("target", "source", "mode", "expected"), CASES)
def test_link_table(target: str, source: str, mode: str, expected: str) -> None:
    assert Links(mode, "https://example.org/archive/").url(target, source=source) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "base", "target", "source", "fragment", "expected"),
    [
        ("offline", "https://example.org/", urls.countries(), "countries/syria/index.html", "", "../index.html"),
        ("clean", "https://example.org/", urls.countries(), ARTICLE_PAGE, "", "/countries/"),
        ("clean", "https://example.org/", urls.home(), ARTICLE_PAGE, "", "/"),
        ("clean", "https://example.org/", urls.home(3), ROOT_PAGE, "", "/page/3/"),
        ("offline", "https://example.org/", ARTICLE_PAGE, ARTICLE_PAGE, "notes", "index.html#notes"),
        ("clean", "https://example.org/archive/", ARTICLE_PAGE, ARTICLE_PAGE, "notes", "/archive/2020/02/some-slug/#notes"),
        ("offline", "https://example.org/", urls.not_found(), urls.not_found(), "", "404.html"),
    ],
)  # fmt: skip
def test_link_special_cases(
    mode: str, base: str, target: str, source: str, fragment: str, expected: str
) -> None:
    assert Links(mode, base).url(target, source=source, fragment=fragment) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("base", "target", "expected"),
    [
        ("https://example.org/archive/", urls.home(), "https://example.org/archive/"),
        ("https://example.org/archive/", urls.country(SYRIA, 2), "https://example.org/archive/countries/syria/page/2/"),
        ("https://example.org/archive/", urls.tag(GREEK_TAG), f"https://example.org/archive/tags/{GREEK_ENC}/"),
        ("https://example.org/archive/", urls.not_found(), "https://example.org/archive/404.html"),
        ("https://example.org/", urls.article(ARTICLE), "https://example.org/2020/02/other-slug/"),
        ("https://example.org/", urls.asset("style.css"), "https://example.org/assets/style.css"),
        # Feeds, the sitemap and robots.txt name pages by their full URL.
        ("https://example.org/archive/", urls.feed(SYRIA), "https://example.org/archive/countries/syria/feed.xml"),
        ("https://example.org/archive/", urls.search(), "https://example.org/archive/search/"),
        ("https://example.org/archive/", urls.sitemap(), "https://example.org/archive/sitemap.xml"),
        ("https://example.org/", urls.robots(), "https://example.org/robots.txt"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("mode", ["clean", "offline"])
def test_absolute(base: str, target: str, expected: str, mode: str) -> None:
    assert Links(mode, base).absolute(target) == expected  # type: ignore[arg-type]


SITE_MODES = [(site, mode) for site in SITES for mode in ("clean", "offline")] + [("multi", "clean-drafts")]


@pytest.mark.parametrize(("site", "mode"), SITE_MODES, ids=[f"{s}-{m}" for s, m in SITE_MODES])
def test_no_broken_links(site: str, mode: str, built_site) -> None:
    out = built_site(site, mode)
    base_url = load_config(SITES[site]).base_url
    assert len(html_files(out)) > 5
    broken = check_links(out, base_url, "offline" if mode == "offline" else "clean")
    assert not broken, "\n".join(map(str, broken))


def _internal_links(out: Path) -> list[tuple[str, str]]:
    return [
        (name, url)
        for name in html_files(out)
        for url in parse_page(out / name).urls
        if not url.startswith(("https:", "http:", "mailto:", "#"))
    ]


@pytest.mark.parametrize("site", list(SITES))
def test_offline_links_are_relative_file_links(site: str, built_site) -> None:
    links = _internal_links(built_site(site, "offline"))
    assert links
    assert not [(page, url) for page, url in links if url.startswith("/") or url.split("#")[0].endswith("/")]


def test_clean_links_stay_under_the_base_path(built_site) -> None:
    links = _internal_links(built_site("multi", "clean"))
    assert not [(page, url) for page, url in links if not url.startswith("/archive/")]


CAFE = "2021/01/cafe-deja-vu-a-synthetic-fixture-about-lyon/index.html"


@pytest.mark.parametrize(
    ("mode", "page", "href", "file"),
    [
        ("clean", "tags/index.html", "/archive/tags/%C3%A9conomie/", "tags/économie/index.html"),
        ("clean", "tags/index.html", f"/archive/tags/{GREEK_ENC}/", "tags/ελλάδα/index.html"),
        ("clean", "tags/index.html", "/archive/tags/%E6%97%A5%E6%9C%AC/", "tags/日本/index.html"),
        ("offline", "tags/index.html", "%C3%A9conomie/index.html", "tags/économie/index.html"),
        ("offline", "tags/index.html", f"{GREEK_ENC}/index.html", "tags/ελλάδα/index.html"),
        ("offline", "tags/index.html", "%E6%97%A5%E6%9C%AC/index.html", "tags/日本/index.html"),
        ("offline", CAFE, "../../../tags/%C3%A9conomie/index.html", "tags/économie/index.html"),
        ("clean", "tags/日本/index.html", "/archive/2022/07/%E5%90%88%E6%88%90%E8%A8%98%E4%BA%8B/",
         "2022/07/合成記事/index.html"),
        ("offline", "tags/économie/index.html", "page/2/index.html", "tags/économie/page/2/index.html"),
    ],
)  # fmt: skip
def test_unicode_slugs_are_percent_encoded_and_files_exist(
    mode: str, page: str, href: str, file: str, built_site
) -> None:
    out = built_site("multi", mode)
    assert href in parse_page(out / page).urls
    assert (out / file).is_file()


@pytest.mark.parametrize("mode", ["clean", "offline"])
def test_internal_links_are_ascii(mode: str, built_site) -> None:
    assert all(url.isascii() for _, url in _internal_links(built_site("multi", mode)))


@pytest.mark.parametrize(
    ("mode", "href", "broken"),
    [
        ("clean", "/archive/a/", False),
        ("clean", "/archive/a/#x", False),
        ("clean", "/archive/a/#nope", True),
        ("clean", "/archive/missing/", True),
        ("clean", "/a/", True),  # outside the base path
        ("clean", "https://example.org/archive/a/", False),  # canonical form
        ("clean", "https://example.org/other/", True),
        ("clean", "https://elsewhere.example/x", False),
        ("clean", "mailto:x@example.org", False),
        ("clean", "#top", False),
        ("clean", "#nope", True),
        ("offline", "a/index.html#x", False),
        ("offline", "a/", True),  # a folder, not a file
        ("offline", "a", True),
        ("offline", "/archive/a/index.html", True),
        ("offline", "../index.html", True),  # leads out of the output folder
        ("offline", "https://example.org/archive/a/", False),
        ("offline", "https://example.org/archive/b/", True),
    ],
)
def test_linkcheck_finds_broken_links(mode: str, href: str, broken: bool, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<p id="x">target</p>', encoding="utf-8")
    (tmp_path / "index.html").write_text(f'<h1 id="top">home</h1><a href="{href}">link</a>', encoding="utf-8")
    found = check_links(tmp_path, "https://example.org/archive/", mode)  # type: ignore[arg-type]
    assert [b.url for b in found] == ([href] if broken else [])
