"""JSON-LD, OpenGraph and feed links: whatever the text holds, it stays text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import lxml.html
import pytest
from markupsafe import Markup

from generator.metadata import (
    alternate_link,
    clean_text,
    json_ld_script,
    news_article_ld,
    opengraph_tags,
    safe_url,
)

BREAKOUTS = [
    "</script><script>alert(1)</script>",
    "</SCRIPT >x",
    "<!--<script>",
    "<!-- --> -->",
    "]]> & &amp; <b>bold</b>",
    "line\u2028separator\u2029paragraph",
    '" onmouseover="alert(1)" x=\'',
    "NUL\x00 ctrl\x01\x1f DEL\x7f C1\x85",
    "lone \ud800 surrogate",
    "مرحبا שלום 😀",
]


def page(head: Markup) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(
        f"<!doctype html><html><head>{head}</head><body><p id=after>x</p></body></html>"
    )


def article(text: str) -> dict:
    return news_article_ld(
        headline=text,
        description=text,
        url="https://example.org/2020/02/x/",
        date_published=datetime(2020, 2, 18, 9, 30, tzinfo=UTC),
        date_modified=None,
        authors=(text, "Jane Doe"),
        publisher_name=text,
        section=text,
        keywords=(text, "refugees"),
        in_language="en",
        image="https://example.org/img/a.jpg",
    )


@pytest.mark.parametrize("text", BREAKOUTS)
def test_json_ld_stays_inside_its_script(text: str) -> None:
    data = article(text)
    markup = json_ld_script(data)
    assert isinstance(markup, Markup)
    body = str(markup).removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    for raw in ("<", ">", "&", "\u2028", "\u2029", "\x00", "\x7f", "\x85", "\ud800"):
        assert raw not in body
    doc = page(markup)
    scripts = doc.findall(".//script")
    assert len(scripts) == 1
    assert scripts[0].get("type") == "application/ld+json"
    assert json.loads(scripts[0].text) == data
    assert doc.get_element_by_id("after").text == "x"  # the rest of the page is still there


def test_news_article_fields() -> None:
    data = news_article_ld(
        headline="Turkey Rejoins Joint Russian Patrols in Syria",
        description="Turkey had pulled out.",
        url="https://example.org/2020/02/turkey/",
        date_published=date(2020, 2, 18),
        date_modified=datetime(2020, 2, 19, 8, 0, tzinfo=UTC),
        authors=("Jane Doe",),
        publisher_name="Dateline example archive",
        section="Conflict",
        keywords=("Syria", "joint patrols"),
        in_language="en",
    )
    assert data == {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Turkey Rejoins Joint Russian Patrols in Syria",
        "description": "Turkey had pulled out.",
        "url": "https://example.org/2020/02/turkey/",
        "mainEntityOfPage": {"@type": "WebPage", "@id": "https://example.org/2020/02/turkey/"},
        "datePublished": "2020-02-18",
        "dateModified": "2020-02-19T08:00:00Z",
        "inLanguage": "en",
        "publisher": {"@type": "Organization", "name": "Dateline example archive"},
        "author": [{"@type": "Person", "name": "Jane Doe"}],
        "articleSection": "Conflict",
        "keywords": ["Syria", "joint patrols"],
    }
    bare = news_article_ld(
        headline="h", description="d", url="https://example.org/x/", date_published=date(2020, 1, 1),
        date_modified=None, authors=(), publisher_name="p", in_language="fr",
    )  # fmt: skip
    assert "author" not in bare and "image" not in bare and "keywords" not in bare
    assert bare["dateModified"] == "2020-01-01"
    for bad in ("javascript:alert(1)", "/relative/"):
        with pytest.raises(ValueError):
            news_article_ld(
                headline="h", description="d", url=bad, date_published=date(2020, 1, 1), date_modified=None,
                authors=(), publisher_name="p", in_language="en",
            )  # fmt: skip


@pytest.mark.parametrize("text", BREAKOUTS)
def test_opengraph_values_are_escaped(text: str) -> None:
    markup = opengraph_tags(
        title=text,
        description=text,
        url="https://example.org/2020/02/x/?a=1&b=2",
        type="article",
        site_name=text,
        locale="en-GB",
        published=datetime(2020, 2, 18, tzinfo=UTC),
    )
    doc = page(markup)
    metas = {meta.get("property"): meta.get("content") for meta in doc.iter("meta")}
    expected = clean_text(text)
    assert metas == {
        "og:type": "article",
        "og:title": expected,
        "og:description": expected,
        "og:url": "https://example.org/2020/02/x/?a=1&b=2",
        "og:site_name": expected,
        "og:locale": "en_GB",
        "article:published_time": "2020-02-18T00:00:00Z",
    }
    assert not doc.findall(".//script")
    for element in doc.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]


def test_opengraph_refuses_unsafe_urls() -> None:
    for url in ("javascript:alert(1)", "  JaVaScRiPt:alert(1)", "java\nscript:alert(1)"):
        with pytest.raises(ValueError):
            opengraph_tags(title="t", description="d", url=url, type="website", site_name="s", locale="en")


def test_alternate_link() -> None:
    markup = alternate_link("/countries/syria/feed.xml", 'Syria "&" <news>')
    link = page(markup).find(".//link")
    assert link.get("rel") == "alternate"
    assert link.get("type") == "application/atom+xml"
    assert link.get("title") == 'Syria "&" <news>'
    assert link.get("href") == "/countries/syria/feed.xml"
    with pytest.raises(ValueError):
        alternate_link("javascript:alert(1)", "x")


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JAVASCRIPT:x", " \x01javascript:x", "java\tscript:x", "jav\r\nascript:x",
     "vbscript:x", "data:text/html,<script>", "file:///etc/passwd"],
)  # fmt: skip
def test_safe_url_refuses_script_schemes(url: str) -> None:
    with pytest.raises(ValueError):
        safe_url(url)


def test_safe_url_accepts_links() -> None:
    for url in (
        "https://example.org/x/",
        "http://example.org",
        "/countries/",
        "../syria/index.html",
        "#top",
        "?q=1",
    ):
        assert safe_url(url) == url
    assert safe_url("javascript%3Aalert(1)") == "javascript%3Aalert(1)"  # a relative path, not a scheme
    assert safe_url("https://example.org/x/", absolute=True) == "https://example.org/x/"
    for url in ("/countries/", "https:/x", "//example.org/x"):
        with pytest.raises(ValueError):
            safe_url(url, absolute=True)


def test_clean_text_removes_exactly_what_xml_forbids_and_the_controls_html_calls_errors() -> None:
    def allowed(code: int) -> bool:  # XML 1.0's Char production, less DEL and the C1 controls
        return (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0x7E
            or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )

    every = "".join(map(chr, range(0x110000)))
    assert clean_text(every) == "".join(ch for ch in every if allowed(ord(ch)))
