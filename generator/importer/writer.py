"""Write imported articles into ``content/`` without ever losing one.

Front matter is written one key per line with every string double-quoted (YAML's own quoting,
through PyYAML), so a country ``NO`` stays text and ``dateline tag --write`` can later replace a
single key's line without touching the others. Where a file is to go is decided here: a
re-import of the same source (same content hash in its provenance) is skipped, a different
article with the same slug gets a numbered suffix, and only ``force`` replaces a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

DRAFTS = "drafts"
_DIGEST = re.compile(r"^\s+sha256:\s*[\"']?([0-9a-f]{64})", re.M)

Action = Literal["new", "skip", "replace", "renamed"]


def quote(text: str) -> str:
    return yaml.safe_dump(
        " ".join(text.split()), default_style='"', allow_unicode=True, width=1 << 30
    ).strip()


def value_text(value: Any) -> str:
    """One front-matter value as YAML: strings quoted, lists in brackets, dates bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return quote(str(value))


def key_lines(key: str, value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}:"] + [f"  {k}: {value_text(v)}" for k, v in value.items()]
    return [f"{key}: {value_text(value)}"]


def render(fields: dict[str, Any], body: str, *, comments: dict[str, str] | None = None) -> str:
    """The whole article file. ``comments`` adds a YAML comment after a key's line (an undated draft)."""
    lines = ["---"]
    for key, value in fields.items():
        if value is None or value == [] or value == {}:
            continue
        rendered = key_lines(key, value)
        if comments and key in comments:
            rendered[0] += f"  # {comments[key]}"
        lines += rendered
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body.strip("\n") + "\n"


@dataclass(frozen=True)
class Placement:
    path: Path
    action: Action
    slug: str  # may carry a suffix ("title-2"); written as slug: when it differs from the title's
    existing: Path | None = None  # the file a skip or replace is about


class ContentIndex:
    """The site's articles by content hash, and the paths already taken."""

    def __init__(self, content: Path) -> None:
        self.content = content
        self.by_digest: dict[str, Path] = {}
        if content.is_dir():
            for path in sorted(content.rglob("*.md")):
                try:
                    with path.open(encoding="utf-8", errors="replace") as handle:
                        head = handle.read(8192)
                except OSError:
                    continue
                end = head.find("\n---", 3)
                for digest in _DIGEST.findall(head[: end if end > 0 else None]):
                    self.by_digest.setdefault(digest, path)

    def place(self, folder: str, slug: str, digest: str, *, force: bool) -> Placement:
        same = self.by_digest.get(digest)
        if same is not None:
            return Placement(same, "replace" if force else "skip", same.stem, same)
        target = self.content / folder / f"{slug}.md"
        if force or not target.exists():
            return Placement(target, "replace" if target.exists() else "new", slug, target if force else None)
        for n in range(2, 1000):
            candidate = self.content / folder / f"{slug}-{n}.md"
            if not candidate.exists():
                return Placement(candidate, "renamed", f"{slug}-{n}", target)
        raise OSError(f"too many articles named {slug} in {folder}")

    def remember(self, digest: str, path: Path) -> None:
        self.by_digest[digest] = path


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file, so a crash never leaves half an article."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
