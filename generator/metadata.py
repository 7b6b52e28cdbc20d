"""Machine-readable metadata for page heads: JSON-LD, OpenGraph and feed links.

Templates print what these functions return without escaping (they are ``Markup``), so every
piece of text is escaped here. Titles and summaries come from scraped news and may hold
anything: ``</script>``, quotes, control characters, lone surrogates. The text helpers at the
top are shared by the other output modules (feeds, sitemap, charts, world map).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# escaped(text): MarkupSafe's escape() of text as a plain string, for text joined into a larger piece of
# markup at once. escape() wraps each result in a Markup, made by a constructor written in Python;
# escaped() is the C function inside it.
try:
    from markupsafe import _escape_inner as escaped
except ImportError:  # another MarkupSafe than constraints.txt pins: the same text, slower

    def escaped(s: str, /) -> str:
        return str.__str__(escape(s))


# Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF), plus DEL and the
# C1 controls, which XML allows but HTML calls errors and which in news text are only mojibake.
# Listed rather than written as the complement of what is allowed: the same set (every code point
# compared), compiled in 0.6 ms instead of 6 (every build's start) and a third faster to apply.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What must not appear raw inside <script>: "<" and ">" ("</script>", "<!--"), "&", the JavaScript
# line terminators, and whatever _NOT_TEXT removes (JSON keeps it, so it is escaped instead).
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_SAFE_SCHEMES = frozenset({"http", "https"})


def clean_text(text: str) -> str:
    """``text`` without the characters an XML or HTML document cannot carry."""
    return _NOT_TEXT.sub("", text)


# The same address is judged again and again: an article page's for OpenGraph and for JSON-LD, an
# article's twice in each feed it is in (its link and its content's xml:base).
@lru_cache(maxsize=1024)
def safe_url(url: str, *, absolute: bool = False) -> str:
    """``url`` if it is a relative URL or an http(s) one, else ValueError.

    Browsers drop tabs and newlines anywhere in a URL and leading spaces and controls, so
    ``" java\\tscript:"`` is still a script: the scheme is judged after doing the same.
    ``absolute`` requires an http(s) URL with a host (feeds, sitemaps, canonical links).
    """
    cleaned = clean_text(url)
    judged = re.sub("[\t\n\r]", "", cleaned).lstrip("\x00- ")
    match = _SCHEME.match(judged)
    scheme = match.group(1).lower() if match else None
    if scheme is not None and scheme not in _SAFE_SCHEMES:
        raise ValueError(f"unsafe URL scheme {scheme!r} in {url!r}")
    if absolute and (scheme is None or not urlsplit(judged).netloc):
        raise ValueError(f"expected an absolute http(s) URL, got {url!r}")
    return cleaned.strip()


def iso_datetime(value: date | datetime) -> str:
    """RFC 3339 / ISO 8601; a date stays a date, UTC is written "Z"."""
    text = value.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def json_ld_script(data: Mapping[str, Any]) -> Markup:
    """``<script type="application/ld+json">`` holding ``data``, safe whatever its strings hold.

    Escaping ``<``, ``>`` and ``&`` as ``\\u003c`` etc. keeps ``</script>`` and ``<!--`` from ever
    appearing in the element, while JSON parsers read the same strings back.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return Markup(f'<script type="application/ld+json">{text}</script>')


def news_article_ld(
    *,
    headline: str,
    description: str,
    url: str,
    date_published: date | datetime,
    date_modified: date | datetime | None,
    authors: Sequence[str],
    publisher_name: str,
    section: str | None = None,
    keywords: Sequence[str] = (),
    in_language: str,
    image: str | None = None,
) -> dict[str, Any]:
    """A schema.org ``NewsArticle`` for :func:`json_ld_script`; empty optional fields are left out."""
    page = safe_url(url, absolute=True)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "description": description,
        "url": page,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page},
        "datePublished": iso_datetime(date_published),
        "dateModified": iso_datetime(date_modified or date_published),
        "inLanguage": in_language,
        "publisher": {"@type": "Organization", "name": publisher_name},
    }
    if authors:
        data["author"] = [{"@type": "Person", "name": name} for name in authors]
    if section:
        data["articleSection"] = section
    if keywords:
        data["keywords"] = list(keywords)
    if image:
        data["image"] = [safe_url(image, absolute=True)]
    return data


def opengraph_tags(
    *,
    title: str,
    description: str,
    url: str,
    type: str,  # named after og:type
    site_name: str,
    locale: str,
    published: date | datetime | None = None,
    image: str | None = None,
) -> Markup:
    """``<meta property="og:...">`` tags, one a line; ``published`` adds article:published_time."""
    pairs = [
        ("og:type", type),
        ("og:title", title),
        ("og:description", description),
        ("og:url", safe_url(url, absolute=True)),
        ("og:site_name", site_name),
        ("og:locale", locale.replace("-", "_")),  # OpenGraph writes en_GB, BCP 47 en-GB
    ]
    if image:
        pairs.append(("og:image", safe_url(image, absolute=True)))
    if published is not None:
        pairs.append(("article:published_time", iso_datetime(published)))
    # An f-string over escaped() rather than Markup.format: the same text, made for every page of a
    # large archive, at a fraction of the cost. The names are the literals above.
    return Markup(
        "\n".join(
            f'<meta property="{name}" content="{escaped(clean_text(value))}">'
            for name, value in pairs
            if value
        )
    )


def alternate_link(href: str, title: str, media_type: str = "application/atom+xml") -> Markup:
    """``<link rel="alternate">`` announcing a feed in a page's head."""
    return Markup('<link rel="alternate" type="{}" title="{}" href="{}">').format(
        media_type, clean_text(title), safe_url(href)
    )
