"""The world map of the countries index: each country shaded by its article count, linked to its page.

Inline SVG made at build time from Natural Earth 1:110m shapes (public domain) in Equal Earth
projection, shipped as ``data/world-110m.json`` (made by ``tools/make_worldmap.py``; licence in
``data/WORLD-MAP-LICENSE.md``). No tiles, no script, no network: it works offline.

Countries too small for 1:110m (Singapore, Malta, most islands) are points in the data; they are
drawn as dots only when covered. Shades come from quantiles of the counts in up to five classes
``map-1``..``map-5``; countries without articles take ``map-0``, so the theme sets every colour.
Names and URLs are untrusted: names are escaped, URLs must be relative or http(s).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from markupsafe import Markup, escape

from generator.metadata import clean_text, safe_url

DATA_FILE = "world-110m.json"
CLASSES = 5
DOT_RADIUS = 3.5
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# Shapes without an ISO 3166-1 code: the data keys them "XK" or "-99-<Natural Earth name>".
_UNLISTED_NAMES = {"XK": "Kosovo"}


@dataclass(frozen=True)
class MapData:
    width: int
    height: int
    paths: Mapping[str, str]  # key -> SVG path data
    points: Mapping[str, tuple[float, float]]  # key -> centre of a country too small to draw
    source: str


@cache
def map_data() -> MapData:
    """The shipped shapes, read once per process (they are a few tens of kilobytes)."""
    text = resources.files("generator").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    raw = json.loads(text)
    return MapData(
        width=raw["width"],
        height=raw["height"],
        paths=dict(raw["paths"]),
        points={key: (x, y) for key, (x, y) in raw["points"].items()},
        source=raw["source"],
    )


@cache
def drawn_codes() -> frozenset[str]:
    """Every key the map can show, as a shape or a dot: a covered country outside it needs a text link."""
    data = map_data()
    return frozenset(data.paths) | frozenset(data.points)


def buckets(counts: Mapping[str, int]) -> tuple[tuple[int, int, int], ...]:
    """(lowest count, highest count, class number) of each shade, lightest first.

    Breaks are quantiles of the distinct counts. News coverage is skewed: equal steps would leave
    nearly every country in the lightest class, and quantiles of all counts collapse when dozens
    of countries have one article. Fewer distinct counts give fewer classes, spread over the
    scale so that the busiest countries always get the darkest shade.
    """
    values = sorted({n for n in counts.values() if n > 0})
    if not values:
        return ()
    tops = sorted({values[math.ceil(k * len(values) / CLASSES) - 1] for k in range(1, CLASSES + 1)})
    lows = [1] + [top + 1 for top in tops[:-1]]
    return tuple(
        (low, top, math.ceil((i + 1) * CLASSES / len(tops)))
        for i, (low, top) in enumerate(zip(lows, tops, strict=True))
    )


def _shade(count: int, scale: tuple[tuple[int, int, int], ...]) -> int:
    return next((cls for low, top, cls in scale if low <= count <= top), 0) if count > 0 else 0


def _articles(count: int) -> str:
    return "no articles" if count <= 0 else f"{count} article" if count == 1 else f"{count} articles"


def _range_label(low: int, top: int) -> str:
    return _articles(low).capitalize() if low == top else f"{low}–{top} articles"


def _name(key: str, names: Mapping[str, str]) -> str:
    fallback = _UNLISTED_NAMES.get(key) or key.removeprefix("-99-")
    return clean_text(names.get(key) or fallback)


def world_map_svg(
    counts: Mapping[str, int],
    links: Mapping[str, str],
    names: Mapping[str, str],
    *,
    id_prefix: str,
    title: str = "Articles by country",
) -> Markup:
    """A ``<figure>`` holding the map and its legend.

    ``counts``, ``links`` and ``names`` are keyed by ISO alpha-2 code. A country is linked when it
    has articles and a link; the link is its only accessible element (``aria-label``), so a
    screen reader meets each covered country once, in name order. Uncovered shapes are hidden
    from assistive technology but keep a hover tooltip.
    """
    if not _ID.match(id_prefix):
        raise ValueError(f"id_prefix must be letters, digits, '-' or '_', got {id_prefix!r}")
    data = map_data()
    scale = buckets(counts)
    covered = sorted(
        (key for key, n in counts.items() if n > 0 and key in drawn_codes() and not key.startswith("-99-")),
        key=lambda key: (_name(key, names).casefold(), key),
    )
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    drawn = len(covered)
    summary = (
        f"World map of {drawn} {'country' if drawn == 1 else 'countries'} with articles,"
        " shaded by article count; each links to its page."
        if drawn
        else "World map: no country has articles yet."
    )
    parts = [
        f'<figure class="world-map" id="{escape(id_prefix)}">',
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {data.width} {data.height}"'
        f' width="100%" role="group" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{escape(clean_text(title))}</title>',
        f'<desc id="{desc_id}">{escape(summary)}</desc>',
        '<g class="map-land" fill-rule="evenodd">',
    ]
    # Uncovered countries first and covered ones last, so a focus outline is never drawn under a neighbour.
    for key in sorted(set(data.paths) - set(covered)):
        tip = escape(f"{_name(key, names)}: no articles")
        parts.append(
            f'<path class="map-0" d="{escape(data.paths[key])}" aria-hidden="true"><title>{tip}</title></path>'
        )
    for key in covered:
        count = counts[key]
        label = escape(f"{_name(key, names)}: {_articles(count)}")
        url = links.get(key)
        # Inside a link the shape is hidden from assistive technology: the link already says it all.
        hidden = ' aria-hidden="true"' if url is not None else ""
        attrs = f'class="map-{_shade(count, scale)}{"" if key in data.paths else " map-dot"}"{hidden}'
        if key in data.paths:
            shape = f'<path {attrs} d="{escape(data.paths[key])}"><title>{label}</title></path>'
        else:
            x, y = data.points[key]
            shape = (
                f'<circle {attrs} cx="{x:g}" cy="{y:g}" r="{DOT_RADIUS:g}"><title>{label}</title></circle>'
            )
        parts.append(
            shape if url is None else f'<a href="{escape(safe_url(url))}" aria-label="{label}">{shape}</a>'
        )
    parts += ["</g>", "</svg>", _legend(scale), "</figure>"]
    return Markup("\n".join(parts))


def _legend(scale: tuple[tuple[int, int, int], ...]) -> str:
    """An HTML legend: readable at any map size, and its swatches use the map's own classes."""
    rows = [(0, "No articles")] + [(cls, _range_label(low, top)) for low, top, cls in scale]
    items = "".join(
        f'<li><svg xmlns="http://www.w3.org/2000/svg" class="map-swatch" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
        f'<rect class="map-{cls}" width="10" height="10"/></svg> {escape(text)}</li>'
        for cls, text in rows
    )
    return f'<figcaption><ul class="map-legend">{items}</ul></figcaption>'
