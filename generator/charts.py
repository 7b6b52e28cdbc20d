"""The coverage timeline of a country or topic: articles per month as an inline SVG bar chart.

Made at build time, no script. The SVG scales with its container (viewBox, width 100%) and takes
its colours from CSS classes, so the theme decides light and dark. Screen readers get the title
and a one-sentence summary (``role="img"`` with ``aria-labelledby``); :func:`timeline_table`
gives the full numbers as an HTML table for a ``<details>`` next to the chart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from markupsafe import Markup, escape

from generator.metadata import clean_text

Month = tuple[int, int]  # (year, month 1-12)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
WIDTH, HEIGHT = 600, 160  # viewBox; the chart is drawn at the width of its container
LEFT, RIGHT, TOP, BASELINE = 2, 598, 18, 140  # plot area; year labels go below the baseline
MAX_BAR = 24.0  # a short span should not become a few slabs
LABEL_ROOM = 34  # viewBox units a year label needs ("2020" at font-size 11, and a gap)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def months_between(start: Month, end: Month) -> Iterator[Month]:
    """Every month from ``start`` to ``end``, both included."""
    year, month = start
    while (year, month) <= end:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_label(month: Month) -> str:
    """ "March 2015": fixed English names, not the build machine's locale."""
    return f"{MONTHS[month[1] - 1]} {month[0]}"


def _articles(count: int) -> str:
    return f"{count} article" if count == 1 else f"{count} articles"


def _span(counts: Mapping[Month, int], start: Month | None, end: Month | None) -> list[Month]:
    covered = [m for m, n in counts.items() if n > 0]
    first = start or (min(covered) if covered else None)
    last = end or (max(covered) if covered else None)
    if first is None or last is None:
        return []
    for year, month in (first, last):
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 1-12, got {(year, month)}")
    if first > last:
        raise ValueError(f"start {first} is after end {last}")
    return list(months_between(first, last))


def timeline_summary(counts: Mapping[Month, int]) -> str:
    """ "142 articles from March 2015 to December 2024; most in October 2019 (12)"."""
    covered = sorted((m, n) for m, n in counts.items() if n > 0)
    if not covered:
        return "No articles."
    total = sum(n for _, n in covered)
    first, last = covered[0][0], covered[-1][0]
    if first == last:
        return f"{_articles(total)} in {month_label(first)}."
    # The earliest of equally busy months, so the sentence never depends on dict order.
    peak, most = max(covered, key=lambda mn: (mn[1], -mn[0][0], -mn[0][1]))
    return (
        f"{_articles(total)} from {month_label(first)} to {month_label(last)}; "
        f"most in {month_label(peak)} ({most})."
    )


def _num(value: float) -> str:
    """One decimal at most, and none when it is zero: 12.0 -> "12", 3.25 -> "3.2"."""
    return f"{round(value, 1):.1f}".removesuffix(".0")


def _year_step(slot: float) -> int:
    """Label every year, or every 2nd, 5th, 10th... so that labels never overlap."""
    return next((s for s in (1, 2, 5, 10, 20, 50) if s * 12 * slot >= LABEL_ROOM), 100)


def timeline_svg(
    counts: Mapping[Month, int],
    *,
    title: str,
    id_prefix: str,
    start: Month | None = None,
    end: Month | None = None,
) -> Markup:
    """A bar per month from ``start`` (or the first month with articles) to ``end`` (or the last).

    ``id_prefix`` makes the ids of the chart's title and description unique in the page. Returns
    empty Markup when there is no month to draw.
    """
    if not _ID.match(id_prefix):
        raise ValueError(f"id_prefix must be letters, digits, '-' or '_', got {id_prefix!r}")
    months = _span(counts, start, end)
    if not months:
        return Markup("")
    values = [max(0, counts.get(m, 0)) for m in months]
    peak = max(values)
    slot = (RIGHT - LEFT) / len(months)
    # Thin bars touch: a gap narrower than a pixel only makes them blur.
    width = min(slot * 0.8, MAX_BAR) if slot >= 3 else slot
    plot = BASELINE - TOP
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-timeline" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="100%" role="img" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{escape(clean_text(title))}</title>',
        f'<desc id="{desc_id}">{escape(timeline_summary({m: counts.get(m, 0) for m in months}))}</desc>',
        f'<line class="chart-grid" x1="{LEFT}" y1="{TOP}" x2="{RIGHT}" y2="{TOP}"/>',
        f'<text class="chart-label chart-max" x="{LEFT}" y="{TOP - 5}" font-size="11">{peak}</text>',
        '<g class="chart-bars">',
    ]
    for index, (month, value) in enumerate(zip(months, values, strict=True)):
        x = LEFT + index * slot + (slot - width) / 2
        height = max(1.0, value / peak * plot) if value else 0.0  # one article must stay visible
        bar = f'<rect class="chart-bar" x="{_num(x)}" y="{_num(BASELINE - height)}" width="{_num(width)}" height="{_num(height)}"'
        tip = f"{month_label(month)}: {_articles(value)}"
        parts.append(f"{bar}><title>{tip}</title></rect>" if value else f"{bar}/>")
    parts.append("</g>")
    parts.append(f'<line class="chart-axis" x1="{LEFT}" y1="{BASELINE}" x2="{RIGHT}" y2="{BASELINE}"/>')
    step = _year_step(slot)
    for index, (year, month) in enumerate(months):
        x = LEFT + index * slot
        labelled = month == 1 and year % step == 0
        if index == 0 and not labelled:
            # The first year gets a label if the next labelled January leaves room for it.
            next_jan = next((i for i, (y, m) in enumerate(months) if m == 1 and y % step == 0), len(months))
            labelled = next_jan * slot >= LABEL_ROOM
        if labelled and x <= RIGHT - LABEL_ROOM + 6:
            parts.append(
                f'<line class="chart-tick" x1="{_num(x)}" y1="{BASELINE}" x2="{_num(x)}" y2="{BASELINE + 5}"/>'
                f'<text class="chart-label" x="{_num(x)}" y="{HEIGHT - 4}" font-size="11">{year}</text>'
            )
    parts.append("</svg>")
    return Markup("\n".join(parts))


def timeline_table(
    counts: Mapping[Month, int], *, caption: str, start: Month | None = None, end: Month | None = None
) -> Markup:
    """The chart's numbers as a table: a row per year, a column per month, and the year's total."""
    months = _span(counts, start, end)
    if not months:
        return Markup("")
    head = "".join(f'<th scope="col"><abbr title="{name}">{name[:3]}</abbr></th>' for name in MONTHS)
    rows = [
        '<table class="chart-table">',
        f"<caption>{escape(clean_text(caption))}</caption>",
        f'<thead><tr><th scope="col">Year</th>{head}<th scope="col">Total</th></tr></thead>',
        "<tbody>",
    ]
    inside = set(months)
    for year in range(months[0][0], months[-1][0] + 1):
        cells = [counts.get((year, m), 0) if (year, m) in inside else None for m in range(1, 13)]
        shown = "".join("<td></td>" if n is None else f"<td>{n}</td>" for n in cells)
        rows.append(f'<tr><th scope="row">{year}</th>{shown}<td>{sum(n or 0 for n in cells)}</td></tr>')
    rows.append("</tbody></table>")
    return Markup("\n".join(rows))
