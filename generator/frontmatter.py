"""Split an article into front matter and body, and validate every field.

YAML is composed into nodes (never constructed) and each field is read by
the type it should have: a country written ``NO`` stays the text "NO"
(Norway) rather than YAML 1.1's ``False``, ``title: 1.10`` stays "1.10", and
anchors and aliases are refused, so an alias bomb costs nothing. TOML front
matter (between ``+++`` lines) is read with :mod:`tomllib`.

Front matter is split here rather than by a library because every message
must carry the real line in the file, and an unclosed block must be an error
rather than silently becoming body text.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

import yaml
from slugify import slugify

from generator.config import SiteConfig, toml_syntax_problem
from generator.countries import resolve_country, suggest_country
from generator.errors import Diagnostic, quoted, shown
from generator.model import Country, Credit, Source, Tag, Topic
from generator.urls import RESERVED_SLUGS

_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KIND_TAGS = {
    yaml.ScalarNode: "tag:yaml.org,2002:str",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader without its type resolver. Front matter is only composed, and each field
    read from its raw text (_plain), so the tags the resolver gives nodes are never looked at; trying
    YAML 1.1's implicit types (bool, int, float, timestamp...) on every scalar was some 12% of the
    instructions front matter takes. Every node gets the plain tag of its kind instead."""

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        return _KIND_TAGS[kind]

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Windows refuses these as file and folder names in any case and with any extension ("con.html"),
# superscript digits included, so an output holding one cannot be copied to a Windows disk or USB stick.
_WINDOWS_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in "0123456789¹²³"} | {f"lpt{i}" for i in "0123456789¹²³"}
)
_SLUG_RE = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
MAX_SLUG = 120
FIELDS = (
    "title",
    "date",
    "updated",
    "summary",
    "source",
    "source_url",
    "authors",
    "credits",
    "countries",
    "countries_mentioned",
    "topics",
    "tags",
    "language",
    "slug",
    "draft",
    "provenance",
)


@lru_cache(maxsize=1 << 14)
def _tag_slug(label: str) -> str:
    """The slug of a tag: an archive's thousands of articles share a few hundred tags, and
    python-slugify takes longer over one than the rest of a tag's checks."""
    # Turkish "İ" lower-cases to "i" plus a combining dot, which slugify turns into a
    # hyphen ("i-stanbul"); as "I" it gives "istanbul", the same tag as "Istanbul".
    return slugify(label.replace("İ", "I"), allow_unicode=True, max_length=MAX_SLUG)


@dataclass(frozen=True)
class FrontMatter:
    """The validated front matter of one article, and its body text."""

    title: str
    published: datetime
    has_time: bool
    updated: datetime | None
    summary: str | None
    source: str | None
    source_url: str | None
    authors: tuple[str, ...]
    credits: tuple[Credit, ...]
    countries: tuple[Country, ...]
    topics: tuple[Topic, ...]
    tags: tuple[Tag, ...]
    language: str
    slug: str
    draft: bool
    body: str
    body_line: int  # line of the file where the body starts


@dataclass(frozen=True)
class _Field:
    value: Any  # YAML: str, list or dict of str (raw scalar text), or None; TOML: typed values
    line: int
    item_lines: tuple[int, ...] = ()


class _Problems(Exception):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics


def parse_front_matter(source: Source, config: SiteConfig) -> tuple[FrontMatter | None, list[Diagnostic]]:
    """Validate ``source``; the front matter is None when any error was found."""
    try:
        fields, body, body_line = _split(source)
    except _Problems as exc:
        return None, exc.diagnostics
    return _Validator(source.path, fields, config).run(body, body_line)


def _split(source: Source) -> tuple[dict[str, _Field], str, int]:
    text = source.text
    if not text.strip():
        raise _Problems([Diagnostic(source.path, 1, "empty file: an article needs front matter and a body")])
    first = text.split("\n", 1)[0].rstrip()
    if first not in ("---", "+++"):
        raise _Problems(
            [
                Diagnostic(
                    source.path, 1, "no front matter: start the file with a '---' line, then title: and date:"
                )
            ]
        )
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == first), None)
    if end is None:
        raise _Problems(
            [Diagnostic(source.path, 1, f"front matter is not closed: add a '{first}' line after it")]
        )
    block = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    fields = _yaml_fields(source.path, block) if first == "---" else _toml_fields(source.path, block)
    return fields, body, end + 2


def _yaml_fields(path: str, block: str) -> dict[str, _Field]:
    try:
        root = yaml.compose(block, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_problem(exc, block)
        raise _Problems([Diagnostic(path, line, f"YAML syntax error: {message}")]) from None
    except yaml.reader.ReaderError as exc:
        line, message = _yaml_character_problem(exc, block)
        raise _Problems([Diagnostic(path, line, message)]) from None
    except yaml.YAMLError as exc:
        raise _Problems(
            [Diagnostic(path, 1, f"YAML error: {shown(' '.join(str(exc).split()), 200)}")]
        ) from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise _Problems([Diagnostic(path, 2, "front matter must be a set of 'key: value' lines")])
    seen: set[int] = set()
    fields: dict[str, _Field] = {}
    problems: list[Diagnostic] = []
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 2
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            problems.append(Diagnostic(path, line, "front matter keys must be plain words"))
            continue
        if key in fields:
            problems.append(
                Diagnostic(path, line, f"{shown(key)}: set twice (first on line {fields[key].line})")
            )
            continue
        try:
            value, item_lines = _plain(value_node, seen, depth=0)
        except _AliasError as exc:
            if not any(_AliasError.message in p.message for p in problems):  # once per file is enough
                problems.append(Diagnostic(path, line, f"{shown(key)}: {exc}"))
            continue
        except ValueError as exc:
            problems.append(Diagnostic(path, line, f"{shown(key)}: {exc}"))
            continue
        fields[key] = _Field(value, line, item_lines)
    if problems:
        raise _Problems(problems)
    return fields


# libyaml's wording names parser states ("flow sequence", "token"); writers need the fix instead.
# For these, the line reported is where the unclosed value opened rather than where parsing gave up.
_YAML_CONTEXTS = {
    "while scanning a quoted scalar": "a quoted value is not closed: add the missing closing quote",
    "while parsing a flow sequence": 'a [list] is not closed: add the missing "]" or a "," between items',
    "while parsing a flow mapping": 'a {table} is not closed: add the missing "}" or a "," between items',
}


def _yaml_problem(exc: yaml.MarkedYAMLError, block: str) -> tuple[int, str]:
    """The file line and a readable message for a YAML syntax error in the front matter ``block``."""
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or str(exc)
    lines = block.split("\n")
    text = lines[mark.line] if mark and mark.line < len(lines) else ""
    if exc.context in _YAML_CONTEXTS and exc.context_mark:
        message, mark = _YAML_CONTEXTS[exc.context], exc.context_mark
    elif message.startswith("mapping values are not allowed") and text[:1].isspace():
        message = "this line is indented, but the line above already has a value: remove the indent"
    elif message.startswith("mapping values are not allowed"):
        message = 'a ": " inside a value: put the whole value in quotes, like title: "Breaking: talks resume"'
    elif message == "did not find expected key":
        message = (
            'this is not a "key: value" line: check its quotes (a value that starts with one ends with it)'
        )
    elif message.startswith("found character that cannot start any token") and mark:
        char = text[mark.column : mark.column + 1]
        if char == "\t":
            message = "a tab is used for indenting: YAML needs spaces"
        elif char:
            message = f"a value cannot start with {quoted(char)}: put the whole value in quotes"
    # Marks count from 0 in the block, which starts on the file's second line.
    return (mark.line + 2 if mark else 1), message


def _yaml_character_problem(exc: yaml.reader.ReaderError, block: str) -> tuple[int, str]:
    """The file line and message for a character YAML refuses outright (NUL, ESC, U+FFFE).

    PyYAML's text spans two lines, and its position counts UTF-8 bytes with libyaml but characters
    without it, so the line is found from the character itself."""
    char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
    index = block.find(char)
    line = block[:index].count("\n") + 2 if index >= 0 else 1
    kind = "a control character" if unicodedata.category(char) == "Cc" else "the character"
    return line, f"{kind} (U+{ord(char):04X}) is not allowed in front matter: remove it"


class _AliasError(ValueError):
    message = "YAML anchors and aliases (&, *) are not allowed in front matter"


def _plain(node: yaml.Node, seen: set[int], depth: int) -> tuple[Any, tuple[int, ...]]:
    """Raw scalar text, lists and dicts of it. Shared nodes mean anchors and aliases: refused."""
    if id(node) in seen:
        raise _AliasError(_AliasError.message)
    seen.add(id(node))
    if depth > 3:
        raise ValueError("nested too deeply")
    if isinstance(node, yaml.ScalarNode):
        # A plain (unquoted) scalar has style None in PyYAML's Python loader but "" in libyaml's
        # CSafeLoader; both must make "title: ~" missing rather than the text "~".
        if not node.style and node.value in _NULLS:
            return None, ()
        return node.value, ()
    if isinstance(node, yaml.SequenceNode):
        items = [_plain(child, seen, depth + 1)[0] for child in node.value]
        return items, tuple(child.start_mark.line + 2 for child in node.value)
    if isinstance(node, yaml.MappingNode):
        table: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ValueError("table keys must be plain words")
            table[key_node.value] = _plain(value_node, seen, depth + 1)[0]
        return table, ()
    raise ValueError("unsupported YAML value")


def _toml_fields(path: str, block: str) -> dict[str, _Field]:
    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_syntax_problem(exc, block)
        # The block starts on the file's second line, after "+++".
        raise _Problems(
            [Diagnostic(path, line + 1 if line else 1, f"TOML syntax error: {message}")]
        ) from None
    lines = block.split("\n")

    def line_of(key: str) -> int:
        pattern = re.compile(rf"\s*\[?{re.escape(key)}\]?\s*(=|$)")
        return next((i + 2 for i, text in enumerate(lines) if pattern.match(text)), 2)

    return {key: _Field(value, line_of(key)) for key, value in data.items()}


class _Validator:
    """Reads each field by its expected type, collecting every problem."""

    def __init__(self, path: str, fields: dict[str, _Field], config: SiteConfig) -> None:
        self.path, self.fields, self.config = path, fields, config
        self.problems: list[Diagnostic] = []

    def error(self, name: str, message: str, line: int | None = None) -> None:
        field = self.fields.get(name)
        where = line or (field.line if field else 1)
        self.problems.append(Diagnostic(self.path, where, f"{name}: {message}"))

    def run(self, body: str, body_line: int) -> tuple[FrontMatter | None, list[Diagnostic]]:
        for name, field in self.fields.items():
            if name not in FIELDS:
                hint = difflib.get_close_matches(name, FIELDS, n=1)
                suffix = f' (did you mean "{hint[0]}"?)' if hint else ""
                self.problems.append(
                    Diagnostic(self.path, field.line, f"{shown(name)}: unknown field{suffix}", "warning")
                )
        title = self.text("title", required=True)
        draft = self.flag("draft")
        published = self.moment("date", required=not draft)
        if published is None and draft and not any(p.severity == "error" for p in self.problems):
            # An imported article whose date is unknown waits as a draft: it must not go out undated.
            self.problems.append(
                Diagnostic(self.path, None, "undated draft: not built; add date: to publish it", "warning")
            )
            return None, self.problems
        updated = self.moment("updated")
        matter = FrontMatter(
            title=title or "",
            published=published[0] if published else datetime.min.replace(tzinfo=UTC),
            has_time=published[1] if published else False,
            updated=updated[0] if updated else None,
            summary=self.text("summary"),
            source=self.text("source"),
            source_url=self.url("source_url"),
            authors=self.texts("authors"),
            credits=self.credits(),
            countries=self.countries("countries"),
            topics=self.topics(),
            tags=self.tags(),
            language=self.language(),
            slug=self.slug(title),
            draft=draft,
            body=body,
            body_line=body_line,
        )
        self.countries("countries_mentioned")
        problems = sorted(self.problems, key=lambda p: p.line or 0)  # in the order of the file
        if any(p.severity == "error" for p in problems):
            return None, problems
        return matter, problems

    def text(self, name: str, *, required: bool = False) -> str | None:
        field = self.fields.get(name)
        if field is None or field.value is None:
            if required:
                self.error(name, "required field is missing")
            return None
        value = field.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.error(name, f"expected text, got {_kind(value)}")
            return None
        value = " ".join(value.split())
        if required and not value:
            self.error(name, "must not be empty")
        return value or None

    def texts(self, name: str) -> tuple[str, ...]:
        field = self.fields.get(name)
        if field is None or field.value is None:
            return ()
        values = field.value if isinstance(field.value, list) else [field.value]
        out: list[str] = []
        for i, value in enumerate(values):
            line = field.item_lines[i] if i < len(field.item_lines) else field.line
            if not isinstance(value, str) or not value.strip():
                self.error(name, f"expected a list of text, got {_kind(value)}", line)
                continue
            cleaned = " ".join(value.split())
            if cleaned not in out:
                out.append(cleaned)
        return tuple(out)

    def moment(self, name: str, *, required: bool = False) -> tuple[datetime, bool] | None:
        field = self.fields.get(name)
        if field is None or field.value is None:
            if required:
                self.error(name, "required field is missing")
            return None
        value = field.value
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=UTC)), True
        if isinstance(value, date):
            return datetime.combine(value, time(), UTC), False
        try:
            parsed = _parse_moment(value) if isinstance(value, str) else None
        except ValueError:
            self.error(name, f"{quoted(value)} is not a real date or time (check the day, month and hour)")
            return None
        if parsed is None:
            self.error(
                name, f"expected a date like 2020-02-18 or 2020-02-18T09:30:00+03:00, got {_kind(value)}"
            )
        return parsed

    def url(self, name: str) -> str | None:
        value = self.text(name)
        if value and not re.match(r"https?://[^\s/]+", value):
            self.error(name, f"expected an http(s) URL, got {quoted(value)}")
            return None
        return value

    def flag(self, name: str) -> bool:
        field = self.fields.get(name)
        if field is None or field.value is None:
            return False
        if isinstance(field.value, bool):
            return field.value
        if isinstance(field.value, str) and field.value.lower() in ("true", "false"):
            return field.value.lower() == "true"
        self.error(name, f"expected true or false, got {_kind(field.value)}")
        return False

    def credits(self) -> tuple[Credit, ...]:
        field = self.fields.get("credits")
        if field is None or field.value is None:
            return ()
        if isinstance(field.value, dict):
            out = []
            for role, text in field.value.items():
                if not isinstance(text, str) or not text.strip():
                    self.error("credits", f"{shown(str(role))}: expected text, got {_kind(text)}")
                    continue
                out.append(Credit(text=" ".join(text.split()), role=str(role)))
            return tuple(out)
        return tuple(Credit(text=t) for t in self.texts("credits"))

    def countries(self, name: str) -> tuple[Country, ...]:
        field = self.fields.get(name)
        found: list[Country] = []
        for i, value in enumerate(self.texts(name)):
            line = field.item_lines[i] if field and i < len(field.item_lines) else None
            country = resolve_country(value)
            if country is None:
                hint = suggest_country(value)
                suffix = f' (did you mean "{hint}"?)' if hint else ""
                self.error(name, f"unknown country {quoted(value)}{suffix}", line)
            elif country not in found:
                found.append(country)
        return tuple(found)

    def topics(self) -> tuple[Topic, ...]:
        field = self.fields.get("topics")
        by_name = {t.slug: t for t in self.config.topics} | {t.label.lower(): t for t in self.config.topics}
        found: list[Topic] = []
        for i, value in enumerate(self.texts("topics")):
            line = field.item_lines[i] if field and i < len(field.item_lines) else None
            topic = by_name.get(value.lower()) or by_name.get(slugify(value))
            if topic is None:
                hint = difflib.get_close_matches(value.lower(), list(by_name), n=1)
                if hint:
                    suffix = f' (did you mean "{by_name[hint[0]].slug}"?)'
                elif self.config.topics:
                    # With no close match, the writer needs the vocabulary itself rather than a guess.
                    suffix = f" (site.toml lists: {', '.join(t.slug for t in self.config.topics)})"
                else:
                    suffix = " (site.toml defines no [[topics]])"
                self.error("topics", f"unknown topic {quoted(value)}{suffix}", line)
            elif topic not in found:
                found.append(topic)
        return tuple(found)

    def tags(self) -> tuple[Tag, ...]:
        field = self.fields.get("tags")
        found: dict[str, Tag] = {}
        for i, value in enumerate(self.texts("tags")):
            slug = _tag_slug(value)
            line = field.item_lines[i] if field and i < len(field.item_lines) else None
            if not slug:
                self.error("tags", f"tag {quoted(value)} has no letters or digits", line)
            elif _is_windows_reserved(slug):
                self.error(
                    "tags",
                    f"tag {quoted(value)} makes the folder tags/{slug}/, a name Windows reserves: spell it another way",
                    line,
                )
            elif slug not in found:
                found[slug] = Tag(slug=slug, label=value)
        return tuple(found.values())

    def language(self) -> str:
        value = self.text("language")
        if value is None:
            return self.config.language
        if not _LANG_RE.fullmatch(value):
            self.error("language", f"expected a language code like en or pt-BR, got {quoted(value)}")
        return value

    def slug(self, title: str | None) -> str:
        explicit = self.text("slug")
        if explicit is None:
            made = slugify(title or "", max_length=80, word_boundary=True)
            if title and not made:
                self.error("title", "cannot make a URL slug from this title: set slug: in the front matter")
            if _is_windows_reserved(made):
                self.error(
                    "title",
                    f'makes the URL slug "{made}", a name Windows reserves: set slug: in the front matter',
                )
            return made
        problem = _slug_problem(explicit)
        if problem:
            self.error("slug", problem)
        return explicit


def _slug_problem(slug: str) -> str | None:
    if len(slug) > MAX_SLUG:
        return f"longer than {MAX_SLUG} characters"
    if not _SLUG_RE.fullmatch(slug):
        return f'{quoted(slug)} may hold only letters, digits and "-" (no "/", ".", spaces or other marks)'
    if _is_windows_reserved(slug) or slug.lower() in RESERVED_SLUGS:
        return f"{quoted(slug)} is a reserved name"
    return None


def _is_windows_reserved(name: str) -> bool:
    """Whether Windows refuses ``name``: it ignores trailing dots and spaces, and what follows a dot."""
    stem = name.rstrip(". ").split(".", 1)[0].rstrip(" ")
    return stem.lower() in _WINDOWS_NAMES


def _parse_moment(text: str) -> tuple[datetime, bool] | None:
    """None when ``text`` is not shaped like a date; ValueError when it is, but names no real
    moment (2020-02-30), so the message can say which of the two is wrong."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(), UTC), False
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", text):
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), True
    return None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # TOML numbers: "got 1" reads better than "got int"
    if isinstance(value, time):
        return f"a time of day ({value}) without a date"
    return type(value).__name__
