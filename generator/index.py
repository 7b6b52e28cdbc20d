"""Group articles by country, topic, tag and period, and find each one's neighbours.

The index holds metadata only; rendered bodies live in the body store.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from generator import urls
from generator.countries import name_order
from generator.errors import Diagnostic
from generator.model import Article, Country, Period, Related, Tag, Topic
from generator.workers import Beside

RELATED_COUNT = 5
# How many of the nearest articles in time each shared bucket offers as candidates:
# keeps related-article search linear in the archive size.
_CANDIDATE_WINDOW = 20
# Ranking this many articles or more, a build of more than one process ranks half of them in a
# forked child meanwhile: ranking takes some 40 us an article (0.4 s of a first build at 10,000
# articles, all of it before any page can be rendered), a fork a few milliseconds.
_RANK_BESIDE_AT = 2000


@dataclass(frozen=True)
class SiteIndex:
    """Every published article, newest first, and the groups the archive shows."""

    articles: tuple[Article, ...]
    by_country: Mapping[Country, tuple[Article, ...]]
    by_topic: Mapping[Topic, tuple[Article, ...]]
    by_tag: Mapping[Tag, tuple[Article, ...]]
    by_country_topic: Mapping[tuple[Country, Topic], tuple[Article, ...]]
    by_year: Mapping[Period, tuple[Article, ...]]
    by_month: Mapping[Period, tuple[Article, ...]]
    neighbours: Mapping[str, Related]  # by source path
    cards: Mapping[str, str]  # by source path: a hash of what lists and links show of the article
    signature: str  # see relation_signature
    topics_by_country: Mapping[Country, tuple[tuple[Topic, int], ...]]
    countries_by_topic: Mapping[Topic, tuple[tuple[Country, int], ...]]

    def topics_of_country(self, country: Country) -> tuple[tuple[Topic, int], ...]:
        return self.topics_by_country.get(country, ())

    def countries_of_topic(self, topic: Topic) -> tuple[tuple[Country, int], ...]:
        return self.countries_by_topic.get(topic, ())


def build_index(
    articles: Iterable[Article],
    topic_order: tuple[Topic, ...],
    known_relations: Mapping[str, tuple[str | None, str | None, tuple[str, ...]]] | None = None,
    signature: str = "",
    earlier: Earlier | None = None,
    jobs: int = 1,
) -> tuple[SiteIndex, list[Diagnostic]]:
    """Sort and group ``articles``; two articles claiming one URL are reported. ``earlier`` is the
    order and related articles of an index made before of some of them, ``jobs`` how many processes
    may rank related articles (see _neighbours)."""
    ordered = sorted(articles, key=lambda a: (a.published, a.slug, a.source_path), reverse=True)
    problems = _url_collisions(ordered)

    by_country: defaultdict[Country, list[Article]] = defaultdict(list)
    by_topic: defaultdict[Topic, list[Article]] = defaultdict(list)
    by_tag: defaultdict[str, list[Article]] = defaultdict(list)
    tag_labels: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_pair: defaultdict[tuple[Country, Topic], list[Article]] = defaultdict(list)
    by_year: defaultdict[int, list[Article]] = defaultdict(list)
    by_month: defaultdict[tuple[int, int], list[Article]] = defaultdict(list)
    for article in ordered:
        for country in article.countries:
            by_country[country].append(article)
            for topic in article.topics:
                by_pair[(country, topic)].append(article)
        for topic in article.topics:
            by_topic[topic].append(article)
        for tag in article.tags:
            by_tag[tag.slug].append(article)
            tag_labels[tag.slug][tag.label] += 1
        published = article.published
        by_year[published.year].append(article)
        by_month[(published.year, published.month)].append(article)

    rank = {t.slug: i for i, t in enumerate(topic_order)}
    tags = {slug: Tag(slug, _label(tag_labels[slug])) for slug in by_tag}
    pairs = sorted(by_pair, key=lambda k: (name_order(k[0]), rank.get(k[1].slug, 0)))
    topics_by_country: defaultdict[Country, list[tuple[Topic, int]]] = defaultdict(list)
    countries_by_topic: defaultdict[Topic, list[tuple[Country, int]]] = defaultdict(list)
    for country, topic in pairs:
        topics_by_country[country].append((topic, len(by_pair[(country, topic)])))
        countries_by_topic[topic].append((country, len(by_pair[(country, topic)])))
    index = SiteIndex(
        articles=tuple(ordered),
        by_country={c: tuple(by_country[c]) for c in sorted(by_country, key=name_order)},
        by_topic={t: tuple(by_topic[t]) for t in sorted(by_topic, key=lambda t: rank.get(t.slug, 0))},
        by_tag={tags[s]: tuple(by_tag[s]) for s in sorted(by_tag)},
        by_country_topic={k: tuple(by_pair[k]) for k in pairs},
        by_year={Period(y): tuple(by_year[y]) for y in sorted(by_year, reverse=True)},
        by_month={Period(y, m): tuple(by_month[(y, m)]) for y, m in sorted(by_month, reverse=True)},
        neighbours=_restore(ordered, known_relations)
        if known_relations is not None
        else _neighbours(ordered, earlier, jobs),
        cards={a.source_path: a.card_digest for a in ordered},
        signature=signature or relation_signature(ordered),
        topics_by_country={c: tuple(v) for c, v in topics_by_country.items()},
        countries_by_topic={t: tuple(v) for t, v in countries_by_topic.items()},
    )
    return index, problems


def patched_index(old: SiteIndex, articles: Sequence[Article], signature: str) -> SiteIndex | None:
    """What build_index() gives for ``articles`` (whose relation signature is ``signature``), made
    from the index it gave before, when only articles' other fields changed: their texts, titles,
    summaries, not their dates, slugs, countries, topics or tags (the signature), nor the labels
    of their tags. Then every group holds the same articles in the same order, and only the
    changed articles' own groups and the neighbours that name them are made again. None when
    ``old`` cannot be patched so. The preview server, holding the last index, rebuilds this way
    after an edit to a body; build_index() takes ten times as long."""
    if signature != old.signature or len(articles) != len(old.articles):
        return None
    by_path = {a.source_path: a for a in articles}
    changed: dict[str, Article] = {}
    for was in old.articles:
        now = by_path.get(was.source_path)
        if now is None:
            return None
        if now is not was:
            if [t.label for t in now.tags] != [t.label for t in was.tags]:
                return None  # a tag's label is the one most of its articles use
            changed[was.source_path] = now
    if not changed:
        return old

    def swap(group: tuple[Article, ...]) -> tuple[Article, ...]:
        return tuple([changed.get(a.source_path, a) for a in group])

    def patch(
        groups: Mapping[Any, tuple[Article, ...]], keys: Iterable[Any]
    ) -> dict[Any, tuple[Article, ...]]:
        patched = dict(groups)
        for key in set(keys):
            patched[key] = swap(patched[key])
        return patched

    tag_keys = {t.slug: t for t in old.by_tag}
    now_changed = list(changed.values())
    neighbours = dict(old.neighbours)
    for path, near in old.neighbours.items():
        linked = (near.previous, near.next, *near.related)
        if any(a is not None and a.source_path in changed for a in linked):
            neighbours[path] = Related(
                previous=changed.get(near.previous.source_path, near.previous) if near.previous else None,
                next=changed.get(near.next.source_path, near.next) if near.next else None,
                related=swap(near.related),
            )
    return replace(
        old,
        articles=swap(old.articles),
        by_country=patch(old.by_country, (c for a in now_changed for c in a.countries)),
        by_topic=patch(old.by_topic, (t for a in now_changed for t in a.topics)),
        by_tag=patch(old.by_tag, (tag_keys[t.slug] for a in now_changed for t in a.tags)),
        by_country_topic=patch(
            old.by_country_topic, ((c, t) for a in now_changed for c in a.countries for t in a.topics)
        ),
        by_year=patch(old.by_year, (Period(a.published.year) for a in now_changed)),
        by_month=patch(old.by_month, (Period(a.published.year, a.published.month) for a in now_changed)),
        neighbours=neighbours,
        cards={**old.cards, **{p: a.card_digest for p, a in changed.items()}},
    )


def _label(labels: Counter[str]) -> str:
    """The spelling most articles use for a tag; ties go to the first in sort order."""
    return min(labels.items(), key=lambda item: (-item[1], item[0]))[0]


def _url_collisions(ordered: list[Article]) -> list[Diagnostic]:
    claimed: dict[str, Article] = {}
    problems: list[Diagnostic] = []
    for article in sorted(ordered, key=lambda a: a.source_path):
        path = urls.article(article)
        first = claimed.setdefault(path.lower(), article)
        if first is not article:
            problems.append(
                Diagnostic(
                    article.source_path,
                    None,
                    f"slug: {path.removesuffix('index.html')} is already the URL of {first.source_path}; "
                    "give one of them another slug",
                )
            )
    return problems


def _neighbours(ordered: list[Article], earlier: Earlier | None = None, jobs: int = 1) -> dict[str, Related]:
    """Previous and next in time, and related articles by shared countries, topics and tags.

    With ``earlier``, the order and related articles of an index of the same articles (their
    places unchanged) before the newest were added, only the articles whose candidates those join
    are ranked again: each ranks the nearest articles in time of each of its buckets, and new
    articles, newest of all, come into the windows of the first few of each of their buckets
    only. Every other article keeps its candidates, and their order (distances in time are
    unchanged), so its related articles. After a day's articles, at 100,000 articles, that is
    a few hundred rankings instead of 100,000. With ``jobs`` above one, a forked child ranks half
    of many articles meanwhile (_RANK_BESIDE_AT)."""
    features = [_features(article) for article in ordered]
    buckets: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for position, keys in enumerate(features):
        for key, _weight in keys:
            buckets[key].append(position)
    last = len(ordered) - 1
    half = _CANDIDATE_WINDOW // 2

    def rank(positions: Sequence[int]) -> list[list[int]]:
        found: list[list[int]] = []
        for position in positions:
            # Each candidate once for every bucket it shares, as often as the bucket weighs: Counter
            # then adds the scores up in C, some 120 candidates an article.
            near: list[int] = []
            for key, weight in features[position]:
                members = buckets[key]
                at = bisect.bisect_left(members, position)
                near.extend(members[max(0, at - half) : at + half + 1] * weight)
            scores = Counter(near)
            scores.pop(position, None)
            found.append(_best(scores, position))
        return found

    kept = _kept_relations(ordered, earlier, buckets, features, half) or {}
    todo = [p for p, a in enumerate(ordered) if a.source_path not in kept]
    ranked = dict(zip(todo, _split_ranking(rank, todo, jobs), strict=True))
    result: dict[str, Related] = {}
    for position, article in enumerate(ordered):
        best = ranked.get(position)
        result[article.source_path] = Related(
            previous=ordered[position + 1] if position < last else None,
            next=ordered[position - 1] if position > 0 else None,
            related=tuple(ordered[o] for o in best) if best is not None else kept[article.source_path],
        )
    return result


def _split_ranking(
    rank: Callable[[Sequence[int]], list[list[int]]], todo: list[int], jobs: int
) -> list[list[int]]:
    """``rank(todo)``; the first half in a forked child while this process ranks the second,
    when there are enough to be worth a fork and a second process to run it."""
    if jobs < 2 or len(todo) < _RANK_BESIDE_AT:
        return rank(todo)
    middle = len(todo) // 2
    first = Beside(lambda: rank(todo[:middle]))
    try:
        second = rank(todo[middle:])
    except BaseException:
        first.end()
        raise
    return first.result() + second


def _best(scores: Mapping[int, int], position: int) -> list[int]:
    """The RELATED_COUNT best candidates of the article at ``position`` by their ``scores``: most
    shared first, then nearest in time, then position (tuples compare in C)."""
    # Only a candidate scoring at least the fifth best score can be among the best five.
    cut = sorted(scores.values(), reverse=True)[RELATED_COUNT - 1] if len(scores) > RELATED_COUNT else 0
    ranked = sorted([(-score, abs(o - position), o) for o, score in scores.items() if score >= cut])
    return [o for _, _, o in ranked[:RELATED_COUNT]]


# An earlier index's order (source paths, newest first) and related articles by source path.
Earlier = tuple[Sequence[str], Mapping[str, Sequence[str]]]


def _kept_relations(
    ordered: list[Article],
    earlier: Earlier | None,
    buckets: Mapping[tuple[str, str], list[int]],
    features: list[list[tuple[tuple[str, str], int]]],
    half: int,
) -> dict[str, tuple[Article, ...]] | None:
    """The related articles of ``earlier`` that still hold, by source path; None when ``ordered``
    is not its articles after some newer ones."""
    if earlier is None:
        return None
    order, related = earlier
    added = len(ordered) - len(order)
    if added <= 0 or any(a.source_path != p for a, p in zip(ordered[added:], order, strict=True)):
        return None
    again: set[int] = set(range(added + 1))  # the new articles, and the one they now follow
    for key in {key for position in range(added) for key, _ in features[position]}:
        members = buckets[key]
        new = bisect.bisect_left(members, added)
        again.update(members[new : new + half])
    by_path = {a.source_path: a for a in ordered[added:]}
    return {
        a.source_path: tuple(by_path[r] for r in related[a.source_path])
        for position, a in enumerate(ordered[added:], added)
        if position not in again
    }


def relation_signature(articles: Iterable[Article]) -> str:
    """A hash of all that decides neighbours and related articles: equal signatures, equal relations."""
    keys = sorted(f"{a.source_path}\0{a.relation_digest or relation_key(a)}" for a in articles)
    return hashlib.blake2b("\n".join(keys).encode(), digest_size=20).hexdigest()


def relation_key(article: Article) -> str:
    """A hash of the article's place among others: its date, slug, countries, topics and tags."""
    data = repr((article.published, article.slug, _features(article)))
    return hashlib.blake2b(data.encode(), digest_size=16).hexdigest()


def _restore(
    ordered: list[Article], known: Mapping[str, tuple[str | None, str | None, tuple[str, ...]]]
) -> dict[str, Related]:
    by_path = {a.source_path: a for a in ordered}
    return {
        key: Related(
            previous=by_path[prev] if prev else None,
            next=by_path[nxt] if nxt else None,
            related=tuple(by_path[r] for r in related),
        )
        for key, (prev, nxt, related) in known.items()
    }


def _features(article: Article) -> list[tuple[tuple[str, str], int]]:
    """What an article can share with others, and how much sharing it counts: a tag says most."""
    return (
        [(("country", c.code), 1) for c in article.countries]
        + [(("topic", t.slug), 1) for t in article.topics]
        + [(("tag", t.slug), 2) for t in article.tags]
    )
