"""Each kind of input (HTML page, RSS, Atom, folders) and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.importer.reading import MAX_BYTES, sniff

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "importer"


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text((REPO / "site.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return site


def _import(site: Path, *args: str):
    return CliRunner().invoke(cli, ["import", *args, "--site", str(site)])


def _fields(path: Path) -> tuple[dict, str]:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body.strip()


def test_html_page_article_and_metadata(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = _import(site, str(FIXTURES / "page.html"))
    assert result.exit_code == 0, result.output
    fields, body = _fields(
        site / "content/2022/06/flood-waters-recede-in-bangladesh-as-aid-reaches-villages.md"
    )
    assert fields["title"] == "Flood Waters Recede in Bangladesh as Aid Reaches Villages"
    assert str(fields["date"]) == "2022-06-24"  # from article:published_time, never from the file
    assert fields["authors"] == ["Rina Akter"]
    assert fields["source"] == "The Delta Courier"
    assert fields["source_url"] == "https://courier.example.org/2022/06/24/flood-waters-recede"
    assert (
        fields["summary"]
        == "Relief convoys reached cut-off villages in northern Bangladesh as the water fell."
    )
    assert fields["countries"] == ["Bangladesh"] and fields["countries_mentioned"] == ["India"]
    assert "disaster" in fields["topics"]
    assert body.startswith("Flood waters began to recede") and body.count("\n\n") == 4
    for chrome in ("Home", "Most read", "Cricket team", "All rights reserved", "Privacy", "# Flood"):
        assert chrome not in body


def test_rss_feed_one_article_per_entry(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = _import(site, str(FIXTURES / "feed.rss"))
    assert result.exit_code == 0, result.output
    fields, body = _fields(site / "content/2023/05/kazakhstan-opens-new-grain-terminal-on-the-caspian.md")
    assert str(fields["date"]).startswith("2023-05-16 09:30:00")
    assert fields["source"] == "The Steppe Gazette"
    assert fields["authors"] == ["Aigerim Sadykova"]
    assert fields["provenance"]["file"] == "feed.rss#1"
    assert "alert" not in body and "<script" not in body  # the entry's HTML is sanitized
    assert body.startswith("Kazakhstan opened a grain terminal")
    assert (site / "content/2023/05/uzbekistan-and-kazakhstan-agree-on-water-sharing.md").exists()


def test_atom_feed_and_an_entry_without_text(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = _import(site, str(FIXTURES / "feed.atom"))
    assert result.exit_code == 1  # one entry failed; the other was imported
    assert "failed   feed.atom#2: entry 2 (Empty Entry) has no text" in result.output
    fields, _ = _fields(site / "content/2021/09/chile-votes-on-new-constitution-draft.md")
    assert fields["authors"] == ["Camila Rojas"] and fields["countries"] == ["Chile"]
    assert fields["source_url"] == "https://andes.example.org/chile-constitution"


def test_bad_inputs_get_clear_messages_and_the_batch_goes_on(tmp_path: Path) -> None:
    site = _site(tmp_path)
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "empty.txt").write_bytes(b"  \n\n")
    (batch / "binary.txt").write_bytes(bytes(range(256)) * 20)
    latin = "Ruling Party in Côte d'Ivoire Wins Vote\n\nVoters in Côte d'Ivoire returned the ruling party to power on Sunday, the electoral commission said after counting ended.\n\nTurnout was higher than at the previous election, observers said in Abidjan.\n"
    (batch / "latin1.txt").write_bytes(latin.encode("latin-1"))
    (batch / "no-article.html").write_text(
        (FIXTURES / "nav-only.html").read_text(encoding="utf-8"), encoding="utf-8"
    )
    big = batch / "huge.txt"
    with big.open("wb") as out:
        out.truncate(50 * 1024 * 1024)  # a sparse 50 MB file: no need to write the bytes
    (batch / "good.txt").write_text(
        (FIXTURES / "generic-outlet.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = _import(site, str(batch), "--date", "2021-03-03")
    assert result.exit_code == 1
    out = result.output
    assert "failed   empty.txt: empty file: nothing to import" in out
    assert "failed   binary.txt: binary file: expected plain text, an HTML page or an RSS/Atom feed" in out
    assert f"failed   huge.txt: file is 50.0 MB, more than the {MAX_BYTES // 1024 // 1024} MB limit" in out
    assert "failed   no-article.html: no article found in this page" in out
    assert "imported latin1.txt" in out and "not UTF-8 (line 1): read as" in out
    assert "imported good.txt" in out
    fields, _ = _fields(site / "content/2021/03/ruling-party-in-cote-d-ivoire-wins-vote.md")
    assert fields["title"] == "Ruling Party in Côte d'Ivoire Wins Vote"
    assert fields["countries"] == ["Ivory Coast"]
    assert "Imported 2 (0 as drafts), skipped 0, failed 4." in out


def test_a_missing_input_and_an_empty_folder(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (tmp_path / "empty").mkdir()
    result = _import(site, str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "nothing to import" in result.output
    result = _import(site, str(tmp_path / "nope.txt"))
    assert result.exit_code == 1
    assert "failed   nope.txt: no such file" in result.output


def test_kind_is_told_by_content() -> None:
    assert sniff('<?xml version="1.0"?><rss version="2.0">') == "feed"
    assert sniff("<feed xmlns='http://www.w3.org/2005/Atom'>") == "feed"
    assert sniff("<!DOCTYPE html><html><body><p>x</p>") == "html"
    assert sniff("Turkey Rejoins Joint Russian Patrols in Syria\n\nTurkish forces <b>have</b>") == "text"
