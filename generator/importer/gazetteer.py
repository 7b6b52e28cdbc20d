"""The country gazetteer: names, aliases, demonyms and places, each mapped to an ISO 3166-1 code.

The hand-curated data file ``generator/data/gazetteer.tsv`` (sources and licence in
``generator/data/GAZETTEER-SOURCES.md``) is read once, on first use, and combined with the ISO names
pycountry knows. Phrases are stored as tuples of word tokens, so "Guinea-Bissau", "Guinea
Bissau" and "GUINEA-BISSAU" all meet the same entry, and matching is case-sensitive: the
bird "turkey" and the verb "chad" never look like countries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import pycountry

Kind = Literal["name", "demonym", "place", "venue"]
TOKEN_RE = re.compile(r"\w+")

# Phrases that contain a country word but name something else: matched first (longest wins), then ignored.
BLOCKERS = (
    "Gulf of Guinea",
    "Guinea pig",
    "Guinea pigs",
    "New Guinea",
    "Niger River",
    "River Niger",
    "Gulf of Mexico",
    "Indian Ocean",
    "American Indian",
    "American Indians",
    "Native American",
    "Native Americans",
    "Latin America",
    "Latin American",
    "Latin Americans",
    "South America",
    "South American",
    "North America",
    "North American",
    "Central America",
    "Central American",
    "African American",
    "African Americans",
    "Asian American",
    "Asian Americans",
    "Pan American",
    "American Samoa",
    "Korean Peninsula",
    "Korean War",
    "Turkish delight",
    "Russian roulette",
    "French fries",
    "Brussels sprouts",
    "Dutch oven",
    "Swiss cheese",
    "Indian summer",
    "Jordan River",
    "Jordan Valley",
    "Congo River",
    "Congo Basin",
    "Lake Chad",
    "Chad Basin",
    "Wild Turkey",
)
# Names two countries share; tagging decides between them from the rest of the article.
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "Congo": ("CD", "CG"),
    "Congolese": ("CD", "CG"),
    "Korea": ("KR", "KP"),
    "Korean": ("KR", "KP"),
    "Koreans": ("KR", "KP"),
}


@dataclass(frozen=True)
class Entry:
    """What a phrase names: one country, a choice between several, or (blocker) nothing."""

    codes: tuple[str, ...]  # empty for a blocker
    kind: Kind
    phrase: str


def tokens(text: str) -> tuple[str, ...]:
    return tuple(TOKEN_RE.findall(text))


def _plurals(demonym: str) -> list[str]:
    # "Syrian" -> "Syrians", "Iraqi" -> "Iraqis"; "Chinese", "Swiss" and "Turkish" have no such plural.
    return [demonym + "s"] if demonym[-1:] in ("n", "i") and " " not in demonym else []


@cache
def table() -> tuple[dict[tuple[str, ...], Entry], int]:
    """(phrase tokens -> entry, the longest phrase in tokens). Upper-case forms are keyed too."""
    entries: dict[tuple[str, ...], Entry] = {}
    owners: dict[tuple[str, ...], dict[str, Kind]] = {}
    text = resources.files("generator").joinpath("data/gazetteer.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, names, demonyms, places = [*line.split("\t"), "", "", ""][:4]
        record = pycountry.countries.get(alpha_2=code)
        iso = [getattr(record, a, None) for a in ("name", "common_name", "official_name")] if record else []
        # ISO's inverted forms ("Korea, Republic of") never occur in running text.
        forms: list[tuple[str, Kind]] = [(n, "name") for n in iso if n and "," not in n and "(" not in n]
        forms += [(n, "name") for n in _split(names)]
        for demonym in _split(demonyms):
            forms += [(d, "demonym") for d in (demonym, *_plurals(demonym))]
        forms += [(p.lstrip("~"), "venue" if p.startswith("~") else "place") for p in _split(places)]
        for phrase, kind in forms:
            key = tokens(phrase)
            if key:
                owners.setdefault(key, {}).setdefault(code, kind)
    for key, by_code in owners.items():
        phrase = " ".join(key)
        if phrase in AMBIGUOUS:
            continue
        codes = tuple(sorted(by_code))
        entries[key] = Entry(codes, next(iter(by_code.values())), phrase)
    for phrase, codes in AMBIGUOUS.items():
        entries[tokens(phrase)] = Entry(
            codes, "demonym" if phrase.endswith(("ese", "an", "ans")) else "name", phrase
        )
    for phrase in BLOCKERS:
        entries[tokens(phrase)] = Entry((), "name", phrase)
    for key, entry in list(entries.items()):
        upper = tuple(t.upper() for t in key)
        entries.setdefault(upper, entry)
    return entries, max(len(k) for k in entries)


def _split(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]
