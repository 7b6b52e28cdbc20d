"""The countries-index world map: shipped data, shading, links once per country, escaping."""

from __future__ import annotations

import re
from importlib import resources

import pycountry
import pytest
from lxml import etree

from generator.countries import all_countries
from generator.worldmap import buckets, drawn_codes, map_data, world_map_svg

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {c.code: c.name for c in all_countries()}


def parse(markup: str) -> etree._Element:
    return etree.fromstring(markup.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True))


def links_in(root: etree._Element) -> list[etree._Element]:
    return root.findall(f".//{SVG}a")


def test_data_file_is_small_complete_and_keyed_by_iso_codes() -> None:
    data_file = resources.files("generator").joinpath("data", "world-110m.json")
    assert len(data_file.read_bytes()) < 300_000
    licence = (
        resources.files("generator").joinpath("data", "WORLD-MAP-LICENSE.md").read_text(encoding="utf-8")
    )
    assert "public domain" in licence and "ISC" in licence
    data = map_data()
    assert data.width == 1000 and 400 < data.height < 600
    assert len(data.paths) >= 175
    iso = {c.alpha_2 for c in pycountry.countries}
    for key in drawn_codes():
        assert key in iso or key == "XK" or key.startswith("-99-"), key
    # Every ISO country can be shown, as a shape or (too small for 1:110m) as a dot.
    assert iso - drawn_codes() == set()
    assert {"SY", "US", "RU", "FJ", "GF", "SJ", "AQ"} <= set(data.paths)
    assert {"SG", "MT", "BH", "VA"} <= set(data.points)
    for d in data.paths.values():
        assert re.fullmatch(r"(M[-\d. ]+l[-\d. ]+z)+", d), d[:80]
    assert all(0 <= x <= data.width and 0 <= y <= data.height for x, y in data.points.values())


def test_covered_countries_are_linked_once_and_shaded() -> None:
    counts = {"SY": 120, "TR": 40, "RU": 12, "FR": 3, "SG": 2, "MT": 1, "NO": 0}
    links = {code: f"/countries/{code.lower()}/" for code in [*counts, "DE"]}
    root = parse(world_map_svg(counts, links, NAMES, id_prefix="map"))
    linked = links_in(root)
    hrefs = [a.get("href") for a in linked]
    assert sorted(hrefs) == sorted(f"/countries/{c.lower()}/" for c in counts if counts[c] > 0)
    by_href = {a.get("href"): a for a in linked}
    syria = by_href["/countries/sy/"]
    assert syria.get("aria-label") == "Syria: 120 articles"
    (shape,) = list(syria)
    assert shape.tag == f"{SVG}path" and shape.findtext(f"{SVG}title") == "Syria: 120 articles"
    assert by_href["/countries/mt/"].get("aria-label") == "Malta: 1 article"
    dot = by_href["/countries/sg/"][0]
    assert dot.tag == f"{SVG}circle" and "map-dot" in dot.get("class")
    shades = {href.split("/")[2].upper(): a[0].get("class").split()[0] for href, a in by_href.items()}
    # Six distinct counts in five quantile classes: the two smallest share the lightest.
    assert shades == {
        "SY": "map-5",
        "TR": "map-4",
        "RU": "map-3",
        "FR": "map-2",
        "SG": "map-1",
        "MT": "map-1",
    }


def test_links_in_name_order_and_uncovered_countries_hidden() -> None:
    counts = {"ZW": 1, "AF": 1, "DE": 1}
    root = parse(world_map_svg(counts, {k: f"/{k}/" for k in counts}, NAMES, id_prefix="m"))
    assert [a.get("aria-label").split(":")[0] for a in links_in(root)] == [
        "Afghanistan",
        "Germany",
        "Zimbabwe",
    ]
    plain = [p for p in root.iter(f"{SVG}path") if p.getparent().tag != f"{SVG}a"]
    assert len(plain) == len(map_data().paths) - 3
    assert all(p.get("class") == "map-0" and p.get("aria-hidden") == "true" for p in plain)
    assert {p.findtext(f"{SVG}title") for p in plain} >= {
        "Chad: no articles",
        "Kosovo: no articles",
        "Somaliland: no articles",
    }


def test_covered_without_link_and_unlisted_shapes_are_not_linked() -> None:
    counts = {"SY": 5, "-99-Somaliland": 9, "XX": 3}
    root = parse(world_map_svg(counts, {"-99-Somaliland": "/s/", "XX": "/x/"}, NAMES, id_prefix="m"))
    assert links_in(root) == []
    titles = [p.findtext(f"{SVG}title") for p in root.iter(f"{SVG}path")]
    assert "Syria: 5 articles" in titles
    assert "Somaliland: no articles" in titles


def test_accessibility_and_legend() -> None:
    markup = world_map_svg({"SY": 3, "TR": 1}, {"SY": "/sy/", "TR": "/tr/"}, NAMES, id_prefix="countries-map")
    root = parse(markup)
    assert root.tag == "figure" and root.get("id") == "countries-map"
    svg = root.find(f"{SVG}svg")
    assert svg.get("role") == "group" and svg.get("width") == "100%"
    assert svg.get("aria-labelledby") == "countries-map-title countries-map-desc"
    assert svg.find(f"{SVG}title").get("id") == "countries-map-title"
    assert "2 countries" in svg.findtext(f"{SVG}desc")
    legend = [li.xpath("string()").strip() for li in root.iterfind("figcaption/ul/li")]
    assert legend == ["No articles", "1 article", "2–3 articles"]  # classes cover every count
    swatches = [li.find(f"{SVG}svg/{SVG}rect").get("class") for li in root.iterfind("figcaption/ul/li")]
    assert swatches == ["map-0", "map-3", "map-5"]
    empty = parse(world_map_svg({}, {}, NAMES, id_prefix="m"))
    assert links_in(empty) == [] and "no country" in empty.find(f"{SVG}svg").findtext(f"{SVG}desc")


HOSTILE_NAME = '</title><script>alert(1)</script>" onload="alert(2)" & \x00\ud800 سوريا'
HOSTILE_URL = "/x/?a=1&b=\"><script>alert(3)</script>' onclick='x"


def test_hostile_names_and_urls_are_escaped() -> None:
    markup = world_map_svg(
        {"SY": 2}, {"SY": HOSTILE_URL}, {**NAMES, "SY": HOSTILE_NAME, "TD": HOSTILE_NAME}, id_prefix="m",
        title=HOSTILE_NAME,
    )  # fmt: skip
    root = parse(markup)
    assert not [el for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("script")]
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    (link,) = links_in(root)
    assert link.get("href") == HOSTILE_URL
    assert (
        link.get("aria-label") == '</title><script>alert(1)</script>" onload="alert(2)" &  سوريا: 2 articles'
    )
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:x", "data:text/html,x"):
        with pytest.raises(ValueError):
            world_map_svg({"SY": 2}, {"SY": bad}, NAMES, id_prefix="m")
    with pytest.raises(ValueError):
        world_map_svg({}, {}, NAMES, id_prefix='m" onload="x')


def test_buckets() -> None:
    assert buckets({}) == () and buckets({"A": 0}) == ()
    assert buckets({"A": 7}) == ((1, 7, 5),)
    assert buckets({"A": 1, "B": 5}) == ((1, 1, 3), (2, 5, 5))
    assert buckets({str(n): n for n in range(1, 11)}) == (
        (1, 2, 1),
        (3, 4, 2),
        (5, 6, 3),
        (7, 8, 4),
        (9, 10, 5),
    )
    # Dozens of one-article countries do not squeeze the busy ones into one class.
    skewed = {f"c{n}": 1 for n in range(50)} | {"a": 3, "b": 10, "c": 40, "d": 200}
    assert [cls for _, _, cls in buckets(skewed)] == [1, 2, 3, 4, 5]


def test_output_is_deterministic() -> None:
    counts = {"SY": 3, "TR": 1, "SG": 2}
    links = {k: f"/{k}/" for k in counts}
    first = world_map_svg(counts, links, NAMES, id_prefix="m")
    assert first == world_map_svg(dict(reversed(list(counts.items()))), links, NAMES, id_prefix="m")
    assert len(first) < 120_000
