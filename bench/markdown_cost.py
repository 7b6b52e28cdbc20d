"""CPU time of Markdown conversion alone over a corpus: what no cold build can avoid.

python bench/markdown_cost.py bench/work/corpora/n10000-seed1/content [--rounds 3]

Converts every body three ways, taking turns within each round so that the machine's slow and quick
spells fall on all three alike, and prints each one's CPU time (the median over the rounds):

- ``bare``: Python-Markdown with no extension at all, the least any use of the library can cost;
- ``extensions``: Python-Markdown with Dateline's extensions and settings, as the library runs them;
- ``dateline``: Dateline's render_markdown(), which runs only the patterns and processors a body's
  characters allow, then sanitizes the HTML and takes its plain text, summary and contents.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import markdown

from generator.markdown import extension_objects, render_markdown

Converter = Callable[[str], object]


def bodies_of(folder: Path) -> list[str]:
    bodies = []
    for path in sorted(folder.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        # The corpus writes YAML front matter between --- lines; the rest is the body.
        bodies.append(text.split("\n---\n", 1)[1] if text.startswith("---\n") else text)
    return bodies


def library(extensions: bool) -> Converter:
    """Python-Markdown as its documentation shows it, one instance reset between documents."""
    md = markdown.Markdown(extensions=extension_objects() if extensions else [], output_format="html")
    return lambda body: md.reset().convert(body)


def cpu_seconds(convert: Converter, bodies: list[str]) -> float:
    start = time.process_time()
    for body in bodies:
        convert(body)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path, help="a corpus's content folder")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    bodies = bodies_of(args.folder)
    ways: dict[str, Converter] = {
        "bare": library(extensions=False),
        "extensions": library(extensions=True),
        "dateline": render_markdown,
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(max(args.rounds, 1)):
        for name, convert in ways.items():
            times[name].append(cpu_seconds(convert, bodies))
    for name, measured in times.items():
        cpu = statistics.median(measured)
        each = cpu / max(len(bodies), 1) * 1000
        rounds = ", ".join(f"{t:.1f}" for t in measured)
        print(
            f"{name:<10} {len(bodies)} bodies: {cpu:.1f} s of CPU ({rounds}), {each:.2f} ms each; "
            f"{cpu / 2:.1f} s on two cores at best"
        )


if __name__ == "__main__":
    main()
