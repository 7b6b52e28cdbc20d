"""Properties (hypothesis): arbitrary Unicode in every field either builds a sound site or fails clearly.

A tiny site is written per example, with arbitrary titles, summaries, tags, countries (valid names
mixed with arbitrary text), bodies (arbitrary text and Markdown-like fragments), slugs and site
titles, and built in-process. Then

- the build succeeds, or raises BuildFailed whose every problem names a file of the site and says
  what is wrong on one line (any other exception is a bug);
- on success every Atom feed parses (lxml and feedparser, no "bozo"), the sitemap parses, every
  JSON-LD block parses, every internal link resolves (tests/linkcheck.py), and every search index
  file (when the build writes them) is one call with JSON data;
- nothing is written outside the output folder (the site and its surroundings are unchanged).

``DATELINE_HYPOTHESIS_EXAMPLES`` sets the number of examples (default 200, about a minute and a
half on two cores); run it with 2000 by hand now and then.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from linkcheck import check_links

from generator.build import BuildOptions, build
from generator.errors import BuildFailed

EXAMPLES = int(os.environ.get("DATELINE_HYPOTHESIS_EXAMPLES", "200"))
# Hypothesis keeps caches in ./.hypothesis by default: not in the repository's work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "dateline-hypothesis")
BASE_URL = "https://example.org/archive/"
VALID_COUNTRIES = [
    "Syria",
    "SY",
    "NO",
    "Norway",
    "Türkiye",
    "Ivory Coast",
    "Syrian Arab Republic",
    "JP",
    "Brazil",
]
MARKDOWN_BITS = [
    "# ", "## ", "*", "**", "_", "`", "```", "\n", "\n\n", "    ", "> ", "- ", "1. ", "[a](b)", "[a](#x)",
    "![i](x.png)", "<b>", "</b>", "<script>", "&amp;", "&#0;", "| a | b |\n|---|---|\n", "[^1]", "[^1]: n",
    "<!--", "-->", "]]>", "\u2028", "\u202e", "\x00", "\ufeff", "{{ x }}", "{% if %}", "---", "+++", "\\",
]  # fmt: skip

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # Shrinking a failure can take minutes: CI reports the failure and its reproduction blob at once.
    phases=[Phase.explicit, Phase.generate]
    if os.environ.get("CI")
    else [Phase.explicit, Phase.generate, Phase.shrink],
    database=None,  # nothing written into the repository; a failure prints its reproduction blob
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text`` (controls and line breaks escaped)."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_string(text: str) -> str:
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\\x7f' else c for c in text) + '"'


texts = st.text(max_size=40)
bodies = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(MARKDOWN_BITS), st.text(max_size=8)), max_size=25).map("".join),
)


def article_strategy(wild: bool) -> st.SearchStrategy:
    """Arbitrary Unicode everywhere; unless ``wild``, shaped so that the article is valid."""

    def pick(tame: st.SearchStrategy, anything: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(tame, anything) if wild else tame

    return st.fixed_dictionaries(
        {
            "title": pick(texts.map(lambda t: "Talks " + t), texts),
            "date": st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)),
            "summary": st.none() | texts,
            "tags": st.lists(
                pick(st.text(max_size=15).map(lambda t: "tag " + t), st.text(max_size=15)), max_size=3
            ),
            "countries": st.lists(pick(st.sampled_from(VALID_COUNTRIES), st.text(max_size=12)), max_size=3),
            "slug": pick(
                st.none() | st.from_regex(r"[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?", fullmatch=True),
                st.text(max_size=20),
            ),
            "authors": st.lists(pick(texts.map(lambda t: "Jane " + t), texts), max_size=2),
            "body": bodies,
            "folder": st.sampled_from(["", "2020/", "x y/", "日本/"]),
        }
    )


# Half the sites are valid in shape with arbitrary text in every field; the rest may be wrong anywhere.
sites = st.booleans().flatmap(
    lambda wild: st.fixed_dictionaries(
        {
            "title": st.one_of(st.just("Property archive"), st.text(min_size=1, max_size=30)),
            "articles": st.lists(article_strategy(wild), min_size=1, max_size=3),
            "offline": st.booleans(),
        }
    )
)


def article_file(data: dict) -> str:
    lines = [f"title: {yaml_string(data['title'])}", f"date: {data['date'].isoformat()}"]
    if data["summary"] is not None:
        lines.append(f"summary: {yaml_string(data['summary'])}")
    if data["slug"] is not None:
        lines.append(f"slug: {yaml_string(data['slug'])}")
    for key in ("tags", "countries", "authors"):
        if data[key]:
            lines.append(f"{key}: [{', '.join(yaml_string(v) for v in data[key])}]")
    return "---\n" + "\n".join(lines) + "\n---\n\n" + data["body"] + "\n"


def write_site(root: Path, data: dict) -> Path:
    site = root / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text(
        f"title = {toml_string(data['title'])}\nbase_url = {toml_string(BASE_URL)}\npage_size = 2\n"
        '\n[[topics]]\nslug = "conflict"\nlabel = "Conflict"\n',
        encoding="utf-8",
    )
    for n, article in enumerate(data["articles"]):
        path = site / "content" / f"{article['folder']}a{n}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article_file(article), encoding="utf-8")
    return site


def snapshot(folder: Path, skip: set[str]) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] not in skip
    }


_JS_CALL = re.compile(r"^\s*[\w$.]+\s*\((?P<args>.*)\)\s*;?\s*$", re.S)


def check_output(out: Path, mode: str) -> None:
    """Everything a reader or a machine reads from the output parses, and every link leads somewhere."""
    for path in sorted(out.rglob("*.xml")):
        tree = lxml.etree.parse(str(path), lxml.etree.XMLParser(resolve_entities=False, no_network=True))
        if tree.getroot().tag == "{http://www.w3.org/2005/Atom}feed":
            parsed = feedparser.parse(path.read_bytes())
            assert not parsed.bozo, f"{path.relative_to(out)}: {parsed.bozo_exception}"
    assert (out / "sitemap.xml").is_file()
    # Links an author wrote in a body are the author's to get right; every other link is Dateline's.
    authors_links: set[str] = set()
    for path in sorted(out.rglob("*.html")):
        document = lxml.html.document_fromstring(path.read_bytes())
        for script in document.xpath('//script[@type="application/ld+json"]'):
            json.loads(script.text)
        authors_links |= set(
            document.xpath("//*[contains(@class, 'article-body')]//@*[name()='href' or name()='src']")
        )
    for path in sorted(out.glob("search/*.js")):
        match = _JS_CALL.match(path.read_text(encoding="utf-8"))
        assert match, f"{path.relative_to(out)}: not a single call"
        json.loads(f"[{match['args']}]")
    broken = [
        b
        for b in check_links(out, BASE_URL, mode)  # type: ignore[arg-type]
        # A footnote reference must reach its note (a note's back-link: see the xfail test below).
        if b.url not in authors_links or b.url.startswith("#fn:")
    ]
    assert not broken, "\n".join(str(b) for b in broken[:10])


@contextmanager
def example_folder(base: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@SETTINGS
@given(data=sites)
def test_any_text_builds_a_sound_site_or_fails_clearly(base: Path, data: dict) -> None:
    with example_folder(base) as root:
        site = write_site(root, data)
        before = snapshot(root, skip=set())
        mode = "offline" if data["offline"] else "clean"
        out = root / "out"
        try:
            build(site, BuildOptions(output=out, links=mode, cache=False, jobs=1))  # type: ignore[arg-type]
        except BuildFailed as exc:
            event("refused: " + re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", exc.diagnostics[0].message)[:50])
            assert exc.diagnostics
            for problem in exc.diagnostics:
                assert problem.path == "site.toml" or (site / problem.path).is_file(), problem
                assert problem.message.strip() and "\n" not in problem.message, problem
            assert not out.exists()
        else:
            event("built")
            check_output(out, mode)
        after = snapshot(root, skip={"out", ".out.dateline-back", ".out.lock"})
        assert after == before, "something was written outside the output folder"
        assert {p.name for p in root.iterdir()} <= {"site", "out", ".out.dateline-back", ".out.lock"}


# --- YAML 1.1 values and other corner cases, kept as written ----------------------------------------------


def test_yaml_11_values_are_kept_as_written(tmp_path: Path) -> None:
    """``NO`` is Norway, ``1.10`` stays "1.10", ``012`` a slug, ``on``/``y`` tags, ``10:00`` text."""
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text(f'title = "T"\nbase_url = "{BASE_URL}"\n', encoding="utf-8")
    (site / "content/a.md").write_text(
        "---\ntitle: 1.10\ndate: 2020-02-18\nslug: 012\ncountries: [NO]\ntags: [on, y, 'off', 0x1F]\n"
        "summary: 10:00\nauthors: [yes, null-island]\n---\n\nBody.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    build(site, BuildOptions(output=out, cache=False, jobs=1))
    page = lxml.html.document_fromstring((out / "2020/02/012/index.html").read_bytes())
    assert page.xpath("string(//h1)").strip() == "1.10"
    assert (out / "countries/norway/index.html").is_file()
    assert {p.name for p in (out / "tags").iterdir() if p.is_dir()} == {"on", "y", "off", "0x1f"}
    assert "10:00" in page.xpath("string(//p[@class='dek'])")
    assert "yes" in (out / "2020/02/012/index.html").read_text(encoding="utf-8")


WINDOWS_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?")


def test_no_output_path_is_a_windows_reserved_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text(f'title = "T"\nbase_url = "{BASE_URL}"\n', encoding="utf-8")
    for n, (title, extra) in enumerate([("Con", "tags: [AUX, nul]"), ("Talks", "slug: COM¹")]):
        (site / f"content/a{n}.md").write_text(
            f"---\ntitle: {title}\ndate: 2020-02-1{n}\ncountries: [Syria]\n{extra}\n---\n\nBody.\n",
            encoding="utf-8",
        )
    out = tmp_path / "out"
    try:
        build(site, BuildOptions(output=out, cache=False, jobs=1))
    except BuildFailed as exc:  # refusing them, with a message per file, is a fix too
        assert {d.path for d in exc.diagnostics} == {"content/a0.md", "content/a1.md"}
        return
    reserved = [p.relative_to(out).as_posix() for p in out.rglob("*") if WINDOWS_RESERVED.fullmatch(p.name)]
    assert not reserved


def test_an_unreferenced_footnote_has_no_broken_back_link(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text(f'title = "T"\nbase_url = "{BASE_URL}"\n', encoding="utf-8")
    (site / "content/a.md").write_text(
        "---\ntitle: Talks\ndate: 2020-02-18\n---\n\nText.\n\n[^a]: A note nothing refers to.\n",
        encoding="utf-8",
    )
    build(site, BuildOptions(output=tmp_path / "out", cache=False, jobs=1))
    assert not check_links(tmp_path / "out", BASE_URL, "clean")
