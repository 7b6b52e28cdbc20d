"""Golden-tree tests: building a fixture site must give exactly the committed output, byte for byte.

The fixture sites live in ``tests/sites/<site>/`` and their expected output in
``tests/golden/<site>/<mode>/`` (modes ``clean``, ``offline`` and, for
``multi``, ``clean-drafts``). The trees are the *complete* output, including
the default theme's CSS (``assets/style.css``) and ``assets/pygments.css``, so
any intended change to the generator, the templates or the theme's static
files makes these tests fail until the trees are regenerated::

    .venv/bin/python tests/regenerate_golden.py

Review ``git diff tests/golden`` afterwards: the diff is the change in output.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from regenerate_golden import GOLDEN, GOLDEN_CASES, SITES, build_site, read_tree

MAX_DIFF_LINES = 80
REGENERATE = "run `.venv/bin/python tests/regenerate_golden.py` if the change is intended"


def _tree_mismatch(expected: dict[str, bytes], actual: dict[str, bytes]) -> str | None:
    """A readable account of how two trees differ, or None when they are identical."""
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    differing = sorted(name for name in set(expected) & set(actual) if expected[name] != actual[name])
    if not (missing or extra or differing):
        return None
    lines = [f"missing files: {missing}", f"extra files: {extra}", f"differing files: {differing}"]
    for name in differing:
        try:
            old, new = expected[name].decode("utf-8"), actual[name].decode("utf-8")
        except UnicodeDecodeError:
            continue  # binary: listed above
        diff = list(
            difflib.unified_diff(
                old.splitlines(), new.splitlines(), f"golden/{name}", f"built/{name}", lineterm=""
            )
        )
        if len(diff) > MAX_DIFF_LINES:
            diff = [*diff[:MAX_DIFF_LINES], f"... ({len(diff) - MAX_DIFF_LINES} more diff lines)"]
        lines += [f"first differing text file: {name}", *diff]
        break
    return "\n".join(lines)


@pytest.mark.parametrize(("site", "mode"), GOLDEN_CASES, ids=[f"{s}-{m}" for s, m in GOLDEN_CASES])
def test_build_matches_golden_tree(site: str, mode: str, built_site) -> None:
    golden = GOLDEN / site / mode
    assert golden.is_dir(), f"no golden tree at {golden}: {REGENERATE}"
    mismatch = _tree_mismatch(read_tree(golden), read_tree(built_site(site, mode)))
    if mismatch:
        pytest.fail(f"output of {site} ({mode}) differs from {golden}; {REGENERATE}\n{mismatch}")


@pytest.mark.parametrize(("site", "mode"), [("multi", "clean"), ("multi", "offline"), ("minimal", "clean")])
def test_build_is_deterministic(site: str, mode: str, tmp_path: Path) -> None:
    first = read_tree(build_site(site, mode, tmp_path / "first" / "out"))
    second = read_tree(build_site(site, mode, tmp_path / "second" / "out"))
    assert _tree_mismatch(first, second) is None


def test_rebuild_into_same_folder_is_identical(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = read_tree(build_site("multi", "clean", out))
    assert _tree_mismatch(first, read_tree(build_site("multi", "clean", out))) is None


@pytest.mark.parametrize("seed", ["1", "4242"])
def test_cli_build_with_other_hash_seed_is_identical(seed: str, tmp_path: Path, built_site) -> None:
    """A separate process (other set/dict hash order, the command line) writes the same offline tree."""
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "generator",
        "build",
        "--site",
        str(SITES["multi"]),
        "--output",
        str(out),
    ]
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([*command, "--offline", "--quiet"], check=True, env=env, capture_output=True)
    assert _tree_mismatch(read_tree(built_site("multi", "offline")), read_tree(out)) is None


def test_drafts_only_add_pages(built_site) -> None:
    """The drafts build has every page of the normal one, plus the draft and its lists."""
    # Search index files are named by their content, which the drafts change: leave them out.
    plain = {
        p
        for p in read_tree(built_site("multi", "clean"))
        if not p.startswith("search/") or p.endswith(".html")
    }
    drafts = set(read_tree(built_site("multi", "clean-drafts")))
    assert plain <= drafts
    assert "2023/10/synthetic-fixture-draft-unpublished-notes/index.html" in drafts - plain
    assert "tags/draft-only/index.html" in drafts - plain


@pytest.mark.parametrize(
    ("expected", "actual", "needle"),
    [
        ({"a.html": b"x\n"}, {"a.html": b"y\n"}, "-x"),
        ({"a.html": b"x"}, {}, "missing files: ['a.html']"),
        ({}, {"b.css": b"x"}, "extra files: ['b.css']"),
        ({"a.png": b"\xff"}, {"a.png": b"\xfe"}, "differing files: ['a.png']"),
    ],
)
def test_mismatch_report(expected: dict[str, bytes], actual: dict[str, bytes], needle: str) -> None:
    report = _tree_mismatch(expected, actual)
    assert report is not None and needle in report
    assert _tree_mismatch(expected, dict(expected)) is None
