"""Clean a plain-text page dump (one block per line, like a scraped article) into an article.

Each line is first classified on its own (banner, chrome, credit, byline, date, text). The
article's body is then the stretch of lines with the most running text, found as a maximum
sum over the lines (prose scores by its length, chrome and short lines cost): navigation above
and related-article lists below fall away without rules for them. The title is the headline-like
line just above the body, the dek the first line of it when a photo credit is stuck to its end
or a byline follows it, and the body stops at the first end-of-article marker.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from generator.importer import textrules as rules
from generator.importer.profiles import OutletProfile

_PROSE_CAP = 80  # one huge paragraph must not drag a region of chrome in with it
_SHORT_COST = 6  # a headline or label inside the body is affordable, a list of them is not
_CHROME_COST = 15
_START_BONUS = 30


@dataclass
class Line:
    number: int  # in the input file, from 1
    text: str
    role: str = "text"  # banner, boilerplate, chrome, credit, photo, byline, date, text
    reason: str = ""


@dataclass
class CleanText:
    """What the cleaner made of one dump, and what it left out and why (for the report)."""

    title: str | None = None
    dek: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    credits: dict[str, str] = field(default_factory=dict)
    date_hint: str | None = None
    dek_at: int | None = None  # index of the dek among the non-blank lines
    dropped: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, text, reason)


def clean_text(
    text: str, profile: OutletProfile | None = None, boilerplate: frozenset[str] = frozenset()
) -> CleanText:
    lines = [Line(n, raw.strip()) for n, raw in enumerate(text.splitlines(), start=1) if raw.strip()]
    seen = Counter(line.text for line in lines)
    for line in lines:
        _classify(line, profile, boilerplate)
        if line.role == "text" and seen[line.text] > 1 and rules.is_prose(line.text):
            # A paragraph shown twice on one page is a caption or a teaser, not the article's text.
            line.role, line.reason = "chrome", "repeated on the page"
    _links_after_interludes(lines)
    out = CleanText()
    start, end = _body_region(lines, profile)
    if start is None:
        out.dropped = [(x.number, x.text, x.reason or "no article text found") for x in lines]
        return out
    body_start = _dek(lines, start, out)
    title_at = _title(lines, out.dek_at if out.dek_at is not None else body_start, out)
    tail = end
    # Credit and byline lines just after the last paragraph belong to the article.
    while tail + 1 < len(lines) and lines[tail + 1].role in ("credit", "photo", "byline", "date", "chrome"):
        tail += 1
    for i, line in enumerate(lines):
        inside = body_start <= i <= end
        near = (title_at if title_at is not None else body_start) <= i <= tail
        if line.role in ("credit", "photo", "byline", "date") and near:
            _take_credit(line, out)
        elif inside and line.role == "text":
            out.paragraphs.append(escape_markdown(line.text))
        elif i in (title_at, out.dek_at):
            continue
        else:
            reason = line.reason or ("before the article" if i < body_start else "after the article")
            out.dropped.append((line.number, line.text, reason))
    return out


def _classify(line: Line, profile: OutletProfile | None, boilerplate: frozenset[str]) -> None:
    text = line.text
    if profile and profile.is_banner(text):
        line.role, line.reason = "banner", f"{profile.name} banner"
    elif profile and profile.is_end(text):
        line.role, line.reason = "end", f"{profile.name} end marker"
    elif rules.AGENCY_CREDIT.match(text) and len(rules.words(text)) <= 30:
        line.role = "credit"
    elif text in boilerplate:
        line.role, line.reason = "boilerplate", "repeats in many articles of this outlet"
    elif (
        rules.PHOTO_CREDIT_LINE.match(text) and len(rules.words(text)) <= 15
    ) or rules.PHOTO_SOURCE_LINE.match(text):
        line.role = "photo"
    elif rules.AGENCY_LINE.match(text):
        line.role = "credit"
    elif rules.byline_names(text):
        line.role = "byline"
    elif rules.DATE_LINE.match(text):
        line.role, line.reason = "date", "date line"
    elif rules.END_MARKERS.match(text) and not rules.is_prose(text):
        line.role, line.reason = "end", "end-of-article marker"
    elif rules.INTERLUDES.match(text) and not rules.is_prose(text):
        line.role, line.reason = "chrome", "related-article links"
    elif rules.CAPTION.search(text):
        line.role, line.reason = "chrome", "photo caption"
    else:
        reason = rules.chrome_reason(text)
        if reason:
            line.role, line.reason = "chrome", reason


def _links_after_interludes(lines: list[Line]) -> None:
    """The headlines listed under "Read more" or "Related" are links, not the article's subheadings."""
    listing = False
    for line in lines:
        if line.reason == "related-article links":
            listing = True
        elif listing and line.role == "text" and not rules.is_prose(line.text):
            line.role, line.reason = "chrome", "related-article links"
        elif line.role == "text":
            listing = False


def _score(line: Line, after_header: bool) -> float:
    if line.role == "text":
        if rules.is_prose(line.text):
            # A story's first line under its byline or date, or opening with a dateline, outweighs a teaser list.
            bonus = _START_BONUS if after_header or rules.STORY_OPENING.match(line.text) else 0
            return min(len(rules.words(line.text)), _PROSE_CAP) + bonus
        return -_SHORT_COST
    if line.role in ("credit", "photo", "byline", "date"):
        return 0.0
    return -_CHROME_COST


def _body_region(lines: list[Line], profile: OutletProfile | None) -> tuple[int | None, int]:
    """The first and last index of the stretch of lines with the most running text."""
    best, best_span = 0.0, (None, -1)
    total, start = 0.0, 0
    header_at = -10
    for i, line in enumerate(lines):
        if line.role in ("byline", "date"):
            header_at = i
        if total <= 0:
            total, start = 0.0, i
        total += _score(line, 0 < i - header_at <= 2)
        if total > best:
            best, best_span = total, (start, i)
    first, last = best_span
    if first is None:
        return None, -1
    while lines[first].role != "text":
        first += 1
    # The body ends at the first end-of-article marker, even where text follows it (an appeal, a teaser).
    for i in range(first + 1, last + 1):
        if lines[i].role == "end":
            last = i - 1
            break
    while last > first and lines[last].role != "text":
        last -= 1
    for line in lines[last + 1 :]:
        if line.role == "end":
            break
        if line.role not in ("credit", "byline", "photo"):
            line.reason = line.reason or "after the article"
    return first, last


def _dek(lines: list[Line], start: int, out: CleanText) -> int:
    """Take the dek (standfirst or caption) off the top of the body; return where the body starts."""
    first = lines[start].text
    credit = rules.TRAILING_CREDIT.search(first)
    nxt = next((i for i in range(start + 1, len(lines)) if lines[i].role in ("text", "byline", "date")), None)
    followed_by_byline = nxt is not None and lines[nxt].role in ("byline", "date")
    if (credit and len(rules.words(first)) <= 80) or (
        followed_by_byline and len(rules.words(first)) <= 60 and nxt is not None and nxt < len(lines) - 1
    ):
        out.dek, out.dek_at = _take_photo_credit(first, out), start
        return start + 1
    return start


def _title(lines: list[Line], before: int, out: CleanText) -> int | None:
    """Find the headline above the body (and a dek between them, when the body has none yet)."""
    for i in range(before - 1, max(-1, before - 10), -1):
        line = lines[i]
        if line.role in ("byline", "date", "photo", "credit", "chrome", "boilerplate", "banner"):
            continue
        if line.role != "text":
            break
        if rules.is_title_like(line.text):
            out.title = line.text
            return i
        if out.dek is None and rules.is_prose(line.text) and len(rules.words(line.text)) <= 60:
            out.dek, out.dek_at = _take_photo_credit(line.text, out), i
            continue
        break
    return None


def _take_photo_credit(text: str, out: CleanText) -> str:
    credit = rules.TRAILING_CREDIT.search(text)
    if credit is None:
        return text
    out.credits.setdefault("photo", credit.group(1).strip())
    return text[: credit.start()].rstrip()


def _take_credit(line: Line, out: CleanText) -> None:
    if line.role == "byline":
        out.authors += [n for n in rules.byline_names(line.text) if n not in out.authors]
    elif line.role == "date":
        out.date_hint = out.date_hint or line.text
        out.dropped.append((line.number, line.text, "date line (dates come from metadata or --date)"))
    else:
        role = "agency" if line.role == "credit" else "photo"
        text = re.sub(r"^\(|\)$", "", line.text) if line.text.startswith("(") else line.text
        out.credits[role] = f"{out.credits[role]} {text}" if role in out.credits else text


_BLOCK_START = re.compile(r"^(#{1,6}\s|>|[-+*]\s|\d{1,9}[.)]\s|={3,}|-{3,}|`{3})")


def escape_markdown(text: str) -> str:
    """Keep a paragraph a paragraph: a leading "1. ", "# " or "- " would make it a list or heading."""
    match = _BLOCK_START.match(text)
    if not match:
        return text
    head = match.group(0)
    cut = 1 if head[0] in "#>-+*=`" else len(head.rstrip(" ").rstrip(".)"))
    return text[:cut] + "\\" + text[cut:] if head[0] not in "#>-+*=`" else "\\" + text
