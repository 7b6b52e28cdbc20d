"""The search state in the build cache: a column a record, only the changed ones written again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import calls_to

from generator import search_store
from generator.cache import BuildCache, open_cache
from generator.search_index import SearchState


def _state(n: int) -> SearchState:
    rows = tuple((f"content/{i}.md", f"d{i}", f"b{i}", f"title {i}", f"meta {i}") for i in range(n))
    return SearchState(rows, (("a", "t-0.js"),), ("d-0.js",), "key", ())


def test_a_state_comes_back_as_stored(tmp_path: Path) -> None:
    with open_cache(tmp_path) as cache:
        assert search_store.load(cache) == (None, ())
        for state in (_state(0), _state(1), _state(40)):
            search_store.store(cache, state, None, ())
            found, generations = search_store.load(cache)
            assert found == state and len(generations) == SearchState.COLUMNS


def test_an_edited_body_writes_its_two_columns_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_cache(tmp_path) as cache:
        search_store.store(cache, _state(40), None, ())
        previous, generations = search_store.load(cache)
        assert previous is not None
        rows = list(previous.rows)
        rows[7] = (rows[7][0], "d7-edited", "b7-edited", rows[7][3], rows[7][4])  # a new body
        edited = replace(previous, rows=tuple(rows), chunks=("d-1.js",))
        written = calls_to(monkeypatch, BuildCache, "put_value")
        search_store.store(cache, edited, previous, generations)
        assert written == ["search-column-1", "search-column-2", "search"]
        assert search_store.load(cache)[0] == edited
        added = replace(edited, rows=(*edited.rows, ("content/new.md", "dn", "bn", "new", "")))
        written.clear()
        search_store.store(cache, added, edited, search_store.load(cache)[1])
        assert len(written) == SearchState.COLUMNS + 1  # every column is longer
        assert search_store.load(cache)[0] == added


def test_a_column_of_another_build_is_not_taken(tmp_path: Path) -> None:
    """A build killed between writing its columns and its state's own record leaves columns the
    record does not name: the state is then not found, and the next build makes it anew."""
    with open_cache(tmp_path) as cache:
        search_store.store(cache, _state(10), None, ())
        cache.put_value("search-column-3", ("another generation", "x\0" * 9 + "x"))
        assert search_store.load(cache) == (None, ())
        search_store.store(cache, _state(10), None, ())
        cache.put_value("search-column-0", None)  # gone
        assert search_store.load(cache) == (None, ())
