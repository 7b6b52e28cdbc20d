"""The only reader of ``content/``: finds article files and decodes them."""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import os
import stat
from pathlib import Path

from generator.errors import Diagnostic, not_utf8
from generator.model import Source

ARTICLE_SUFFIXES = (".md", ".markdown")
MAX_BYTES = 10 * 1024 * 1024  # an article over 10 MiB is a mistake (a dump, a binary), not news

# Opening a named pipe waits for a writer and reading a device may never end, so these are refused
# from their stat alone. A socket cannot be opened at all: reading it reports that (ENXIO).
_SPECIAL_FILES = {stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def find_sources(root: Path, content_dir: Path) -> tuple[list[str], list[Diagnostic]]:
    """Every article file under ``content_dir``, sorted by folder and name, with problems such as
    links leading out. Paths are strings: a rebuild lists every file of the archive, and making
    10,000 Path objects and sorting them costs more than the listing."""
    if not content_dir.is_dir():
        return [], [Diagnostic("content", None, "no content folder: create content/ and put articles in it")]
    refused: list[str] = []
    found: list[str] = []
    real_content = content_dir.resolve()
    todo = [os.fspath(content_dir)]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                # Folders are not followed through symbolic links: a link could loop or lead anywhere.
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                elif name.endswith(ARTICLE_SUFFIXES):
                    if entry.is_symlink() and not _resolves_inside(Path(entry.path), real_content):
                        refused.append(entry.path)
                    else:
                        found.append(entry.path)
    found.sort(key=_parts)
    problems = [
        Diagnostic(rel(root, Path(path)), None, "symbolic link to a file outside content/")
        for path in sorted(refused, key=_parts)
    ]
    return found, problems


def _parts(path: str) -> list[str]:
    """The order of paths as pathlib sorts them: folder by folder ("a/b.md" before "a-b/c.md")."""
    return path.split(os.sep)


def _resolves_inside(link: Path, real_content: Path) -> bool:
    """Whether a link may be read as an article; one that loops is kept so read_source() reports it."""
    try:
        return link.resolve().is_relative_to(real_content)
    except (RuntimeError, OSError):  # a loop: RuntimeError up to Python 3.12, OSError (ELOOP) after
        return True


def read_source(root: Path, path: Path) -> Source | Diagnostic:
    """Read one article file; a problem becomes a diagnostic naming the file."""
    name = rel(root, path)
    try:
        st = path.stat()
        special = _SPECIAL_FILES.get(stat.S_IFMT(st.st_mode))
        if special is not None:
            return Diagnostic(name, None, f"not a regular file ({special}); an article must be a file")
        if st.st_size > MAX_BYTES:
            return Diagnostic(
                name, None, f"file is {st.st_size / 1048576:.1f} MiB; articles are limited to 10 MiB"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        with contextlib.suppress(OSError):  # the link itself may go too: then it disappeared
            return Diagnostic(name, None, f"symbolic link to a missing file ({os.readlink(path)})")
        return Diagnostic(name, None, "file disappeared while the build was reading it")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Diagnostic(name, None, "symbolic link that loops: it leads back to itself")
        return Diagnostic(name, None, f"cannot read: {exc.strerror or exc}")
    # Offsets of decoding errors must index the bytes decoded: strip the byte order mark first.
    data = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Diagnostic(name, *not_utf8(data, exc))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Source(path=name, text=text, digest=hashlib.sha256(raw).hexdigest())


def rel(root: Path, path: Path | str) -> str:
    """A path relative to the site root with POSIX separators, as shown in messages."""
    text, prefix = os.fspath(path), os.fspath(root)
    if not prefix.endswith(os.sep):  # os.path.join(prefix, "") does this at four times the cost
        prefix += os.sep
    if text.startswith(prefix) and len(text) > len(prefix):  # the common case, without pathlib's parsing
        return Path(text[len(prefix) :]).as_posix() if os.sep != "/" else text[len(prefix) :]
    path = Path(path)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
