"""Atom 1.0 feeds (RFC 4287): the whole site, and each country, topic and tag.

Feeds are serialized by ElementTree, never by joining strings, so ``&``, ``<`` and ``]]>`` in a
scraped title are always escaped; characters XML 1.0 cannot carry at all (NUL, most controls,
lone surrogates) are removed first, because no escape exists for them. Entry ids are ``tag:``
URIs (RFC 4151) built from an authority and date the site owner chooses once, and from the
article's path under the base URL: moving the site to another host, scheme or sub-folder keeps
every id, so feed readers do not show old articles again as new.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote, urlsplit

from generator.metadata import clean_text, iso_datetime, safe_url

ATOM_NS = "http://www.w3.org/2005/Atom"
DEFAULT_LIMIT = 20
# An RFC 4151 taggingEntity: a domain name or an email address.
_AUTHORITY = re.compile(
    r"^(?:[a-z0-9._-]+@)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"
)
# A "%" that does not start a %XX escape must itself be escaped; real escapes are kept as they are.
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3986 pchar (less "%", handled above) plus "/" and "?": what a tag URI's specific part may hold.
_SPECIFIC_SAFE = "%/?:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a tag: URI, see entry_id
    title: str
    url: str  # absolute
    published: datetime
    updated: datetime
    summary: str  # plain text
    content_html: str | None  # the article body as HTML, or None for summary-only feeds
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    subtitle: str
    self_url: str  # where the feed itself is published, absolute
    site_url: str  # the HTML page the feed follows, absolute
    updated: datetime  # use the newest entry's date, not the build time, so unchanged feeds keep their bytes
    language: str
    entries: tuple[FeedEntry, ...]
    author: str | None = None  # the feed-level author, needed when an entry has none; the title if None


def tag_uri(authority: str, day: date, specific: str) -> str:
    """``tag:example.org,2020-02-18:/2020/02/slug/`` (RFC 4151); ``specific`` is percent-encoded."""
    name = authority.strip().lower()
    if not _AUTHORITY.match(name):
        raise ValueError(f"tag URI authority must be a domain name or email address, got {authority!r}")
    encoded = quote(_STRAY_PERCENT.sub("%25", specific), safe=_SPECIFIC_SAFE)
    return f"tag:{name},{day.isoformat()}:{encoded}"


def site_path(url: str, base_url: str) -> str:
    """The path of ``url`` under ``base_url``, from "/": the same on any host, scheme or sub-folder."""
    path, base = urlsplit(url).path, urlsplit(base_url).path or "/"
    if not base.endswith("/"):
        base += "/"
    if not (path + "/").startswith(base):
        raise ValueError(f"{url!r} is not under {base_url!r}")
    return "/" + path[len(base) :]


def entry_id(authority: str, day: date, url: str, base_url: str) -> str:
    """The stable id of the page at ``url``: a tag URI of its path under the base URL."""
    return tag_uri(authority, day, site_path(url, base_url))


def latest(entries: Iterable[FeedEntry], limit: int = DEFAULT_LIMIT) -> tuple[FeedEntry, ...]:
    """The ``limit`` newest entries by publication, newest first; equal times go by id."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    by_id = sorted(entries, key=lambda e: e.id)
    return tuple(sorted(by_id, key=lambda e: _aware(e.published), reverse=True)[:limit])


def atom_xml(feed: Feed) -> bytes:
    """The feed as a UTF-8 Atom document."""
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    if feed.language:
        root.set("xml:lang", clean_text(feed.language))
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle)
    _text(root, "updated", iso_datetime(_aware(feed.updated)))
    _link(root, "self", feed.self_url, "application/atom+xml")
    _link(root, "alternate", feed.site_url, "text/html")
    _text(ET.SubElement(root, "author"), "name", feed.author or feed.title)
    for entry in feed.entries:
        _entry(root, entry, feed.language)
    ET.indent(root, space="")  # one element a line: readable diffs, few extra bytes
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body.encode("utf-8") + b"\n"


def _entry(parent: ET.Element, entry: FeedEntry, feed_language: str) -> None:
    element = ET.SubElement(parent, "entry")
    if entry.language and entry.language != feed_language:
        element.set("xml:lang", clean_text(entry.language))
    published = _aware(entry.published)
    _text(element, "id", entry.id)
    _text(element, "title", entry.title)
    _link(element, "alternate", entry.url, "text/html")
    _text(element, "published", iso_datetime(published))
    # Atom readers sort and de-duplicate by <updated>: an edit "before" publication is a typo.
    _text(element, "updated", iso_datetime(max(published, _aware(entry.updated))))
    for name in entry.authors:
        _text(ET.SubElement(element, "author"), "name", name)
    for category in entry.categories:
        if clean_text(category).strip():
            ET.SubElement(element, "category", {"term": clean_text(category)})
    if entry.summary:
        _text(element, "summary", entry.summary).set("type", "text")
    if entry.content_html is not None:
        content = _text(element, "content", entry.content_html)
        content.set("type", "html")
        # Bodies may hold links relative to the article; readers resolve them against xml:base.
        content.set("xml:base", safe_url(entry.url, absolute=True))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = clean_text(text)
    return element


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": media_type, "href": safe_url(href, absolute=True)})


def _aware(moment: datetime) -> datetime:
    """Front matter times without an offset are UTC (as in the README); Atom requires an offset."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
