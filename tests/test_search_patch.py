"""Patching the search index after an edit gives byte for byte the index made from scratch."""

from __future__ import annotations

import random
from array import array
from dataclasses import replace

import pytest
from test_search import doc, synthetic_docs

from generator.search import SearchDoc, body_terms
from generator.search_index import (
    STATE_FORMAT,
    SearchState,
    Sources,
    _appended,
    _encode,
    _moved,
    build_search,
    search_files,
)


class _Previous:
    """The files and body terms a previous build left: what a patch may read, and what it did read."""

    def __init__(self, docs: list[SearchDoc]) -> None:
        self.asked: list[str] = []
        self.files, self.state = build_search(docs, Sources(body=self.body))
        self.bodies = {d.body_key: body_terms(d.text) for d in docs}

    def body(self, d: SearchDoc) -> str:
        self.asked.append(d.id)
        return body_terms(d.text)

    def sources(self, state: SearchState | None = None) -> Sources:
        return Sources(
            body=self.body, old_body=self.bodies.get, previous=state or self.state, read=self.files.get
        )


def _keyed(docs: list[SearchDoc]) -> list[SearchDoc]:
    """Digests and body keys as a build gives them: a change of any field gives a new digest."""
    return [
        replace(d, digest=str(hash(replace(d, digest="", body_key=""))), body_key=f"b{hash(d.text)}")
        for d in docs
    ]


def _edit(d: SearchDoc, rng: random.Random, words: list[str]) -> SearchDoc:
    kind = rng.choice(["text", "title", "tags", "summary", "drop", "new-word"])
    if kind == "text":
        return replace(d, text=d.text + " " + " ".join(rng.sample(words, 5)))
    if kind == "title":
        return replace(d, title=" ".join(rng.sample(words, 3)))
    if kind == "tags":
        return replace(d, tags=(*d.tags, rng.choice(words)))
    if kind == "summary":
        return replace(d, summary="")
    if kind == "drop":
        return replace(d, text=" ".join(d.text.split()[: len(d.text.split()) // 3]))
    return replace(d, text=f"{d.text} zqxunheardof{rng.randrange(10**6)} aaaafirstofall")


@pytest.mark.parametrize("seed", range(6))
def test_patched_index_is_the_index_made_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    docs = _keyed(list(synthetic_docs(300, seed=seed)))
    previous = _Previous(docs)
    words = sorted({w for d in docs[:20] for w in d.text.split() if w.isalpha()})
    state = previous.state
    for _ in range(4):  # edits build on each other, as in a session of editing
        picked = rng.sample(range(len(docs)), rng.randint(1, 5))
        edited = list(docs)
        for n in picked:
            edited[n] = _edit(docs[n], rng, words)
        edited = _keyed(edited)
        previous.asked.clear()
        files, state = build_search(edited, previous.sources(state))
        assert files == search_files(edited)
        changed = {edited[n].id for n in picked if edited[n].digest != docs[n].digest}
        assert set(previous.asked) == changed  # patched: no unchanged body was read
        previous.files = files
        previous.bodies.update((d.body_key, body_terms(d.text)) for d in edited)
        docs = edited


def test_files_the_live_folder_holds_are_kept_there_unread() -> None:
    """A file the patch keeps as it was, and which the live output folder holds (its name is the
    hash of its bytes), is neither read back nor handed over again: None stands for it. Files the
    live folder does not hold are read and handed over as before."""
    docs = _keyed(list(synthetic_docs(600, seed=5)))
    previous = _Previous(docs)
    edited = list(docs)
    edited[100] = replace(docs[100], text=docs[100].text + " zqxunheardof aaaafirstofall")
    edited = _keyed(edited)
    read: list[str] = []

    def reading(path: str) -> bytes | None:
        read.append(path)
        return previous.files.get(path)

    held = {path for path in previous.files if path.endswith(".js") and hash(path) % 2}
    sources = replace(previous.sources(), read=reading, live=held.__contains__)
    files, _ = build_search(edited, sources)
    whole = search_files(edited)
    kept = {path for path, data in files.items() if data is None}
    assert kept and kept <= held  # some chunks and shards are kept, only ones the folder holds
    assert {path for path in read if path.startswith("search/d-")}.isdisjoint(held)  # chunks unread
    assert files.keys() == whole.keys()
    assert all(files[path] == whole[path] for path in files.keys() - kept)
    assert all(previous.files[path] == whole[path] for path in kept)


def test_an_edit_changes_few_shard_files() -> None:
    docs = _keyed(list(synthetic_docs(2000, seed=3)))
    previous = _Previous(docs)
    edited = list(docs)
    edited[700] = replace(docs[700], text=docs[700].text + " harbourmaster")
    edited = _keyed(edited)
    files, _ = build_search(edited, previous.sources())
    shards = {p for p in files if p.startswith("search/t-")}
    before = {p for p in previous.files if p.startswith("search/t-")}
    assert 0 < len(shards - before) <= 3 and len(shards) > 20


def test_removed_reordered_or_older_added_articles_make_the_index_anew() -> None:
    docs = _keyed([doc(f"Article {n}", f"2020-01-{n + 1:02d}", text=f"body {n} words") for n in range(5)])
    previous = _Previous(docs)
    older = _keyed([doc("Old", "2019-01-01", text="found in the attic")])[0]
    moved = replace(docs[0], date="2020-02-01")  # now the newest: every other article's number moves
    for changed in (docs[1:], [*docs, older], _keyed([moved, *docs[1:]])):
        previous.asked.clear()
        files, _ = build_search(changed, previous.sources())
        assert files == search_files(changed) and len(previous.asked) == len(changed)


@pytest.mark.parametrize("seed", range(4))
def test_added_newest_articles_are_patched_in(seed: int) -> None:
    """The day's new articles, newer than all the others, take the next numbers: the index is
    patched, reading only their bodies, and only the last result files are made again."""
    rng = random.Random(seed)
    docs = _keyed(list(synthetic_docs(120, seed=seed)))
    previous = _Previous(docs)
    words = sorted({w for d in docs[:20] for w in d.text.split() if w.isalpha()})
    state = previous.state
    for day in range(3):
        news = [
            replace(d, id=f"content/new-{day}-{n}.md", date=f"2031-0{day + 1}-{n + 1:02d}", timestamp=None)
            for n, d in enumerate(rng.sample(docs, rng.randint(1, 28)))
        ]
        edited = [*docs, *news]
        for n in rng.sample(range(len(docs)), rng.randint(0, 2)):
            edited[n] = _edit(edited[n], rng, words)
        edited = _keyed(edited)
        previous.asked.clear()
        files, state = build_search(edited, previous.sources(state))
        assert files == search_files(edited)
        changed = {d.id for d, old in zip(edited[: len(docs)], docs, strict=True) if d.digest != old.digest}
        assert set(previous.asked) == changed | {d.id for d in news}
        chunks_before = sorted(p for p in previous.files if p.startswith("search/d-"))
        chunks_now = {p for p in files if p.startswith("search/d-")}
        assert len(chunks_now - set(chunks_before)) <= len(changed) + 2 + len(news) // 25
        previous.files = files
        previous.bodies.update((d.body_key, body_terms(d.text)) for d in edited)
        docs = edited


def test_a_previous_file_that_is_missing_or_altered_is_not_trusted() -> None:
    docs = _keyed([doc(f"Article {n}", f"2020-01-{n + 1:02d}", text=f"body {n} words") for n in range(5)])
    previous = _Previous(docs)
    edited = _keyed([*docs[:4], replace(docs[4], text="other words")])
    shard = next(p for p in previous.files if p.startswith("search/t-"))
    for damaged in (None, previous.files[shard].replace(b"body", b"bodx")):
        files = dict(previous.files)
        if damaged is None:
            del files[shard]
        else:
            files[shard] = damaged
        sources = replace(previous.sources(), read=files.get)
        previous.asked.clear()
        assert build_search(edited, sources)[0] == search_files(edited)
        assert len(previous.asked) == len(edited)  # made anew


def test_unchanged_result_chunks_are_the_previous_files() -> None:
    """After an edit, only the chunk holding the edited article is made again; the others are the
    previous build's files, read back and checked against the hash in their names."""
    docs = _keyed(list(synthetic_docs(200, seed=5)))
    previous = _Previous(docs)
    edited = _keyed([*docs[:60], replace(docs[60], title="A new title"), *docs[61:]])
    chunks = [p for p in previous.files if p.startswith("search/d-")]
    read: list[str] = []

    def reading(path: str) -> bytes | None:
        read.append(path)
        return previous.files.get(path)

    files, _ = build_search(edited, replace(previous.sources(), read=reading))
    assert files == search_files(edited)
    assert (
        len(set(chunks) - set(files)) == 1 and sum(p.startswith("search/d-") for p in read) == len(chunks) - 1
    )
    # An altered or missing chunk is made anew.
    for damaged in (None, b"__datelineSearch.docs(0,[]);\n"):
        altered = dict(previous.files)
        if damaged is None:
            del altered[chunks[-1]]
        else:
            altered[chunks[-1]] = damaged
        assert build_search(edited, replace(previous.sources(), read=altered.get))[0] == search_files(edited)


def test_state_of_another_format_or_damaged_is_ignored() -> None:
    assert SearchState.from_data({"format": 1, "rows": (), "shards": ()}) is None
    assert SearchState.from_data("not a state") is None
    assert SearchState.from_data(None) is None
    whole = {"count": 2, "columns": ("a\0b", "d\0e", "k\0l", "t\0u", "m\0n")}
    whole |= {"shards": (), "chunks": (), "key": "", "filters": ()}
    for shape in (
        {**whole, "columns": ("a", "d")},  # columns missing
        {**whole, "columns": ("a\0b", "d", "k\0l", "t\0u", "m\0n")},  # a column short
        {**whole, "columns": ("a\0b", "d\0e", "k\0l", "t\0u", "m\0n\0o")},  # a column long
        {**whole, "columns": ("a\0b", b"d\0e", "k\0l", "t\0u", "m\0n")},  # not text
        {**whole, "columns": ["a\0b", "d\0e", "k\0l", "t\0u", "m\0n"]},
        {**whole, "count": "2"},
        {**whole, "count": 0},
        {**whole, "shards": (("t",),)},
        {**whole, "chunks": (1,)},
        {"count": 2, "columns": whole["columns"], "shards": ()},
    ):
        assert SearchState.from_data({"format": STATE_FORMAT, **shape}) is None
    assert SearchState.from_data({"format": STATE_FORMAT, **whole}) == SearchState(
        (("a", "d", "k", "t", "m"), ("b", "e", "l", "u", "n")), (), ()
    )
    for state in (
        SearchState((("a", "d", "k", "t", "m"),), (("t", "t-0.js"),), ("d-0.js",)),
        SearchState((("a", "d", "k", "", ""), ("b", "e", "l", "t u", "m")), (), ()),
        SearchState((), (), ()),
    ):
        assert SearchState.from_data(state.to_data()) == state


@pytest.mark.parametrize("seed", range(20))
def test_an_added_article_is_appended_as_decoding_would_put_it(seed: int) -> None:
    """_appended() finds where a list ends without decoding it; whatever the gaps (one digit, or
    up to four), it gives what _moved() gives by decoding every number."""
    rng = random.Random(seed)
    limit = rng.choice([40, 3000, 200_000])
    body = sorted(rng.sample(range(limit), rng.randint(0, min(limit, 400))))
    title = sorted(rng.sample(range(limit), rng.randint(0, min(limit, 30))))
    meta = sorted(rng.sample(range(limit), rng.randint(0, min(limit, 60))))
    lists = [
        _encode(array("I", [n << 2 | rng.randrange(4) for n in body]), 3),
        _encode(array("I", title), 0),
        _encode(array("I", meta), 0),
    ]
    while lists and not lists[-1]:
        lists.pop()
    number = limit + rng.choice([0, 1, 31, 32, 1025, 40_000])
    for place in [(rng.randrange(4), True, False), (-1, False, True), (2, True, True), (0, False, False)]:
        assert _appended(list(lists), number, place) == _moved(list(lists), number, place)
