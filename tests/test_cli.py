"""The command line, run as a user runs it: a subprocess."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import MakeSite, article


def dateline(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_build_prints_summary_and_which_file_to_open(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First"), "content/b.md": article("Second", "2021-05-01")})
    result = dateline("build", "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 2 articles, ")
    assert (
        "Publish output/ at https://example.org/" in result.stdout
        or "at https://example.org/" in result.stdout
    )
    offline = dateline("build", "--site", str(site), "--offline")
    assert offline.stdout.rstrip().endswith("index.html in a browser.")
    assert (site / "output/index.html").exists()


def test_quiet_build_prints_nothing(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First")})
    result = dateline("build", "--site", str(site), "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_problems_exit_1_without_traceback(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/a.md": article("First", date="yesterday"),
            "content/b.md": article("Second", countries="[Syira]"),
        }
    )
    result = dateline("build", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        'content/a.md:3: date: expected a date like 2020-02-18 or 2020-02-18T09:30:00+03:00, got "yesterday"',
        'content/b.md:4: countries: unknown country "Syira" (did you mean "Syria"?)',
        "build failed: 2 problems",
    ]
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2() -> None:
    result = dateline("build", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_missing_site_toml_is_a_clear_error(tmp_path: Path) -> None:
    result = dateline("build", "--site", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("site.toml: no site.toml in ")


def test_drafts_are_skipped_unless_asked(make_site: MakeSite) -> None:
    site = make_site(
        {"content/a.md": article("Public"), "content/b.md": article("Unfinished", extra="draft: true\n")}
    )
    dateline("build", "--site", str(site))
    assert not (site / "output/2020/02/unfinished").exists()
    dateline("build", "--site", str(site), "--drafts")
    assert (site / "output/2020/02/unfinished/index.html").exists()


def test_warnings_are_printed_and_strict_fails(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First", extra="titel: typo\n")})
    result = dateline("build", "--site", str(site))
    assert result.returncode == 0
    assert 'content/a.md:6: warning: titel: unknown field (did you mean "title"?)' in result.stderr
    strict = dateline("build", "--site", str(site), "--strict")
    assert strict.returncode == 1


def test_offline_flag_writes_relative_links(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First")})
    dateline("build", "--site", str(site), "--offline")
    home = (site / "output/index.html").read_text(encoding="utf-8")
    assert 'href="countries/index.html"' in home
    assert 'href="/countries/' not in home


def test_version() -> None:
    result = dateline("--version")
    assert result.returncode == 0 and "dateline" in result.stdout


def test_a_rebuild_with_nothing_changed_never_loads_the_country_list(make_site: MakeSite) -> None:
    # Importing pycountry looks up its version among every installed package's metadata: no cost a
    # no-op rebuild, or a command that never reads an article, should pay.
    site = make_site({"content/a.md": article("First")})
    assert dateline("build", "--site", str(site), "--quiet").returncode == 0
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['dateline', 'build', '--site', {str(site)!r}]\n"
        "try:\n    runpy.run_module('generator', run_name='__main__')\n"
        "except SystemExit as stop:\n    assert not stop.code, stop.code\n"
        "print('pycountry' in sys.modules)\n"
    )
    again = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "(0 pages rendered, 0 files changed)" in again.stdout
    assert again.stdout.rstrip().endswith("False")


def _changed(stdout: str) -> int:
    match = re.search(r"(\d+) files changed\)", stdout)
    assert match, stdout
    return int(match.group(1))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_count_of_changed_files_is_what_the_published_folder_sees(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First"), "content/b.md": article("Second", "2021-05-01")})
    output = site / "output"
    first = dateline("build", "--site", str(site))
    before = _files(output)
    assert _changed(first.stdout) == len(before) > 20
    assert _changed(dateline("build", "--site", str(site)).stdout) == 0
    # The output folder deleted by hand: its hidden twin still holds every file, but to whoever
    # publishes output/, every file is new.
    shutil.rmtree(output)
    again = dateline("build", "--site", str(site))
    assert again.returncode == 0, again.stderr
    assert _changed(again.stdout) == len(before) and _files(output) == before
    (site / "content/b.md").write_text(article("Second", "2021-05-01", body="Edited."), encoding="utf-8")
    edited = dateline("build", "--site", str(site))
    after = _files(output)
    differ = {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}
    assert _changed(edited.stdout) == len(differ) > 0
    # Deleted with the cache too: the twin is checked byte by byte and reused, still all new to output/.
    shutil.rmtree(output)
    shutil.rmtree(site / ".dateline")
    assert _changed(dateline("build", "--site", str(site)).stdout) == len(after)
    assert _files(output) == after
