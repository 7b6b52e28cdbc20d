"""Frozen values passed between the build stages. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, order=True)
class Country:
    """An ISO 3166-1 country: ``code`` is alpha-2, ``name`` the common English name."""

    code: str
    name: str
    slug: str

    def __hash__(self) -> int:
        # The code alone decides a country; hashing one string (its hash kept by the string) is
        # far cheaper than the three fields, and the index hashes countries a hundred thousand times.
        return hash(self.code)


@dataclass(frozen=True)
class Topic:
    slug: str
    label: str
    description: str = ""

    def __hash__(self) -> int:
        return hash(self.slug)  # as Country.__hash__: a site's topics differ by slug


@dataclass(frozen=True)
class Tag:
    slug: str
    label: str


@dataclass(frozen=True)
class Credit:
    """A credit line; ``role`` is set when credits were given as a table (``photo = "..."``)."""

    text: str
    role: str | None = None


@dataclass(frozen=True)
class Source:
    """One content file as read from disk."""

    path: str  # relative to the site root, POSIX separators
    text: str  # decoded, BOM removed, line endings normalised to \n
    digest: str  # sha256 of the raw bytes


@dataclass(frozen=True)
class RenderedBody:
    """What Markdown rendering makes of an article body."""

    html: str
    summary: str  # plain text of the first paragraph
    text: str  # plain text of the whole body (search)
    words: int  # counted once here: the text is long, and the count is read more than once
    toc: tuple[tuple[int, str, str], ...] = ()  # (level, id, title)
    terms: str = ""  # the search terms of the text, by frequency (search.body_terms)


@dataclass(frozen=True)
class StoredBody:
    """A rendered body as the build cache keeps it: what pages show, and the word count. The plain
    text is not kept: only the search terms and the word count were made from it, and they are
    kept instead (it was a third of the cache)."""

    html: str
    summary: str
    words: int
    toc: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class Article:
    """An article's metadata. Bodies stay out of the index to keep memory bounded."""

    source_path: str
    slug: str
    title: str
    published: datetime  # timezone-aware; midnight UTC for a date without time
    has_time: bool
    updated: datetime | None
    summary: str
    source: str | None
    source_url: str | None
    authors: tuple[str, ...]
    credits: tuple[Credit, ...]
    countries: tuple[Country, ...]
    topics: tuple[Topic, ...]
    tags: tuple[Tag, ...]
    language: str
    draft: bool
    body_digest: str  # key of the rendered body in the body store
    word_count: int = 0
    digest: str = ""  # changes whenever anything above changes: the file's bytes or the settings
    card_digest: str = ""  # changes whenever what lists and links show of the article changes
    relation_digest: str = ""  # changes whenever the article's date, slug, countries, topics or tags change

    def card_fields(self) -> tuple[object, ...]:
        """What an article card or a link to the article shows."""
        return (
            self.title,
            self.slug,
            self.published,
            self.has_time,
            self.summary,
            self.source,
            self.countries,
            self.topics,
        )

    @property
    def day(self) -> date:
        return self.published.date()

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.published, self.slug)


@dataclass(frozen=True)
class Period:
    """A year (``month`` is None) or a month of the date archive."""

    year: int
    month: int | None = None

    @property
    def label(self) -> str:
        if self.month is None:
            return str(self.year)
        return date(self.year, self.month, 1).strftime("%B %Y")


@dataclass(frozen=True)
class Related:
    """Neighbours of one article: previous and next in time, and related articles."""

    previous: Article | None
    next: Article | None
    related: tuple[Article, ...] = field(default_factory=tuple)
