"""Rebuild the golden trees in tests/golden/<site>/<mode>/ from the fixture sites in tests/sites/.

Run after an intended change to the output (generator, default theme, its CSS)::

    .venv/bin/python tests/regenerate_golden.py

then review the change with ``git diff tests/golden`` before committing it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from generator.build import BuildOptions, build

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
GOLDEN = TESTS / "golden"
SITES = {"example": ROOT, "multi": TESTS / "sites" / "multi", "minimal": TESTS / "sites" / "minimal"}
# mode name -> (link mode, drafts)
MODES: dict[str, tuple[str, bool]] = {
    "clean": ("clean", False),
    "offline": ("offline", False),
    "clean-drafts": ("clean", True),
}
# The (site, mode) pairs kept as golden trees; the example site is only link-checked.
GOLDEN_CASES: tuple[tuple[str, str], ...] = (
    ("minimal", "clean"),
    ("minimal", "offline"),
    ("multi", "clean"),
    ("multi", "offline"),
    ("multi", "clean-drafts"),
)


def build_site(site: str, mode: str, output: Path) -> Path:
    """Build fixture ``site`` in ``mode`` into ``output`` (a folder that need not exist yet)."""
    links, drafts = MODES[mode]
    build(SITES[site], BuildOptions(output=output, links=links, drafts=drafts))  # type: ignore[arg-type]
    return output


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by its POSIX path relative to it."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> int:
    for site, mode in GOLDEN_CASES:
        target = GOLDEN / site / mode
        with tempfile.TemporaryDirectory() as tmp:
            # Built beside, not into, tests/golden: the build puts a lock file next to its output.
            built = build_site(site, mode, Path(tmp) / "out")
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(built, target)
        print(f"{target.relative_to(ROOT)}: {len(read_tree(target))} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
