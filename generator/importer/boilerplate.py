"""Batch boilerplate: a line that recurs in many articles of one outlet is the outlet's, not the article's.

Only plain-text dumps are compared (HTML pages have their own extractor). Agency credits recur
too ("Reuters contributed reporting to this article.") but belong to each article, so they are
never counted.
"""

from __future__ import annotations

from collections import Counter

from generator.importer.textrules import AGENCY_CREDIT

MIN_ARTICLES = 3  # two articles sharing a line may share a quote
MIN_SHARE = 0.5  # of the outlet's articles in the batch


def repeated_lines(texts: list[str]) -> frozenset[str]:
    """Lines found in at least MIN_ARTICLES and MIN_SHARE of ``texts`` (the dumps of one outlet)."""
    texts = list(dict.fromkeys(texts))  # the same page scraped twice is not two articles
    if len(texts) < MIN_ARTICLES:
        return frozenset()
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({line.strip() for line in text.splitlines() if line.strip()})
    needed = max(MIN_ARTICLES, MIN_SHARE * len(texts))
    return frozenset(line for line, n in counts.items() if n >= needed and not AGENCY_CREDIT.match(line))
