"""The example site in the repository: the seed article, cleaned by hand, builds as described."""

from __future__ import annotations

from pathlib import Path

from lxml import html

from generator.build import BuildOptions, build
from tests.conftest import REPO

ARTICLE = "2020/02/turkey-rejoins-joint-russian-patrols-in-syria/index.html"
BOILERPLATE = (
    "Support The Moscow Times",
    "newsletter",
    "Dear readers",
    "Monthly",
    "Read more",
    "Remind me later",
)


def test_example_article_page(tmp_path: Path) -> None:
    build(REPO, BuildOptions(output=tmp_path / "out"))
    page = (tmp_path / "out" / ARTICLE).read_text(encoding="utf-8")
    doc = html.fromstring(page)
    assert doc.findtext(".//h1") == "Turkey Rejoins Joint Russian Patrols in Syria"
    assert doc.xpath("//time/@datetime")[0] == "2020-02-18"
    paragraphs = doc.xpath('//div[contains(@class, "article-body")]/p')
    assert len(paragraphs) == 9
    assert paragraphs[0].text_content().startswith("Turkish forces have resumed joint patrols")
    assert paragraphs[-1].text_content().endswith("said UN spokesman David Swanson.")
    assert "Syria’s last rebel stronghold killed Turkish troops." in page  # the caption, as summary
    assert "Reuters contributed reporting to this article." in page
    assert "syria.mil.ru" in page
    assert "The Moscow Times" in page
    for country in ("Turkey", "Russia", "Syria"):
        assert f">{country}</a>" in page
    for phrase in BOILERPLATE:
        assert phrase not in page


def test_example_site_has_every_kind_of_page(tmp_path: Path) -> None:
    build(REPO, BuildOptions(output=tmp_path / "out"))
    out = tmp_path / "out"
    for rel in (
        "index.html",
        "404.html",
        "countries/index.html",
        "countries/syria/index.html",
        "countries/syria/refugees/index.html",
        "topics/index.html",
        "topics/refugees/index.html",
        "tags/index.html",
        "archive/index.html",
        "2020/index.html",
        "2020/02/index.html",
        "assets/style.css",
        "assets/pygments.css",
    ):
        assert (out / rel).is_file(), rel
