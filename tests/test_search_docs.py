"""The search entries of a build's articles, made only when the index asks for them, give the index
that the whole entries give, and a patch after an edit asks for few of them."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from test_index import _random_archive

from generator.model import Article
from generator.search import SearchDoc, body_terms
from generator.search_docs import ArticleDocs
from generator.search_index import Sources, build_search

_ZONES = [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))]


def _archive(seed: int, n: int = 120) -> list[Article]:
    """Articles with and without times, in several zones, some sharing a moment (the id decides)."""
    rng = random.Random(seed)
    made = []
    for number, article in enumerate(_random_archive(rng, n)):
        zone = rng.choice(_ZONES)
        when = datetime(rng.choice([999, 2019, 2020]), rng.randint(1, 12), rng.randint(1, 28), tzinfo=zone)
        when += timedelta(hours=rng.choice([0, 0, 23]), minutes=rng.choice([0, 30]))
        made.append(
            replace(
                article,
                published=when,
                has_time=rng.random() < 0.5,
                summary=f"Summary {number}",
                digest=f"d{number}",
            )
        )
    return made


def _sources() -> Sources:
    return Sources(body=lambda doc: body_terms(f"body of {doc.id} {doc.title}"))


@pytest.mark.parametrize("seed", range(6))
def test_entries_made_when_asked_give_the_index_of_whole_entries(seed: int) -> None:
    articles = _archive(seed)
    whole = [SearchDoc.from_article(a, "") for a in articles]
    assert build_search(ArticleDocs(articles), _sources()) == build_search(whole, _sources())


def test_a_patch_after_one_edit_makes_the_entries_of_one_result_file() -> None:
    articles = _archive(7, n=400)
    files, state = build_search(ArticleDocs(articles), _sources())
    edited = list(articles)
    edited[123] = replace(articles[123], title="A new title", digest="edited")
    docs = ArticleDocs(edited)
    bodies = {a.body_digest: _sources().body(SearchDoc.from_article(a, "")) for a in articles}
    sources = Sources(body=_sources().body, old_body=bodies.get, previous=state, read=files.get)
    patched, _ = build_search(docs, sources)
    whole = [SearchDoc.from_article(a, "") for a in edited]
    assert patched == build_search(whole, _sources())[0]
    assert 1 <= len(docs._made) <= 25  # the edited article's result file, not the archive


def test_an_order_known_already_gives_the_sorted_entries() -> None:
    articles = _archive(8)
    sorted_docs = ArticleDocs(articles)
    shuffled = random.Random(8).sample(articles, len(articles))
    assert list(ArticleDocs(shuffled, sorted_docs.ids)) == list(sorted_docs)
    # An order naming other articles, or not all of them, is not used: they are sorted.
    stale = [*sorted_docs.ids[:-1], "content/gone.md"]
    assert list(ArticleDocs(shuffled, stale)) == list(sorted_docs)
    assert list(ArticleDocs(shuffled, sorted_docs.ids[:-1])) == list(sorted_docs)
    twice = [sorted_docs.ids[0], *sorted_docs.ids[:-1]]  # one named twice, the last not at all
    assert list(ArticleDocs(shuffled, twice)) == list(sorted_docs)


class _CountedDocs(ArticleDocs):
    asked = 0

    def filters(self):  # type: ignore[no-untyped-def]
        _CountedDocs.asked += 1
        return super().filters()


@pytest.mark.parametrize("same_key", [True, False])
def test_filters_of_an_index_of_the_same_key_are_the_previous_builds(same_key: bool) -> None:
    articles = _archive(9, n=200)
    files, state = build_search(ArticleDocs(articles), replace(_sources(), key="index-1"))
    edited = list(articles)
    edited[40] = replace(articles[40], title="Edited", digest="edited")
    bodies = {a.body_digest: _sources().body(SearchDoc.from_article(a, "")) for a in articles}
    sources = replace(
        _sources(),
        old_body=bodies.get,
        previous=state,
        read=files.get,
        key="index-1" if same_key else "index-2",
    )
    _CountedDocs.asked = 0
    patched, new_state = build_search(_CountedDocs(edited), sources)
    assert patched == build_search(ArticleDocs(edited), _sources())[0]
    assert _CountedDocs.asked == (0 if same_key else 1)
    assert new_state.filters == state.filters and new_state.key == sources.key
