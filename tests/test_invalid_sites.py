"""Broken sites, one per folder under tests/invalid/, each built for real by the command line.

A case folder is a small site (site.toml, content/, perhaps templates/) plus:

- ``expected.txt``: the exact stderr of the build, one ``path:line: message`` per line, then
  ``build failed: N problems``;
- ``args.txt`` (optional): extra command-line arguments, one per line (``--strict``).

The build gets ``--output`` in a temporary folder unless the case's site.toml sets ``output``.
After a deliberate change of wording, regenerate the expected files, then read every changed line
by eye: it must name the file and line and make sense to a journalist, not only to a programmer.

    python tests/test_invalid_sites.py --regenerate        (or DATELINE_REGENERATE=1 pytest ...)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

CASES_DIR = Path(__file__).resolve().parent / "invalid"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
REPO = CASES_DIR.parent.parent
_CASE_FILES = ("expected.txt", "args.txt")
REGENERATE = os.environ.get("DATELINE_REGENERATE") == "1"


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def contents(folder: Path) -> dict[str, bytes]:
    """The files a user sees: hidden ones (the build cache in .dateline/) are the tool's own."""
    return {name: data for name, (data, _mtime) in tree(folder).items() if not name.startswith(".")}


def copy_case(case: str, work: Path) -> Path:
    """A copy of the case's site in ``work/site``: a build that went wrong cannot touch the fixture."""
    site = work / "site"
    shutil.copytree(CASES_DIR / case, site, ignore=shutil.ignore_patterns(*_CASE_FILES))
    return site


def build(site: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "generator", "build", "--site", str(site)]
    if not _sets_output(site):
        command += ["--output", str(out)]
    return subprocess.run(
        [*command, *args], capture_output=True, encoding="utf-8", cwd=REPO, timeout=120, check=False
    )


def _sets_output(site: Path) -> bool:
    try:
        return "output" in tomllib.loads((site / "site.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def case_args(case: str) -> list[str]:
    path = CASES_DIR / case / "args.txt"
    return path.read_text(encoding="utf-8").split() if path.exists() else []


def run_case(case: str, work: Path) -> subprocess.CompletedProcess[str]:
    return build(copy_case(case, work), work / "out", *case_args(case))


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25
    missing = [c for c in CASES if not (CASES_DIR / c / "expected.txt").exists() and not REGENERATE]
    assert not missing, f"cases without expected.txt: {missing}"


@pytest.mark.parametrize("case", CASES)
def test_broken_site_reports_expected_problems(case: str, tmp_path: Path) -> None:
    result = run_case(case, tmp_path)
    expected_file = CASES_DIR / case / "expected.txt"
    if REGENERATE:
        expected_file.write_text(result.stderr, encoding="utf-8")
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == expected_file.read_text(encoding="utf-8")
    assert result.stderr.splitlines()[-1].startswith("build failed: ")
    # Nothing was written: no output folder, no leftovers, and the site itself is untouched
    # (which matters for output = "." in site.toml).
    assert not (tmp_path / "out").exists()
    assert not [p.name for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name]
    assert contents(tmp_path / "site") == {
        name: data for name, data in contents(CASES_DIR / case).items() if name not in _CASE_FILES
    }


# Problems that concern a whole file rather than a line of it.
_WITHOUT_LINE = ("title: required setting is missing", "slug: ", "templates include each other forever")


def test_expected_lines_name_a_file_and_a_line() -> None:
    """Reviewing aid: every problem names a file of the site, and a line unless it concerns the whole file."""
    for case in CASES:
        *lines, last = (CASES_DIR / case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert lines and last.startswith("build failed: "), case
        for line in lines:
            where, message = line.split(": ", 1)
            assert where.split(":")[0].startswith(("content/", "templates/", "site.toml")), (case, line)
            assert ":" in where or message.startswith(_WITHOUT_LINE), (case, line)


def test_strict_case_passes_without_strict(tmp_path: Path) -> None:
    """The --strict case's only problem is a warning: a normal build succeeds and prints it."""
    result = build(copy_case("strict-unknown-field", tmp_path), tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        'content/2020/02/talks.md:6: warning: autor: unknown field (did you mean "authors"?)'
    ]
    assert (tmp_path / "out/2020/02/talks-resume-in-geneva/index.html").is_file()


def test_strict_fails_on_the_warning(tmp_path: Path) -> None:
    result = build(copy_case("strict-unknown-field", tmp_path), tmp_path / "out", "--strict")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        'content/2020/02/talks.md:6: autor: unknown field (did you mean "authors"?)',
        "build failed: 1 problem",
    ]
    assert not (tmp_path / "out").exists()


GOOD_ARTICLE = "---\ntitle: Talks resume in Geneva\ndate: 2020-02-18\ncountries: [Syria]\n---\n\nBody.\n"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("content/2020/02/talks.md", GOOD_ARTICLE.replace("2020-02-18", "yesterday")),
        ("content/2020/02/new.md", ""),
        ("content/2020/02/copy.md", GOOD_ARTICLE),
        (
            "templates/article.html",
            '{% extends "base.html" %}{% block content %}{{ page.nope }}{% endblock %}',
        ),
        ("templates/base.html", "{% if %}"),
        ("site.toml", 'title = "Broken archive"\nbase_url = "example.org"\n'),
    ],
    ids=["front-matter", "empty-file", "duplicate-slug", "undefined-variable", "template-syntax", "config"],
)
def test_failed_build_leaves_previous_output_byte_identical(path: str, text: str, tmp_path: Path) -> None:
    site = copy_case("strict-unknown-field", tmp_path)
    (site / "content/2020/02/talks.md").write_text(GOOD_ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    assert build(site, out).returncode == 0
    before = tree(out)
    assert "index.html" in before
    (site / path).parent.mkdir(parents=True, exist_ok=True)
    (site / path).write_text(text, encoding="utf-8")
    result = build(site, out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert tree(out) == before
    assert not [p.name for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def test_bom_and_crlf_article_is_valid(tmp_path: Path) -> None:
    """Files saved by Windows editors (byte order mark, CRLF line ends) build like any other."""
    site = copy_case("strict-unknown-field", tmp_path)
    raw = ("\ufeff" + GOOD_ARTICLE).replace("\n", "\r\n").encode("utf-8")
    (site / "content/2020/02/talks.md").write_bytes(raw)
    result = build(site, tmp_path / "out")
    assert (result.returncode, result.stderr) == (0, "")
    page = (tmp_path / "out/2020/02/talks-resume-in-geneva/index.html").read_text(encoding="utf-8")
    assert "Talks resume in Geneva" in page and "\ufeff" not in page


def regenerate() -> None:
    """Rewrite every expected.txt from a real build and print it for review."""
    for case in CASES:
        with tempfile.TemporaryDirectory() as work:
            result = run_case(case, Path(work))
        (CASES_DIR / case / "expected.txt").write_text(result.stderr, encoding="utf-8")
        status = "" if result.returncode == 1 else f"  <-- exit status {result.returncode}, expected 1"
        print(f"== {case}{status}\n{result.stderr}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/test_invalid_sites.py --regenerate")
    regenerate()
