"""The search entries of a build, as the search index reads them: in its order, oldest first.

Oldest first so that the day's new articles, newer than all the others, take the next numbers and
leave every other article's where it was: the index of the day before is then patched, not made
anew (see search_index._patched).

The index needs whole entries (title, link, date label, summary, terms) only for the articles whose
results or terms it writes. After an edit that is the edited article and the two dozen beside it in
its result file; of every other article it needs only what it sorts by, its digest (to see that it
did not change) and its countries, topics and year (the filters). ``ArticleDocs`` reads those from
the articles and makes an entry only when one is asked for: making or storing all 10,000 entries
cost a rebuild 0.1 s more, and at 100,000 articles they took 200 MB of memory.

    ArticleDocs(articles)   the entries of articles, made when asked for
    ArticleDocs(articles, order)  the same, in an order known already
    ListedDocs(docs)        entries made already (the tests, search_index.search_files)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import overload

from generator.model import Article
from generator.search import SearchDoc, article_seconds, timestamp

Filters = dict[str, dict[tuple[str, str], list[int]]]  # kind -> (slug, label) -> article numbers


class Docs(Sequence[SearchDoc]):
    """Search entries in the index's order; ``ids`` and ``digests`` by article number."""

    ids: list[str]
    digests: list[str]

    def filters(self) -> Filters:
        """The article numbers of each country, topic and year."""
        raise NotImplementedError

    @overload
    def __getitem__(self, n: int) -> SearchDoc: ...
    @overload
    def __getitem__(self, n: slice) -> list[SearchDoc]: ...
    def __getitem__(self, n: int | slice) -> SearchDoc | list[SearchDoc]:
        if isinstance(n, slice):
            return [self._doc(i) for i in range(*n.indices(len(self)))]
        return self._doc(range(len(self))[n])

    def __len__(self) -> int:
        return len(self.ids)

    def _doc(self, n: int) -> SearchDoc:
        raise NotImplementedError


class ListedDocs(Docs):
    def __init__(self, docs: Iterable[SearchDoc]) -> None:
        self._docs = sorted(docs, key=_newest_first, reverse=True)
        self.ids = [d.id for d in self._docs]
        self.digests = [d.digest for d in self._docs]

    def _doc(self, n: int) -> SearchDoc:
        return self._docs[n]

    def filters(self) -> Filters:
        return _grouped((d.countries, d.topics, d.date[:4]) for d in self._docs)


class ArticleDocs(Docs):
    def __init__(self, articles: Iterable[Article], order: Sequence[str] = ()) -> None:
        """``order`` is the articles' source paths in the index's order when that is known already
        (the last build's, for articles in the same places); without it they are sorted here, a
        thirtieth of a second at 10,000 articles."""
        self._articles = _in_order(list(articles), order)
        self.ids = [a.source_path for a in self._articles]
        self.digests = [a.digest for a in self._articles]
        self._made: dict[int, SearchDoc] = {}

    def _doc(self, n: int) -> SearchDoc:
        doc = self._made.get(n)
        if doc is None:
            doc = self._made[n] = SearchDoc.from_article(self._articles[n], "")
        return doc

    def filters(self) -> Filters:
        # The keys SearchDoc.from_article would give: (slug, name), (slug, label), and the year of
        # the date as written (ISO 8601 pads it to four digits).
        return _grouped(
            (
                [(c.slug, c.name) for c in a.countries],
                [(t.slug, t.label) for t in a.topics],
                f"{a.published.year:04d}",
            )
            for a in self._articles
        )


def _in_order(articles: list[Article], order: Sequence[str]) -> list[Article]:
    """``articles`` in ``order`` when it names each of them once; else sorted oldest first (the
    reverse of the site's lists, newest first with equal times by path)."""
    if order and len(order) == len(articles):
        by_path = {a.source_path: a for a in articles}
        if len(by_path) == len(order) == len(set(order)):
            try:
                return [by_path[path] for path in order]
            except KeyError:
                pass  # other articles: sort them
    return sorted(articles, key=lambda a: (-article_seconds(a), a.source_path), reverse=True)


def _grouped(keys: Iterable[tuple[Iterable[tuple[str, str]], Iterable[tuple[str, str]], str]]) -> Filters:
    """The article numbers of each country, topic and year, from each article's (countries, topics,
    year) in article-number order."""
    countries: dict[tuple[str, str], list[int]] = {}
    topics: dict[tuple[str, str], list[int]] = {}
    years: dict[tuple[str, str], list[int]] = {}
    for number, (its_countries, its_topics, year) in enumerate(keys):
        for key in its_countries:
            countries.setdefault(key, []).append(number)
        for key in its_topics:
            topics.setdefault(key, []).append(number)
        years.setdefault((year, year), []).append(number)
    return {"countries": countries, "topics": topics, "years": years}


def _newest_first(doc: SearchDoc) -> tuple[float, str]:
    return (-(doc.timestamp if doc.timestamp is not None else timestamp(doc.date)), doc.id)


def docs_of(docs: Docs | Iterable[SearchDoc]) -> Docs:
    return docs if isinstance(docs, Docs) else ListedDocs(docs)
