"""RSS and Atom feeds: one article per entry, read with feedparser.

An entry's HTML is already the article (feeds carry no site chrome), so it is sanitized with
nh3 and turned into Markdown with markdownify rather than run through a page extractor, which
would throw short entries away. The date is the entry's own published (or updated) time.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from generator.importer.draft import Draft, InputError


def feed_drafts(data: bytes, name: str) -> list[Draft | InputError]:
    """A draft per entry, or the reason an entry cannot be imported; InputError for an unreadable feed."""
    # Imported here, not at the top: the cli imports this module for every command, even build.
    import feedparser

    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        problem = f": {parsed.bozo_exception}" if parsed.get("bozo") else ""
        raise InputError(f"a feed with no entries{problem}")
    source = _clean(parsed.feed.get("title"))
    out: list[Draft | InputError] = []
    for number, entry in enumerate(parsed.entries, start=1):
        contents = entry.get("content") or []
        html = contents[0].get("value", "") if contents else entry.get("summary", "")
        key = "\n".join([entry.get("id", ""), entry.get("title", ""), html])
        draft = Draft(
            origin=f"{name}#{number}", digest=hashlib.sha256(key.encode()).hexdigest(), source=source
        )
        draft.title = _clean(entry.get("title"))
        draft.body = to_markdown(html)
        if not draft.body:
            out.append(InputError(f"entry {number} ({draft.title or 'untitled'}) has no text", draft.origin))
            continue
        summary = entry.get("summary", "")
        if contents and summary and summary != html:
            draft.summary = _clean(re.sub(r"<[^>]+>", " ", summary))
        link = entry.get("link")
        draft.source_url = link if link and link.startswith(("http://", "https://")) else None
        draft.authors = [a["name"] for a in entry.get("authors", []) if a.get("name")]
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        draft.published = datetime(*stamp[:6], tzinfo=UTC) if stamp else None
        language = parsed.feed.get("language")
        draft.language = language.split(";")[0].strip() if language else None
        out.append(draft)
    return out


def to_markdown(html: str) -> str:
    """Sanitized Markdown for an HTML fragment; plain text passes through."""
    import nh3
    from markdownify import markdownify  # loads BeautifulSoup: only when a feed is imported

    if "<" not in html:
        return "\n\n".join(p.strip() for p in html.split("\n\n") if p.strip())
    safe = nh3.clean(html)
    text = markdownify(safe, heading_style="ATX", bullets="-", strip=["img"])
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None
