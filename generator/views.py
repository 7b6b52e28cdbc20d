"""The view models templates see: plain text, ready links, no internal objects.

Every URL in a view is already resolved for the page that shows it, so a
template never builds a link and both link modes come out right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import overload

from markupsafe import Markup

_EMPTY = Markup("")  # Markup is immutable: one empty value serves every default


@lru_cache(maxsize=8192)
def day_label(day: date) -> str:
    """A day as pages show it: "18 February 2020". An archive has a few thousand days, each asked
    for by every article of the day on every page and search entry that shows it (strftime is
    the slow part)."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    count: int | None = None  # articles behind the link, where it helps
    current: bool = False  # the page the reader is on


@dataclass(frozen=True)
class SiteView:
    title: str
    description: str
    language: str
    home_url: str
    nav: tuple[Link, ...]  # Home, Countries, Topics, Tags, Archive
    stylesheets: tuple[str, ...]
    icon: str  # the site's icon (so browsers do not ask the host's root for /favicon.ico)
    generator: str  # "Dateline 0.1.0"


@dataclass(frozen=True)
class CreditView:
    text: str
    role: str | None


@dataclass(frozen=True)
class ArticleCard:
    """An article as it appears in a list."""

    title: str
    url: str
    date_iso: str  # for <time datetime>
    date_label: str  # "18 February 2020"
    summary: str
    source: str | None
    countries: tuple[Link, ...]
    topics: tuple[Link, ...]

    def __hash__(self) -> int:
        # A card is looked up by value on every list page that shows it (templates._MacroMemo),
        # and the same card object comes back for each (context._cards): its hash is made once
        # rather than on every page, and of the two fields that tell cards apart (equal cards
        # have equal ones), not of the nested links.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.url, self.title))


@dataclass(frozen=True)
class ArticleView:
    """One article in full."""

    title: str
    date_iso: str
    date_label: str
    updated_iso: str | None
    updated_label: str | None
    summary: str
    source: str | None
    source_url: str | None
    authors: tuple[str, ...]
    credits: tuple[CreditView, ...]
    body_html: Markup  # sanitized when rendered
    countries: tuple[Link, ...]
    topics: tuple[Link, ...]
    tags: tuple[Link, ...]
    previous: Link | None  # the older neighbour
    next: Link | None  # the newer neighbour
    related: tuple[ArticleCard, ...]
    word_count: int
    reading_minutes: int
    dek: str | None  # the summary when it is not already the body's first paragraph
    toc: tuple[Link, ...]


@dataclass(frozen=True)
class PaginationView:
    number: int
    count: int
    previous_url: str | None
    next_url: str | None
    # The links a page shows: the first and last page and two either side of this one (the current one
    # marked), None where pages are left out. A series can have thousands of pages: each page showing
    # them all would make the archive's pages grow with the square of its size.
    shown: tuple[Link | None, ...]
    pages: Sequence[Link]  # every page of the series, each link made when it is read


@dataclass(frozen=True)
class GroupView:
    """A heading and links under it: "Topics in Syria", "Months of 2020", "Countries"."""

    heading: str
    links: tuple[Link, ...]

    def __hash__(self) -> int:
        # Groups are looked up by value on every page that shows them (templates._MacroMemo), and
        # the front page's, some two hundred links, come back as one object on each of its pages.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.heading, self.links))


@dataclass(frozen=True)
class SearchPage:
    """What the search page's template needs (``templates/search.html``)."""

    index_url: str  # link to search/index.js
    root_url: str  # prefix of result links: "../" offline, the base path ("/archive/") clean
    link_mode: str  # "offline" or "clean"
    scripts: tuple[str, ...]  # links to the page's scripts, in order


@dataclass(frozen=True)
class PageView:
    """Everything a template gets beyond ``site``; unused parts stay empty."""

    kind: str  # home, article, countries, country, country_topic, topics, topic, tags, tag, archive, year, month, 404
    title: str  # the page's <h1>
    head_title: str  # the <title>
    description: str
    language: str
    direction: str  # "rtl" for right-to-left languages, else "ltr"
    canonical_url: str
    breadcrumbs: tuple[Link, ...] = ()
    articles: tuple[ArticleCard, ...] = ()
    pagination: PaginationView | None = None
    groups: tuple[GroupView, ...] = ()
    article: ArticleView | None = None
    total: int = 0  # articles in the whole list, across pages
    feeds: tuple[Link, ...] = ()  # Atom feeds of this page and of the site, for <link rel="alternate">
    meta: Markup = _EMPTY  # OpenGraph tags and JSON-LD, escaped and ready to print in <head>
    chart: Markup = _EMPTY  # inline SVG: articles per month (country and topic pages)
    chart_summary: str = ""  # the chart in one sentence, its text alternative
    chart_table: Markup = _EMPTY  # the chart's numbers as a table, for a <details>
    map: Markup = _EMPTY  # inline SVG world map (the countries index)
    search: SearchPage | None = None  # the search page's links (generator.search.SearchPage)


class PageLinks(Sequence[Link]):
    """Every page of a series as links, each made when it is read (a template that loops over them
    all, on every page of a series of thousands, costs the square of its length)."""

    def __init__(self, paths: tuple[str, ...], number: int, link: Callable[..., str]) -> None:
        self._paths, self._number, self._link = paths, number, link

    def __len__(self) -> int:
        return len(self._paths)

    @overload
    def __getitem__(self, i: int) -> Link: ...
    @overload
    def __getitem__(self, i: slice) -> list[Link]: ...
    def __getitem__(self, i: int | slice) -> Link | list[Link]:
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        n = range(len(self._paths))[i]
        return Link(str(n + 1), self._link(self._paths[n]), current=n + 1 == self._number)
