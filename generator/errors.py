"""Errors Dateline reports to its users.

Every user mistake becomes a :class:`Diagnostic` (``path:line: message``).
A stage collects all of its diagnostics and raises them together, so a
build lists every problem at once.

    DatelineError            anything the CLI prints without a traceback
    ├── UsageError           bad command-line use (exit status 2)
    └── BuildFailed          one or more diagnostics (exit status 1)
        └── ConfigError      problems in site.toml
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a file of the site (path relative to the site root)."""

    path: str
    line: int | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class DatelineError(Exception):
    """An error shown to the user as text, with no traceback."""

    exit_code = 1

    def show(self) -> str:
        return str(self)


class UsageError(DatelineError):
    exit_code = 2


class BuildFailed(DatelineError):
    """A stage found problems; ``diagnostics`` lists every one of them."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=_sort_key))
        super().__init__(self.show())

    def show(self) -> str:
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        lines = [str(d) for d in self.diagnostics]
        noun = "problem" if errors == 1 else "problems"
        lines.append(f"build failed: {errors} {noun}")
        return "\n".join(lines)


class ConfigError(BuildFailed):
    pass


# Long enough for any real title, URL or country name; a value longer than this is a mistake
# (a pasted paragraph) and quoting all of it would bury the message.
QUOTE_LIMIT = 80


def shown(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` made safe for a one-line message: cut to ``limit`` characters, and characters that
    print nothing or act on the terminal (NUL, ESC, newlines, bidi controls) escaped as ``\\xNN``."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` in double quotes for a message, as :func:`shown` makes it."""
    return f'"{shown(text, limit)}"'


def not_utf8(data: bytes, exc: UnicodeDecodeError) -> tuple[int, str]:
    """The line and message for ``data`` that failed to decode as UTF-8 with ``exc``.

    ``exc`` must come from decoding ``data`` itself (a byte order mark stripped first), so that its
    offset indexes ``data``; lines end as the decoder splits them, at CR, LF or CRLF."""
    before = data[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return before.count(b"\n") + 1, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"


def _sort_key(d: Diagnostic) -> tuple[str, int, str]:
    return (d.path, d.line or 0, d.message)


def raise_if_errors(diagnostics: Iterable[Diagnostic], cls: type[BuildFailed] = BuildFailed) -> None:
    """Raise ``cls`` when any diagnostic is an error; warnings alone pass."""
    found = list(diagnostics)
    if any(d.severity == "error" for d in found):
        raise cls(found)
