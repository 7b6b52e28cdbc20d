"""Country tagging measured on hand-labelled synthetic articles (tests/importer/labelled/*.json).

Each fixture was written for these tests (not copied news) and labelled by hand with the
countries it is about ("main") and those it only mentions. Precision and recall of the main
countries over all fixtures must each reach 0.95; the figures are printed (pytest -s shows them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.importer.countrytags import tag_countries

LABELLED = Path(__file__).parent / "importer" / "labelled"
CASES = sorted(LABELLED.glob("*.json"))


def _tag(case: dict):
    return tag_countries(
        case["title"], case["summary"], case["body"], ignore=tuple(filter(None, [case.get("source")]))
    )


def test_there_are_at_least_30_labelled_articles() -> None:
    assert len(CASES) >= 30


def test_main_country_precision_and_recall() -> None:
    tp = fp = fn = 0
    misses: list[str] = []
    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        found, wanted = set(_tag(case).main), set(case["main"])
        tp, fp, fn = tp + len(found & wanted), fp + len(found - wanted), fn + len(wanted - found)
        if found != wanted:
            misses.append(f"{path.stem}: found {sorted(found)}, labelled {sorted(wanted)}")
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(
        f"\nmain countries on {len(CASES)} labelled articles: precision {precision:.3f}, recall {recall:.3f}"
    )
    print("\n".join(misses))
    assert precision >= 0.95, misses
    assert recall >= 0.95, misses


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_no_labelled_country_is_lost(path: Path) -> None:
    """Every labelled country, main or mentioned, is found in one of the two lists."""
    case = json.loads(path.read_text(encoding="utf-8"))
    tags = _tag(case)
    assert set(case["main"]) | set(case["mentioned"]) <= set(tags.main) | set(tags.mentioned)
