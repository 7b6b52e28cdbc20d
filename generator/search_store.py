"""The search state in the build cache, a column a record, so that a build rewrites only the columns
that changed.

The state a build leaves for the next one's patch (search_index.SearchState) holds, for every
article, its id, digest, body key and the terms of its title and of its summary, tags and places:
some 5 MB at 10,000 articles, 48 MB at 100,000. An edited body changes the digest and body key of
one article and nothing else, so the three other columns, most of the bytes, are written again only
when they changed. Each column is stored with the generation it was written in, and the state's
own record lists the generation of each column: a column left from another build (one killed
between two writes, say) does not match, and the state is then not found, as if there were none.

    load(cache)                         the state and the generation of each column, or (None, ())
    store(cache, state, previous, gens) write the state, the columns that differ from ``previous``
"""

from __future__ import annotations

import os

from generator.cache import BuildCache
from generator.search_index import SearchState

STATE_KEY = "search"
_COLUMN_KEYS = tuple(f"search-column-{n}" for n in range(SearchState.COLUMNS))


def load(cache: BuildCache) -> tuple[SearchState | None, tuple[str, ...]]:
    data = cache.get_value(STATE_KEY)
    generations = data.get("generations") if isinstance(data, dict) else None
    if not isinstance(generations, tuple) or len(generations) != len(_COLUMN_KEYS):
        return None, ()
    columns: list[object] = []
    for key, generation in zip(_COLUMN_KEYS, generations, strict=True):
        stored = cache.get_value(key)
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == generation):
            return None, ()
        columns.append(stored[1])
    state = SearchState.from_data({**data, "columns": tuple(columns)})  # type: ignore[dict-item]
    return (state, generations) if state is not None else (None, ())


def store(
    cache: BuildCache, state: SearchState, previous: SearchState | None, generations: tuple[str, ...]
) -> None:
    """Write ``state``; a column equal to ``previous``'s, stored under ``generations`` (what load()
    gave with it), is left as it is."""
    same = (
        state.same_columns(previous) if previous is not None and generations else (False,) * len(_COLUMN_KEYS)
    )
    generation = os.urandom(8).hex()
    kept: list[str] = []
    for n, key in enumerate(_COLUMN_KEYS):
        if same[n]:
            kept.append(generations[n])
        else:
            cache.put_value(key, (generation, state.column(n)))  # joined only when written
            kept.append(generation)
    cache.put_value(STATE_KEY, {**state.header(), "generations": tuple(kept)})
