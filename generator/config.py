"""Load ``site.toml`` into a frozen :class:`SiteConfig`.

Every problem of the file is reported at once, each with its key and line;
an unknown key is an error with a did-you-mean, as in MkDocs and Zola.
"""

from __future__ import annotations

import codecs
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from slugify import slugify

from generator.errors import ConfigError, Diagnostic, not_utf8, quoted
from generator.model import Topic

CONFIG_NAME = "site.toml"
LinkMode = Literal["clean", "offline"]
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_AUTHORITY_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?:@[a-z0-9.-]+)?", re.IGNORECASE)
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class SiteConfig:
    """The settings of one site. Paths are absolute."""

    root: Path
    """The site folder (the one holding site.toml)."""
    title: str
    """Shown in every page header and in feeds."""
    base_url: str
    """Where the site is published, ending in "/"; may carry a sub-path (https://example.org/archive/)."""
    description: str = ""
    """One sentence about the archive, for the home page and metadata."""
    language: str = "en"
    """Default language of articles (BCP 47), also the `lang` of list pages."""
    page_size: int = 20
    """Articles per page of every list."""
    output_dir: Path = field(default=Path("output"))
    """The output folder; relative values are taken from the site folder."""
    links: LinkMode = "clean"
    """"clean": /countries/syria/ links for hosting; "offline": relative links naming index.html."""
    topics: tuple[Topic, ...] = ()
    """The topic vocabulary: articles may only use these slugs."""
    feed_entries: int = 20
    """How many of the latest articles each Atom feed holds."""
    feed_content: Literal["summary", "full"] = "summary"
    """Whether feed entries carry the summary only or the whole article."""
    tag_authority: str = ""
    """The naming authority of feed entry ids (tag: URIs): set once, never change; defaults to a slug of the title."""

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with "/"."""
        return urlsplit(self.base_url).path or "/"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    def topic(self, slug: str) -> Topic | None:
        return next((t for t in self.topics if t.slug == slug), None)


# key -> (expected type, description of it for messages)
_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "title": (str, "a string"),
    "description": (str, "a string"),
    "base_url": (str, "a URL like https://example.org/"),
    "language": (str, "a language code like en"),
    "page_size": (int, "a whole number"),
    "output": (str, "a folder path"),
    "links": (str, '"clean" or "offline"'),
    "topics": (list, "an array of [[topics]] tables"),
    "feed_entries": (int, "a whole number"),
    "feed_content": (str, '"summary" or "full"'),
    "tag_authority": (str, "a domain-like name such as example.org"),
    # The importer's own tables; generator.importer.settings checks what is inside them.
    "import": (dict, "a table: [import]"),
    "tagging": (dict, "a table: [tagging]"),
}
_TOPIC_KEYS = ("slug", "label", "description")


def load_config(root: Path, *, output: Path | None = None, links: LinkMode | None = None) -> SiteConfig:
    """Read and validate ``root/site.toml``; command-line overrides win over the file."""
    root = root.resolve()
    path = root / CONFIG_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Diagnostic(CONFIG_NAME, None, f"no {CONFIG_NAME} in {root}")]) from None
    except OSError as exc:
        raise ConfigError([Diagnostic(CONFIG_NAME, None, f"cannot read: {exc.strerror or exc}")]) from None
    # The byte order mark goes first so that a decoding error's offset indexes the bytes decoded.
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([Diagnostic(CONFIG_NAME, *not_utf8(raw, exc))]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_syntax_problem(exc, text)
        raise ConfigError([Diagnostic(CONFIG_NAME, line, f"TOML syntax error: {message}")]) from None
    return _validate(root, data, text, output=output, links=links)


# tomllib's wording, rephrased for people who do not know TOML's vocabulary.
_TOML_WORDING = {
    "Cannot overwrite a value": "this key is already set above",
    "Illegal character '\\n'": 'a quoted value is not closed: add the missing " at the end of the line',
    "Unterminated string": "a quoted value is not closed: add the missing closing quote",
    "Unclosed array": 'a [list] is not closed: add the missing "]"',
    "Unclosed inline table": 'a {table} is not closed: add the missing "}"',
    "Invalid value": 'this value is not valid: put text in quotes, like title = "My title"',
}


def toml_syntax_problem(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int | None, str]:
    """The line (1-based, in ``text``) and a readable message for a TOML syntax error."""
    message = str(exc)
    line: int | None = None
    match = re.search(r"\s*\((?:at line (\d+), column \d+|at end of document)\)$", message)
    if match:
        message = message[: match.start()]
        # "at end of document" (an unclosed value runs to the end): the last written line is the best guess.
        line = int(match.group(1)) if match.group(1) else max(1, len(text.rstrip().splitlines()))
    return line, _TOML_WORDING.get(message, message)


def _validate(
    root: Path, data: dict[str, Any], text: str, *, output: Path | None, links: LinkMode | None
) -> SiteConfig:
    problems: list[Diagnostic] = []

    def report(key: str, message: str) -> None:
        problems.append(Diagnostic(CONFIG_NAME, _line_of(text, key), f"{key}: {message}"))

    for key in data:
        if key not in _KEYS:
            hint = difflib.get_close_matches(key, _KEYS, n=1)
            suffix = f' (did you mean "{hint[0]}"?)' if hint else ""
            report(key, f"unknown setting{suffix}")
    values: dict[str, Any] = {}
    for key, (kind, wanted) in _KEYS.items():
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            report(key, f"expected {wanted}, got {_show(value)}")
        else:
            values[key] = value

    if "title" not in data:
        problems.append(Diagnostic(CONFIG_NAME, None, "title: required setting is missing"))
    base_url = values.get("base_url", "/")
    if "base_url" in values:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            report(
                "base_url",
                f"expected an http(s) URL like https://example.org/archive/, got {_show(base_url)}",
            )
        elif not base_url.endswith("/"):
            base_url += "/"
    page_size = values.get("page_size", 20)
    if not 1 <= page_size <= 10_000:
        report("page_size", f"expected a number from 1 to 10000, got {page_size}")
    link_mode = links or values.get("links", "clean")
    if link_mode not in ("clean", "offline"):
        report("links", f'expected "clean" or "offline", got {_show(link_mode)}')
    language = values.get("language", "en")
    if not _LANG_RE.match(language):
        report("language", f"expected a language code like en or pt-BR, got {_show(language)}")

    feed_entries = values.get("feed_entries", 20)
    if not 1 <= feed_entries <= 1000:
        report("feed_entries", f"expected a number from 1 to 1000, got {feed_entries}")
    feed_content = values.get("feed_content", "summary")
    if feed_content not in ("summary", "full"):
        report("feed_content", f'expected "summary" or "full", got {_show(feed_content)}')
    authority = values.get("tag_authority") or slugify(values.get("title", "")) or "dateline"
    if not _AUTHORITY_RE.fullmatch(authority):
        report("tag_authority", f"expected a domain-like name such as example.org, got {_show(authority)}")
    topics = _topics(values.get("topics", []), text, problems)
    out = output if output is not None else Path(values.get("output", "output"))
    out_dir = (root / out).resolve() if not out.is_absolute() else out.resolve()
    problem = check_output_dir(root, out_dir)
    if problem and output is not None:  # the command line chose it: site.toml is not to blame
        problems.append(Diagnostic("--output", None, problem))
    elif problem:
        problems.append(Diagnostic(CONFIG_NAME, _line_of(text, "output"), f"output: {problem}"))

    if problems:
        raise ConfigError(problems)
    return SiteConfig(
        root=root,
        title=values["title"],
        base_url=base_url,
        description=values.get("description", ""),
        language=language,
        page_size=page_size,
        output_dir=out_dir,
        links=link_mode,
        topics=topics,
        feed_entries=feed_entries,
        feed_content=feed_content,
        tag_authority=authority,
    )


def _topics(raw: list[Any], text: str, problems: list[Diagnostic]) -> tuple[Topic, ...]:
    topics: list[Topic] = []
    seen: set[str] = set()
    # Each [[topics]] header's line, so a problem points at its own entry rather than the first one.
    headers = [n for n, t in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*topics\s*\]\]", t)]
    for number, entry in enumerate(raw, start=1):
        where = f"topics[{number}]"
        line = headers[number - 1] if number <= len(headers) else _line_of(text, "topics")
        if not isinstance(entry, dict):
            problems.append(Diagnostic(CONFIG_NAME, line, f"{where}: expected a table with slug and label"))
            continue
        for key in entry:
            if key not in _TOPIC_KEYS:
                hint = difflib.get_close_matches(key, _TOPIC_KEYS, n=1)
                suffix = f' (did you mean "{hint[0]}"?)' if hint else ""
                if key in _KEYS:
                    # TOML puts every line after a [[topics]] header into that topic.
                    suffix = f"; site-wide settings like {key} must come before the first [[topics]]"
                problems.append(Diagnostic(CONFIG_NAME, line, f"{where}.{key}: unknown setting{suffix}"))
        slug, label = entry.get("slug"), entry.get("label")
        description = entry.get("description", "")
        if not isinstance(slug, str) or not _SLUG_RE.match(slug):
            problems.append(
                Diagnostic(
                    CONFIG_NAME,
                    line,
                    f"{where}.slug: expected lowercase words joined by '-', got {_show(slug)}",
                )
            )
            continue
        if slug in seen:
            problems.append(Diagnostic(CONFIG_NAME, line, f'{where}.slug: "{slug}" is defined twice'))
        seen.add(slug)
        if label is None:
            problems.append(
                Diagnostic(CONFIG_NAME, line, f"{where}.label: missing: every topic needs a label")
            )
            continue
        if not isinstance(label, str) or not label.strip():
            problems.append(
                Diagnostic(CONFIG_NAME, line, f"{where}.label: expected a string, got {_show(label)}")
            )
            continue
        if not isinstance(description, str):
            problems.append(Diagnostic(CONFIG_NAME, line, f"{where}.description: expected a string"))
            continue
        topics.append(Topic(slug=slug, label=label.strip(), description=description.strip()))
    return tuple(topics)


def check_output_dir(root: Path, out_dir: Path) -> str | None:
    """Refuse output folders whose replacement would destroy the user's work."""
    root = root.resolve()
    precious = (root / "content", root / "templates", root / "static", root / CONFIG_NAME)
    if out_dir == Path(out_dir.anchor) or out_dir == Path.home():
        return f"refusing to use {out_dir} as the output folder"
    if out_dir == root:
        return 'the output folder may not be the site folder itself: choose a folder inside it, like "output"'
    # A build replaces the whole output folder, so it may not be, or be inside, a folder of the user's
    # own files (output = "content/2020" would delete those articles), nor contain the site.
    for own in precious:
        if out_dir == own:
            return f"the output folder may not be {own.name}: it holds the site's own files"
        if out_dir.is_relative_to(own):
            return f"the output folder may not be inside {own.name}/: it holds the site's own files"
    if out_dir in root.parents:
        return f"the output folder may not be {out_dir}: it holds the site folder"
    return None


def _line_of(text: str, key: str) -> int | None:
    """The line where ``key`` is set, found by text since tomllib keeps no positions: ``key =``,
    a dotted ``key.sub =`` or a ``[key]`` table header."""
    name = re.escape(key)
    pattern = name if key.startswith("[") else rf"(?:{name}\s*[=.]|\[\[?\s*{name}\s*[].])"
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{pattern}", line):
            return number
    return None


def _show(value: object) -> str:
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a table"
    return repr(value)
