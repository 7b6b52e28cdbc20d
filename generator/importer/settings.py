"""The importer's settings: the site's config, outlet profiles and topic keyword rules.

Two site.toml tables belong to the importer and are read and checked here rather than by
:mod:`generator.config`:

    [import]
    profiles = "outlets.toml"          # optional: a file of [[outlets]] tables
    [[import.outlets]]                 # an outlet profile (see profiles.OutletProfile)
    name = "Kyiv Independent"
    banners = ["Support independent journalism"]
    end_markers = ["Read also"]

    [tagging]
    threshold = 3.0                    # weight a topic needs
    builtin = true                     # keep the built-in keyword rules
    [tagging.topics.refugees]
    keywords = { "asylum seeker" = 2, "camp" = 1 }   # or a list: ["asylum seeker", "camp"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config import CONFIG_NAME, SiteConfig, load_config
from generator.errors import ConfigError, Diagnostic
from generator.importer.profiles import BUILT_IN, OutletProfile
from generator.importer.topictags import TopicRules, default_rules, parse_keywords

OWN_KEYS = ("import", "tagging")
_PROFILE_KEYS = ("name", "aliases", "banners", "end_markers", "domains")


@dataclass(frozen=True)
class ImportSettings:
    config: SiteConfig
    profiles: tuple[OutletProfile, ...]
    topics: TopicRules


def load_settings(site: Path, profiles_file: Path | None = None) -> ImportSettings:
    """Read site.toml (and a profiles file); ConfigError lists every problem of the importer's tables."""
    config = load_config(site)
    data = tomllib.loads((config.root / CONFIG_NAME).read_text(encoding="utf-8-sig"))
    problems: list[Diagnostic] = []
    own = _table(data, "import", problems)
    problems += [
        Diagnostic(CONFIG_NAME, None, f"import.{k}: unknown setting (known: profiles, outlets)")
        for k in sorted(set(own) - {"profiles", "outlets"})
    ]
    profiles = [
        _profile(entry, f"import.outlets[{n}]", CONFIG_NAME, problems)
        for n, entry in enumerate(_list(own, "outlets", "import", problems), start=1)
    ]
    extra = profiles_file or (config.root / own["profiles"] if isinstance(own.get("profiles"), str) else None)
    if extra is not None:
        profiles += _profiles_file(extra, problems)
    topics = _topic_rules(_table(data, "tagging", problems), config, problems)
    if problems:
        raise ConfigError(problems)
    found = tuple(p for p in profiles if p is not None)
    return ImportSettings(
        config, found + tuple(b for b in BUILT_IN if b.name not in {p.name for p in found}), topics
    )


def _table(data: dict[str, Any], key: str, problems: list[Diagnostic]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(Diagnostic(CONFIG_NAME, None, f"{key}: expected a table ([{key}])"))
        return {}
    return value


def _list(table: dict[str, Any], key: str, where: str, problems: list[Diagnostic]) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        problems.append(Diagnostic(CONFIG_NAME, None, f"{where}.{key}: expected a list of tables"))
        return []
    return value


def _profile(entry: object, where: str, path: str, problems: list[Diagnostic]) -> OutletProfile | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
        problems.append(Diagnostic(path, None, f"{where}: an outlet needs a name"))
        return None
    for key in entry:
        if key not in _PROFILE_KEYS:
            problems.append(
                Diagnostic(path, None, f"{where}.{key}: unknown setting (known: {', '.join(_PROFILE_KEYS)})")
            )
    lists: dict[str, tuple[str, ...]] = {}
    for key in _PROFILE_KEYS[1:]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(Diagnostic(path, None, f"{where}.{key}: expected a list of strings"))
            value = []
        lists[key] = tuple(v.strip() for v in value if v.strip())
    return OutletProfile(name=entry["name"].strip(), **lists)


def _profiles_file(path: Path, problems: list[Diagnostic]) -> list[OutletProfile | None]:
    shown = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        problems.append(Diagnostic(shown, None, f"cannot read the profiles file: {exc.strerror or exc}"))
        return []
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Diagnostic(shown, None, f"not a valid TOML file: {exc}"))
        return []
    entries = data.get("outlets", [])
    if not isinstance(entries, list):
        problems.append(Diagnostic(shown, None, "outlets: expected [[outlets]] tables"))
        return []
    return [_profile(e, f"outlets[{n}]", shown, problems) for n, e in enumerate(entries, start=1)]


def _topic_rules(table: dict[str, Any], config: SiteConfig, problems: list[Diagnostic]) -> TopicRules:
    base = default_rules(config.topics)
    keywords = {t.slug: dict(base.keywords.get(t.slug, {})) for t in config.topics}
    if table.get("builtin", True) is False:
        keywords = {slug: {} for slug in keywords}
    for slug, rule in (table.get("topics") or {}).items():
        where = f"tagging.topics.{slug}"
        if slug not in keywords:
            problems.append(Diagnostic(CONFIG_NAME, None, f"{where}: no such topic in [[topics]]"))
            continue
        words = rule.get("keywords", []) if isinstance(rule, dict) else None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            found = parse_keywords(", ".join(words))
        elif isinstance(words, dict) and all(isinstance(v, (int, float)) for v in words.values()):
            found = {str(k).lower(): float(v) for k, v in words.items()}
        else:
            problems.append(
                Diagnostic(CONFIG_NAME, None, f"{where}.keywords: expected a list or a table of weights")
            )
            continue
        keywords[slug] = found if rule.get("replace", False) is True else keywords[slug] | found
    numbers: dict[str, float] = {}
    for key, default in (
        ("threshold", base.threshold),
        ("share", base.share),
        ("max_topics", base.max_topics),
    ):
        value = table.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            problems.append(Diagnostic(CONFIG_NAME, None, f"tagging.{key}: expected a number of 0 or more"))
            value = default
        numbers[key] = value
    unknown = set(table) - {"threshold", "share", "max_topics", "builtin", "topics"}
    problems += [Diagnostic(CONFIG_NAME, None, f"tagging.{k}: unknown setting") for k in sorted(unknown)]
    return TopicRules(
        {s: k for s, k in keywords.items() if k},
        numbers["threshold"],
        numbers["share"],
        int(numbers["max_topics"]),
    )
