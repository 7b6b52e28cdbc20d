"""The coverage timeline: valid, accessible, compact SVG with a bar per month, and its text alternative."""

from __future__ import annotations

import itertools
import re

import pytest
from lxml import etree

from generator.charts import LABEL_ROOM, months_between, timeline_summary, timeline_svg, timeline_table

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> etree._Element:
    return etree.fromstring(markup.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True))


def bars(root: etree._Element) -> list[etree._Element]:
    return root.findall(f".//{SVG}rect[@class='chart-bar']")


def test_chart_structure_and_accessibility() -> None:
    counts = {(2019, 11): 3, (2020, 2): 1, (2020, 1): 0}
    root = parse(timeline_svg(counts, title="Syria <coverage> & more", id_prefix="syria-chart"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox") == "0 0 600 160"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id == "syria-chart-title"
    assert root.find(f"{SVG}desc").get("id") == desc_id == "syria-chart-desc"
    assert root.findtext(f"{SVG}title") == "Syria <coverage> & more"
    assert (
        root.findtext(f"{SVG}desc")
        == "4 articles from November 2019 to February 2020; most in November 2019 (3)."
    )
    drawn = bars(root)
    assert len(drawn) == 4  # Nov, Dec, Jan, Feb: the empty months are drawn too
    assert [float(b.get("height")) for b in drawn][1:3] == [0.0, 0.0]
    assert [b.findtext(f"{SVG}title") for b in drawn] == [
        "November 2019: 3 articles",
        None,
        None,
        "February 2020: 1 article",
    ]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert labels[0] == "3"  # the maximum
    assert "2020" in labels
    # Colours come from the theme: no fill or stroke is written in the chart.
    assert not [el for el in root.iter() if el.get("fill") or el.get("stroke") or el.get("style")]


def test_heights_scale_to_the_busiest_month() -> None:
    root = parse(timeline_svg({(2020, 1): 100, (2020, 2): 50, (2020, 3): 1}, title="t", id_prefix="c"))
    heights = [float(b.get("height")) for b in bars(root)]
    assert heights[0] == 122.0 and heights[1] == 61.0
    assert heights[2] >= 1.0  # a single article stays visible


def test_single_month() -> None:
    root = parse(timeline_svg({(2020, 5): 7}, title="t", id_prefix="c"))
    (bar,) = bars(root)
    assert float(bar.get("width")) <= 24
    assert root.findtext(f"{SVG}desc") == "7 articles in May 2020."


def test_start_and_end_widen_the_span() -> None:
    root = parse(timeline_svg({(2020, 5): 7}, title="t", id_prefix="c", start=(2019, 1), end=(2020, 12)))
    assert len(bars(root)) == 24
    with pytest.raises(ValueError):
        timeline_svg({(2020, 5): 7}, title="t", id_prefix="c", start=(2021, 1))
    with pytest.raises(ValueError):
        timeline_svg({(2020, 13): 7}, title="t", id_prefix="c")


def test_thirty_years_stay_compact_and_labels_do_not_overlap() -> None:
    counts = {(y, m): (y * 7 + m * 3) % 11 for y in range(1995, 2025) for m in range(1, 13)}
    markup = timeline_svg(counts, title="t", id_prefix="c")
    root = parse(markup)
    assert len(bars(root)) == 360
    assert len(markup) < 60_000
    numbers = re.findall(r' (?:x|y|height|x1|x2|y1|y2|width)="([^"%]+)"', markup)
    assert len(numbers) > 4 * 360
    assert all(re.fullmatch(r"-?\d+(\.\d)?", n) for n in numbers)
    xs = [float(t.get("x")) for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert len(xs) >= 5
    assert all(b - a >= LABEL_ROOM for a, b in itertools.pairwise(xs))
    assert all(x <= 600 - 20 for x in xs)


def test_empty_and_invalid() -> None:
    assert timeline_svg({}, title="t", id_prefix="c") == ""
    assert timeline_svg({(2020, 1): 0}, title="t", id_prefix="c") == ""
    for bad in ("", "1abc", "a b", 'a"b', "a><script>"):
        with pytest.raises(ValueError):
            timeline_svg({(2020, 1): 1}, title="t", id_prefix=bad)


def test_output_does_not_depend_on_dict_order() -> None:
    counts = {(2020, m): m for m in range(1, 13)}
    reversed_counts = dict(reversed(list(counts.items())))
    assert timeline_svg(counts, title="t", id_prefix="c") == timeline_svg(
        reversed_counts, title="t", id_prefix="c"
    )
    assert timeline_summary(counts) == timeline_summary(reversed_counts)


def test_summary() -> None:
    counts = {month: 1 for month in months_between((2015, 3), (2024, 12))}  # 118 months, 118 articles
    counts[(2019, 10)] = 12  # +11
    counts.update({(2017, m): 2 for m in range(2, 11)})  # +9
    counts.update({(2018, m): 2 for m in range(1, 5)})  # +4
    total = sum(counts.values())
    assert total == 142
    assert (
        timeline_summary(counts)
        == "142 articles from March 2015 to December 2024; most in October 2019 (12)."
    )
    assert timeline_summary({(2020, 1): 1}) == "1 article in January 2020."
    assert timeline_summary({(2020, 1): 0}) == "No articles."
    assert timeline_summary({(2021, 1): 5, (2020, 1): 5}) == (
        "10 articles from January 2020 to January 2021; most in January 2020 (5)."
    )


def test_table_alternative() -> None:
    markup = timeline_table({(2019, 11): 3, (2020, 2): 1}, caption="Syria <per month>")
    root = parse(markup)
    assert root.tag == "table"
    assert root.findtext("caption") == "Syria <per month>"
    rows = root.findall("tbody/tr")
    assert [r.findtext("th") for r in rows] == ["2019", "2020"]
    assert [td.text for td in rows[0].findall("td")] == [None] * 10 + ["3", "0", "3"]
    assert [td.text for td in rows[1].findall("td")] == ["0", "1"] + [None] * 10 + ["1"]
    assert timeline_table({}, caption="x") == ""
