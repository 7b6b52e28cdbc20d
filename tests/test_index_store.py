"""The index kept in the build cache comes back equal to the index built anew, or not at all."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import MakeSite, article
from test_index import CONFLICT, REFUGEES, _random_archive, make

import generator.build as build_module
import generator.index as index_module
from generator.build import BuildOptions, build
from generator.index import build_index, relation_signature
from generator.index_store import earlier_relations, index_key, known_relations, restored, skeleton
from generator.model import Article, Tag

TOPICS = (CONFLICT, REFUGEES)


def _stored(articles: list[Article]) -> tuple[dict, str]:
    signature = relation_signature(articles)
    index, problems = build_index(articles, TOPICS, None, signature)
    key = index_key(articles, TOPICS, signature)
    return skeleton(index, problems, key), key


def _edited(rng: random.Random, before: list[Article]) -> list[Article]:
    after = list(before)
    for i in rng.sample(range(len(after)), rng.randint(1, 6)):
        after[i] = replace(
            after[i],
            title=f"{after[i].title} (edited)",
            summary=rng.choice(["", "A new summary."]),
            body_digest=f"{after[i].body_digest}-edited",
            card_digest=f"card-{rng.random()}",
        )
    return after


@pytest.mark.parametrize("seed", range(8))
def test_a_stored_index_comes_back_as_the_index_built_anew(seed: int) -> None:
    rng = random.Random(seed)
    before = _random_archive(rng, 80)
    data, _ = _stored(before)
    after = _edited(rng, before)
    rng.shuffle(after)  # the order articles are read in does not matter
    signature = relation_signature(after)
    key = index_key(after, TOPICS, signature)
    found = restored(data, after, key, signature)
    assert found is not None
    built = build_index(after, TOPICS, None, signature)
    assert found == built
    assert dict(found[0].neighbours) == built[0].neighbours and len(found[0].neighbours) == len(after)
    mine = {a.source_path: a for a in after}
    for group in (*found[0].by_country.values(), *found[0].by_tag.values(), found[0].articles):
        assert all(a is mine[a.source_path] for a in group)  # the new objects, not equal copies
    for country in found[0].by_country:  # keys are the instances the articles hold
        assert any(c is country for a in after for c in a.countries)


def test_what_decides_the_groups_changes_the_key() -> None:
    before = _random_archive(random.Random(1), 30)
    data, key = _stored(before)
    moved = [replace(before[0], published=datetime(2021, 5, 5, tzinfo=UTC)), *before[1:]]
    tagged = [replace(before[0], tags=(*before[0].tags, Tag("oil", "OIL"), Tag("oil", "OIL"))), *before[1:]]
    for changed, topics in (
        (moved, TOPICS),
        (tagged, TOPICS),
        (before, (REFUGEES, CONFLICT)),
        (before[1:], TOPICS),
    ):
        signature = relation_signature(changed)
        other = index_key(changed, topics, signature)
        assert other != key
        assert restored(data, changed, other, signature) is None


def test_problems_are_kept_with_the_index() -> None:
    twins = [make("same", 1), replace(make("same", 1), source_path="content/other.md")]
    data, key = _stored(twins)
    found = restored(data, twins, key, relation_signature(twins))
    assert found is not None and [d.path for d in found[1]] == ["content/same.md"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("order"),
        lambda d: d.update(order=d["order"][:-1]),
        lambda d: d.update(order=(d["order"][0],) * len(d["order"])),
        lambda d: d.update(countries=(("NO", (9999,)),)),
        lambda d: d.update(countries=(("XX", (0,)),)),
        lambda d: d.update(tags=(("oil", "Oil", ()),)),
        lambda d: d.update(related=()),
        lambda d: d.update(related=((len(d["order"]),),) * len(d["order"])),
        lambda d: d.update(related=((-1,),) * len(d["order"])),
        lambda d: d.update(related=(("0",),) * len(d["order"])),
        lambda d: d.update(related=((0.0,),) * len(d["order"])),
        lambda d: d.update(related=("not numbers",) * len(d["order"])),
        lambda d: d.update(years="not groups"),
        lambda d: d.update(problems=((1,),)),
        lambda d: d.update(format=0),
    ],
)
def test_damaged_stored_index_is_not_used(damage) -> None:
    before = _random_archive(random.Random(2), 20)
    data, key = _stored(before)
    damage(data)
    assert restored(data, before, key, relation_signature(before)) is None
    assert restored("garbage", before, key, relation_signature(before)) is None


@pytest.mark.parametrize("seed", range(8))
def test_added_newest_articles_are_ranked_with_the_stored_relations_kept(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day's new articles, newer than all the others: only the articles whose candidates they
    join are ranked again, and the relations are those of an index built anew."""
    rng = random.Random(seed)
    before = _random_archive(rng, 150)
    data, _ = _stored(before)
    news = [
        replace(
            a,
            source_path=f"content/new{n}.md",
            slug=f"new{n}",
            published=datetime(2021, 1, n + 1, tzinfo=UTC),
        )
        for n, a in enumerate(_random_archive(rng, rng.randint(1, 8)))
    ]
    after = before + news
    rng.shuffle(after)
    earlier = earlier_relations(data, after)
    assert earlier is not None
    signature = relation_signature(after)
    ranked: list[int] = []
    real = index_module._best

    def counting(scores: Mapping[int, int], position: int) -> list[int]:
        ranked.append(position)
        return real(scores, position)

    monkeypatch.setattr(index_module, "_best", counting)
    patched = build_index(after, TOPICS, None, signature, earlier)
    assert len(ranked) < len(after) // 2
    monkeypatch.undo()
    assert patched == build_index(after, TOPICS, None, signature)


def test_a_new_article_joins_the_related_of_one_far_down_its_buckets() -> None:
    """X is the 8th newest of each of its three buckets; the new article shares all three with
    it, each newer one only one: the new one becomes X's most related, and X is ranked again."""
    x = make("x", 1, countries=("Syria", "Turkey"), topics=(CONFLICT,), tags=("Oil",))
    fillers = [
        make(f"{key}{n}", n + 1, month=2, countries=countries, topics=(REFUGEES,), tags=tags)
        for key, countries, tags in (
            ("s", ("Syria",), ()),
            ("t", ("Turkey",), ()),
            ("o", ("Kenya",), ("Oil",)),
        )
        for n in range(7)
    ]
    older = [make(f"old{n}", n + 1, countries=("Chile",), topics=(REFUGEES,)) for n in range(1, 20)]
    before = [x, *fillers, *older]
    data, _ = _stored(before)
    new = make("new", 1, month=3, countries=("Syria", "Turkey"), topics=(REFUGEES,), tags=("Oil",))
    after = [*before, new]
    signature = relation_signature(after)
    built, _ = build_index(after, TOPICS, None, signature)
    assert built.neighbours[x.source_path].related[0] == new
    assert build_index(after, TOPICS, None, signature, earlier_relations(data, after))[0] == built


def test_relations_are_not_kept_when_an_older_article_came_or_one_moved() -> None:
    before = _random_archive(random.Random(4), 60)
    data, _ = _stored(before)
    older = replace(
        before[0], source_path="content/old.md", slug="old", published=datetime(2019, 5, 1, tzinfo=UTC)
    )
    after = [*before, older]
    earlier = earlier_relations(data, after)
    assert earlier is not None  # the stored articles are all there, in their places
    signature = relation_signature(after)
    assert build_index(after, TOPICS, None, signature, earlier) == build_index(after, TOPICS, None, signature)
    moved = [replace(before[0], published=datetime(2022, 1, 1, tzinfo=UTC)), *before[1:], older]
    assert earlier_relations(data, moved) is None
    assert earlier_relations(data, before) is None  # nothing added: known_relations() is for that


def test_relations_are_reused_when_only_a_label_changed() -> None:
    before = _random_archive(random.Random(3), 40)
    data, _ = _stored(before)
    relabelled = [replace(a, tags=tuple(Tag(t.slug, t.label.upper()) for t in a.tags)) for a in before]
    signature = relation_signature(relabelled)
    assert signature == relation_signature(before)
    known = known_relations(data, signature)
    assert known is not None
    assert build_index(relabelled, TOPICS, known, signature) == build_index(
        relabelled, TOPICS, None, signature
    )
    assert known_relations(data, "another signature") is None


def test_a_rebuild_after_an_edit_uses_the_stored_index(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(
        {f"content/2020/a{n}.md": article(f"Article {n}", f"2020-01-{n + 1:02d}") for n in range(6)}
    )
    build(site, BuildOptions(jobs=1))
    (site / "content/2020/a3.md").write_text(article("Article 3", "2020-01-04", body="An edited body."))

    def refused(*args: object, **kwargs: object) -> object:
        raise AssertionError("the index was built anew")

    monkeypatch.setattr(build_module, "build_index", refused)
    build(site, BuildOptions(jobs=1))
    monkeypatch.undo()
    reference = tmp_path / "reference"
    build(site, BuildOptions(output=reference, cache=False, jobs=1))
    assert _tree(site / "output") == _tree(reference)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_a_group_of_equal_copies_is_stored_as_the_index_own_articles() -> None:
    """skeleton() finds articles by identity; a group holding equal copies (no build makes one)
    is still stored right, by the articles' paths."""
    articles = _random_archive(random.Random(5), 40)
    signature = relation_signature(articles)
    index, problems = build_index(articles, TOPICS, None, signature)
    key = index_key(articles, TOPICS, signature)
    country, group = next(iter(index.by_country.items()))
    copied = replace(index, by_country={**index.by_country, country: tuple(replace(a) for a in group)})
    assert all(a is not b for a, b in zip(copied.by_country[country], group, strict=True))
    assert skeleton(copied, problems, key) == skeleton(index, problems, key)
