"""Saved HTML pages: the article and its metadata, extracted by trafilatura, as Markdown.

trafilatura is the best-scoring open-source extractor on the ScrapingHub benchmark; its own
Markdown output keeps headings, lists, quotes and emphasis. Comments are left out (they are not
the article), and the date is taken only from the page's metadata: trafilatura's ``filedate``
is the day of extraction and is never used.
"""

from __future__ import annotations

import re
from datetime import date

from generator.importer.draft import Draft, InputError
from generator.importer.textrules import AGENCIES, is_prose, words

_LANG = re.compile(r"<html[^>]*\blang=[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)", re.I)
_AGENCY = re.compile(r"^(" + AGENCIES + r")$", re.I)


def extract_body(html: str, url: str | None = None) -> str:
    """The article body of ``html`` as Markdown, or "" when no article is found."""
    # Imported here, not at the top: trafilatura takes a second to load, and the cli imports this
    # module for every command, even build.
    import trafilatura

    text = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_precision=True,
    )
    return (text or "").strip()


def html_draft(html: str, draft: Draft) -> Draft:
    """Fill ``draft`` from a saved page; InputError when the page holds no article."""
    from trafilatura.metadata import extract_metadata  # see extract_body

    meta = extract_metadata(html, extensive=False)
    url = meta.url if meta and meta.url and meta.url.startswith(("http://", "https://")) else None
    body = _tidy(extract_body(html, url))
    title = _text(meta.title) if meta else None
    if title:
        # trafilatura keeps the page's <h1>; the title is written in the front matter already.
        first, _, rest = body.partition("\n\n")
        if first.lstrip("# ").strip().casefold() == title.casefold():
            body = rest.strip()
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    if not any(is_prose(p) for p in paragraphs) and len(words(body)) < 40:
        raise InputError(
            "no article found in this page (it may be an index, a login wall or a script-only page)"
        )
    draft.body = body
    if meta:
        draft.title = title
        draft.summary = _text(meta.description)
        draft.source = _text(meta.sitename)
        draft.source_url = url
        draft.published = _date(meta.date)
        for name in re.split(r"\s*;\s*", meta.author or ""):
            if not name:
                continue
            if _AGENCY.match(name):
                draft.credits.setdefault("agency", name)
            elif name not in draft.authors:
                draft.authors.append(name)
    found = _LANG.search(html[:5000])
    draft.language = found.group(1) if found else None
    return draft


def _tidy(markdown: str) -> str:
    # trafilatura ends lines of one paragraph with single newlines; blank lines separate blocks already.
    lines = [line.rstrip() for line in markdown.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
