"""Measure Dateline's article extraction on the ScrapingHub article-extraction benchmark.

    python bench/extraction.py --benchmark PATH/TO/article-extraction-benchmark [--limit N] [--show ID]

The benchmark (181 saved pages with hand-made ground truth) is not part of Dateline: bring a
checkout of the public repository ``scrapinghub/article-extraction-benchmark`` and point
``--benchmark`` at it (a bare clone, like the one the search tool's ``fetch`` brings, works too).
Two figures are reported, both with the benchmark's own scoring (its
``evaluate.py``: 4-word shingles, precision and recall averaged over pages, F1 of the averages):

- HTML extraction: each page through the importer's HTML path (trafilatura, Markdown output).
- Plain-text cleaning: each page made into a text dump like the scraped seed (all visible text,
  one block per line), then through the importer's plain-text cleaner; the body is scored.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import lxml.html

from generator.importer.htmlpage import extract_body
from generator.importer.plaintext import clean_text

_INVISIBLE = (
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "svg",
    "iframe",
    "object",
    "canvas",
    "select",
)
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "button",
        "option",
        "label",
    ]
)


def text_dump(html: str) -> str:
    """All visible text of a page, one block per line: what a scraper's "copy all text" gives."""
    root = lxml.html.fromstring(html)
    for element in root.xpath(
        "//*[@hidden or @aria-hidden='true' or contains(translate(@style,' ',''),'display:none')]"
    ):
        element.drop_tree()
    for tag in _INVISIBLE:
        for element in root.iter(tag):
            element.drop_tree()
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = " ".join("".join(current).split())
        if line:
            lines.append(line)
        current.clear()

    def walk(element: lxml.html.HtmlElement) -> None:
        block = isinstance(element.tag, str) and element.tag.lower() in _BLOCKS
        if block:
            flush()
        if element.text and isinstance(element.tag, str):
            current.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            flush()

    walk(root)
    flush()
    return "\n\n".join(lines) + "\n"


def _read(benchmark: Path, rel: str) -> bytes:
    """A file of the benchmark: from its work tree, or from HEAD of a bare clone."""
    path = benchmark / rel
    if path.exists():
        return path.read_bytes()
    git = ["git", "--git-dir", str(benchmark), "show", f"HEAD:{rel}"]
    done = subprocess.run(git, capture_output=True, check=False)
    if done.returncode:
        raise SystemExit(f"{rel} not found in {benchmark}: give a checkout of article-extraction-benchmark")
    return done.stdout


def _scoring(benchmark: Path):
    """The benchmark's own scoring functions (its evaluate.py), or a copy of its method."""
    try:
        source = _read(benchmark, "evaluate.py")
    except SystemExit:
        return _shingles, _metrics
    path = Path(tempfile.mkdtemp()) / "evaluate.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("aeb_evaluate", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.string_shingle_matching, module.metrics_from_tp_fp_fns


def _shingles(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    def grams(text: str) -> Counter[tuple[str, ...]]:
        tokens = re.findall(r"\w+", text or "")
        return Counter(
            tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
        )

    t, p = grams(true), grams(pred)
    tp = sum((t & p).values())
    fp, fn = sum((p - t).values()), sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def _metrics(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean(precision(*r) for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(recall(*x) for x in rows if x[0] + x[2] > 0)
    return {"f1": 2 * p * r / (p + r), "precision": p, "recall": r}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--benchmark", type=Path, required=True, help="checkout of article-extraction-benchmark"
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--show", help="print the dump and the cleaned body of one page id")
    parser.add_argument(
        "--worst", type=int, default=0, help="list the N pages the text cleaner does worst on"
    )
    parser.add_argument("--skip-html", action="store_true", help="measure the plain-text cleaner only")
    args = parser.parse_args()
    truth = json.loads(_read(args.benchmark, "ground-truth.json").decode("utf-8"))
    match, metrics = _scoring(args.benchmark)
    keys = sorted(truth)[: args.limit or None]
    if args.show:
        html = gzip.decompress(_read(args.benchmark, f"html/{args.show}.html.gz")).decode("utf-8")
        dump = text_dump(html)
        cleaned = clean_text(dump)
        print(dump, "=" * 70, cleaned.title, cleaned.dek, *cleaned.paragraphs, sep="\n")
        return
    html_rows, text_rows, per_page = [], [], []
    started = time.perf_counter()
    for key in keys:
        html = gzip.decompress(_read(args.benchmark, f"html/{key}.html.gz")).decode("utf-8")
        true = truth[key].get("articleBody", "")
        if not args.skip_html:
            html_rows.append(match(true=true, pred=extract_body(html, truth[key].get("url"))))
        cleaned = clean_text(text_dump(html))
        row = match(true=true, pred="\n\n".join(cleaned.paragraphs))
        text_rows.append(row)
        per_page.append((metrics([row])["f1"] if row[0] else 0.0, key))
    seconds = time.perf_counter() - started
    print(f"pages: {len(keys)} ({seconds:.1f} s)")
    for name, rows in (
        ("HTML extraction (trafilatura, Markdown)", html_rows),
        ("plain-text cleaning", text_rows),
    ):
        if rows:
            m = metrics(rows)
            print(f"{name:<42} F1 {m['f1']:.3f}  precision {m['precision']:.3f}  recall {m['recall']:.3f}")
    for f1, key in sorted(per_page)[: args.worst]:
        print(f"  {f1:.3f}  {key}")


if __name__ == "__main__":
    sys.exit(main())
