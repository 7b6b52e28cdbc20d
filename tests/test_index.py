"""Grouping, ordering, neighbours and URL collisions in the index."""

from __future__ import annotations

import os
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from generator import index as index_module
from generator.countries import resolve_country
from generator.index import build_index, patched_index, relation_signature
from generator.model import Article, Country, Period, Tag, Topic
from generator.search import SearchDoc, timestamp

CONFLICT = Topic("conflict", "Conflict")
REFUGEES = Topic("refugees", "Migration and refugees")


def country(name: str) -> Country:
    found = resolve_country(name)
    assert found
    return found


def make(
    slug: str, day: int, *, countries=("Syria",), topics=(CONFLICT,), tags=(), month: int = 1
) -> Article:
    return Article(
        source_path=f"content/{slug}.md",
        slug=slug,
        title=slug.title(),
        published=datetime(2020, month, day, tzinfo=UTC),
        has_time=False,
        updated=None,
        summary="",
        source=None,
        source_url=None,
        authors=(),
        credits=(),
        countries=tuple(country(c) for c in countries),
        topics=tuple(topics),
        tags=tuple(Tag(t.lower(), t) for t in tags),
        language="en",
        draft=False,
        body_digest=slug,
    )


def test_articles_newest_first_and_grouped() -> None:
    a, b, c = (
        make("a", 1),
        make("b", 2, countries=("Turkey", "Syria"), topics=(REFUGEES,)),
        make("c", 3, month=2),
    )
    index, problems = build_index([a, b, c], (CONFLICT, REFUGEES))
    assert problems == []
    assert [x.slug for x in index.articles] == ["c", "b", "a"]
    assert [k.name for k in index.by_country] == ["Syria", "Turkey"]
    assert [x.slug for x in index.by_country[country("Syria")]] == ["c", "b", "a"]
    assert list(index.by_topic) == [CONFLICT, REFUGEES]
    assert [x.slug for x in index.by_country_topic[(country("Turkey"), REFUGEES)]] == ["b"]
    assert list(index.by_month) == [Period(2020, 2), Period(2020, 1)]
    assert index.topics_of_country(country("Syria")) == ((CONFLICT, 2), (REFUGEES, 1))


def test_previous_is_older_and_next_is_newer() -> None:
    a, b, c = make("a", 1), make("b", 2), make("c", 3)
    index, _ = build_index([c, a, b], (CONFLICT,))
    middle = index.neighbours["content/b.md"]
    assert (middle.previous, middle.next) == (a, c)
    assert index.neighbours["content/a.md"].previous is None
    assert index.neighbours["content/c.md"].next is None


def test_related_prefers_shared_tags_then_recency() -> None:
    base = make("base", 10, tags=("Idlib",))
    tagged = make("tagged", 1, tags=("Idlib",))
    near = make("near", 11, countries=("Syria",))
    far = make("far", 2, countries=("Syria",))
    other = make("other", 12, countries=("Norway",), topics=(REFUGEES,))
    index, _ = build_index([base, tagged, near, far, other], (CONFLICT, REFUGEES))
    related = index.neighbours["content/base.md"].related
    assert [r.slug for r in related] == ["tagged", "near", "far"]


def test_two_articles_claiming_one_url_name_both_files() -> None:
    first = make("same", 1)
    second = Article(**{**first.__dict__, "source_path": "content/other.md"})
    _, problems = build_index([first, second], (CONFLICT,))
    assert [str(p) for p in problems] == [
        "content/same.md: slug: 2020/01/same/ is already the URL of content/other.md; give one of them another slug"
    ]


def test_tag_label_is_the_most_common_spelling() -> None:
    a, b, c = make("a", 1, tags=("Idlib",)), make("b", 2, tags=("Idlib",)), make("c", 3, tags=("idlib",))
    index, _ = build_index([a, b, c], (CONFLICT,))
    assert [t.label for t in index.by_tag] == ["Idlib"]


def _random_archive(rng: random.Random, n: int) -> list[Article]:
    names = ["Syria", "Turkey", "Norway", "Chile", "Kenya"]
    return [
        make(
            f"a{i}",
            rng.randint(1, 28),
            month=rng.randint(1, 12),
            countries=tuple(rng.sample(names, rng.randint(1, 3))),
            topics=tuple(rng.sample([CONFLICT, REFUGEES], rng.randint(1, 2))),
            tags=tuple(rng.sample(["Oil", "Water", "Ports", "Grain"], rng.randint(0, 3))),
        )
        for i in range(n)
    ]


def _related_by_hand(ordered: list[Article], position: int) -> list[str]:
    """Related articles as documented: of the 20 nearest in time of each bucket the article is in
    (ten either side), the five sharing most (a tag counts two, a country or topic one), then
    the nearest in time, then the newer."""

    def keys(a: Article) -> list[tuple[object, int]]:
        return [(c, 1) for c in a.countries] + [(t, 1) for t in a.topics] + [(t.slug, 2) for t in a.tags]

    scores: dict[int, int] = {}
    for key, weight in keys(ordered[position]):
        members = [i for i, a in enumerate(ordered) if key in dict(keys(a))]
        at = members.index(position)
        for other in members[max(0, at - 10) : at + 11]:
            if other != position:
                scores[other] = scores.get(other, 0) + weight
    best = sorted(scores, key=lambda o: (-scores[o], abs(o - position), o))[:5]
    return [ordered[o].slug for o in best]


@pytest.mark.parametrize("seed", range(6))
def test_related_articles_are_the_best_scored_nearby(seed: int) -> None:
    rng = random.Random(seed)
    archive = _random_archive(rng, rng.choice([3, 40, 120]))
    index, _ = build_index(archive, (CONFLICT, REFUGEES))
    ordered = list(index.articles)
    for position, article in enumerate(ordered):
        related = index.neighbours[article.source_path].related
        assert [a.slug for a in related] == _related_by_hand(ordered, position)


def test_related_articles_ranked_in_two_processes_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """With more than one job, a forked child ranks the first half of the articles meanwhile; what
    comes back through its pipe must be what one process finds, in order."""
    children: list[int | None] = []
    ran_here: list[int] = []  # what the child appends stays in the child

    class Counted(index_module.Beside):  # type: ignore[type-arg]
        def __init__(self, func) -> None:  # type: ignore[no-untyped-def]
            def traced():  # type: ignore[no-untyped-def]
                ran_here.append(os.getpid())
                return func()

            super().__init__(traced)
            children.append(self.pid)

    monkeypatch.setattr(index_module, "_RANK_BESIDE_AT", 10)
    monkeypatch.setattr(index_module, "Beside", Counted)
    archive = _random_archive(random.Random(7), 120)
    alone, _ = build_index(archive, (CONFLICT, REFUGEES), jobs=1)
    assert children == []
    split, _ = build_index(archive, (CONFLICT, REFUGEES), jobs=2)
    assert len(children) == 1 and children[0] not in (None, os.getpid())
    assert ran_here == []  # the child's half came through its pipe, not made again here
    assert split == alone
    ordered = list(split.articles)
    for position, article in enumerate(ordered):
        related = split.neighbours[article.source_path].related
        assert [a.slug for a in related] == _related_by_hand(ordered, position)


@pytest.mark.parametrize("seed", range(8))
def test_a_patched_index_is_the_index_built_anew(seed: int) -> None:
    """What the preview server does after an edit that leaves every article's place: the result
    equals build_index() on the new articles, neighbours included."""
    rng = random.Random(seed)
    topics = (CONFLICT, REFUGEES)
    before = _random_archive(rng, 60)
    old, _ = build_index(before, topics, None, relation_signature(before))
    after = list(before)
    for i in rng.sample(range(len(after)), rng.randint(1, 6)):
        edit = rng.choice(["title", "summary", "body"])
        after[i] = replace(
            after[i],
            title=f"{after[i].title} (edited)" if edit == "title" else after[i].title,
            summary="A new summary." if edit == "summary" else after[i].summary,
            body_digest=f"{after[i].body_digest}-edited" if edit == "body" else after[i].body_digest,
            card_digest=f"card-{rng.random()}",
        )
    signature = relation_signature(after)
    patched = patched_index(old, after, signature)
    built, _ = build_index(after, topics, None, signature)
    assert patched == built
    changed = {a.source_path for a, b in zip(before, after, strict=True) if a is not b}
    for group in (*patched.by_country.values(), *patched.by_tag.values(), patched.articles):
        assert all(a is after[int(a.slug[1:])] for a in group)  # the new objects, not equal copies
    assert changed


def test_an_index_is_not_patched_when_an_article_moves_or_a_tag_is_relabelled() -> None:
    topics = (CONFLICT,)
    before = [make("a", 1, tags=("Oil",)), make("b", 2, tags=("Oil",)), make("c", 3)]
    old, _ = build_index(before, topics, None, relation_signature(before))
    assert patched_index(old, before, relation_signature(before)) is old  # nothing changed
    moved = [replace(before[0], published=datetime(2020, 1, 9, tzinfo=UTC)), *before[1:]]
    assert patched_index(old, moved, relation_signature(moved)) is None
    relabelled = [replace(before[0], tags=(Tag("oil", "OIL"),)), *before[1:]]
    assert relation_signature(relabelled) == relation_signature(before)
    assert patched_index(old, relabelled, relation_signature(relabelled)) is None
    fewer = before[:2]
    assert patched_index(old, fewer, relation_signature(fewer)) is None


@pytest.mark.parametrize(
    "published, has_time",
    [
        (datetime(2020, 2, 18, tzinfo=UTC), False),
        (datetime(2020, 2, 18, 23, 30, tzinfo=timezone(timedelta(hours=-5))), False),
        (datetime(2020, 2, 18, 23, 30, tzinfo=timezone(timedelta(hours=-5))), True),
        (datetime(2020, 2, 18, 9, 15, 7, 500), True),
        (datetime(2020, 2, 18, 9, 15), False),
    ],
)
def test_a_search_entry_sorts_by_the_time_of_the_date_it_shows(published: datetime, has_time: bool) -> None:
    """The search index orders its entries by the date they show: the seconds an article's entry
    carries are those of its ISO date, with or without a time or a zone."""
    entry = SearchDoc.from_article(replace(make("a", 1), published=published, has_time=has_time), "")
    assert entry.timestamp == timestamp(entry.date)
