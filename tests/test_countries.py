"""Tests for generator.countries: resolving front-matter country names to ISO countries."""

from __future__ import annotations

import pycountry
import pytest

from generator.countries import (
    _AMBIGUOUS,
    _OVERRIDES,
    _tables,
    all_countries,
    country_by_code,
    resolve_country,
    suggest_country,
)
from generator.model import Country

ACCEPTED: dict[str, tuple[str, ...]] = {
    "SY": ("SY", "sy", "SYR", "Syria", "syria", "  Syria  ", "Syrian Arab Republic"),
    "TR": ("TR", "TUR", "Turkey", "Türkiye", "Turkiye", "TÜRKIYE", "Republic of Türkiye"),
    "RU": ("RU", "Russia", "Russian Federation", "rus"),
    "NO": ("NO", "no", "No", "Norway", "NOR"),
    "US": ("US", "USA", "U.S.", "United States", "United States of America", "the United States"),
    "GB": ("UK", "GB", "GBR", "United Kingdom", "the United Kingdom", "Britain", "Great Britain"),
    "KR": ("KR", "South Korea", "Korea, Republic of", "Republic of Korea"),
    "KP": ("KP", "North Korea", "Korea, Democratic People's Republic of"),
    "IR": ("IR", "Iran", "Iran, Islamic Republic of", "Islamic Republic of Iran"),
    "CI": ("CI", "Ivory Coast", "Côte d'Ivoire", "Cote d'Ivoire", "Côte d’Ivoire", "COTE D'IVOIRE"),
    "CZ": ("CZ", "Czechia", "Czech Republic"),
    "CD": (
        "CD",
        "DR Congo",
        "Democratic Republic of the Congo",
        "DRC",
        "Congo, The Democratic Republic of the",
    ),
    "CG": ("CG", "Republic of the Congo", "Congo-Brazzaville", "Congo Brazzaville"),
    "PS": ("PS", "Palestine", "State of Palestine", "Palestine, State of", "the State of Palestine"),
    "VN": ("VN", "Vietnam", "Viet Nam"),
    "LA": ("LA", "Laos", "Lao People's Democratic Republic"),
    "MD": ("MD", "Moldova", "Moldova, Republic of"),
    "BO": ("BO", "Bolivia", "Plurinational State of Bolivia"),
    "VE": ("VE", "Venezuela", "Bolivarian Republic of Venezuela"),
    "TZ": ("TZ", "Tanzania", "United Republic of Tanzania"),
    "TW": ("TW", "Taiwan", "Taiwan, Province of China"),
    "VA": ("VA", "Vatican", "Vatican City", "Holy See", "Holy See (Vatican City State)"),
    "MK": ("MK", "Macedonia", "North Macedonia"),
    "MM": ("MM", "Burma", "Myanmar"),
    "SZ": ("SZ", "Eswatini", "Swaziland"),
    "CV": ("CV", "Cape Verde", "Cabo Verde"),
    "TL": ("TL", "East Timor", "Timor-Leste", "Timor Leste"),
    "FM": ("FM", "Micronesia", "Federated States of Micronesia"),
    "BN": ("BN", "Brunei", "Brunei Darussalam"),
    "GM": ("GM", "Gambia", "The Gambia"),
    "BS": ("BS", "Bahamas", "the Bahamas"),
}


@pytest.mark.parametrize(
    ("value", "code"), [(value, code) for code, values in ACCEPTED.items() for value in values]
)
def test_resolve_accepted_names(value: str, code: str) -> None:
    country = resolve_country(value)
    assert country is not None, value
    assert country.code == code


@pytest.mark.parametrize(
    "value", ["Korea", "korea", "the Congo", "Congo", "America", "Atlantis", "", "   ", "the", "XX", "ZZZ"]
)
def test_resolve_rejects_unknown_and_ambiguous(value: str) -> None:
    assert resolve_country(value) is None


def test_norway_code_is_not_a_negative() -> None:
    assert resolve_country("NO") == Country("NO", "Norway", "norway")


@pytest.mark.parametrize(
    ("code", "name", "slug"),
    [
        ("SY", "Syria", "syria"),
        ("TR", "Turkey", "turkey"),
        ("RU", "Russia", "russia"),
        ("IR", "Iran", "iran"),
        ("KR", "South Korea", "south-korea"),
        ("KP", "North Korea", "north-korea"),
        ("GB", "United Kingdom", "united-kingdom"),
        ("US", "United States", "united-states"),
        ("CI", "Ivory Coast", "ivory-coast"),
        ("CD", "DR Congo", "dr-congo"),
        ("CG", "Republic of the Congo", "republic-of-the-congo"),
        ("PS", "Palestine", "palestine"),
        ("VN", "Vietnam", "vietnam"),
        ("LA", "Laos", "laos"),
        ("MD", "Moldova", "moldova"),
        ("BO", "Bolivia", "bolivia"),
        ("VE", "Venezuela", "venezuela"),
        ("TZ", "Tanzania", "tanzania"),
        ("TW", "Taiwan", "taiwan"),
        ("VA", "Vatican City", "vatican-city"),
        ("MK", "North Macedonia", "north-macedonia"),
        ("CZ", "Czechia", "czechia"),
        ("FM", "Micronesia", "micronesia"),
        ("BN", "Brunei", "brunei"),
        ("CV", "Cape Verde", "cape-verde"),
        ("TL", "East Timor", "east-timor"),
        ("SZ", "Eswatini", "eswatini"),
        ("MM", "Myanmar", "myanmar"),
        ("BS", "Bahamas", "bahamas"),
        ("GM", "Gambia", "gambia"),
        ("FK", "Falkland Islands", "falkland-islands"),
        ("KN", "Saint Kitts and Nevis", "saint-kitts-and-nevis"),
        ("AX", "Åland Islands", "aland-islands"),
    ],
)
def test_display_names_and_slugs(code: str, name: str, slug: str) -> None:
    assert country_by_code(code) == Country(code, name, slug)


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("Syira", "Syria"),
        ("Turky", "Turkey"),
        ("Rusia", "Russia"),
        ("Germny", "Germany"),
        ("Untied States", "United States"),
        ("Korea", "South Korea"),
        ("Syria", "Syria"),
        ("Atlantis", None),
        ("Xanadu", None),
        ("", None),
    ],
)
def test_suggest_country(value: str, suggestion: str | None) -> None:
    assert suggest_country(value) == suggestion


def test_ambiguous_congo_suggests_one_of_the_two() -> None:
    assert suggest_country("Congo") in {"DR Congo", "Republic of the Congo"}


def test_only_the_known_names_are_ambiguous() -> None:
    # Anything else here means pycountry (or an alias) now gives one name to two countries.
    _, ambiguous, _, _ = _tables()
    assert ambiguous == _AMBIGUOUS


def test_all_countries_covers_pycountry_sorted_by_name() -> None:
    countries = all_countries()
    assert {country.code for country in countries} == {record.alpha_2 for record in pycountry.countries}
    assert len(countries) == len(pycountry.countries)
    names = [country.name for country in countries]
    assert names.index("Afghanistan") < names.index("Åland Islands") < names.index("Albania")
    assert names.index("Zambia") == len(names) - 2 and names[-1] == "Zimbabwe"


def test_slugs_are_unique_and_ascii() -> None:
    slugs = [country.slug for country in all_countries()]
    assert len(set(slugs)) == len(slugs)
    assert all(slug.isascii() and slug == slug.lower() and slug for slug in slugs)


def test_display_names_are_plain() -> None:
    bad = [country for country in all_countries() if any(ch in country.name for ch in ",()")]
    assert bad == []


def test_display_names_resolve_to_themselves() -> None:
    for country in all_countries():
        assert resolve_country(country.name) == country
        assert resolve_country(country.code.lower()) == country


def test_overrides_name_real_codes() -> None:
    codes = {record.alpha_2 for record in pycountry.countries}
    assert set(_OVERRIDES) <= codes
    assert all(code in codes for codes_ in _AMBIGUOUS.values() for code in codes_)


@pytest.mark.parametrize("code", ["SY", "sy", " no "])
def test_country_by_code(code: str) -> None:
    assert country_by_code(code).code == code.strip().upper()


@pytest.mark.parametrize("code", ["XX", "SYR", "Syria", "UK", ""])
def test_country_by_code_rejects_non_alpha2(code: str) -> None:
    with pytest.raises(KeyError):
        country_by_code(code)
