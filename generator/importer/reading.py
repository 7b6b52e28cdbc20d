"""Inputs: find the files to import, refuse what cannot be an article, decode the rest.

A file is one of three kinds, told by its content rather than its name: an RSS or Atom feed,
an HTML page, or plain text. Text is read as UTF-8 first; anything else is decoded with the
encoding charset-normalizer detects, and the report warns that it was a guess.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generator.importer.draft import InputError

Kind = Literal["text", "html", "feed"]
MAX_BYTES = 20 * 1024 * 1024  # far above any article or feed, far below what would stall a batch
SUFFIXES = frozenset({".txt", ".text", ".html", ".htm", ".xhtml", ".xml", ".rss", ".atom", ".feed"})
_FEED = re.compile(r"<(rss|feed|rdf:RDF)[\s>]", re.I)
_HTML = re.compile(r"<(!doctype html|html|head|body|article|div|p)[\s>]", re.I)


@dataclass
class RawInput:
    path: Path
    name: str  # as shown in the report and written in provenance
    data: bytes
    text: str
    kind: Kind
    notes: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def collect(paths: list[Path]) -> list[Path]:
    """The files to import: each file given, and every importable file under each folder, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found.append(path)
    return found


def read_input(path: Path, name: str) -> RawInput:
    """Read one input; InputError says why it cannot be imported."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"file is {size / 1024 / 1024:.1f} MB, more than the {MAX_BYTES // 1024 // 1024} MB "
                "limit for one article or feed: is it really one? Split it, or import the pages it holds"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError("empty file: nothing to import")
    if _is_binary(data):
        raise InputError("binary file: expected plain text, an HTML page or an RSS/Atom feed")
    text, notes = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return RawInput(path, name, data, text, sniff(text), notes)


def _is_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text, with its byte-order mark
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.05


def decode(data: bytes) -> tuple[str, list[str]]:
    """The text of ``data``: UTF-8 when it is, else the detected encoding with a warning."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        where = data[: exc.start].count(b"\n") + 1
    from charset_normalizer import from_bytes  # only for the rare file that is not UTF-8

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise InputError(f"not UTF-8 (line {where}) and no other encoding fits: save the file as UTF-8")
    note = (
        f"not UTF-8 (line {where}): read as {best.encoding}; check accented letters, "
        "or save the file as UTF-8 and import it again"
    )
    return str(best), [note]


def sniff(text: str) -> Kind:
    head = text.lstrip("\ufeff \t\n")[:2000]
    if _FEED.search(head) and not re.search(r"<html[\s>]", head, re.I):
        return "feed"
    if head.startswith("<") and _HTML.search(head):
        return "html"
    return "text"
