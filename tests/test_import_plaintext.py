"""Plain-text dumps from outlets without a profile, outlet profiles from site.toml, and batch boilerplate."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.importer.boilerplate import repeated_lines
from generator.importer.plaintext import clean_text, escape_markdown

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "importer"


def _site(tmp_path: Path, extra: str = "") -> Path:
    site = tmp_path / "site"
    site.mkdir(parents=True)
    (site / "site.toml").write_text(
        (REPO / "site.toml").read_text(encoding="utf-8") + extra, encoding="utf-8"
    )
    return site


def _fields(path: Path) -> tuple[dict, str]:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body.strip()


def test_generic_rules_on_an_unknown_outlet() -> None:
    cleaned = clean_text((FIXTURES / "generic-outlet.txt").read_text(encoding="utf-8"))
    assert cleaned.title == "Fishing Fleets Idle as Norway and Iceland Clash Over Mackerel Quotas"
    assert (
        cleaned.dek
        == "Boats stayed in port across the North Atlantic after talks collapsed for a third time."
    )
    assert cleaned.authors == ["Jane Doe", "Sam Roe"]
    assert cleaned.credits == {"agency": "AP contributed to this report."}
    assert [p[:20] for p in cleaned.paragraphs] == [
        "Hundreds of fishing ",
        "Norwegian fishing gr",
        "The European Union, ",
        "“We cannot plan a se",
        "Scientists have warn",
    ]
    # Stray whitespace (two spaces, a non-breaking space) is gone from line ends; the text is kept.
    assert cleaned.paragraphs[0].endswith("this year.")
    assert cleaned.paragraphs[-1].endswith("total quota.")
    reasons = {text: why for _, text, why in cleaned.dropped}
    assert reasons["Read more"] == "related-article links"
    assert reasons["Why warming seas are moving fish stocks"] == "related-article links"
    assert reasons["Comments (12)"] == "end-of-article marker"
    assert "Great article, thanks for covering this important issue for coastal towns like mine." in reasons
    assert reasons["© 2021 The Harbour Ledger. All rights reserved."] == "copyright line"
    assert cleaned.date_hint == "March 3, 2021"


def test_generic_import_writes_byline_authors_and_hints_at_the_date(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "import",
            str(FIXTURES / "generic-outlet.txt"),
            "--site",
            str(site),
            "--source",
            "The Harbour Ledger",
        ],
    )
    assert result.exit_code == 0, result.output
    assert 'the text shows a date ("March 3, 2021")' in result.output
    written = site / "content/drafts/fishing-fleets-idle-as-norway-and-iceland-clash-over-mackerel-quotas.md"
    fields, _ = _fields(written)
    assert fields["authors"] == ["Jane Doe", "Sam Roe"]
    assert fields["source"] == "The Harbour Ledger"
    assert fields["countries"] == ["Norway", "Iceland"]
    assert fields["draft"] is True


def test_outlet_profile_from_site_toml(tmp_path: Path) -> None:
    profile = """
[import]
[[import.outlets]]
name = "The Harbour Ledger"
banners = ["The Harbour Ledger"]
end_markers = ["Scientists have warned"]
"""
    site = _site(tmp_path, profile)
    result = CliRunner().invoke(
        cli, ["import", str(FIXTURES / "generic-outlet.txt"), "--site", str(site), "--date", "2021-03-03"]
    )
    assert result.exit_code == 0, result.output
    fields, body = _fields(
        site / "content/2021/03/fishing-fleets-idle-as-norway-and-iceland-clash-over-mackerel-quotas.md"
    )
    assert fields["source"] == "The Harbour Ledger"  # recognised by its banner
    assert "Scientists" not in body  # its end marker
    assert "line 2: The Harbour Ledger (The Harbour Ledger banner)" in result.output


def test_outlet_profile_from_a_profiles_file(tmp_path: Path) -> None:
    site = _site(tmp_path, '\n[import]\nprofiles = "outlets.toml"\n')
    (site / "outlets.toml").write_text(
        '[[outlets]]\nname = "Harbour Ledger"\naliases = ["The Harbour Ledger"]\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli,
        [
            "import",
            str(FIXTURES / "generic-outlet.txt"),
            "--site",
            str(site),
            "--profile",
            "harbour ledger",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Would import 1" in result.output


def test_unknown_profile_and_bad_profile_settings(tmp_path: Path) -> None:
    site = _site(tmp_path, '\n[[import.outlets]]\nbanner = ["x"]\n')
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "generic-outlet.txt"), "--site", str(site)])
    assert result.exit_code == 1
    assert "import.outlets[1]: an outlet needs a name" in result.output
    site2 = _site(tmp_path / "two")
    result = CliRunner().invoke(
        cli, ["import", str(FIXTURES / "generic-outlet.txt"), "--site", str(site2), "--profile", "Nope"]
    )
    assert result.exit_code == 2
    assert 'no outlet profile "Nope" (known: "The Moscow Times")' in result.output


def _dump(title: str, body: list[str]) -> str:
    chrome = [
        "Coastal Wire",
        "Home",
        "Regions",
        "Support our reporting today: every donation counts toward the next story",
    ]
    footer = [
        "Get the Coastal Wire daily digest in your inbox each morning, free of charge, sent at dawn.",
        "Coastal Wire 2021",
    ]
    return (
        "\n\n".join([*chrome, title, *body, "Reuters contributed reporting to this article.", *footer]) + "\n"
    )


def test_batch_boilerplate_lines_repeat_across_an_outlets_articles(tmp_path: Path) -> None:
    site = _site(tmp_path)
    batch = tmp_path / "batch"
    batch.mkdir()
    topics = ["harbour dredging", "ferry timetables", "a fish market", "the lighthouse"]
    for n, topic in enumerate(topics):
        body = [
            f"Council members in the port town voted on Monday to spend more money on {topic}, officials said after the meeting.",
            f"Residents had asked for years for {topic} to be improved, and several spoke in favour at the session.",
        ]
        (batch / f"{n}.txt").write_text(
            _dump(f"Council Backs Plan for {topic.title()}", body), encoding="utf-8"
        )
    repeated = repeated_lines([p.read_text(encoding="utf-8") for p in sorted(batch.glob("*.txt"))])
    assert (
        "Get the Coastal Wire daily digest in your inbox each morning, free of charge, sent at dawn."
        in repeated
    )
    assert "Reuters contributed reporting to this article." not in repeated  # a credit, not boilerplate
    result = CliRunner().invoke(cli, ["import", str(batch), "--site", str(site), "--date", "2021-05-01"])
    assert result.exit_code == 0, result.output
    assert "repeats in many articles of this outlet" in result.output
    written = sorted((site / "content/2021/05").glob("*.md"))
    assert len(written) == 4
    for path in written:
        fields, body = _fields(path)
        assert "digest" not in body and "donation" not in body
        assert body.count("\n\n") == 1  # the two paragraphs
        assert fields["credits"] == {"agency": "Reuters contributed reporting to this article."}


def test_markdown_markers_at_a_paragraph_start_are_escaped() -> None:
    assert escape_markdown("1. The first") == "1\\. The first"
    assert escape_markdown("# not a heading") == "\\# not a heading"
    assert escape_markdown("Plain “quoted” text — kept") == "Plain “quoted” text — kept"
