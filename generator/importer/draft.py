"""The importer's own value: one article made from an input, before it is tagged and written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class Draft:
    """An article as an extractor made it. ``body`` is Markdown, paragraphs separated by blank lines."""

    origin: str  # the input file's name, with "#n" for the n-th entry of a feed
    digest: str  # sha256 of the input's bytes (of the entry, for a feed): recognises a re-import
    title: str | None = None
    summary: str | None = None
    body: str = ""
    source: str | None = None
    source_url: str | None = None
    authors: list[str] = field(default_factory=list)
    credits: dict[str, str] = field(default_factory=dict)
    published: date | datetime | None = None
    language: str | None = None
    dropped: list[tuple[int | None, str, str]] = field(default_factory=list)  # (line, text, why)
    notes: list[str] = field(default_factory=list)  # warnings for the report
    date_hint: str | None = None  # a date line seen in a plain-text dump; a hint only, never the date
    ignore_names: tuple[str, ...] = ()  # the outlet's names: never country mentions

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]


class InputError(Exception):
    """An input that cannot be imported; the message says why and, where it can, what to do."""

    def __init__(self, message: str, origin: str | None = None) -> None:
        super().__init__(message)
        self.origin = origin  # "feed.xml#2" when one entry of a feed is at fault
