"""``dateline tag``: tag existing articles' countries and topics, as a dry run unless asked to write.

Writing edits only the lines of the ``countries``, ``countries_mentioned`` and ``topics`` keys
in the front matter; every other byte of the file stays as it was. Tags a person wrote are
never lost: detected countries and topics are added to the ones already there, and a country
already listed as main stays main. ``replace`` makes the detected tags the whole list instead.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from generator.countries import resolve_country
from generator.frontmatter import parse_front_matter
from generator.importer.countrytags import country_name, tag_countries
from generator.importer.settings import ImportSettings, load_settings
from generator.importer.topictags import tag_topics
from generator.importer.writer import value_text, write_atomic
from generator.model import Source

KEYS = ("countries", "countries_mentioned", "topics")


@dataclass
class TagResult:
    path: str  # relative to the site
    before: dict[str, list[str]] = field(default_factory=dict)
    after: dict[str, list[str]] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def changed(self) -> bool:
        return not self.error and any(self.before.get(k, []) != self.after.get(k, []) for k in KEYS)


def retag(site: Path, paths: list[Path], *, write: bool, replace: bool) -> list[TagResult]:
    settings = load_settings(site)
    results = []
    for path in _files(settings, paths):
        rel = (
            path.relative_to(settings.config.root).as_posix()
            if path.is_relative_to(settings.config.root)
            else str(path)
        )
        result = TagResult(rel)
        try:
            raw = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            result.error = f"cannot read: {exc}"
            results.append(result)
            continue
        _retag_one(raw, result, settings, replace=replace)
        if write and result.changed:
            edited = edit_front_matter(
                raw, {k: result.after[k] for k in KEYS if result.before[k] != result.after[k]}
            )
            _, problems = parse_front_matter(Source(rel, edited.replace("\r\n", "\n"), ""), settings.config)
            errors = [str(p) for p in problems if p.severity == "error"]
            if errors:
                result.error = "not written: " + "; ".join(errors)
            else:
                write_atomic(path, edited)
        results.append(result)
    return results


def _files(settings: ImportSettings, paths: list[Path]) -> list[Path]:
    root = settings.config.root
    if not paths:
        return sorted(settings.config.content_dir.rglob("*.md"))
    found: list[Path] = []
    for given in paths:
        path = given if given.exists() or given.is_absolute() else root / given
        found += sorted(path.rglob("*.md")) if path.is_dir() else [path]
    return found


def _retag_one(raw: str, result: TagResult, settings: ImportSettings, *, replace: bool) -> None:
    text = raw.replace("\r\n", "\n")
    matter, problems = parse_front_matter(Source(result.path, text, ""), settings.config)
    if matter is None:
        result.error = "; ".join(str(p) for p in problems if p.severity == "error")
        return
    mentioned_now = _existing_list(text, "countries_mentioned")
    result.before = {
        "countries": [c.name for c in matter.countries],
        "countries_mentioned": [c.name for c in (resolve_country(v) for v in mentioned_now) if c],
        "topics": [t.slug for t in matter.topics],
    }
    ignore = (matter.source,) if matter.source else ()
    countries = tag_countries(matter.title, matter.summary, matter.body, ignore=ignore)
    topics = tag_topics(matter.title, matter.summary, matter.body, settings.topics)
    main = [country_name(c) for c in countries.main]
    mentioned = [country_name(c) for c in countries.mentioned]
    if replace:
        result.after = {"countries": main, "countries_mentioned": mentioned, "topics": list(topics.chosen)}
    else:
        kept = result.before["countries"] + [c for c in main if c not in result.before["countries"]]
        also = result.before["countries_mentioned"] + mentioned
        result.after = {
            "countries": kept,
            "countries_mentioned": [c for c in dict.fromkeys(also) if c not in kept],
            "topics": result.before["topics"]
            + [t for t in topics.chosen if t not in result.before["topics"]],
        }
    for code in countries.main + countries.mentioned:
        role = "main" if code in countries.main else "mentioned"
        result.explanation.append(f"{country_name(code)}: {role}, {countries.reasons(code)}")
    result.explanation += [f"not a country: {line}" for line in countries.ignored()]
    result.explanation += [f"topic {slug}: {topics.reasons(slug)}" for slug in topics.chosen]
    below = [s for s in topics.scores if s not in topics.chosen]
    result.explanation += [f"topic {s}: below the threshold, {topics.reasons(s)}" for s in below]


def _existing_list(text: str, key: str) -> list[str]:
    """The raw values of one list key of the front matter (YAML or TOML), as written."""
    block = text.split("\n")
    end = next((i for i in range(1, len(block)) if block[i].rstrip() == block[0].rstrip()), 0)
    head = "\n".join(block[1:end])
    try:
        data = yaml.safe_load(head) if block[0].startswith("---") else tomllib.loads(head)
    except (yaml.YAMLError, tomllib.TOMLDecodeError):
        return []  # parse_front_matter has reported it already
    value = data.get(key) if isinstance(data, dict) else None
    return [str(v) for v in value] if isinstance(value, list) else []


def edit_front_matter(raw: str, changes: dict[str, list[str]]) -> str:
    """``raw`` with only the lines of the changed keys replaced; a missing key goes after its neighbour."""
    newline = "\r\n" if "\r\n" in raw.split("\n", 1)[0] + "\n" else "\n"
    lines = raw.split(newline)
    fence = lines[0].rstrip()
    toml = fence == "+++"
    for key in KEYS:
        if key not in changes:
            continue
        values = changes[key]
        new = f"{key} = {json.dumps(values, ensure_ascii=False)}" if toml else f"{key}: {value_text(values)}"
        end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == fence)
        span = _key_span(lines, key, end, toml)
        if span is None:
            # countries_mentioned belongs after countries, topics after those; else before the closing line.
            before = [s for k in KEYS[: KEYS.index(key)] if (s := _key_span(lines, k, end, toml))]
            at = max((s[1] for s in before), default=end)
            lines.insert(at, new)
            continue
        start, stop = span
        comment = re.search(r"\s+#[^\"'\]]*$", lines[start]) if stop == start + 1 else None
        lines[start:stop] = [new + (comment.group(0) if comment else "")]
    return newline.join(lines)


def _key_span(lines: list[str], key: str, end: int, toml: bool) -> tuple[int, int] | None:
    """The lines [start, stop) that hold ``key`` and its value in the front matter."""
    start = next(
        (i for i in range(1, end) if re.match(rf"{re.escape(key)}\s*{'=' if toml else ':'}", lines[i])), None
    )
    if start is None:
        return None
    stop = start + 1
    if toml:
        while stop < end and lines[start].count("[") > "".join(lines[start:stop]).count("]"):
            stop += 1
    else:
        while stop < end and (lines[stop][:1] in (" ", "\t") or lines[stop].startswith("-")):
            stop += 1
    return start, stop


def tag_report(results: list[TagResult], *, explain: bool, written: bool) -> str:
    out: list[str] = []
    for result in results:
        if result.error:
            out.append(
                result.error if result.error.startswith(result.path) else f"{result.path}: {result.error}"
            )
            continue
        if not result.changed and not explain:
            continue
        out.append(result.path + ("" if result.changed else ": no change"))
        for key in KEYS:
            before, after = result.before.get(key, []), result.after.get(key, [])
            added = [v for v in after if v not in before]
            removed = [v for v in before if v not in after]
            if added or removed:
                parts = [f"+ {v}" for v in added] + [f"- {v}" for v in removed]
                out.append(f"  {key}: {', '.join(parts)}")
        if explain:
            out += [f"    {line}" for line in result.explanation]
    changed = sum(1 for r in results if r.changed)
    verb = "changed" if written else "would change"
    tail = "" if written else " (dry run: --write applies the changes)"
    out.append(f"{len(results)} article{'s' if len(results) != 1 else ''} checked, {changed} {verb}{tail}.")
    return "\n".join(out)
