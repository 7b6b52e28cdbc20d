"""CPU time of Python-Markdown and the sanitizer alone over a corpus: what no cold build can avoid.

python bench/markdown_cost.py bench/work/corpora/n10000-seed1/content
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from generator.markdown import render_markdown


def main(folder: Path) -> None:
    bodies = []
    for path in sorted(folder.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        # The corpus writes YAML front matter between --- lines; the rest is the body.
        bodies.append(text.split("\n---\n", 1)[1] if text.startswith("---\n") else text)
    start = time.process_time()
    for body in bodies:
        render_markdown(body)
    cpu = time.process_time() - start
    each = cpu / max(len(bodies), 1) * 1000
    print(
        f"{len(bodies)} bodies: {cpu:.1f} s of CPU, {each:.2f} ms each; {cpu / 2:.1f} s on two cores at best"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
