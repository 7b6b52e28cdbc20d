"""The only reader of ``content/``: finds article files and decodes them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from generator.errors import Diagnostic
from generator.model import Source

ARTICLE_SUFFIXES = (".md", ".markdown")
MAX_BYTES = 10 * 1024 * 1024  # an article over 10 MiB is a mistake (a dump, a binary), not news


def find_sources(root: Path, content_dir: Path) -> tuple[list[Path], list[Diagnostic]]:
    """Every article file under ``content_dir``, sorted, with problems such as links leading out."""
    if not content_dir.is_dir():
        return [], [Diagnostic("content", None, "no content folder: create content/ and put articles in it")]
    problems: list[Diagnostic] = []
    found: list[Path] = []
    real_content = content_dir.resolve()
    todo = [str(content_dir)]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for entry in sorted(entries, key=lambda e: e.name, reverse=True):
                if entry.name.startswith("."):
                    continue
                # Folders are not followed through symbolic links: a link could loop or lead anywhere.
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                elif entry.name.endswith(ARTICLE_SUFFIXES):
                    path = Path(entry.path)
                    if entry.is_symlink() and not path.resolve().is_relative_to(real_content):
                        problems.append(
                            Diagnostic(rel(root, path), None, "symbolic link to a file outside content/")
                        )
                    else:
                        found.append(path)
    return sorted(found), problems


def read_source(root: Path, path: Path) -> Source | Diagnostic:
    """Read one article file; a problem becomes a diagnostic naming the file."""
    name = rel(root, path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return Diagnostic(
                name, None, f"file is {size / 1048576:.1f} MiB; articles are limited to 10 MiB"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        return Diagnostic(name, None, "file disappeared while the build was reading it")
    except OSError as exc:
        return Diagnostic(name, None, f"cannot read: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Diagnostic(
            name, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Source(path=name, text=text, digest=hashlib.sha256(raw).hexdigest())


def rel(root: Path, path: Path) -> str:
    """A path relative to the site root with POSIX separators, as shown in messages."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
