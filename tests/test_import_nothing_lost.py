"""Import never overwrites an article: re-imports are skipped, same slugs get a suffix, only --force replaces."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "importer"
SLUG = "fishing-fleets-idle-as-norway-and-iceland-clash-over-mackerel-quotas"


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text((REPO / "site.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return site


def _import(site: Path, *args: str):
    return CliRunner().invoke(cli, ["import", *args, "--site", str(site), "--date", "2021-03-03"])


def test_reimport_of_the_same_source_is_skipped_by_hash(tmp_path: Path) -> None:
    site = _site(tmp_path)
    source = FIXTURES / "generic-outlet.txt"
    assert _import(site, str(source)).exit_code == 0
    written = site / f"content/2021/03/{SLUG}.md"
    written.write_text(written.read_text(encoding="utf-8") + "\nAn editor's note.\n", encoding="utf-8")
    edited = written.read_bytes()
    again = _import(site, str(source))
    assert again.exit_code == 0
    assert f"skipped  generic-outlet.txt -> content/2021/03/{SLUG}.md: already imported" in again.output
    assert written.read_bytes() == edited
    assert len(list((site / "content").rglob("*.md"))) == 1


def test_undated_reimport_is_reported_as_skipped_not_as_a_draft(tmp_path: Path) -> None:
    site = _site(tmp_path)
    source = FIXTURES / "generic-outlet.txt"
    assert _import(site, str(source)).exit_code == 0
    written = site / f"content/2021/03/{SLUG}.md"
    before = written.read_bytes()
    # Without --date the input has no date; that must not be reported as a draft written.
    again = CliRunner().invoke(cli, ["import", str(source), "--site", str(site)])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        f"skipped  generic-outlet.txt -> content/2021/03/{SLUG}.md: already imported as {SLUG}.md "
        "(same content hash); --force replaces it",
        "Imported 0 (0 as drafts), skipped 1, failed 0.",
    ]
    assert written.read_bytes() == before
    assert not (site / "content/drafts").exists()


def test_a_different_article_with_the_same_slug_gets_a_suffix(tmp_path: Path) -> None:
    site = _site(tmp_path)
    first = FIXTURES / "generic-outlet.txt"
    second = tmp_path / "other.txt"
    second.write_text(
        first.read_text(encoding="utf-8").replace("third time", "fourth time"), encoding="utf-8"
    )
    assert _import(site, str(first)).exit_code == 0
    result = _import(site, str(second))
    assert result.exit_code == 0, result.output
    assert "is another article: written with a suffix" in result.output
    renamed = site / f"content/2021/03/{SLUG}-2.md"
    assert f'slug: "{SLUG}-2"' in renamed.read_text(encoding="utf-8")
    assert "third time" in (site / f"content/2021/03/{SLUG}.md").read_text(encoding="utf-8")
    build = CliRunner().invoke(cli, ["build", "--site", str(site), "--quiet"])
    assert build.exit_code == 0, build.output  # two articles, two URLs


def test_force_is_the_only_way_to_replace(tmp_path: Path) -> None:
    site = _site(tmp_path)
    source = FIXTURES / "generic-outlet.txt"
    assert _import(site, str(source)).exit_code == 0
    written = site / f"content/2021/03/{SLUG}.md"
    written.write_text("---\ntitle: Hand edit\ndate: 2021-03-03\n---\n\nMine.\n", encoding="utf-8")
    result = _import(site, str(source))  # no provenance hash now: a slug collision, not a re-import
    assert "written with a suffix" in result.output
    assert written.read_text(encoding="utf-8").startswith("---\ntitle: Hand edit")
    forced = _import(site, str(source), "--force")
    assert forced.exit_code == 0
    assert "replaced generic-outlet.txt" in forced.output
    assert "Fishing Fleets Idle" in (site / f"content/2021/03/{SLUG}-2.md").read_text(encoding="utf-8")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = _import(site, str(FIXTURES / "generic-outlet.txt"), "--dry-run")
    assert result.exit_code == 0
    assert f"imported generic-outlet.txt -> content/2021/03/{SLUG}.md" in result.output
    assert "Would import 1 (0 as drafts), skipped 0, failed 0 (dry run: nothing written)." in result.output
    assert not (site / "content").exists()


def test_an_undated_article_is_a_draft_that_builds(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "generic-outlet.txt"), "--site", str(site)])
    assert result.exit_code == 0
    assert "written as a draft; pass --date YYYY-MM-DD" in result.output
    draft = site / f"content/drafts/{SLUG}.md"
    text = draft.read_text(encoding="utf-8")
    assert "draft: true  # no publication date known" in text and "\ndate:" not in text
    build = CliRunner().invoke(cli, ["build", "--site", str(site), "--quiet", "--drafts"])
    assert build.exit_code == 0, build.output
    assert (
        f"content/drafts/{SLUG}.md: warning: undated draft: not built; add date: to publish it"
        in build.output
    )
    assert not list((site / "output").glob("*/*/" + SLUG))  # never published undated, even with --drafts
