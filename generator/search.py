"""The search index: script files that the search page loads on demand, with no server.

Browsers refuse ``fetch`` on file://, so every index file is a script that hands its data to a
registry (``__datelineSearch.index(...)``, ``.terms(...)``, ``.docs(...)``), loaded by inserting a
``<script src>``. 10,000 articles have some 40 MB of body text, so no file holds text; the index is
split three ways (sizes for 10,000 synthetic articles, 6.2 million words):

- ``search/index.js`` (57 KB), loaded first: articles are numbered newest first; it holds the
  country, topic and year filters (sets of article numbers), the shard lists and the tokenizer's
  settings, so that Python and JavaScript split words alike.
- ``search/t-<hash>.js`` (99 files of ~48 KB): the terms in UTF-16 order (as JavaScript compares),
  cut into shards of about ``TERM_SHARD_BYTES``. A term lists the articles that have it in the body
  (with a frequency bucket), in the title, and in the summary, tags, countries or topics. A query
  loads the shard of each word, and for the word being typed the shards of its prefix's range.
- ``search/d-<hash>.js`` (400 files of ~6 KB): what a result shows, ``DOCS_PER_CHUNK`` articles a
  file, loaded for the results on screen only.

A first search loads 0.3-0.4 MB. One index from a library was measured instead on the same articles:
MiniSearch 31 MB, lunr 69 MB, FlexSearch 81 MB in per-field parts; none splits by term, so none fits
(docs/search.md has the figures). File names carry a hash of the bytes, so a cached ``index.js``
never meets newer shards. Lists of article numbers are gaps in variable-length base-32 digits.

Words are lowercased, NFKD-decomposed without accents, a few letters folded (``ß`` -> ``ss``), split
on anything not a letter, digit or mark, stripped of a few English stopwords, and English plurals lose
their ``s`` (``refugees`` -> ``refugee``, ``cities`` -> ``city``); ``templates/static/search-core.js``
does the same, and the tests check that both agree.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from operator import and_, lshift, or_, rshift

from generator import urls
from generator.model import Article
from generator.views import SearchPage

FOLDER = "search"
INDEX_FILE = f"{FOLDER}/index.js"
SCRIPTS = ("search-core.js", "search.js")  # the page's scripts, in templates/static/
TERM_SHARD_BYTES = 48_000
DOCS_PER_CHUNK = 25
SUMMARY_CHARS = 240  # a result shows at most this much of the summary
FORMAT = 1

_STOPWORDS = "a an and are as at be been but by for from had has have he her his i in into is it its of on or she"
STOPWORDS = tuple(sorted(f"{_STOPWORDS} that the their them they this to was were which who will with".split()))
# Letters NFKD does not decompose, and the final sigma, folded to what a reader would type.
FOLDS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ς": "σ"}
# Marks dropped after NFKD: Latin, Greek and Cyrillic accents, Hebrew points, Arabic vowels.
# Other marks (Indic vowel signs, ...) are part of the word.
STRIP_MARKS = (
    r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0591-\u05c7\u064b-\u065f\u0670"
)
_STRIP = re.compile(f"[{STRIP_MARKS}]")
_STOP = frozenset(STOPWORDS)
_MAX_TERM = 40
_ENGLISH = re.compile(r"[a-z]+")
_PUNCTUATION = "\u00a0\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u2026"
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_BUCKETS = (0, 0, 1, 1, 2, 2, 2, 2)  # occurrences in the body -> 0..3
# 32 digits end a number, 32 more continue it; all are safe in a JSON string.
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"


class _Encoded(dict[int, str]):
    """Numbers to base-32 digits, the first 2**15 made ahead: a C-level lookup in ``_encode``."""

    def __missing__(self, v: int) -> str:
        digits = [_DIGITS[v & 31]]
        v >>= 5
        while v:
            digits.append(_DIGITS[32 + (v & 31)])
            v >>= 5
        return "".join(reversed(digits))


_ENCODED = _Encoded()
_ENCODED.update((v, _ENCODED.__missing__(v)) for v in range(1 << 15))


class _Terms(dict[str, str]):
    """Words to index terms, for one build: a C-level lookup for the millions of words of a body."""

    def __missing__(self, word: str) -> str:
        self[word] = found = term(word)
        return found


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
    text: str = ""  # the plain text of the body

    @classmethod
    def from_article(cls, article: Article, text: str) -> SearchDoc:
        d = article.published
        return cls(
            id=article.source_path,
            title=article.title,
            path=urls.article(article),
            date=d.isoformat() if article.has_time else d.date().isoformat(),
            date_label=f"{d.day} {d:%B %Y}",
            countries=tuple((c.slug, c.name) for c in article.countries),
            topics=tuple((t.slug, t.label) for t in article.topics),
            tags=tuple(t.label for t in article.tags),
            summary=article.summary,
            text=text,
        )


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


@functools.lru_cache(maxsize=1 << 18)
def term(word: str) -> str:
    """The index term of a folded word, or "" for a word the index leaves out."""
    if word in _STOP or len(word) > _MAX_TERM or (len(word) == 1 and word.isascii()):
        return ""
    return stem(word)


def terms(text: str) -> set[str]:
    return {t for t in map(term, words(text)) if t}


# -- the index ---------------------------------------------------------------------------------


def search_files(docs: Iterable[SearchDoc]) -> dict[str, bytes]:
    """Every file of the search index, by output path. Reads ``docs`` once, keeping no body text."""
    body: defaultdict[str, array[int]] = defaultdict(partial(array, "I"))  # term -> arrival << 2 | bucket
    title: defaultdict[str, array[int]] = defaultdict(partial(array, "I"))  # term -> arrival
    meta: defaultdict[str, array[int]] = defaultdict(partial(array, "I"))
    cards: list[tuple[tuple[float, str], SearchDoc]] = []  # (sort key, the doc without its body)
    lookup = _Terms().__getitem__
    for number, doc in enumerate(docs):
        counts = Counter(map(lookup, words(doc.text)))
        counts.pop("", None)
        for t, n in counts.items():
            body[t].append(number << 2 | (_BUCKETS[n] if n < 8 else 3))
        for t in terms(doc.title):
            title[t].append(number)
        names = [doc.summary, *doc.tags, *(n for _, n in doc.countries), *(n for _, n in doc.topics)]
        for t in terms(" \n".join(names)):
            meta[t].append(number)
        card = SearchDoc(doc.id, doc.title, doc.path, doc.date, doc.date_label, doc.countries, doc.topics,
                         summary=_shorten(doc.summary))  # fmt: skip
        cards.append(((-_timestamp(doc.date), doc.id), card))
    order = sorted(range(len(cards)), key=lambda i: cards[i][0])
    if order != list(range(len(order))):  # given out of order: renumber newest first
        rank = array("I", bytes(4 * len(order)))
        for position, arrival in enumerate(order):
            rank[arrival] = position
        for t, values in body.items():
            ranks = map(rank.__getitem__, map(rshift, values, repeat(2)))
            body[t] = array("I", sorted(map(or_, map(lshift, ranks, repeat(2)), map(and_, values, repeat(3)))))
        for table in (title, meta):
            for t, values in table.items():
                table[t] = array("I", sorted(map(rank.__getitem__, values)))
    cards_in_order = [cards[i][1] for i in order]
    files: dict[str, bytes] = {}
    shards = _term_shards(body, title, meta, files)
    chunks = [
        _put(files, "d", "docs", n // DOCS_PER_CHUNK, [_card_row(c) for c in cards_in_order[n : n + DOCS_PER_CHUNK]])
        for n in range(0, len(cards_in_order), DOCS_PER_CHUNK)
    ]  # fmt: skip
    files[INDEX_FILE] = _script("index", _index_data(cards_in_order, shards, chunks))
    return dict(sorted(files.items()))


def _timestamp(iso: str) -> float:
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return 0.0
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _shorten(summary: str) -> str:
    if len(summary) <= SUMMARY_CHARS:
        return summary
    cut = summary[:SUMMARY_CHARS].rsplit(None, 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def _term_shards(
    body: dict[str, array[int]], title: dict[str, array[int]], meta: dict[str, array[int]], files: dict[str, bytes]
) -> list[list[str]]:
    """Write the term shards; return [first term, file name] of each."""
    shards: list[list[str]] = []
    names: list[str] = []
    entries: list[list[str]] = []
    size = 0
    empty = array("I")
    every = sorted(body.keys() | title.keys() | meta.keys(), key=_utf16)
    for position, t in enumerate(every, 1):
        entry = [_encode(body.get(t, empty), 3), _encode(title.get(t, empty), 0), _encode(meta.get(t, empty), 0)]
        while not entry[-1]:
            entry.pop()
        names.append(t)
        entries.append(entry)
        size += len(t) + sum(map(len, entry)) + 12
        if size >= TERM_SHARD_BYTES or position == len(every):
            shards.append([names[0], _put(files, "t", "terms", len(shards), names, entries)])
            names, entries, size = [], [], 0
    return shards


def _utf16(text: str) -> bytes:
    """JavaScript compares strings by UTF-16 code units: shard ranges must follow that order."""
    return text.encode("utf-16-be", "surrogatepass")


def _encode(numbers: array[int], mask: int) -> str:
    """Ascending article numbers (shifted left past the ``mask`` bits) as the first number and
    then each gap less one, with the masked bits kept: a run of neighbours costs a digit each."""
    encoded = _ENCODED
    out: list[str] = []
    base = 0
    for n in numbers:
        out.append(encoded[n - base])
        base = (n | mask) + 1
    return "".join(out)


def _card_row(card: SearchDoc) -> list[object]:
    path = card.path[: -len(urls.INDEX)] if card.path.endswith(urls.INDEX) else card.path
    countries = [name for _, name in card.countries]
    topics = [label for _, label in card.topics]
    return [card.title, path, card.date[:10], card.date_label, card.summary, countries, topics]


def _index_data(cards: list[SearchDoc], shards: list[list[str]], chunks: list[str]) -> dict[str, object]:
    filters: dict[str, dict[tuple[str, str], array[int]]] = {"countries": {}, "topics": {}, "years": {}}
    for number, card in enumerate(cards):
        for kind, keys in (("countries", card.countries), ("topics", card.topics), ("years", [(card.date[:4],) * 2])):
            for key in keys:
                filters[kind].setdefault(key, array("I")).append(number)
    by_name = {kind: sorted(found.items(), key=_by_name) for kind, found in filters.items()}
    by_name["years"].reverse()  # newest first
    return {
        "format": FORMAT,
        "count": len(cards),
        "chunk": DOCS_PER_CHUNK,
        "terms": shards,
        "docs": chunks,
        # [slug, label, articles, how many] by label: a filter's choices
        **{kind: [[s, label, _encode(d, 0), len(d)] for (s, label), d in found] for kind, found in by_name.items()},
        "text": {"stopwords": list(STOPWORDS), "folds": FOLDS, "strip": STRIP_MARKS, "maxTerm": _MAX_TERM},
    }


def _by_name(item: tuple[tuple[str, str], array[int]]) -> tuple[str, str]:
    return (fold(item[0][1]), item[0][0])


def _put(files: dict[str, bytes], prefix: str, kind: str, number: int, *data: object) -> str:
    """Write one shard under a name made from its bytes; return the name."""
    script = _script(kind, number, *data)
    name = f"{prefix}-{hashlib.sha256(script).hexdigest()[:12]}.js"
    files[f"{FOLDER}/{name}"] = script
    return name


def _script(method: str, *args: object) -> bytes:
    """A call into the page's registry. JSON is valid JavaScript once U+2028/9 are escaped;
    ``<`` is escaped too, so no ``</script>`` or ``<!--`` can appear even if a file is inlined."""
    text = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in args)
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"__datelineSearch.{method}({text});\n".encode()
