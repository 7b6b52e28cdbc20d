"""Atom feeds: well-formed whatever the text holds, stable ids, deterministic latest-N."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import feedparser
import pytest
from lxml import etree

from generator.feeds import Feed, FeedEntry, atom_xml, entry_id, latest, site_path, tag_uri
from generator.metadata import clean_text

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

HOSTILE = [
    "Fish & chips < 5 > 3",
    "<script>alert('x')</script>",
    "end of CDATA ]]> and <![CDATA[ start",
    "emoji 😀 flag 🇸🇾 zwj 👩‍👩‍👧",
    "مرحبا بالعالم — Arabic, right to left",
    "שלום עולם",
    "NUL \x00 inside",
    "controls \x01\x02\x08\x0b\x0c\x1b\x1f end",
    "lone surrogates \ud800 and \udfff",
    "non-characters \ufffe \uffff",
    "tab\tnewline\ncarriage\r",
    "quotes \" ' ` and &amp; already escaped &#0; &#x1;",
    "DEL \x7f C1 \x85\x9f",
    "\u202eright-to-left override\u202c and \u2028 line separator",
]


def entry(n: int, text: str = "Title", **changes: object) -> FeedEntry:
    base = FeedEntry(
        id=tag_uri("example.org", date(2020, 1, 1), f"/a/{n}/"),
        title=text,
        url=f"https://example.org/2020/01/a-{n}/",
        published=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n),
        updated=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n),
        summary=text,
        content_html=f"<p>{text}</p>",
        authors=(text,),
        categories=(text, "refugees"),
        language="en",
    )
    return base if not changes else FeedEntry(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def feed(entries: tuple[FeedEntry, ...], **changes: object) -> Feed:
    base = Feed(
        id="tag:example.org,2020-01-01:/",
        title="Dateline example archive",
        subtitle="All articles",
        self_url="https://example.org/feed.xml",
        site_url="https://example.org/",
        updated=datetime(2020, 3, 1, tzinfo=UTC),
        language="en",
        entries=entries,
    )
    return base if not changes else Feed(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_makes_a_well_formed_feed(text: str) -> None:
    data = atom_xml(feed((entry(1, text),), title=text, subtitle=text))
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 1
    root = parse(data)
    expected = clean_text(text)
    assert root.findtext(f"{A}entry/{A}title") == expected.replace("\r", "\n")
    assert root.findtext(f"{A}entry/{A}content") == f"<p>{expected}</p>".replace("\r", "\n")
    assert root.find(f"{A}entry/{A}category").get("term") == expected
    # Nothing in the text becomes markup: the only elements are Atom's own.
    assert {el.tag for el in root.iter()} <= {
        f"{A}{name}"
        for name in (
            "feed", "id", "title", "subtitle", "updated", "link", "author", "name", "entry",
            "published", "category", "summary", "content",
        )
    }  # fmt: skip


def test_document_shape() -> None:
    data = atom_xml(feed((entry(1), entry(2, language="ar"))))
    assert data.startswith(
        b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
    )
    root = parse(data)
    assert root.tag == f"{A}feed"
    assert root.get(XML_LANG) == "en"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links == {"self": "https://example.org/feed.xml", "alternate": "https://example.org/"}
    assert root.findtext(f"{A}updated") == "2020-03-01T00:00:00Z"
    assert root.findtext(f"{A}author/{A}name") == "Dateline example archive"
    first, second = root.findall(f"{A}entry")
    assert first.get(XML_LANG) is None and second.get(XML_LANG) == "ar"
    content = first.find(f"{A}content")
    assert content.get("type") == "html"
    assert content.get("{http://www.w3.org/XML/1998/namespace}base") == "https://example.org/2020/01/a-1/"
    assert first.find(f"{A}link").get("href") == "https://example.org/2020/01/a-1/"
    assert first.findtext(f"{A}published") == "2020-01-02T00:00:00Z"
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert parsed.feed.title == "Dateline example archive"
    assert [e.link for e in parsed.entries] == [
        "https://example.org/2020/01/a-1/",
        "https://example.org/2020/01/a-2/",
    ]


def test_summary_only_feed_has_no_content() -> None:
    root = parse(atom_xml(feed((entry(1, content_html=None),))))
    assert root.find(f"{A}entry/{A}content") is None
    assert root.find(f"{A}entry/{A}summary").get("type") == "text"


def test_times_get_an_offset_and_updated_is_never_before_published() -> None:
    naive = entry(1, published=datetime(2020, 2, 18, 9, 30), updated=datetime(2020, 2, 1))
    offset = entry(2, published=datetime(2020, 2, 18, 9, 30, tzinfo=timezone(timedelta(hours=3))))
    root = parse(atom_xml(feed((naive, offset))))
    first, second = root.findall(f"{A}entry")
    assert first.findtext(f"{A}published") == "2020-02-18T09:30:00Z"
    assert first.findtext(f"{A}updated") == "2020-02-18T09:30:00Z"
    assert second.findtext(f"{A}published") == "2020-02-18T09:30:00+03:00"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "/relative/", " JAVA\tSCRIPT:alert(1)", "data:text/html,x"]
)
def test_unsafe_or_relative_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        atom_xml(feed((entry(1, url=url),)))


def test_output_is_deterministic() -> None:
    entries = tuple(entry(n, HOSTILE[n % len(HOSTILE)]) for n in range(30))
    assert atom_xml(feed(entries)) == atom_xml(feed(entries))


def test_tag_uri() -> None:
    assert (
        tag_uri("Example.ORG", date(2020, 2, 18), "/2020/02/slug/")
        == "tag:example.org,2020-02-18:/2020/02/slug/"
    )
    assert tag_uri("jane@example.org", date(2020, 2, 18), "x") == "tag:jane@example.org,2020-02-18:x"
    # Spaces, non-ASCII and "#" are encoded, existing escapes kept, a stray "%" escaped.
    uri = tag_uri("example.org", date(2020, 2, 18), "/tags/économie 日本#x/%C3%A9/100%/")
    assert uri == "tag:example.org,2020-02-18:/tags/%C3%A9conomie%20%E6%97%A5%E6%9C%AC%23x/%C3%A9/100%25/"
    for bad in ("", "exa mple.org", "https://example.org", "example.org/", "-example.org", "a@b@c.org"):
        with pytest.raises(ValueError):
            tag_uri(bad, date(2020, 2, 18), "/")


def test_entry_ids_do_not_depend_on_host_scheme_or_folder() -> None:
    day = date(2020, 2, 18)
    ids = {
        entry_id("example.org", day, base + "2020/02/turkey-patrols/", base)
        for base in (
            "https://example.org/",
            "http://example.org/",
            "https://news.example.net/",
            "https://example.net/archive/",
            "http://localhost:8000/a/b/",
        )
    }
    assert ids == {"tag:example.org,2020-02-18:/2020/02/turkey-patrols/"}
    assert site_path("https://example.org/archive", "https://example.org/archive/") == "/"
    with pytest.raises(ValueError):
        site_path("https://example.org/other/x/", "https://example.org/archive/")


def test_latest_is_newest_first_with_ties_by_id() -> None:
    same = datetime(2021, 5, 5, tzinfo=UTC)
    entries = [entry(n) for n in range(25)] + [entry(100, id="tag:b"), entry(101, id="tag:a")]
    entries[-1] = FeedEntry(**{**entries[-1].__dict__, "published": same})
    entries[-2] = FeedEntry(**{**entries[-2].__dict__, "published": same})
    picked = latest(reversed(entries))
    assert len(picked) == 20
    assert [e.id for e in picked[:2]] == ["tag:a", "tag:b"]
    published = [e.published for e in picked]
    assert published == sorted(published, reverse=True)
    assert picked == latest(entries)
    assert latest(entries, 3) == picked[:3]
    assert latest(entries, 0) == ()
    assert len(latest(entries, 1000)) == 27
    with pytest.raises(ValueError):
        latest(entries, -1)
