"""Make ``generator/data/world-110m.json``, the country shapes behind the countries-index map.

The shapes are Natural Earth's 1:110m Admin 0 countries (public domain) as redistributed in
the npm package ``world-atlas`` (ISC). To reproduce the committed file byte for byte::

    cd /tmp && npm pack world-atlas@2.0.2
    python tools/make_worldmap.py /tmp/world-atlas-2.0.2.tgz

Steps: decode the quantized, delta-encoded TopoJSON arcs; project them with Equal Earth
(Šavrič, Patterson and Jenny 2018); simplify each shared arc once (so neighbours keep a common
border); stitch rings into SVG path data with relative moves on a 0.1-unit grid; key shapes by
ISO 3166-1 alpha-2 (pycountry, a Dateline dependency; otherwise only the standard library).
Countries too small for 1:110m become points: centroids taken from the 1:50m file of the same
package, and a few hand-entered positions for places missing from both.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import math
import sys
import tarfile
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "generator" / "data" / "world-110m.json"
WIDTH = 1000  # viewBox width; the height follows from the projection's aspect ratio
MARGIN = 4
GRID = 10  # coordinates are multiples of 1/GRID
TOLERANCE = 0.35  # Douglas-Peucker tolerance in viewBox units: below what a reader can see

Point = tuple[float, float]

# Polygons that ISO codes separately but Natural Earth's 110m countries fold into their parent:
# (parent numeric id, alpha-2, test on the polygon's mean longitude and latitude).
SPLITS = (
    ("250", "GF", lambda lon, lat: lon < -30),  # French Guiana, drawn with France
    ("578", "SJ", lambda lon, lat: lat > 74),  # Svalbard, drawn with Norway
)
# Places on neither the 1:110m nor the 1:50m map (longitude, latitude), entered by hand.
# fmt: off
EXTRA_POINTS: dict[str, Point] = {
    "BQ": (-68.27, 12.18), "BV": (3.36, -54.42), "CC": (96.84, -12.17), "CX": (105.62, -10.49),
    "GI": (-5.35, 36.14), "GP": (-61.58, 16.25), "MQ": (-61.02, 14.64), "RE": (55.53, -21.12),
    "TK": (-171.85, -9.2), "TV": (179.2, -8.52), "YT": (45.17, -12.83), "UM": (166.65, 19.28),
}
# fmt: on
# Shapes without an ISO numeric id: Kosovo takes the code Europe and the IMF use.
NO_ISO = {"Kosovo": "XK"}


def equal_earth(lon: float, lat: float) -> Point:
    """Equal Earth projection of degrees, y pointing up, unit sphere."""
    a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
    m = math.sqrt(3) / 2
    theta = math.asin(m * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = math.radians(lon) * math.cos(theta) / (m * (a1 + 3 * a2 * t2 + t6 * (7 * a3 + 9 * a4 * t2)))
    return x, theta * (a1 + a2 * t2 + t6 * (a3 + a4 * t2))


def decode_arcs(topo: dict) -> list[list[Point]]:
    """Longitude and latitude of every arc's points (TopoJSON arcs are quantized and delta-encoded)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        qx = qy = 0
        points = []
        for dx, dy in arc:
            qx, qy = qx + dx, qy + dy
            points.append((qx * sx + tx, qy * sy + ty))
        arcs.append(points)
    return arcs


def project(arcs: list[list[Point]]) -> list[list[Point]]:
    return [[equal_earth(lon, lat) for lon, lat in arc] for arc in arcs]


def simplify(points: list[Point], tolerance: float) -> list[int]:
    """Indices Douglas-Peucker keeps (iterative); the end points always stay so arcs still meet."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = points[first], points[last]
        length = math.hypot(x1 - x0, y1 - y0)
        worst, index = 0.0, 0
        for i in range(first + 1, last):
            px, py = points[i]
            if length:
                d = abs((x1 - x0) * (y0 - py) - (x0 - px) * (y1 - y0)) / length
            else:
                d = math.hypot(px - x0, py - y0)
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [i for i, k in enumerate(keep) if k]


def split_antimeridian(points: list[Point]) -> list[list[Point]]:
    """A ring crossing 180° (Fiji, Chukotka) becomes one ring on each side of the map.

    A jump of more than 180° between neighbours means the ring went across. A ring whose jumps
    do not cancel out goes around a pole (Antarctica): its jump is the map's edge, kept as it is.
    """
    if all(abs(a[0] - b[0]) <= 180 for a, b in itertools.pairwise(points)):
        return [points]
    shift, unwrapped = 0.0, [points[0]]
    for (x0, _), (x1, y1) in itertools.pairwise(points):
        shift += -360 if x1 - x0 > 180 else 360 if x0 - x1 > 180 else 0
        unwrapped.append((x1 + shift, y1))
    if shift:
        return [points]
    pieces = []
    for offset in (-360, 0, 360):
        piece = clip([(x + offset, y) for x, y in unwrapped], -180, 180)
        if len(piece) >= 3:
            pieces.append(piece)
    return pieces


def clip(points: list[Point], low: float, high: float) -> list[Point]:
    """Sutherland-Hodgman clipping of a closed ring to low <= x <= high."""
    for inside, edge in ((lambda x: x >= low, low), (lambda x: x <= high, high)):
        out: list[Point] = []
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
            if inside(x1) != inside(x0):
                out.append((edge, y0 + (y1 - y0) * (edge - x0) / (x1 - x0)))
            if inside(x1):
                out.append((x1, y1))
        points = out
        if not points:
            break
    return points


def polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def ring(indices: list[int], arcs: list[list[Point]]) -> list[Point]:
    points: list[Point] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]  # ~i: the arc walked backwards
        points.extend(arc if not points else arc[1:])
    return points


def number(units: int) -> str:
    """Grid units as the shortest decimal: 15 -> "1.5", -5 -> "-.5", 20 -> "2"."""
    text = f"{abs(units) / GRID:.1f}".removesuffix(".0").removeprefix("0")
    return ("-" if units < 0 else "") + (text or "0")


def path_data(rings: list[list[tuple[int, int]]]) -> str:
    """Relative SVG path data; a minus sign doubles as separator, which saves a fifth."""
    out = []
    for points in rings:
        (x, y), rest = points[0], points[1:]
        parts = [f"M{number(x)} {number(y)}l"]
        for px, py in rest:
            for value in (px - x, py - y):
                text = number(value)
                parts.append(text if text.startswith("-") or parts[-1].endswith("l") else " " + text)
            x, y = px, py
        out.append("".join(parts) + "z")
    return "".join(out)


def area_centroid(points: list[Point]) -> tuple[float, Point]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area, cx, cy = area + cross, cx + (x0 + x1) * cross, cy + (y0 + y1) * cross
    if abs(area) < 1e-12:  # a sliver: the mean of its points will do
        return 0.0, (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def key_of(geometry: dict) -> str:
    numeric, name = geometry.get("id"), geometry["properties"]["name"]
    record = pycountry.countries.get(numeric=numeric) if numeric else None
    if record is not None:
        return record.alpha_2
    return NO_ISO.get(name, f"-99-{name}")


def build(topo110: dict, topo50: dict, source: str) -> dict:
    lonlat = decode_arcs(topo110)
    arcs = project(lonlat)
    shapes: dict[str, list[list[int]]] = {}  # key -> its rings, as lists of arc indices
    for geometry in topo110["objects"]["countries"]["geometries"]:
        key, numeric = key_of(geometry), geometry.get("id")
        for polygon in polygons(geometry):
            outer = ring(polygon[0], lonlat)
            lon, lat = sum(p[0] for p in outer) / len(outer), sum(p[1] for p in outer) / len(outer)
            split = next(
                (code for parent, code, test in SPLITS if parent == numeric and test(lon, lat)), None
            )
            shapes.setdefault(split or key, []).extend(polygon)

    centres: dict[str, Point] = {code: equal_earth(*ll) for code, ll in EXTRA_POINTS.items()}
    arcs50 = project(decode_arcs(topo50))
    for geometry in topo50["objects"]["countries"]["geometries"]:
        key = key_of(geometry)
        if key in shapes or key.startswith("-99-") or not polygons(geometry):
            continue
        # The largest island stands for the country: a mean of scattered islands lands in the sea.
        best = max((area_centroid(ring(p[0], arcs50)) for p in polygons(geometry)), key=lambda ac: ac[0])
        centres.setdefault(key, best[1])

    every = [p for arc in arcs for p in arc] + list(centres.values())
    min_x, max_x = min(p[0] for p in every), max(p[0] for p in every)
    min_y, max_y = min(p[1] for p in every), max(p[1] for p in every)
    scale = (WIDTH - 2 * MARGIN) / (max_x - min_x)
    height = math.ceil((max_y - min_y) * scale + 2 * MARGIN)
    # Simplified once per shared arc, judged on the map as drawn, so neighbours keep one border.
    lonlat = [[ll[i] for i in simplify(xy, TOLERANCE / scale)] for ll, xy in zip(lonlat, arcs, strict=True)]

    def grid(p: Point) -> tuple[int, int]:
        x = MARGIN + (p[0] - min_x) * scale
        y = MARGIN + (max_y - p[1]) * scale  # SVG's y points down
        return round(x * GRID), round(y * GRID)

    paths = {}
    for key, rings in sorted(shapes.items()):
        snapped = []
        for piece in (piece for indices in rings for piece in split_antimeridian(ring(indices, lonlat))):
            points = [grid(equal_earth(*p)) for p in piece]
            points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            if points[-1] == points[0]:
                points.pop()  # "z" closes the ring
            if len(points) >= 3:
                snapped.append(points)
        paths[key] = path_data(snapped)
    points_out = {
        key: [x / GRID, y / GRID] for key, (x, y) in sorted((k, grid(c)) for k, c in centres.items())
    }
    return {"source": source, "width": WIDTH, "height": height, "paths": paths, "points": points_out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", type=Path, help="world-atlas-2.0.2.tgz from `npm pack world-atlas@2.0.2`")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    raw = args.tarball.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:

        def member(name: str) -> dict:
            handle = tar.extractfile(f"package/{name}")
            assert handle is not None, name
            return json.load(handle)

        version = member("package.json")["version"]
        topo110, topo50 = member("countries-110m.json"), member("countries-50m.json")
    source = f"world-atlas {version} (Natural Earth 1:110m Admin 0, public domain); Equal Earth projection"
    data = build(topo110, topo50, source)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(
        f"{args.out}: {len(text.encode())} bytes, {len(data['paths'])} shapes, {len(data['points'])} points"
    )
    print(f"input sha256 {hashlib.sha256(raw).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
