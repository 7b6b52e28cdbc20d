"""The search index: script files that the search page loads on demand, with no server.

Browsers refuse ``fetch`` on file://, so every index file is a script that hands its data to a
registry (``__datelineSearch.index(...)``, ``.terms(...)``, ``.docs(...)``), loaded by inserting a
``<script src>``. 10,000 articles have some 40 MB of body text, so no file holds text; the index is
split three ways (sizes for 10,000 synthetic articles, 6.2 million words):

- ``search/index.js`` (about 60 KB), loaded first: articles are numbered oldest first; it holds the
  country, topic and year filters (sets of article numbers), the shard lists and the tokenizer's
  settings, so that Python and JavaScript split words alike.
- ``search/t-<hash>.js`` (some 200 files of 12-48 KB): the terms in UTF-16 order (as JavaScript
  compares), in shards of at most about ``TERM_SHARD_BYTES``. A term lists the articles that have it
  in the body (with a frequency bucket), in the title, and in the summary, tags, countries or topics.
  A query loads the shard of each word, and for the word being typed the shards of its prefix's range.
- ``search/d-<hash>.js`` (400 files of ~6 KB): what a result shows, ``DOCS_PER_CHUNK`` articles a
  file, loaded for the results on screen only.

A first search loads 0.3-0.4 MB. One index from a library was measured instead on the same articles:
MiniSearch 31 MB, lunr 69 MB, FlexSearch 81 MB in per-field parts; none splits by term, so none fits
(docs/search.md has the figures). File names carry a hash of the bytes, so a cached ``index.js``
never meets newer shards. Lists of article numbers are gaps in variable-length base-32 digits.

An edited article changes the lists of a few terms only, and an added one (numbered after all the
others, when it is the newest) puts its number at the end of some; so a build patches the previous
build's shards (read back from the output folder, checked against the hash in their names) instead of
reading every body again. Shards start at terms chosen by a hash of the term, not by running size
alone, so a patched term moves no other shard's boundaries; the result is byte for byte what a
build from scratch makes.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
import zlib
from array import array
from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import ClassVar

from generator import urls
from generator.search import (
    FOLDER,
    FOLDS,
    INDEX_FILE,
    MAX_TERM,
    STOPWORDS,
    STRIP_MARKS,
    SearchDoc,
    fold,
    terms,
)
from generator.search import body_terms as text_terms
from generator.search_docs import Docs, docs_of

TERM_SHARD_BYTES = 48_000  # a shard is cut at the first term past this size
DOCS_PER_CHUNK = 25
SUMMARY_CHARS = 240  # a result shows at most this much of the summary
FORMAT = 3  # of search/index.js; from 3, articles are numbered oldest first
STATE_FORMAT = 6  # of SearchState's data in the build cache
PATCH_LIMIT = 500  # past this many changed articles, making the index anew is as quick
_CUT_MASK = 255  # a term whose CRC-32 has these bits clear may start a shard
# 32 digits end a number, 32 more continue it; all are safe in a JSON string.
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
_VALUES = {d: v for v, d in enumerate(_DIGITS)}
_TERMS_CALL = "__datelineSearch.terms("

Entry = list[str]  # [body, title, meta] encoded article lists, trailing empty ones dropped
Row = tuple[str, str, str, str, str]  # (id, digest, body key, title terms, meta terms)
# Each kind of filter (countries, topics, years) with its choices: (slug, label, articles, how many)
FilterChoices = tuple[tuple[str, tuple[tuple[str, str, str, int], ...]], ...]


class _Encoded(dict[int, str]):
    """Numbers to base-32 digits, each made once: then a C-level lookup in ``_encode``."""

    def __missing__(self, v: int) -> str:
        digits = [_DIGITS[v & 31]]
        rest = v >> 5
        while rest:
            digits.append(_DIGITS[32 + (rest & 31)])
            rest >>= 5
        self[v] = made = "".join(reversed(digits))
        return made


_ENCODED = _Encoded()


@dataclass(frozen=True)
class _Shard:
    """A term shard file of the previous build, to write again as it was if its terms did not change."""

    names: list[str]
    lists: list[Entry]
    name: str
    data: bytes


@dataclass(frozen=True)
class SearchState:
    """What a build leaves for the next one to patch its index: every article's terms besides its
    body's (those are cached with the body), in article-number order, the term shards and the
    result chunks; and the filters of index.js, with the key they were made for (see Sources.key)."""

    rows: tuple[Row, ...]
    shards: tuple[tuple[str, str], ...]  # (first term, file name)
    chunks: tuple[str, ...] = ()  # file names, in order
    key: str = ""
    filters: FilterChoices = ()  # as in index.js

    COLUMNS: ClassVar[int] = 5  # of a row

    def same_columns(self, other: SearchState) -> tuple[bool, ...]:
        """For each column of the rows, whether ``other``'s is the same. A patched state shares
        the previous one's strings where they did not change: mostly a comparison of identities."""
        if len(self.rows) != len(other.rows):
            return (False,) * self.COLUMNS
        return tuple(
            list(map(itemgetter(n), self.rows)) == list(map(itemgetter(n), other.rows))
            for n in range(self.COLUMNS)
        )

    def column(self, n: int) -> str:
        """Column ``n`` of the rows as one string, as to_data() stores it."""
        return _SEPARATOR.join(map(itemgetter(n), self.rows))

    def header(self) -> dict[str, object]:
        """What to_data() stores besides the columns."""
        return {
            "format": STATE_FORMAT,
            "count": len(self.rows),
            "shards": self.shards,
            "chunks": self.chunks,
            "key": self.key,
            "filters": self.filters,
        }

    def to_data(self) -> dict[str, object]:
        # By column, each one string: the 50,000 strings of 10,000 rows as five (the terms alone are
        # some 5 MB), which a rebuild after one edit reads and writes in a third of the time.
        return {**self.header(), "columns": tuple(self.column(n) for n in range(self.COLUMNS))}

    def same_places(self, key: str) -> bool:
        """Whether the articles are in the places this state was made for: an index of ``key``."""
        return bool(key) and key == self.key

    def order(self, key: str) -> list[str]:
        """The articles' ids in the index's order, when they are in the places this state was made
        for (see same_places); else none."""
        return [row[0] for row in self.rows] if self.same_places(key) else []

    @classmethod
    def from_data(cls, data: object) -> SearchState | None:
        """The inverse of to_data(); None for anything else."""
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            return None
        rows = _rows(data.get("columns"), data.get("count"))
        shards, chunks = data.get("shards"), data.get("chunks")
        key, filters = data.get("key"), data.get("filters")
        if rows is None or not isinstance(shards, tuple) or not isinstance(chunks, tuple):
            return None
        if not isinstance(key, str) or not _filters_shaped(filters):
            return None
        if not all(type(s) is tuple and len(s) == 2 for s in shards):
            return None
        if not all(type(c) is str for c in chunks):
            return None
        return cls(rows, shards, chunks, key, filters)


_SEPARATOR = "\0"  # in no path, digest or term


def _rows(columns: object, count: object) -> tuple[Row, ...] | None:
    """The rows that to_data() stored as ``columns``; None for anything else."""
    if type(count) is not int or not isinstance(columns, tuple) or len(columns) != SearchState.COLUMNS:
        return None
    if not all(type(c) is str for c in columns):
        return None
    if count == 0:
        return () if all(c == "" for c in columns) else None
    split = [c.split(_SEPARATOR) for c in columns]
    if any(len(values) != count for values in split):
        return None
    return tuple(zip(*split, strict=True))  # type: ignore[arg-type]


def _filters_shaped(filters: object) -> bool:
    return isinstance(filters, tuple) and all(
        type(f) is tuple
        and len(f) == 2
        and type(f[0]) is str
        and type(f[1]) is tuple
        and all(type(c) is tuple and len(c) == 4 for c in f[1])
        for f in filters
    )


@dataclass(frozen=True)
class Sources:
    """Where the index finds what it does not compute: body terms and the previous build's files."""

    body: Callable[[SearchDoc], str]  # a current article's body terms (see search.body_terms)
    old_body: Callable[[str], str | None] = lambda key: None  # body terms by body key, if still cached
    previous: SearchState | None = None
    read: Callable[[str], bytes | None] = lambda path: None  # a file of the previous build
    # Whether the live output folder holds this very file, as its writer knows: a file named by the
    # hash of its bytes that the index keeps is then left there, neither read nor written again.
    live: Callable[[str], bool] = lambda path: False
    # A key of what decides the articles' order and their countries, topics and years (the build
    # gives the index's key); when the previous state's is the same, so are its filters. "" for none.
    key: str = ""


# Every file of the index by output path: its bytes, or None for a file the live output folder
# holds already (see Sources.live).
Files = dict[str, bytes | None]


def search_files(docs: Iterable[SearchDoc]) -> dict[str, bytes]:
    """Every file of the index of ``docs``, which carry their body text."""
    files = build_search(docs, Sources(body=lambda doc: text_terms(doc.text)))[0]
    return {path: data for path, data in files.items() if data is not None}  # none kept: no live folder


def build_search(entries: Docs | Iterable[SearchDoc], sources: Sources) -> tuple[Files, SearchState]:
    """Every file of the search index by output path, and the state for the next build."""
    docs = docs_of(entries)  # oldest first
    kept: dict[str, _Shard] = {}
    patched = _patched(docs, sources, kept) if sources.previous is not None else None
    if patched is not None:
        rows, entries, changed = patched
    else:
        (rows, entries), changed = _made(docs, sources.body), None
    files: Files = {}
    shards = _term_shards(entries, files, kept, sources.live)
    chunks = _chunks(docs, files, sources, changed)
    previous = sources.previous
    if previous is not None and previous.same_places(sources.key) and previous.filters:
        filters = previous.filters
    else:
        filters = _filters(docs)
    files[INDEX_FILE] = _script("index", _index_data(docs, shards, chunks, filters))
    state = SearchState(tuple(rows), tuple((s[0], s[1]) for s in shards), tuple(chunks), sources.key, filters)
    return dict(sorted(files.items())), state


def _chunks(docs: Docs, files: Files, sources: Sources, changed: list[int] | None) -> list[str]:
    """Write the result chunks; return their file names. After a patch (``changed`` says which
    article numbers changed), a chunk holding none of them is the previous build's file."""
    previous = sources.previous.chunks if sources.previous is not None and changed is not None else ()
    if len(previous) > -(-len(docs) // DOCS_PER_CHUNK):
        previous = ()
    # After a patch the chunks before the added articles' (numbered last) hold the same articles.
    dirty = {n // DOCS_PER_CHUNK for n in changed or ()}
    names: list[str] = []
    for number, start in enumerate(range(0, len(docs), DOCS_PER_CHUNK)):
        if number < len(previous) and number not in dirty:
            name = previous[number]
            path = f"{FOLDER}/{name}"
            if sources.live(path):
                files[path] = None
                names.append(name)
                continue
            data = sources.read(path)
            if data is not None and _name("d", data) == name:
                files[path] = data
                names.append(name)
                continue
        cards = [_card_row(doc) for doc in docs[start : start + DOCS_PER_CHUNK]]
        names.append(_put(files, "d", "docs", number, cards))
    return names


def _made(docs: Docs, body: Callable[[SearchDoc], str]) -> tuple[list[Row], Iterator[tuple[str, Entry]]]:
    """The index from scratch: every article's terms, in article-number order."""
    lists: tuple[defaultdict[str, array[int]], ...] = tuple(
        defaultdict(partial(array, "I")) for _ in range(3)
    )
    bodies, titles, metas = lists
    rows: list[Row] = []
    for number, doc in enumerate(docs):
        row = _row(doc)
        rows.append(row)
        for bucket, group in enumerate(body(doc).split("|")):
            value = number << 2 | bucket
            for t in group.split():
                bodies[t].append(value)
        for t in row[3].split():
            titles[t].append(number)
        for t in row[4].split():
            metas[t].append(number)
    every = sorted(bodies.keys() | titles.keys() | metas.keys(), key=_utf16)
    return rows, _drained(every, bodies, titles, metas)


def _drained(every: list[str], *lists: dict[str, array[int]]) -> Iterator[tuple[str, Entry]]:
    """Each term's entry, in order, letting go of its lists as it is made: at 100,000 articles the
    lists and their encodings are some hundreds of MB, and both need never be held whole."""
    empty = array("I")
    bodies, titles, metas = lists
    for t in every:
        yield t, _entry(bodies.pop(t, empty), titles.pop(t, empty), metas.pop(t, empty))


def _patched(
    docs: Docs, sources: Sources, kept: dict[str, _Shard]
) -> tuple[list[Row], list[tuple[str, Entry]], list[int]] | None:
    """The previous index with the changed articles' terms swapped and the added ones' put in, and
    the numbers of those articles; or None where that cannot be done: articles removed or
    reordered, one added older than the newest before it (it would take another's number), too
    many changes, or a previous file missing.

    Articles are numbered oldest first, so the new articles of the day, newer than all the others,
    take the next numbers and every earlier article keeps its own."""
    previous = sources.previous
    assert previous is not None
    before = len(previous.rows)
    if len(docs) < before or any(i != r[0] for i, r in zip(docs.ids[:before], previous.rows, strict=True)):
        return None
    changed = [
        n
        for n, (digest, r) in enumerate(zip(docs.digests[:before], previous.rows, strict=True))
        if not digest or digest != r[1]
    ]
    changed += range(before, len(docs))
    if len(changed) > PATCH_LIMIT:
        return None
    entries = _read_shards(previous.shards, sources.read, kept)
    if entries is None:
        return None
    rows = list(previous.rows)
    order = list(entries)
    known = set(order)
    added: set[str] = set()
    for number in changed:
        doc = docs[number]
        if number < before:
            old_body = sources.old_body(rows[number][2])
            if old_body is None:
                return None
            old = _places(old_body, rows[number])
            rows[number] = _row(doc)
        else:
            old = {}
            rows.append(_row(doc))
        new = _places(sources.body(doc), rows[number])
        for t in old.keys() | new.keys():
            was, now = old.get(t, _NOWHERE), new.get(t, _NOWHERE)
            if was == now:
                continue
            if t not in known:
                added.add(t)
            place = _appended if number >= before else _moved
            entry = place(entries.get(t, []), number, now)
            if entry:
                entries[t] = entry
            else:
                entries.pop(t, None)
    if added:
        order = list(heapq.merge(order, sorted(added, key=_utf16), key=_utf16))
    return rows, [(t, entries[t]) for t in order if t in entries], changed


_NOWHERE = (-1, False, False)


def _places(body: str, row: Row) -> dict[str, tuple[int, bool, bool]]:
    """Term -> (body bucket or -1, in the title, in the summary, tags or places) for one article."""
    places: dict[str, tuple[int, bool, bool]] = {}
    for bucket, group in enumerate(body.split("|")):
        for t in group.split():
            places[t] = (bucket, False, False)
    for t in row[3].split():
        b, _, m = places.get(t, _NOWHERE)
        places[t] = (b, True, m)
    for t in row[4].split():
        b, ti, _ = places.get(t, _NOWHERE)
        places[t] = (b, ti, True)
    return places


def _moved(entry: Entry, number: int, place: tuple[int, bool, bool]) -> Entry:
    """``entry`` with article ``number`` where ``place`` says, and nowhere else."""
    bucket, in_title, in_meta = place
    padded = _padded(entry)
    body = [v for v in _decode(padded[0], 3) if v >> 2 != number]
    if bucket >= 0:
        insort(body, number << 2 | bucket)
    lists = [array("I", body)]
    for encoded, present in ((padded[1], in_title), (padded[2], in_meta)):
        values = [v for v in _decode(encoded, 0) if v != number]
        if present:
            insort(values, number)
        lists.append(array("I", values))
    return _entry(*lists)


def _appended(entry: Entry, number: int, place: tuple[int, bool, bool]) -> Entry:
    """What _moved() gives for an article ``number`` newer than every one ``entry`` lists (an added
    one): each list gets one more number at its end, with no list decoded. The lists of an added
    article's common terms name nearly every article, and decoding them took 3.4 s of an addition's
    build at 100,000."""
    bucket, in_title, in_meta = place
    lists = _padded(entry)
    if bucket >= 0:
        lists[0] += _ENCODED[(number << 2 | bucket) - _next_base(lists[0], 3)]
    for n, present in ((1, in_title), (2, in_meta)):
        if present:
            lists[n] += _ENCODED[number - _next_base(lists[n], 0)]
    return _trimmed(lists)


def _padded(entry: Entry) -> list[str]:
    """An entry's three lists, the empty ones it drops at its end put back."""
    return [*entry, "", "", ""][:3]


def _trimmed(lists: list[str]) -> Entry:
    """Three encoded lists as an entry: empty ones at the end dropped."""
    while lists and not lists[-1]:
        lists.pop()
    return lists


# A number of more than one digit: digits that continue it, then the one that ends it.
_LONG_NUMBER = re.compile(f"[{re.escape(_DIGITS[32:])}]+[{re.escape(_DIGITS[:32])}]")


def _next_base(text: str, mask: int) -> int:
    """The base _encode() would take the next number from after writing ``text`` (with ``mask``).
    Each number ``t`` written there is ``(a - a_before - 1) << shift | low bits`` for article ``a``,
    so the last article is the sum of every ``t >> shift`` plus their count less one. The one-digit
    numbers, nearly all of a long list, are summed by counting each digit (in C); the few longer
    ones are read one by one."""
    shift = mask.bit_length()
    total = count = 0
    for value, digit in enumerate(_DIGITS[:32]):
        found = text.count(digit)
        count += found
        total += found * (value >> shift)
    for match in _LONG_NUMBER.finditer(text):
        value = _decode(match.group(), 0)[0]  # alone, a number is read as written
        total += (value >> shift) - ((value & 31) >> shift)  # its last digit was counted above
    return (total + count) << shift


def _read_shards(
    shards: Iterable[tuple[str, str]], read: Callable[[str], bytes | None], kept: dict[str, _Shard]
) -> dict[str, Entry] | None:
    """Term -> entry from the previous build's shard files, in term order; None if one is missing or
    not the file its name promises. Each shard goes in ``kept`` by its first term."""
    entries: dict[str, Entry] = {}
    for first, name in shards:
        data = read(f"{FOLDER}/{name}")
        if data is None or _name("t", data) != name:
            return None
        text = data.decode()
        if not (text.startswith(_TERMS_CALL) and text.endswith(");\n")):
            return None
        names, lists = json.loads(f"[{text[len(_TERMS_CALL) : -3]}]")
        entries.update(zip(names, lists, strict=True))
        kept[first] = _Shard(names, lists, name, data)
    return entries


def _row(doc: SearchDoc) -> Row:
    names = [doc.summary, *doc.tags, *(n for _, n in doc.countries), *(n for _, n in doc.topics)]
    title = " ".join(sorted(terms(doc.title)))
    return (doc.id, doc.digest, doc.body_key, title, " ".join(sorted(terms(" \n".join(names)))))


def _shorten(summary: str) -> str:
    if len(summary) <= SUMMARY_CHARS:
        return summary
    cut = summary[:SUMMARY_CHARS].rsplit(None, 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def _term_shards(
    entries: Iterable[tuple[str, Entry]],
    files: Files,
    kept: dict[str, _Shard],
    live: Callable[[str], bool] = lambda path: False,
) -> list[list[str]]:
    """Write the term shards; return [first term, file name] of each.

    A shard ends before a term whose hash picks it once the shard holds a quarter of
    ``TERM_SHARD_BYTES``, or in any case once it holds all of it. A shard the same as one in
    ``kept`` is written as it was, without making its bytes again."""
    shards: list[list[str]] = []
    names: list[str] = []
    lists: list[Entry] = []
    size = 0

    def flush() -> None:
        old = kept.get(names[0])
        if old is not None and old.names == names and old.lists == lists:
            path = f"{FOLDER}/{old.name}"
            files[path] = None if live(path) else old.data
            shards.append([names[0], old.name])
        else:
            shards.append([names[0], _put(files, "t", "terms", names, lists)])

    for t, entry in entries:
        if names and (
            size >= TERM_SHARD_BYTES
            or (size >= TERM_SHARD_BYTES // 4 and not zlib.crc32(t.encode()) & _CUT_MASK)
        ):
            flush()
            names, lists, size = [], [], 0
        names.append(t)
        lists.append(entry)
        size += len(t) + sum(map(len, entry)) + 12
    if names:
        flush()
    return shards


def _utf16(text: str) -> bytes:
    """JavaScript compares strings by UTF-16 code units: shard ranges must follow that order."""
    return text.encode("utf-16-be", "surrogatepass")


def _entry(body: array[int], title: array[int], meta: array[int]) -> Entry:
    return _trimmed([_encode(body, 3), _encode(title, 0), _encode(meta, 0)])


def _encode(numbers: Iterable[int], mask: int) -> str:
    """Ascending article numbers (shifted left past the ``mask`` bits) as the first number and
    then each gap less one, with the masked bits kept: a run of neighbours costs a digit each."""
    encoded = _ENCODED
    out: list[str] = []
    base = 0
    for n in numbers:
        out.append(encoded[n - base])
        base = (n | mask) + 1
    return "".join(out)


def _decode(text: str, mask: int) -> list[int]:
    """The numbers :func:`_encode` wrote."""
    numbers: list[int] = []
    base = value = 0
    for digit in map(_VALUES.__getitem__, text):
        if digit >= 32:
            value = value << 5 | (digit - 32)
            continue
        n = base + (value << 5 | digit)
        numbers.append(n)
        base = (n | mask) + 1
        value = 0
    return numbers


def _card_row(doc: SearchDoc) -> list[object]:
    path = doc.path[: -len(urls.INDEX)] if doc.path.endswith(urls.INDEX) else doc.path
    countries = [name for _, name in doc.countries]
    topics = [label for _, label in doc.topics]
    return [doc.title, path, doc.date[:10], doc.date_label, _shorten(doc.summary), countries, topics]


def _filters(docs: Docs) -> FilterChoices:
    """Each kind of filter's choices by label: (slug, label, article numbers encoded, how many)."""
    by_name = {kind: sorted(found.items(), key=_by_name) for kind, found in docs.filters().items()}
    by_name["years"].reverse()  # newest first
    return tuple(
        (kind, tuple((s, label, _encode(d, 0), len(d)) for (s, label), d in found))
        for kind, found in by_name.items()
    )


def _index_data(
    docs: Docs,
    shards: list[list[str]],
    chunks: list[str],
    filters: FilterChoices,
) -> dict[str, object]:
    return {
        "format": FORMAT,
        "count": len(docs),
        "chunk": DOCS_PER_CHUNK,
        "terms": shards,
        "docs": chunks,
        **{kind: [list(choice) for choice in choices] for kind, choices in filters},
        "text": {"stopwords": list(STOPWORDS), "folds": FOLDS, "strip": STRIP_MARKS, "maxTerm": MAX_TERM},
    }


def _by_name(item: tuple[tuple[str, str], list[int]]) -> tuple[str, str]:
    return (fold(item[0][1]), item[0][0])


def _put(files: Files, prefix: str, kind: str, *data: object) -> str:
    """Write one shard under a name made from its bytes; return the name."""
    script = _script(kind, *data)
    name = _name(prefix, script)
    files[f"{FOLDER}/{name}"] = script
    return name


def _name(prefix: str, script: bytes) -> str:
    return f"{prefix}-{hashlib.sha256(script).hexdigest()[:12]}.js"


def _script(method: str, *args: object) -> bytes:
    """A call into the page's registry. JSON is valid JavaScript once U+2028/9 are escaped;
    ``<`` is escaped too, so no ``</script>`` or ``<!--`` can appear even if a file is inlined."""
    text = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in args)
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"__datelineSearch.{method}({text});\n".encode()
