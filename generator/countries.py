"""Country names from article front matter, normalised to ISO 3166-1 alpha-2 countries.

pycountry supplies the ISO list; ``_OVERRIDES`` below supplies the common English
display names (ISO's own are often "Surname, Given name" style) and extra aliases.
Every name is compared after :func:`_key`, so matching ignores case, accents,
punctuation, surrounding whitespace and a leading "the".
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache
from typing import Any

from slugify import slugify

from generator.model import Country

# code -> (display name or None to keep pycountry's, *extra accepted names).
# A display name is needed wherever pycountry's common_name/name is not what an
# English-language newsroom would print (commas, parentheses, "Federation"...).
_OVERRIDES: dict[str, tuple[str | None, ...]] = {
    "AE": (None, "UAE"),
    "BA": (None, "Bosnia"),
    "BN": ("Brunei",),
    "BQ": ("Caribbean Netherlands", "Bonaire"),
    "CC": ("Cocos Islands", "Keeling Islands"),
    "CD": ("DR Congo", "Democratic Republic of the Congo", "DRC", "Congo-Kinshasa"),
    "CG": ("Republic of the Congo", "Congo-Brazzaville", "Congo Republic"),
    "CI": ("Ivory Coast",),
    "CV": ("Cape Verde",),
    "FK": ("Falkland Islands", "Falklands", "Malvinas"),
    "FM": ("Micronesia",),
    "GB": (None, "UK", "Britain", "Great Britain"),
    "IE": (None, "Republic of Ireland"),
    "KR": (None, "Republic of Korea"),
    "MF": ("Saint Martin",),
    "MK": (None, "Macedonia"),
    "MM": (None, "Burma"),
    "PN": ("Pitcairn Islands",),
    "PS": ("Palestine",),
    "RU": ("Russia",),
    "SH": ("Saint Helena",),
    "SX": ("Sint Maarten",),
    "SZ": (None, "Swaziland"),
    "TL": ("East Timor",),
    "TR": ("Turkey",),
    "US": (None, "U.S.", "U.S.A."),
    "VA": ("Vatican City", "Vatican", "Holy See"),
    "VG": ("British Virgin Islands",),
    "VI": ("US Virgin Islands", "United States Virgin Islands"),
}

# Names that fit two countries equally well: resolving them would be a guess,
# so they are rejected; the first code is what suggest_country offers.
_AMBIGUOUS: dict[str, tuple[str, ...]] = {"congo": ("CD", "CG"), "korea": ("KR", "KP")}

_PUNCTUATION = re.compile(r"[\W_]+")


def _key(value: str) -> str:
    """Comparison form of a name: "  The Côte d’Ivoire " -> "cote d ivoire"."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_ish = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Punctuation becomes a space so "Timor-Leste", "Timor Leste" and "Korea, Republic of" all line up.
    key = _PUNCTUATION.sub(" ", ascii_ish.casefold()).strip()
    return key.removeprefix("the ")


def _display_name(record: Any) -> str:
    override = _OVERRIDES.get(record.alpha_2, (None,))[0]
    return override or getattr(record, "common_name", None) or record.name


@cache
def _tables() -> tuple[dict[str, Country], dict[str, tuple[str, ...]], dict[str, Country], tuple[str, ...]]:
    """(name key -> country, ambiguous key -> codes, code -> country, name keys for suggestions).

    Built on first use rather than at import: pycountry loads its JSON lazily too, and most
    commands never look at a country. Imported here too: importing pycountry looks up its own
    version among the installed packages' metadata (30 ms), which a no-op rebuild need not pay.
    """
    import pycountry

    by_code: dict[str, Country] = {}
    owners: dict[str, set[str]] = {}
    name_keys: set[str] = set()
    for record in pycountry.countries:
        code = record.alpha_2
        name = _display_name(record)
        by_code[code] = Country(code=code, name=name, slug=slugify(name))
        names = [
            name,
            record.name,
            getattr(record, "common_name", None),
            getattr(record, "official_name", None),
        ]
        names += [alias for alias in _OVERRIDES.get(code, ())[1:] if alias]
        for raw in names:
            if raw:
                owners.setdefault(_key(raw), set()).add(code)
                name_keys.add(_key(raw))
        for raw in (record.alpha_2, record.alpha_3):
            owners.setdefault(_key(raw), set()).add(code)

    ambiguous = dict(_AMBIGUOUS)
    # A key claimed by two countries (say, after a pycountry update) must not silently pick one.
    ambiguous.update({key: tuple(sorted(codes)) for key, codes in owners.items() if len(codes) > 1})
    lookup = {key: by_code[next(iter(codes))] for key, codes in owners.items() if key not in ambiguous}
    suggestions = tuple(sorted(key for key in name_keys if key not in ambiguous))
    return lookup, ambiguous, by_code, suggestions


def resolve_country(value: str) -> Country | None:
    """The country ``value`` names (code, ISO name or alias), or None if unknown or ambiguous."""
    lookup, _, _, _ = _tables()
    return lookup.get(_key(value))


def suggest_country(value: str) -> str | None:
    """A display name close to ``value``, for "did you mean ...?" messages, or None."""
    lookup, ambiguous, by_code, suggestions = _tables()
    key = _key(value)
    if key in lookup:
        return lookup[key].name
    if key in ambiguous:
        return by_code[ambiguous[key][0]].name
    matches = difflib.get_close_matches(key, suggestions, n=1, cutoff=0.75)
    return lookup[matches[0]].name if matches else None


def country_by_code(code: str) -> Country:
    """The country with alpha-2 ``code`` (case-insensitive); KeyError for anything else."""
    _, _, by_code, _ = _tables()
    try:
        return by_code[code.strip().upper()]
    except KeyError:
        raise KeyError(code) from None


@cache
def all_countries() -> tuple[Country, ...]:
    """Every country, sorted by display name (accents ignored, so Åland sorts under A)."""
    _, _, by_code, _ = _tables()
    return tuple(sorted(by_code.values(), key=name_order))


def name_order(country: Country) -> tuple[str, str]:
    """The order countries are listed in everywhere: by name, accents ignored."""
    return (_key(country.name), country.name)
