"""Hostile content: XSS payloads in every field an article, the site or an import can carry.

tests/hostile/payloads.txt holds the corpus (script tags in many spellings, event handlers,
``javascript:``/``vbscript:``/``data:`` URLs with entities and control characters, SVG and MathML,
CSS, frames and forms, ``</script>`` and comment breakouts, mutation XSS, Unicode tricks). One site
gets one article per payload with the payload in every free-text field of the front matter, in the
body (raw, as link and image URLs, titles and alt text, lists, quotes, tables, footnotes, code), as
a topic's label and description, and in site.toml; countries and topics written as payloads must
fail cleanly; HTML pages and text files carrying the payloads go through ``dateline import``.

The built output is then

- scanned statically: no ``on*`` attribute, no ``javascript:``/``vbscript:``/``data:`` URL (as a
  browser's URL parser would read it), no ``<script>`` but Dateline's own (JSON-LD that parses, and
  its own asset scripts), no iframe, object, embed, base, form or meta refresh; feeds and the sitemap
  parse, and HTML carried in feeds passes the same scan;
- opened in headless Chromium (Debian's, driven by Playwright) with ``alert``, ``confirm``,
  ``prompt`` and ``print`` replaced by a canary that every payload would call: 0 calls, 0 dialogs,
  0 scripts compiled from the page (counted through the DevTools protocol), 0 network requests.

``DATELINE_HOSTILE_PAGES=all`` opens every page in the browser (the default opens every article page
and every list page but a sample of the tag pages); ``DATELINE_HOSTILE_SITE_FIELDS=all`` builds a
site per payload pair for site.toml's title and description (default: a sample of 16).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from generator.build import BuildOptions, build
from generator.errors import BuildFailed
from tests.chromium_flags import CHROMIUM_ARGS as BASE_ARGS

HERE = Path(__file__).resolve().parent
PAYLOAD_FILE = HERE / "hostile" / "payloads.txt"
CHROMIUM_ARGS = [
    *BASE_ARGS,
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name is ever looked up: nothing can leave the machine
]

# --- the corpus -------------------------------------------------------------------------------------

_ESCAPES = re.compile(r"\{(NL|CR|TAB|NUL|U\+([0-9A-Fa-f]{4,6}))\}")
_NAMED = {"NL": "\n", "CR": "\r", "TAB": "\t", "NUL": "\0"}


def load_payloads() -> list[str]:
    payloads = []
    for line in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("##"):
            payloads.append(_ESCAPES.sub(lambda m: _NAMED.get(m[1]) or chr(int(m[2], 16)), line))
    return payloads


PAYLOADS = load_payloads()


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
    """A TOML basic string holding exactly ``text``."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def test_the_corpus_is_large_and_covers_every_kind() -> None:
    assert len(PAYLOADS) >= 150
    assert len(set(PAYLOADS)) == len(PAYLOADS), "a payload is listed twice"
    kinds = {
        "script tag": r"(?i)<\s*s\W*c\W*r\W*i\W*p\W*t",
        "event handler": r"(?i)\bon[a-z]+\s*=",
        "javascript: URL": r"(?i)j.{0,12}a.{0,12}v.{0,12}a.{0,12}s.{0,12}c.{0,12}r.{0,12}i.{0,12}p.{0,12}t",
        "vbscript: URL": r"(?i)vbscript:",
        "data: URL": r"(?i)data:",
        "SVG": r"(?i)<svg",
        "MathML": r"(?i)<math",
        "</script> breakout": r"(?i)</script",
        "comment breakout": r"<!--|-->",
        "CDATA end": r"\]\]>",
        "line separator": "[\u2028\u2029]",
        "bidi override": "\u202e",
        "zero width": "[\u200b\u200d\ufeff]",
        "CSS": r"(?i)expression\(|url\(",
        "iframe srcdoc": r"(?i)srcdoc",
        "meta refresh": r"(?i)http-equiv",
        "base href": r"(?i)<base",
        "form action": r"(?i)formaction|<form",
        "template/noscript": r"(?i)<template|<noscript",
        "entities": r"&#x?[0-9a-f]+;?",
        "Markdown link": r"\]\(",
    }
    missing = [kind for kind, pattern in kinds.items() if not any(re.search(pattern, p) for p in PAYLOADS)]
    assert not missing


# --- the hostile site -----------------------------------------------------------------------------------

SITE_TOML = """\
title = {title}
description = {description}
base_url = "https://example.org/archive/"
page_size = 20

[[topics]]
slug = "conflict"
label = "Conflict"
{topics}"""


def article(index: int, payload: str) -> str:
    """One article with ``payload`` in every free-text field and in every part of the body."""
    published = date(2019, 1, 1) + timedelta(days=3 * index)
    y = yaml_string(payload)
    credits = f"{{photo: {y}, agency: {y}}}" if index % 2 == 0 else f"[{y}]"
    summary = f"summary: {y}\n" if index % 2 == 0 else ""  # odd ones: summary from the body
    source_url = yaml_string("https://x.test/" + payload)
    tag = yaml_string(f"{payload} t{index}")
    front = (
        f"title: {y}\ndate: {published.isoformat()}\nslug: p{index:03d}\n{summary}source: {y}\n"
        f"source_url: {source_url}\nauthors: [{y}, Jane Doe]\n"
        f"credits: {credits}\ncountries: [Syria]\ntopics: [conflict, t{index:03d}]\ntags: [{tag}, {y}]\n"
    )
    p = payload
    body = f"""\
{p}

Text with [a link]({p}) and [a titled link](x "{p}") and ![{p}]({p}) and ![alt](x "{p}").

<a href="{html.escape(p)}" title="{html.escape(p)}">raw link</a> <img alt="{html.escape(p)}" src="{html.escape(p)}">

* {p}
* [{p}](#x)

> {p}

| column | {p} |
|---|---|
| {p} | x |

A footnote.[^n{index}]

[^n{index}]: {p}

Inline `{p}` code.

    {p}

```html
{p}
```

A [reference link][r{index}] and <{p}>.

[r{index}]: {p} "{p}"
"""
    return f"---\n{front}---\n\n{body}"


def topic_tables(payloads: list[str]) -> str:
    return "".join(
        f'\n[[topics]]\nslug = "t{i:03d}"\nlabel = {toml_string(p + f" t{i}")}\n'
        f"description = {toml_string(p)}\n"
        for i, p in enumerate(payloads)
    )


def write_hostile_site(site: Path, payloads: list[str], title: str, description: str) -> None:
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text(
        SITE_TOML.format(
            title=toml_string(title), description=toml_string(description), topics=topic_tables(payloads)
        ),
        encoding="utf-8",
    )
    for i, payload in enumerate(payloads):
        (site / f"content/p{i:03d}.md").write_text(article(i, payload), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hostile site built in both link modes; the offline build is the one the browser opens."""
    work = tmp_path_factory.mktemp("hostile")
    site = work / "site"
    write_hostile_site(
        site, PAYLOADS, "Hostile archive <script>alert(1)</script>", "<img src=x onerror=alert(1)>"
    )
    builds = {"site": site}
    for mode in ("clean", "offline"):
        result = build(site, BuildOptions(output=work / mode, links=mode, cache=False))  # type: ignore[arg-type]
        assert result.articles == len(PAYLOADS)
        builds[mode] = work / mode
    return builds


# --- the static scan --------------------------------------------------------------------------------------

URL_ATTRIBUTES = frozenset(
    re.findall(
        r"\S+",
        "href src action formaction xlink:href data poster background cite longdesc lowsrc dynsrc ping "
        "codebase archive manifest icon profile usemap itemtype",
    )
)
FORBIDDEN_ELEMENTS = frozenset(
    re.findall(r"\w+", "iframe frame frameset object embed applet base portal isindex param xmp plaintext")
)
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
OWN_SCRIPT = re.compile(r"(?:^|/)(?:assets/search(?:-core)?\.js|search/[\w.-]+\.js)$")
C0_OR_SPACE = "".join(chr(c) for c in range(0x21))


def dangerous_url(value: str) -> bool:
    """True when a browser would run or render ``value`` as script or a document of its own.

    As the URL parser does: tabs and newlines anywhere are removed, C0 controls and spaces at
    the ends are stripped, the scheme is compared without case (character references are already
    decoded by the HTML parser)."""
    url = re.sub(r"[\t\n\r]", "", value).strip(C0_OR_SPACE).lower()
    return url.startswith(DANGEROUS_SCHEMES)


@dataclass
class _Tag:
    name: str
    attrs: list[tuple[str, str | None]]


class _Page(HTMLParser):
    """Tags with attributes as a browser's tokenizer reads them (character references decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[_Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(_Tag(tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(_Tag(tag, attrs))


def _tokenized(text: str) -> list[_Tag]:
    page = _Page()
    page.feed(text)
    page.close()
    return page.tags


def _parsed(text: str, fragment: bool) -> list[_Tag]:
    if not text.strip():
        return []
    root = (
        lxml.html.fragment_fromstring(text, create_parent="div")
        if fragment
        else lxml.html.document_fromstring(text)
    )
    return [_Tag(el.tag.lower(), list(el.attrib.items())) for el in root.iter() if isinstance(el.tag, str)]


def scan_html(text: str, where: str, *, fragment: bool = False, thorough: bool = True) -> list[str]:
    """Every piece of active content in an HTML page (or a fragment carried by a feed).

    Tags are read twice: as lxml (libxml2) parses the page, and, when ``thorough``, as Python's
    tokenizer reads it (closer to a browser's for character references in attributes)."""
    problems: list[str] = []
    tags = _parsed(text, fragment) + (_tokenized(text) if thorough else [])
    for tag in tags:
        for name, value in tag.attrs:
            value = value or ""
            if name.startswith("on"):
                problems.append(f"{where}: <{tag.name} {name}=...> event handler")
            if name in URL_ATTRIBUTES and dangerous_url(value):
                problems.append(f"{where}: <{tag.name} {name}={value[:60]!r}>")
            if name == "srcset" and any(dangerous_url(c.split()[0]) for c in value.split(",") if c.strip()):
                problems.append(f"{where}: <{tag.name} srcset={value[:60]!r}>")
            if name in ("srcdoc", "formaction"):
                problems.append(f"{where}: <{tag.name} {name}=...>")
            if name == "style" and re.search(
                r"(?i)expression|javascript|behavior|-moz-binding|@import", value
            ):
                problems.append(f"{where}: <{tag.name} style={value[:60]!r}>")
        attrs = dict(tag.attrs)
        if tag.name in FORBIDDEN_ELEMENTS:
            problems.append(f"{where}: <{tag.name}> element")
        if tag.name == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"{where}: <meta http-equiv=refresh>")
        if tag.name == "form" and (fragment or "action" in attrs or attrs.get("id") != "dl-search"):
            problems.append(f"{where}: <form> that is not Dateline's search form")
        if tag.name == "link" and (attrs.get("rel") or "").lower() not in (
            "stylesheet",
            "canonical",
            "alternate",
            "icon",
        ):
            problems.append(f"{where}: <link rel={attrs.get('rel')!r}>")
        if tag.name == "script":
            own_data = attrs.get("type") == "application/ld+json" and "src" not in attrs and not fragment
            own_code = bool(attrs.get("src")) and OWN_SCRIPT.search(attrs.get("src") or "") and not fragment
            if not (own_data or own_code):
                problems.append(f"{where}: <script {attrs}> that is not Dateline's")
        if tag.name == "style" and fragment:
            problems.append(f"{where}: <style> in carried HTML")
    if not fragment:
        problems += _check_structure(text, where)
    return sorted(set(problems), key=problems.index)


def _check_structure(text: str, where: str) -> list[str]:
    """The parsed page holds exactly the scripts the tokenizer saw, and each JSON-LD block parses."""
    problems = []
    document = lxml.html.document_fromstring(text)
    scripts = document.xpath("//script")
    if len(re.findall(r"(?i)<script[\s>/]", text)) != len(scripts):
        problems.append(f"{where}: the text holds more '<script' than the page has script elements")
    for script in scripts:
        if script.get("type") == "application/ld+json":
            try:
                json.loads(script.text or "")
            except ValueError as exc:
                problems.append(f"{where}: JSON-LD does not parse ({exc})")
    for style in document.xpath("//style"):
        if style.getparent() is None or style.getparent().tag != "head":
            problems.append(f"{where}: <style> outside <head>")
        elif re.search(r"(?i)expression|javascript:|@import|behavior", style.text or ""):
            problems.append(f"{where}: active CSS in <style>")
    return problems


ATOM = "{http://www.w3.org/2005/Atom}"


def scan_xml(path: Path, where: str) -> list[str]:
    """Feeds and sitemaps parse; HTML a feed carries (type="html" or "xhtml") passes the page scan."""
    import feedparser

    problems = []
    try:
        tree = lxml.etree.parse(str(path), lxml.etree.XMLParser(resolve_entities=False, no_network=True))
    except lxml.etree.XMLSyntaxError as exc:
        return [f"{where}: does not parse: {exc}"]
    if tree.docinfo.internalDTD is not None:
        problems.append(f"{where}: declares a DTD")
    root = tree.getroot()
    if root.tag == f"{ATOM}feed":
        parsed = feedparser.parse(path.read_bytes())
        if parsed.bozo:
            problems.append(f"{where}: feedparser: {parsed.bozo_exception}")
        for element in root.iter(
            f"{ATOM}title", f"{ATOM}subtitle", f"{ATOM}summary", f"{ATOM}content", f"{ATOM}rights"
        ):
            kind = element.get("type", "text")
            if kind == "html":
                problems += scan_html(
                    element.text or "", f"{where} <{element.tag[len(ATOM) :]}>", fragment=True
                )
            elif kind == "xhtml":
                markup = "".join(lxml.etree.tostring(child, encoding="unicode") for child in element)
                problems += scan_html(markup, f"{where} <{element.tag[len(ATOM) :]}>", fragment=True)
        for link in root.iter(f"{ATOM}link"):
            if dangerous_url(link.get("href", "")):
                problems.append(f"{where}: <link href={link.get('href')!r}>")
    return problems


_JS_CALL = re.compile(r"^\s*[\w$.]+\s*\((?P<args>.*)\)\s*;?\s*$", re.S)


def scan_search_script(path: Path, where: str) -> list[str]:
    """A search index file is one call with JSON arguments: nothing in it can end a string early."""
    text = path.read_text(encoding="utf-8")
    match = _JS_CALL.match(text)
    if not match:
        return [f"{where}: not a single call with data"]
    try:
        json.loads(f"[{match['args']}]")
    except ValueError as exc:
        return [f"{where}: the data is not JSON ({exc})"]
    if re.search(r"(?i)</script|<!--", text):
        return [f"{where}: holds '</script' or '<!--', which would end an inline script"]
    return []


def scan_output(root: Path) -> tuple[list[str], int]:
    problems: list[str] = []
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".html":
            # Dateline's templates escape every field alike; the sanitized article bodies get both parsers.
            article_page = re.fullmatch(r"\d{4}/\d{2}/[^/]+/index\.html", rel) is not None
            problems += scan_html(path.read_text(encoding="utf-8"), rel, thorough=article_page)
        elif path.suffix == ".xml":
            problems += scan_xml(path, rel)
        elif path.suffix == ".js" and rel.startswith("search/"):
            problems += scan_search_script(path, rel)
    return problems, len(files)


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scanner itself: each kind of active content in a page is reported."""
    page = textwrap.dedent(
        """\
        <html><head><script type="application/ld+json">{"a": 1}</script></head><body>
        <img src=x onerror=alert(1)><a href="java&#x09;script:alert(1)">x</a><a href=" DATA:text/html,x">x</a>
        <iframe></iframe><script>alert(1)</script><form action=x></form>
        <meta http-equiv=Refresh content="0;url=x"><div style="width:expression(alert(1))"></div>
        </body></html>"""
    )
    problems = scan_html(page, "page")
    for expected in ("onerror", "java", "DATA", "<iframe>", "not Dateline's", "<form>", "refresh", "style"):
        assert any(expected in p for p in problems), expected
    assert not scan_html('<a href="javascript-tutorial.html">x</a><a href="java script:x">x</a>', "page")


@pytest.mark.parametrize("mode", ["clean", "offline"])
def test_built_output_carries_no_active_content(hostile: dict[str, Path], mode: str) -> None:
    problems, files = scan_output(hostile[mode])
    assert files > len(PAYLOADS) * 2
    assert not problems, f"{len(problems)} problems, first: " + "\n".join(problems[:20])


def _shown(text: str) -> str:
    """What a page shows of a text field: whitespace collapsed (controls may be dropped)."""
    return " ".join(text.split())


def test_payloads_are_shown_as_text_not_dropped(hostile: dict[str, Path]) -> None:
    """Nothing lost: each payload is the article's heading, as plain text, and its page's title."""
    lost = []
    for i, payload in enumerate(PAYLOADS):
        page = next(hostile["clean"].glob(f"20*/*/p{i:03d}/index.html"))
        document = lxml.html.fromstring(page.read_bytes())
        heading = _shown(document.xpath("string(//h1)"))
        wanted = _shown(payload)
        if heading.replace("\ufffd", "").replace("\x00", "") != wanted.replace("\x00", ""):
            lost.append(f"p{i:03d}: heading {heading[:50]!r} != {wanted[:50]!r}")
    assert not lost, "\n".join(lost[:20])


def test_countries_and_topics_written_as_payloads_fail_cleanly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text(
        SITE_TOML.format(title='"T"', description='"D"', topics=""), encoding="utf-8"
    )
    for i, payload in enumerate(PAYLOADS):
        y = yaml_string(payload)
        (site / f"content/p{i:03d}.md").write_text(
            f"---\ntitle: Article {i}\ndate: 2020-01-01\nslug: p{i:03d}\ncountries:\n  - {y}\n"
            f"topics:\n  - {y}\n---\n\nBody.\n",
            encoding="utf-8",
        )
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(output=tmp_path / "out", cache=False))
    by_file: dict[str, set[tuple[int | None, str]]] = {}
    for problem in failed.value.diagnostics:
        assert "\n" not in problem.message and "\r" not in problem.message, problem
        by_file.setdefault(problem.path, set()).add((problem.line, problem.message.split(":")[0]))
    assert len(by_file) == len(PAYLOADS)
    assert all(lines == {(6, "countries"), (8, "topics")} for lines in by_file.values()), by_file
    assert not (tmp_path / "out").exists()


def _site_field_pairs() -> list[tuple[str, str]]:
    pairs = list(zip(PAYLOADS[::2], PAYLOADS[1::2], strict=False))
    if os.environ.get("DATELINE_HOSTILE_SITE_FIELDS") == "all":
        return pairs
    return pairs[:: max(1, len(pairs) // 16)]


def test_site_title_and_description_payloads(tmp_path: Path) -> None:
    """site.toml's title and description are on every page, in every feed and in the metadata."""
    problems = []
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "content/a.md").write_text(
        "---\ntitle: An article\ndate: 2020-01-01\ncountries: [Syria]\ntopics: [conflict]\ntags: [x]\n---\n\nBody.\n",
        encoding="utf-8",
    )
    for n, (title, description) in enumerate(_site_field_pairs()):
        (site / "site.toml").write_text(
            SITE_TOML.format(title=toml_string(title), description=toml_string(description), topics=""),
            encoding="utf-8",
        )
        out = tmp_path / f"out{n}"
        try:
            build(site, BuildOptions(output=out, cache=False, jobs=1))
        except BuildFailed as exc:  # a title that makes no feed authority, say: refused cleanly is fine
            assert all("\n" not in d.message for d in exc.diagnostics)
            continue
        found, _ = scan_output(out)
        problems += found
        shutil.rmtree(out)
    assert not problems, "\n".join(problems[:20])


# --- imported HTML pages and text files ------------------------------------------------------------------


def _chunks(items: list[str], size: int) -> Iterator[tuple[int, list[str]]]:
    for start in range(0, len(items), size):
        yield start // size, items[start : start + size]


_WORDS = re.findall(
    r"\w+",
    "relief convoys reached villages across the north on friday as flood waters began to recede and "
    "officials said families returned to homes filled with mud while doctors warned of disease and aid "
    "groups asked for clean water tents and food for the thousands still living in shelters",
)


def _prose(seed: int) -> str:
    """A sentence of running text, different for every seed (repeated lines are dropped as boilerplate)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(28, 40))).capitalize() + "."


def _printable(text: str) -> str:
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


def write_import_inputs(folder: Path) -> None:
    """HTML pages and text files with ten payloads each, in the places a scraped page has text."""
    folder.mkdir()
    for n, chunk in _chunks(PAYLOADS, 10):
        first = html.escape(chunk[0])
        paragraphs = "\n".join(
            f"<p>{_prose(n * 100 + i)} {p}</p>\n<p>{_prose(n * 100 + 50 + i)} {html.escape(p)} "
            f'<a href="{html.escape(p)}">link {html.escape(p)}</a> <img alt="{html.escape(p)}" src="{html.escape(p)}"></p>'
            for i, p in enumerate(chunk)
        )
        (folder / f"page{n:02d}.html").write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">\n'
            f"<title>Relief reaches villages {n} {first} | The Courier</title>\n"
            f'<meta name="description" content="{first}"><meta name="author" content="{first}">\n'
            f'<meta property="article:published_time" content="2022-06-24T08:15:00+06:00">\n'
            f"</head><body><article><h1>Relief reaches villages {n} {chunk[0]}</h1>\n"
            f'<p class="byline">By {first}</p>\n{paragraphs}\n</article></body></html>\n',
            encoding="utf-8",
        )
        # Text files carry no control characters: those make a file binary, which import refuses.
        lines = "\n\n".join(
            f"{_prose(n * 1000 + i)}\n\n{_prose(n * 1000 + 500 + i)} {_printable(p)}"
            for i, p in enumerate(chunk)
        )
        (folder / f"text{n:02d}.txt").write_text(
            f"Fishing fleets idle as talks collapse {n} {_printable(chunk[0])}\nBy {_printable(chunk[-1])}\n"
            f"March 3, 2021\n\n{lines}\n",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from generator.importer.pipeline import ImportOptions, run_import

    work = tmp_path_factory.mktemp("imported")
    site = work / "site"
    (site / "content").mkdir(parents=True)
    shutil.copy(HERE.parent / "site.toml", site / "site.toml")
    write_import_inputs(work / "inputs")
    _, outcomes = run_import(site, [work / "inputs"], ImportOptions(date=date(2021, 3, 3)))
    done = [o for o in outcomes if o.status in ("new", "renamed", "replaced")]
    assert len(done) >= len(list((work / "inputs").iterdir())) * 0.8, [(o.name, o.message) for o in outcomes]
    text = "".join(p.read_text(encoding="utf-8") for p in (site / "content").rglob("*.md"))
    assert "onerror" in text and "alert(1)" in text, "the payloads did not reach the imported articles"
    out = work / "offline"
    build(site, BuildOptions(output=out, links="offline", drafts=True, cache=False))
    return out


def test_imported_payloads_carry_no_active_content(imported: Path) -> None:
    problems, _ = scan_output(imported)
    assert not problems, "\n".join(problems[:20])


# --- the browser ------------------------------------------------------------------------------------------

CANARY = """
(() => {
  const calls = [];
  Object.defineProperty(window, "__canary", {value: calls, writable: false, configurable: false});
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    const fake = function (...args) { calls.push(name + "(" + String(args[0]) + ")"); };
    Object.defineProperty(window, name, {value: fake, writable: false, configurable: false});
  }
})();
"""


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: see .ci/run)")
    pytest.skip(reason)


@dataclass
class BrowserReport:
    pages: int = 0
    canary: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return self.canary + self.dialogs + self.scripts + self.requests + self.frames


class Browser:
    """One Chromium page with the canary in every frame and the DevTools protocol counting scripts."""

    def __init__(self, playwright: object, executable: str) -> None:
        self.browser = playwright.chromium.launch(  # type: ignore[attr-defined]
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        self.context = self.browser.new_context(service_workers="block")
        self.context.add_init_script(CANARY)
        self.report = BrowserReport()
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.where = ""
        cdp = self.context.new_cdp_session(self.page)
        cdp.on("Debugger.scriptParsed", self._script)
        cdp.send("Debugger.enable")

    def _route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.report.requests.append(f"{self.where}: request to {url[:80]}")
            route.abort()  # type: ignore[attr-defined]

    def _dialog(self, dialog: object) -> None:
        self.report.dialogs.append(f"{self.where}: dialog {dialog.message!r}")  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    def _script(self, event: dict) -> None:
        url = event.get("url", "")
        # Scripts the test itself injects (the canary, Playwright's own) have no URL; a page's inline
        # scripts and event handlers carry the page's URL; Dateline's asset scripts their file's.
        if url and not OWN_SCRIPT.search(url.split("?")[0]):
            self.report.scripts.append(
                f"{self.where}: script compiled from {url[-60:]} ({event.get('length')} chars)"
            )

    def visit(self, path: Path, root: Path) -> None:
        self.where = path.relative_to(root).as_posix()
        self.page.goto(path.as_uri(), wait_until="load")
        self.count()

    def count(self) -> None:
        """Canary calls of the page now shown (a reload empties the page's list: read after each)."""
        self.report.pages += 1
        frames = self.page.frames
        if len(frames) > 1:
            self.report.frames.append(f"{self.where}: {len(frames) - 1} frames")
        # Asking the page is a round trip: anything queued at load (ontoggle, timers at 0) has run.
        for frame in frames:
            for call in frame.evaluate("Array.from(window.__canary || [])"):
                self.report.canary.append(f"{self.where}: {call}")

    def search(self, path: Path, root: Path, queries: list[str]) -> None:
        """Type queries into Dateline's search page and let the results render."""
        self.visit(path, root)
        field_ = self.page.locator("input[type=search]")
        if not field_.count():
            return
        for query in queries:
            field_.first.fill(query)
            self.page.wait_for_timeout(300)
            for call in self.page.evaluate("Array.from(window.__canary)"):
                if f"{self.where}: {call}" not in self.report.canary:
                    self.report.canary.append(f"{self.where} ({query!r}): {call}")

    def close(self) -> None:
        self.context.close()
        self.browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = next(
        (
            c
            for c in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
            if c and Path(c).is_file()
        ),
        None,
    )
    if executable is None:
        _missing("no chromium on this machine (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = Browser(playwright, executable)  # type: ignore[arg-type]
        try:
            yield chromium
        finally:
            chromium.close()


def pages_to_open(root: Path) -> list[Path]:
    """Every page of every kind; by default all article and date pages, one in eight of the rest.

    Tag, topic and country-and-topic pages come one per payload (each payload is a tag and a topic
    label): a sample of them covers the kind, the article pages carry every payload."""
    pages = sorted(root.rglob("*.html"))
    if os.environ.get("DATELINE_HOSTILE_PAGES") == "all":
        return pages

    def per_payload(page: Path) -> bool:
        parts = page.relative_to(root).parts
        return (parts[0] in ("tags", "topics") and len(parts) > 2) or (
            parts[0] == "countries" and len(parts) > 3
        )

    many = [p for p in pages if per_payload(p)]
    sample = set(random.Random(7).sample(many, max(1, len(many) // 8)))
    return [p for p in pages if not per_payload(p) or p in sample]


def test_browser_runs_no_payload(hostile: dict[str, Path], browser: Browser) -> None:
    root = hostile["offline"]
    pages = pages_to_open(root)
    kinds = {p.relative_to(root).parts[0] for p in pages}
    assert {"countries", "topics", "tags", "archive", "index.html", "404.html"} <= kinds | {"index.html"}
    before = browser.report.pages
    for path in pages:
        browser.visit(path, root)
    search = root / "search" / "index.html"
    if search.exists():  # the search page, with queries that match the payloads
        browser.search(search, root, ["script", "alert", "onerror img", "javascript", "svg onload", "p001"])
    report = browser.report
    print(f"opened {report.pages - before} pages in Chromium")
    assert report.pages - before == len(pages) + search.exists()
    assert not report.problems(), "\n".join(report.problems()[:20])


def test_browser_runs_no_imported_payload(imported: Path, browser: Browser) -> None:
    for path in sorted(imported.rglob("*.html")):
        if path.relative_to(imported).parts[0] not in ("tags", "countries", "topics"):
            browser.visit(path, imported)
    assert not browser.report.problems(), "\n".join(browser.report.problems()[:20])


def test_the_canary_sees_a_payload_that_runs(tmp_path: Path, browser: Browser) -> None:
    """The browser check itself: an unsanitized page trips every detector."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!doctype html><body><img src=x onerror=alert(1)><script>confirm(2)</script>"
        "<iframe srcdoc='<script>parent.prompt(3)</script>'></iframe></body>",
        encoding="utf-8",
    )
    report = browser.report
    seen = (len(report.canary), len(report.scripts), len(report.frames))
    browser.visit(page, tmp_path)
    browser.page.wait_for_timeout(200)
    new_calls = report.canary[seen[0] :]
    assert any("alert(1)" in c for c in new_calls) and any("confirm(2)" in c for c in new_calls)
    assert len(report.scripts) > seen[1] and len(report.frames) > seen[2]
    del report.canary[seen[0] :], report.scripts[seen[1] :], report.frames[seen[2] :]
