"""The index as plain data, kept in the build cache so that a rebuild need not sort and group again.

Where every article keeps its place (the same dates, slugs, countries, topics and tags, which is
what an edit to a text, title or summary leaves), the index of the next build holds the same
articles in the same groups and order. Sorting and grouping 10,000 articles, and finding their
related articles, takes a fifth of a second; putting the stored groups back together with the new
articles takes a quarter of that. The stored index names articles by their number in the order
of the whole archive and holds nothing of them but their paths.

    index_key(articles, topics, signature)     what decides the groups: equal keys, equal groups
    skeleton(index, problems, key)             the index as plain data
    restored(data, articles, key, signature)   the index again, with these articles; None when
                                               the data is not for this key or is damaged
    known_relations(data, signature)           its neighbours alone, for build_index()
    earlier_relations(data, articles)          its order and related articles, for build_index()
                                               after articles were added
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from generator.errors import Diagnostic
from generator.index import Earlier, SiteIndex, relation_signature
from generator.model import Article, Country, Period, Related, Tag, Topic

FORMAT = 1


def index_key(articles: Sequence[Article], topics: tuple[Topic, ...], signature: str) -> str:
    """A hash of all build_index() reads besides the relation ``signature``: the labels of tags
    (a tag's label is the one most of its articles use), the names of countries (lists are in
    name order) and the site's topics (in their order)."""
    labels = Counter((t.slug, t.label) for a in articles for t in a.tags)
    names = {(c.code, c.name, c.slug) for a in articles for c in a.countries}
    data = repr((FORMAT, signature, topics, sorted(labels.items()), sorted(names)))
    return hashlib.blake2b(data.encode(), digest_size=20).hexdigest()


def skeleton(index: SiteIndex, problems: Sequence[Diagnostic], key: str) -> dict[str, Any]:
    order = tuple(a.source_path for a in index.articles)
    # By identity: the groups hold the index's own article objects (build_index, restored and
    # patched_index keep them so), and an object's id is had without reading the object from
    # memory. The 1.3 million places in the groups of 100,000 articles: 0.24 s, against 0.84 s by
    # source path.
    number = {id(a): n for n, a in enumerate(index.articles)}
    by_path: dict[str, int] = {}

    def numbers(group: tuple[Article, ...]) -> tuple[int, ...]:
        try:
            return tuple(map(number.__getitem__, map(id, group)))
        except KeyError:  # an equal copy rather than the index's own object: found by its path
            if not by_path:
                by_path.update((p, n) for n, p in enumerate(order))
            return tuple(by_path[a.source_path] for a in group)

    return {
        "format": FORMAT,
        "key": key,
        "signature": index.signature,
        "order": order,
        "countries": tuple((c.code, numbers(g)) for c, g in index.by_country.items()),
        "topics": tuple((t.slug, numbers(g)) for t, g in index.by_topic.items()),
        "tags": tuple((t.slug, t.label, numbers(g)) for t, g in index.by_tag.items()),
        "pairs": tuple((c.code, t.slug, numbers(g)) for (c, t), g in index.by_country_topic.items()),
        "years": tuple((p.year, numbers(g)) for p, g in index.by_year.items()),
        "months": tuple((p.year, p.month, numbers(g)) for p, g in index.by_month.items()),
        "related": tuple(numbers(index.neighbours[a.source_path].related) for a in index.articles),
        "problems": tuple((d.path, d.line, d.message, d.severity) for d in problems),
    }


def restored(
    data: Any, articles: Sequence[Article], key: str, signature: str
) -> tuple[SiteIndex, list[Diagnostic]] | None:
    """The index skeleton() stored, made of ``articles``; None unless it was stored for ``key``
    and names exactly these articles."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
        return None
    try:
        return _restored(data, articles, signature)
    except (KeyError, IndexError, TypeError, ValueError, StopIteration, AttributeError):
        return None  # damaged: the index is made anew


def known_relations(
    data: Any, signature: str
) -> dict[str, tuple[str | None, str | None, tuple[str, ...]]] | None:
    """Neighbours and related articles by source path from what skeleton() stored, when it was
    stored for the same relation ``signature`` (the tags' labels or the topics may differ):
    build_index() then need not find them again."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("signature") != signature:
        return None
    try:
        order, related = data["order"], data["related"]
        last = len(order) - 1
        return {
            path: (
                order[n + 1] if n < last else None,
                order[n - 1] if n > 0 else None,
                tuple(order[r] for r in related[n]),
            )
            for n, path in enumerate(order)
        }
    except (KeyError, IndexError, TypeError):
        return None


def earlier_relations(data: Any, articles: Sequence[Article]) -> Earlier | None:
    """The order and related articles by source path of what skeleton() stored, when every article
    it names is among ``articles`` in the same place (date, slug, countries, topics, tags: its
    relation signature is the stored one) and there are others: articles added since, which
    build_index() ranks with the stored ones kept where they still hold."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    try:
        order, related = data["order"], data["related"]
        if len(order) >= len(articles):  # none added: known_relations() is for the same signature
            return None
        by_path = {a.source_path: a for a in articles}
        if not all(p in by_path for p in order):
            return None
        if relation_signature(by_path[p] for p in order) != data["signature"]:
            return None
        return order, {p: tuple(order[r] for r in related[n]) for n, p in enumerate(order)}
    except (KeyError, IndexError, TypeError):
        return None


def _restored(
    data: dict[str, Any], articles: Sequence[Article], signature: str
) -> tuple[SiteIndex, list[Diagnostic]] | None:
    by_path = {a.source_path: a for a in articles}
    order = data["order"]
    if len(order) != len(by_path) or len(set(order)) != len(order):
        return None
    ordered = tuple(by_path[p] for p in order)
    pick = ordered.__getitem__

    def group(numbers: tuple[int, ...]) -> tuple[Article, ...]:
        if not numbers:
            raise ValueError("an empty group")
        return tuple(map(pick, numbers))

    def country(code: str, members: tuple[Article, ...]) -> Country:
        # The instance the articles hold, so that the groups are found by identity (records.Values).
        return next(c for c in members[0].countries if c.code == code)

    def topic(slug: str, members: tuple[Article, ...]) -> Topic:
        return next(t for t in members[0].topics if t.slug == slug)

    by_country = {}
    for code, numbers in data["countries"]:
        members = group(numbers)
        by_country[country(code, members)] = members
    by_topic = {}
    for slug, numbers in data["topics"]:
        members = group(numbers)
        by_topic[topic(slug, members)] = members
    by_pair: dict[tuple[Country, Topic], tuple[Article, ...]] = {}
    topics_by_country: dict[Country, list[tuple[Topic, int]]] = {}
    countries_by_topic: dict[Topic, list[tuple[Country, int]]] = {}
    for code, slug, numbers in data["pairs"]:
        members = group(numbers)
        pair = (country(code, members), topic(slug, members))
        by_pair[pair] = members
        topics_by_country.setdefault(pair[0], []).append((pair[1], len(members)))
        countries_by_topic.setdefault(pair[1], []).append((pair[0], len(members)))
    neighbours = StoredNeighbours(ordered, order, data["related"])
    index = SiteIndex(
        articles=ordered,
        by_country=by_country,
        by_topic=by_topic,
        by_tag={Tag(slug, label): group(numbers) for slug, label, numbers in data["tags"]},
        by_country_topic=by_pair,
        by_year={Period(year): group(numbers) for year, numbers in data["years"]},
        by_month={Period(year, month): group(numbers) for year, month, numbers in data["months"]},
        neighbours=neighbours,
        cards={a.source_path: a.card_digest for a in ordered},
        signature=signature,
        topics_by_country={c: tuple(v) for c, v in topics_by_country.items()},
        countries_by_topic={t: tuple(v) for t, v in countries_by_topic.items()},
    )
    problems = [
        Diagnostic(path, line, message, severity) for path, line, message, severity in data["problems"]
    ]
    return index, problems


class StoredNeighbours(Mapping[str, Related]):
    """The neighbours of ``ordered`` (newest first, their source ``paths``) with the related
    articles skeleton() stored, each made when first asked for: an edit's build asks for those of
    the pages it renders. Restoring an index of 100,000 articles took 0.40 s making them all, 0.27 s
    making none. ``related`` is checked whole here, so that a damaged index is refused by restored()
    rather than failing a page later."""

    def __init__(
        self, ordered: tuple[Article, ...], paths: Sequence[str], related: Sequence[tuple[int, ...]]
    ) -> None:
        count = len(ordered)
        if not isinstance(related, tuple | list) or len(related) != count or len(paths) != count:
            raise ValueError("related articles for another number of articles")
        if not all(type(r) is tuple for r in related):
            raise TypeError("related articles of another shape")
        numbers = list(itertools.chain.from_iterable(related))
        # In C: min() and max() raise TypeError on a string among numbers, and the sum of whole
        # numbers is a whole number, a float among them makes it one.
        if numbers and (type(sum(numbers)) is not int or not 0 <= min(numbers) <= max(numbers) < count):
            raise IndexError("a related article out of range")
        self._ordered, self._related = ordered, related
        self._number = dict(zip(paths, range(count), strict=True))
        self._made: dict[str, Related] = {}

    def __getitem__(self, path: str) -> Related:
        found = self._made.get(path)
        if found is None:
            n, ordered = self._number[path], self._ordered
            found = self._made[path] = Related(
                previous=ordered[n + 1] if n + 1 < len(ordered) else None,
                next=ordered[n - 1] if n > 0 else None,
                related=tuple(map(ordered.__getitem__, self._related[n])),
            )
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._number)

    def __len__(self) -> int:
        return len(self._number)
