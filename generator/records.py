"""Articles and diagnostics as JSON records, for the build cache (JSON, never pickle: a cache is data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from generator.config import SiteConfig
from generator.countries import country_by_code
from generator.errors import Diagnostic
from generator.model import Article, Credit, Tag


def article_record(article: Article) -> dict[str, Any]:
    return {
        "source_path": article.source_path,
        "slug": article.slug,
        "title": article.title,
        "published": article.published.isoformat(),
        "has_time": article.has_time,
        "updated": article.updated.isoformat() if article.updated else None,
        "summary": article.summary,
        "source": article.source,
        "source_url": article.source_url,
        "authors": list(article.authors),
        "credits": [[c.text, c.role] for c in article.credits],
        "countries": [c.code for c in article.countries],
        "topics": [t.slug for t in article.topics],
        "tags": [[t.slug, t.label] for t in article.tags],
        "language": article.language,
        "draft": article.draft,
        "body_digest": article.body_digest,
        "word_count": article.word_count,
        "digest": article.digest,
        "card_digest": article.card_digest,
        "relation_digest": article.relation_digest,
    }


class Values:
    """One instance of each tag and credit the records of a build name, and the topics by slug.

    Thousands of articles share a few hundred tags: building each once saves time and memory
    when every record of a large archive is read back."""

    def __init__(self, config: SiteConfig) -> None:
        self.topics = {t.slug: t for t in config.topics}
        self._tags: dict[tuple[str, str], Tag] = {}
        self._credits: dict[tuple[str, str | None], Credit] = {}

    def tag(self, slug: str, label: str) -> Tag:
        found = self._tags.get((slug, label))
        if found is None:
            found = self._tags[(slug, label)] = Tag(slug, label)
        return found

    def credit(self, text: str, role: str | None) -> Credit:
        found = self._credits.get((text, role))
        if found is None:
            found = self._credits[(text, role)] = Credit(text, role)
        return found


def article_from_record(record: dict[str, Any], values: Values) -> Article:
    """The inverse of :func:`article_record`; a KeyError or ValueError means the record is unusable."""
    topics = values.topics
    return Article(
        source_path=record["source_path"],
        slug=record["slug"],
        title=record["title"],
        published=datetime.fromisoformat(record["published"]),
        has_time=bool(record["has_time"]),
        updated=datetime.fromisoformat(record["updated"]) if record["updated"] else None,
        summary=record["summary"],
        source=record["source"],
        source_url=record["source_url"],
        authors=tuple(record["authors"]),
        credits=tuple(values.credit(text, role) for text, role in record["credits"]),
        countries=tuple(country_by_code(code) for code in record["countries"]),
        topics=tuple(topics[slug] for slug in record["topics"]),
        tags=tuple(values.tag(slug, label) for slug, label in record["tags"]),
        language=record["language"],
        draft=bool(record["draft"]),
        body_digest=record["body_digest"],
        word_count=int(record["word_count"]),
        digest=record["digest"],
        card_digest=record["card_digest"],
        relation_digest=record["relation_digest"],
    )


def diagnostic_record(d: Diagnostic) -> list[Any]:
    return [d.path, d.line, d.message, d.severity]


def diagnostic_from_record(record: list[Any]) -> Diagnostic:
    path, line, message, severity = record
    return Diagnostic(path, line, message, severity)
