"""Search: the words of the index, split alike by Python and by the page's JavaScript.

Words are lowercased, NFKD-decomposed without accents, a few letters folded (``ß`` -> ``ss``), split
on anything not a letter, digit or mark, stripped of a few English stopwords, and English plurals lose
their ``s`` (``refugees`` -> ``refugee``, ``cities`` -> ``city``); ``templates/static/search-core.js``
does the same, and the tests check that both agree. The index files are made by
:mod:`generator.search_index`.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from generator import urls
from generator.model import Article
from generator.views import SearchPage, day_label

FOLDER = "search"
INDEX_FILE = f"{FOLDER}/index.js"
SCRIPTS = ("search-core.js", "search.js")  # the page's scripts, in templates/static/
# Bump when the words or terms of a text change: bodies' term lists are cached with the bodies.
TERMS_VERSION = 1

_STOPWORDS = (
    "a an and are as at be been but by for from had has have he her his i in into is it its of on or she"
)
STOPWORDS = tuple(
    sorted(f"{_STOPWORDS} that the their them they this to was were which who will with".split())
)
# Letters NFKD does not decompose, and the final sigma, folded to what a reader would type.
FOLDS = {
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "ς": "σ",
}
# Marks dropped after NFKD: Latin, Greek and Cyrillic accents, Hebrew points, Arabic vowels.
# Other marks (Indic vowel signs, ...) are part of the word.
STRIP_MARKS = (
    r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0591-\u05c7\u064b-\u065f\u0670"
)
_STRIP = re.compile(f"[{STRIP_MARKS}]")
_STOP = frozenset(STOPWORDS)
MAX_TERM = 40
_ENGLISH = re.compile(r"[a-z]+")
_PUNCTUATION = "\u00a0\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u2026"
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_BUCKETS = (0, 0, 1, 1, 2, 2, 2, 2)  # occurrences in the body -> 0..3


@dataclass(frozen=True)
class SearchDoc:
    """One published article as the search index sees it."""

    id: str  # stable across builds; breaks ties between articles of the same time
    title: str
    path: str  # output path of the article page, e.g. "2020/02/slug/index.html"
    date: str  # ISO 8601 date or date-time
    date_label: str  # as the site shows it: "18 February 2020"
    countries: tuple[tuple[str, str], ...] = ()  # (slug, name)
    topics: tuple[tuple[str, str], ...] = ()  # (slug, label)
    tags: tuple[str, ...] = ()
    summary: str = ""
    text: str = ""  # the plain text of the body, when its terms are not known already
    digest: str = ""  # the article's digest: a changed article has a new one
    body_key: str = ""  # where the body's terms are cached
    timestamp: float | None = None  # ``date`` in seconds since 1970, UTC where it names no zone

    @classmethod
    def from_article(cls, article: Article, text: str) -> SearchDoc:
        d = article.published
        day, label = _day(d.date())
        return cls(
            id=article.source_path,
            title=article.title,
            path=urls.article(article),
            date=d.isoformat() if article.has_time else day,
            date_label=label,
            countries=tuple((c.slug, c.name) for c in article.countries),
            topics=tuple((t.slug, t.label) for t in article.topics),
            tags=tuple(t.label for t in article.tags),
            summary=article.summary,
            text=text,
            digest=article.digest,
            body_key=article.body_digest,
            timestamp=article_seconds(article),
        )


def article_seconds(article: Article) -> float:
    """An article's date in seconds since 1970: its time, or midnight UTC for a date alone."""
    d = article.published
    return _seconds(d) if article.has_time else _midnight(d.date())


@functools.lru_cache(maxsize=8192)
def _midnight(day: date) -> float:
    # Every build sorts every article by this; an archive has a few thousand days.
    return _seconds(datetime(day.year, day.month, day.day))


def timestamp(iso: str) -> float:
    """An ISO 8601 date or date-time in seconds since 1970; one without a zone is taken as UTC."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return 0.0
    return _seconds(when)


def _seconds(when: datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@functools.lru_cache(maxsize=8192)
def _day(day: date) -> tuple[str, str]:
    """A day in ISO 8601 and as the site shows it; an archive has a few thousand days, each asked
    for by every article of the day on every build."""
    return day.isoformat(), day_label(day)


def search_page(link: Callable[[str], str], *, offline: bool) -> SearchPage:
    """Links for the search page, from ``link(output_path)`` made for the page's own location."""
    home = link(urls.home())
    root = home[: -len(urls.INDEX)] if home.endswith(urls.INDEX) else home
    return SearchPage(
        index_url=link(INDEX_FILE),
        root_url=root,
        link_mode="offline" if offline else "clean",
        scripts=tuple(link(urls.asset(name)) for name in SCRIPTS),
    )


# -- words -------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase without accents ("Türkiye" -> "turkiye"); typographic punctuation becomes spaces."""
    text = text.lower()
    if text.isascii():
        return text
    for mark in _PUNCTUATION:  # curly quotes and dashes would keep most English off the fast path
        if mark in text:
            text = text.replace(mark, " ")
    if text.isascii():
        return text
    text = _STRIP.sub("", unicodedata.normalize("NFKD", text))
    for letter, folded in FOLDS.items():
        if letter in text:
            text = text.replace(letter, folded)
    return text


def words(text: str) -> list[str]:
    """The folded words of ``text``, stopwords and all: runs of letters, digits and marks."""
    text = fold(text)
    if text.isascii():
        return text.translate(_ASCII_SPACES).split()
    text = text.replace("_", " ")
    return _word_pattern(bool(_ASTRAL.search(text))).findall(text)


@functools.cache
def _word_pattern(astral: bool) -> re.Pattern[str]:
    """``\\w`` (letters, digits, ``_``) and the marks, of the BMP only unless ``astral``: ranges
    past U+FFFF make the character class several times slower."""
    marks: list[str] = []
    start = -1
    last = sys.maxunicode if astral else 0xFFFF
    for code in range(last + 2):
        is_mark = code <= last and unicodedata.category(chr(code)).startswith("M")
        if is_mark and start < 0:
            start = code
        elif not is_mark and start >= 0:
            marks.append(f"{chr(start)}-{chr(code - 1)}")
            start = -1
    return re.compile(f"[\\w{''.join(marks)}]+")


def stem(word: str) -> str:
    """English plurals to singular, lightly: "refugees" -> "refugee", "cities" -> "city"."""
    if len(word) < 4 or not _ENGLISH.fullmatch(word):
        return word
    if word.endswith("ies") and len(word) > 4 and word[-4] not in "aeiou":
        return word[:-3] + "y"
    if word.endswith("s") and word[-2] not in "suiy":
        return word[:-1]
    return word


def term(word: str) -> str:
    """The index term of a folded word, or "" for a word the index leaves out."""
    return _TERMS[word]


def _term(word: str) -> str:
    if word in _STOP or len(word) > MAX_TERM or (len(word) == 1 and word.isascii()):
        return ""
    return stem(word)


_TERMS_KEPT = 1 << 18


class _Terms(dict[str, str]):
    """Words already seen, with their terms: a body's 700 words are looked up here through
    ``dict.__getitem__``, in C, where ``functools.lru_cache`` took twice the time. Emptied when full,
    so an archive's long tail of names and numbers cannot grow it without end."""

    def __missing__(self, word: str) -> str:
        if len(self) >= _TERMS_KEPT:
            self.clear()
        found = self[word] = _term(word)
        return found


_TERMS = _Terms()


def terms(text: str) -> set[str]:
    return {t for t in map(_TERMS.__getitem__, words(text)) if t}


def body_terms(text: str) -> str:
    """The terms of a body by how often they occur: four space-separated groups, rare to frequent,
    joined by ``|``. Made once per body (in the worker that renders it) and cached with it."""
    counts = Counter(map(_TERMS.__getitem__, words(text)))
    counts.pop("", None)
    groups: list[list[str]] = [[], [], [], []]
    for t, n in counts.items():
        groups[_BUCKETS[n] if n < 8 else 3].append(t)
    return "|".join(" ".join(sorted(group)) for group in groups)
