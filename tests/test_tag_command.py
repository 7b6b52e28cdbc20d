"""``dateline tag``: a dry run by default, --write edits only the tag keys, --explain says why."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from generator.importer.retag import edit_front_matter

REPO = Path(__file__).resolve().parent.parent
HAND = REPO / "content/2020/02/turkey-rejoins-joint-russian-patrols-in-syria.md"


def _site(tmp_path: Path, articles: dict[str, str]) -> Path:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text((REPO / "site.toml").read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in articles.items():
        (site / "content" / name).write_bytes(text.encode("utf-8"))
    return site


def _tag(site: Path, *args: str):
    return CliRunner().invoke(cli, ["tag", "--site", str(site), *args])


def _untagged() -> str:
    text = HAND.read_text(encoding="utf-8")
    assert "countries_mentioned: [Iran]\n" in text  # the example is fully tagged; strip it to see tag add it
    text = text.replace("countries_mentioned: [Iran]\n", "")
    text = text.replace("countries: [Turkey, Russia, Syria]\n", "countries: [Turkey]  # checked by hand\n")
    return text.replace("topics: [conflict, diplomacy, refugees]\n", "topics:\n  - conflict\n")


def test_dry_run_shows_changes_and_writes_nothing(tmp_path: Path) -> None:
    site = _site(tmp_path, {"a.md": _untagged()})
    before = (site / "content/a.md").read_bytes()
    result = _tag(site)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "content/a.md",
        "  countries: + Russia, + Syria",
        "  countries_mentioned: + Iran",
        "  topics: + diplomacy, + refugees",
        "1 article checked, 1 would change (dry run: --write applies the changes).",
    ]
    assert (site / "content/a.md").read_bytes() == before


def test_write_edits_only_the_tag_lines_byte_for_byte(tmp_path: Path) -> None:
    site = _site(tmp_path, {"a.md": _untagged()})
    before = (site / "content/a.md").read_text(encoding="utf-8")
    result = _tag(site, "--write")
    assert result.exit_code == 0, result.output
    after = (site / "content/a.md").read_text(encoding="utf-8")
    expected = before.replace(
        "countries: [Turkey]  # checked by hand\n",
        'countries: ["Turkey", "Russia", "Syria"]  # checked by hand\ncountries_mentioned: ["Iran"]\n',
    ).replace("topics:\n  - conflict\n", 'topics: ["conflict", "diplomacy", "refugees"]\n')
    assert after == expected
    assert _tag(site).output.endswith(
        "1 article checked, 0 would change (dry run: --write applies the changes).\n"
    )
    assert CliRunner().invoke(cli, ["build", "--site", str(site), "--quiet"]).exit_code == 0


def test_the_example_site_needs_no_retagging() -> None:
    # The shipped example is the seed cleaned by hand; if tag disagrees with it, one of them is wrong.
    result = _tag(REPO)
    assert result.exit_code == 0, result.output
    assert result.output == "1 article checked, 0 would change (dry run: --write applies the changes).\n"


def test_manual_tags_stay_unless_replace(tmp_path: Path) -> None:
    text = HAND.read_text(encoding="utf-8").replace(
        "countries: [Turkey, Russia, Syria]", "countries: [Turkey, Russia, Syria, NO]"
    )
    site = _site(tmp_path, {"a.md": text})
    kept = _tag(site, "--write")
    assert "- Norway" not in kept.output
    assert "countries: [Turkey, Russia, Syria, NO]" in (site / "content/a.md").read_text(encoding="utf-8")
    replaced = _tag(site, "--write", "--replace")
    assert "countries: - Norway" in replaced.output
    assert 'countries: ["Turkey", "Russia", "Syria"]\n' in (site / "content/a.md").read_text(encoding="utf-8")


def test_explain_says_why(tmp_path: Path) -> None:
    site = _site(tmp_path, {"a.md": HAND.read_text(encoding="utf-8")})
    result = _tag(site, "--explain", str(site / "content/a.md"))
    assert "content/a.md: no change" in result.output
    assert '    Iran: mentioned, weight 1: body "Iranian"' in result.output
    assert "    topic refugees: weight 3.5:" in result.output
    assert "    topic health: below the threshold" in result.output


def test_toml_front_matter_and_crlf_line_ends_are_kept() -> None:
    raw = '+++\r\ntitle = "X"\r\ncountries = [\r\n  "TR",\r\n]\r\ndate = 2020-02-18\r\n+++\r\n\r\nBody\r\n'
    edited = edit_front_matter(raw, {"countries": ["Turkey", "Syria"], "topics": ["conflict"]})
    assert edited == (
        '+++\r\ntitle = "X"\r\ncountries = ["Turkey", "Syria"]\r\ntopics = ["conflict"]\r\n'
        "date = 2020-02-18\r\n+++\r\n\r\nBody\r\n"
    )


def test_a_broken_article_is_reported_not_touched(tmp_path: Path) -> None:
    site = _site(tmp_path, {"bad.md": "---\ntitle: [unclosed\n---\nBody\n", "a.md": _untagged()})
    result = _tag(site, "--write")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith("content/bad.md:2: YAML syntax error: a [list] is not closed") for line in lines
    )
    assert lines[-1] == "2 articles checked, 1 changed."  # the good article is still tagged
    assert "countries_mentioned:" in (site / "content/a.md").read_text(encoding="utf-8")
    assert (site / "content/bad.md").read_text(encoding="utf-8") == "---\ntitle: [unclosed\n---\nBody\n"
