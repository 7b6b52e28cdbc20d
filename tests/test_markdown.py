"""Tests for generator.markdown: rendering, sanitizing, plain-text views, toc, CSS."""

from __future__ import annotations

import html
import re
import threading

import pytest

import generator.markdown as gm
from generator.markdown import MARKDOWN_SETTINGS_VERSION, pygments_css, render_markdown
from generator.model import RenderedBody

_URL_ATTR_RE = re.compile(r'\s(?:href|src)="([^"]*)"')
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_SAFE_SCHEMES = {"http", "https", "mailto"}


def _url_schemes(fragment: str) -> set[str]:
    """Schemes a browser would see in the href/src attributes of ``fragment``."""
    schemes = set()
    for raw in _URL_ATTR_RE.findall(fragment):
        # What browsers do before looking at the scheme: decode, drop leading
        # controls/spaces, drop tabs and newlines anywhere.
        url = html.unescape(raw).lstrip("".join(map(chr, range(0x21))))
        url = re.sub(r"[\t\n\r]", "", url).lower()
        match = _SCHEME_RE.match(url)
        if match:
            schemes.add(match.group(1))
    return schemes


def test_imports_the_third_party_markdown_package() -> None:
    # generator/markdown.py must not shadow (or import itself as) the library.
    assert gm.markdown.__name__ == "markdown"
    assert hasattr(gm.markdown, "Markdown")


def test_returns_rendered_body() -> None:
    result = render_markdown("Hello *world*.")
    assert isinstance(result, RenderedBody)
    assert result == RenderedBody(
        html="<p>Hello <em>world</em>.</p>", summary="Hello world.", text="Hello world.", words=2
    )


def test_empty_body() -> None:
    assert render_markdown("") == RenderedBody(html="", summary="", text="", words=0, toc=())


def test_settings_version_is_a_stable_string() -> None:
    assert isinstance(MARKDOWN_SETTINGS_VERSION, str)
    assert MARKDOWN_SETTINGS_VERSION
    assert gm._settings_digest() in MARKDOWN_SETTINGS_VERSION


# -- Markdown features -----------------------------------------------------------------------------


def test_tables_with_alignment() -> None:
    body = "| Left | Centre | Right |\n|:-----|:------:|------:|\n| a | b | c |\n"
    out = render_markdown(body).html
    assert "<table>" in out
    assert "<thead>" in out
    assert "<tbody>" in out
    assert '<th align="left">Left</th>' in out
    assert '<th align="center">Centre</th>' in out
    assert '<td align="right">c</td>' in out
    assert "style=" not in out


def test_footnotes_refs_and_backrefs_survive_sanitizing() -> None:
    body = "Claim[^src] and another[^2].\n\n[^src]: The source.\n[^2]: Second note.\n"
    out = render_markdown(body).html
    assert '<sup id="fnref:src"><a class="footnote-ref" href="#fn:src">1</a></sup>' in out
    assert '<sup id="fnref:2"><a class="footnote-ref" href="#fn:2">2</a></sup>' in out
    assert '<div class="footnote">' in out
    assert '<li id="fn:src">' in out
    assert (
        '<a class="footnote-backref" href="#fnref:src" title="Jump back to footnote 1 in the text">↩</a>'
        in out
    )
    assert 'href="#fnref:2"' in out


def test_raw_html_cannot_use_arbitrary_link_classes() -> None:
    out = render_markdown(
        '<p><a href="/x" class="site-nav">x</a> <a class="footnote-ref" href="#a">1</a></p>'
    ).html
    assert "site-nav" not in out
    assert '<a href="/x">x</a>' in out
    assert '<a class="footnote-ref" href="#a">1</a>' in out


def test_fenced_code_is_highlighted() -> None:
    out = render_markdown('```python\ndef f(x):\n    return "<b>"\n```\n').html
    assert out.startswith('<div class="highlight"><pre><span></span><code>')
    assert '<span class="k">def</span>' in out
    assert '<span class="nf">f</span>' in out
    # The code's own markup is text, escaped, not HTML.
    assert "&lt;b&gt;" in out
    assert "<b>" not in out


def test_fenced_code_without_language_is_not_guessed() -> None:
    out = render_markdown("```\ndef f(x):\n    return 1\n```\n").html
    assert '<div class="highlight">' in out
    assert '<span class="k">' not in out
    assert "def f(x):" in out


@pytest.mark.parametrize(
    "body",
    [
        "```python\ndef f():\n    return 1\n```\n",
        '```python hl_lines="1 3"\na = 1\nb = 2\nc = 3\n```\n',
        "```js\nlet x = `a${b}`;\n```\n",
        "```nosuchlang\nx < y\n```\n",
        "    #!/bin/sh\n    echo hi\n",
        "    :::python\n    x = 1\n",
    ],
)
def test_cached_formatter_matches_codehilite_default(body: str) -> None:
    # The shared formatter instances must not change a byte of what codehilite's
    # default (a fresh formatter looked up by name per block) produces.
    configs = {name: dict(config) for name, config in gm._EXTENSIONS.items()}
    configs["markdown.extensions.codehilite"]["pygments_formatter"] = "html"
    stock = gm.markdown.Markdown(extensions=list(configs), extension_configs=configs)
    assert render_markdown(body).html == gm._CLEANER.clean(stock.convert(body)).strip()


def test_code_span_showing_a_script_tag_is_kept_as_text() -> None:
    result = render_markdown("Never write `<script>alert(1)</script>` in a comment.")
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in result.html
    assert result.text == "Never write <script>alert(1)</script> in a comment."


def test_sane_lists_keep_start_number() -> None:
    out = render_markdown("3. three\n4. four\n").html
    assert out.startswith('<ol start="3">')


@pytest.mark.parametrize(
    ("heading", "expected_id"),
    [
        ("## Election results", "election-results"),
        ("## Élections à Paris", "élections-à-paris"),
        ("## Выборы в Москве", "выборы-в-москве"),
        ("## 東京のニュース", "東京のニュース"),
        ("## Q&A: what now?", "qa-what-now"),
        ("## Ελλάδα 2024", "ελλάδα-2024"),
    ],
)
def test_heading_ids_are_unicode_slugs(heading: str, expected_id: str) -> None:
    result = render_markdown(heading)
    assert f'<h2 id="{expected_id}">' in result.html
    assert result.toc[0][1] == expected_id


def test_duplicate_headings_get_distinct_ids() -> None:
    out = render_markdown("## Update\n\n## Update\n").html
    assert '<h2 id="update">' in out
    assert '<h2 id="update_1">' in out


def test_toc_marker_is_not_substituted() -> None:
    result = render_markdown("[TOC]\n\n## A\n")
    assert "<p>[TOC]</p>" in result.html
    assert 'class="toc"' not in result.html


# -- characters kept as written --------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "“Curly double” and ‘curly single’ quotes",
        "\"Straight double\" and 'straight' quotes",
        "An en dash – and an em dash — and a minus −",
        "Two hyphens -- and three --- stay hyphens",
        "Ellipsis … and three dots ...",
        "Guillemets « comme ça » and „German“ quotes",
        "It's the 1990's, 5'10\" tall",
        "<< angle >> quotes",
    ],
)
def test_quotes_and_dashes_are_preserved_exactly(phrase: str) -> None:
    result = render_markdown(phrase)
    assert result.text == phrase
    assert result.summary == phrase
    assert html.unescape(result.html) == f"<p>{phrase}</p>"


# -- sanitizing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "forbidden"),
    [
        ("<script>alert(1)</script>\n\nAfter.", "<script"),
        ("Inline <script>alert(1)</script> script.", "<script"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>\n\nAfter.", "<script"),
        ("<style>body { display: none }</style>\n\nAfter.", "<style"),
        ('<iframe src="https://evil.example/"></iframe>\n\nAfter.', "<iframe"),
        ('<object data="https://evil.example/x.swf"></object>\n\nAfter.', "<object"),
        ('<embed src="https://evil.example/x.swf">\n\nAfter.', "<embed"),
        ("<svg><script>alert(1)</script></svg>\n\nAfter.", "<svg"),
        ('<svg onload="alert(1)"><circle r="1"/></svg>\n\nAfter.', "<svg"),
        ('<form action="https://evil.example/"><input name="p"></form>\n\nAfter.', "<form"),
        ('<form action="https://evil.example/"><input name="p"></form>\n\nAfter.', "<input"),
        ('<link rel="stylesheet" href="https://evil.example/x.css">\n\nAfter.', "<link"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example/">\n\nAfter.', "<meta"),
        ('<base href="https://evil.example/">\n\nAfter.', "<base"),
        ("<math><mtext><script>alert(1)</script></mtext></math>\n\nAfter.", "<math"),
    ],
)
def test_dangerous_tags_are_removed(body: str, forbidden: str) -> None:
    result = render_markdown(body)
    assert forbidden not in result.html.lower()
    assert "alert(1)" not in result.html
    assert "After." in result.html or "After." not in body


@pytest.mark.parametrize(
    "body",
    [
        '<img src="a.jpg" onerror="alert(1)">',
        '<p><a href="/x" onclick="alert(1)">x</a></p>',
        '<p onmouseover="alert(1)">hover</p>',
        "<p>text <span ONCLICK=alert(1)>shout</span></p>",
        '<details open ontoggle="alert(1)"><summary>s</summary>d</details>',
        '<body onload="alert(1)">body</body>',
        "Inline <b onfocus=alert(1) tabindex=0>bold</b> here.",
        '<div style="background:url(javascript:alert(1))">styled</div>',
        'Inline <span style="position:fixed;top:0">overlay</span> here.',
    ],
)
def test_event_handlers_and_style_attributes_are_removed(body: str) -> None:
    out = render_markdown(body).html
    assert not re.search(r"\son\w+\s*=", out, re.IGNORECASE)
    assert "style=" not in out
    assert "alert" not in out


_BAD_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JaVaScRiPt:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript:alert(1)",
    "&#0000106;avascript:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "&#x01;javascript:alert(1)",
    "&#14;javascript:alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "java&#x0A;script:alert(1)",
    "java&#13;script:alert(1)",
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:image/svg+xml;base64,PHN2Zy8+",
    "livescript:alert(1)",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("url", _BAD_URLS)
def test_bad_urls_in_raw_html_links_and_images_are_dropped(url: str) -> None:
    out = render_markdown(f'<p><a href="{url}">link</a> <img src="{url}" alt="pic"></p>').html
    assert _url_schemes(out) <= _SAFE_SCHEMES
    if "\t" in url.strip():
        # Markdown expands an inner tab to spaces first, which leaves a harmless
        # relative URL ("java    script:..." has no scheme); the sanitizer's own
        # handling of a real tab is checked below.
        return
    assert "<a>link</a>" in out
    assert '<img alt="pic">' in out


@pytest.mark.parametrize("url", _BAD_URLS)
def test_sanitizer_drops_bad_urls_without_markdown_in_between(url: str) -> None:
    out = gm._CLEANER.clean(f'<a href="{url}">link</a><img src="{url}" alt="pic">')
    assert out == '<a>link</a><img alt="pic">'


@pytest.mark.parametrize("url", [u for u in _BAD_URLS if not u[0].isspace()])
def test_bad_urls_in_markdown_links_and_images_are_neutralised(url: str) -> None:
    out = render_markdown(f"A [link]({url}) and ![pic]({url}) and <{url}>.").html
    assert _url_schemes(out) <= _SAFE_SCHEMES
    assert "link" in out
    assert 'alt="pic"' in out


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[x](https://example.com/a?b=1&c=2)", '<a href="https://example.com/a?b=1&amp;c=2">x</a>'),
        ("[x](http://example.com/)", '<a href="http://example.com/">x</a>'),
        ("[x](mailto:desk@example.com)", '<a href="mailto:desk@example.com">x</a>'),
        ("[x](/2024/05/story/)", '<a href="/2024/05/story/">x</a>'),
        ("[x](../other/)", '<a href="../other/">x</a>'),
        ("[x](#section)", '<a href="#section">x</a>'),
        ('[x](/a "Title")', '<a href="/a" title="Title">x</a>'),
        ("![Photo](/img/a.jpg)", '<img alt="Photo" src="/img/a.jpg">'),
        (
            '<img src="/a.jpg" alt="A" width="640" height="480">',
            '<img src="/a.jpg" alt="A" width="640" height="480">',
        ),
        ('<time datetime="2024-05-01">1 May</time>', '<time datetime="2024-05-01">1 May</time>'),
    ],
)
def test_safe_links_and_attributes_are_kept_as_written(body: str, expected: str) -> None:
    out = render_markdown(body).html
    assert expected in out
    assert "rel=" not in out


def test_allowed_article_tags_survive() -> None:
    body = (
        '<figure><img src="/a.jpg" alt="A"><figcaption>Caption <cite>AP</cite></figcaption></figure>\n\n'
        '<p><abbr title="United Nations">UN</abbr> <mark>m</mark> <del>d</del> <ins>i</ins> <small>s</small> '
        "<q>q</q> <u>u</u> <s>s</s> H<sub>2</sub>O x<sup>2</sup></p>\n"
    )
    out = render_markdown(body).html
    for tag in ("figure", "figcaption", "cite", "mark", "del", "ins", "small", "q", "u", "s", "sub", "sup"):
        assert f"<{tag}>" in out, tag
    assert '<abbr title="United Nations">UN</abbr>' in out


def test_unknown_tags_are_stripped_but_their_text_kept() -> None:
    result = render_markdown("<p><blink>Breaking</blink> <font color=red>news</font></p>")
    assert result.html == "<p>Breaking news</p>"


def test_html_comments_are_removed() -> None:
    assert "<!--" not in render_markdown("Before <!-- editor note --> after.\n\n<!-- block -->\n").html


# -- plain-text views ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "summary"),
    [
        (
            "# Headline\n\nFirst *paragraph*\nspans lines.\n\nSecond paragraph.",
            "First paragraph spans lines.",
        ),
        ("Lead[^1] with a note[^2].\n\n[^1]: One.\n[^2]: Two.", "Lead with a note."),
        ("Fish &amp; chips, 3 &lt; 4.", "Fish & chips, 3 < 4."),
        ("![Lead photo](/a.jpg)\n\nThe lede.", "The lede."),
        ("# Only a heading", ""),
        ("- a list item[^1]\n\n[^1]: A note is not a summary.", ""),
        ("", ""),
        ("A [link](/x) and `code`.", "A link and code."),
    ],
)
def test_summary_is_the_first_paragraph(body: str, summary: str) -> None:
    assert render_markdown(body).summary == summary


def test_text_covers_the_whole_body() -> None:
    body = (
        "# Title\n\nOne  *two*\nthree.\n\n| A | B |\n|---|---|\n| c | d |\n\n"
        "```\ncode line\n```\n\nun<em>believ</em>able[^1]\n\n[^1]: Note &amp; more.\n"
    )
    text = render_markdown(body).text
    assert text == "Title One two three. A B c d code line unbelievable Note & more."


def test_text_separates_adjacent_block_elements() -> None:
    assert render_markdown("<ul><li>one</li><li>two</li></ul>").text == "one two"


def test_html_has_no_surrounding_whitespace() -> None:
    out = render_markdown("\n\nPara.\n\n<script>x</script>\n\n\n").html
    assert out == out.strip()


# -- table of contents -----------------------------------------------------------------------------


def test_toc_is_flattened_in_document_order() -> None:
    body = "# Top\n\n## First &amp; foremost\n\n### Détail `code`\n\n## Second <b>bold</b>\n\n#### Deep\n"
    assert render_markdown(body).toc == (
        (1, "top", "Top"),
        (2, "first-foremost", "First & foremost"),
        (3, "détail-code", "Détail code"),
        (2, "second-bold", "Second bold"),
        (4, "deep", "Deep"),
    )


def test_toc_ids_match_the_html() -> None:
    result = render_markdown("## Zürich\n\n## Zürich\n\n### 北京\n")
    for level, ident, _title in result.toc:
        assert f'<h{level} id="{ident}">' in result.html


# -- determinism and state -------------------------------------------------------------------------

_ARTICLE = (
    "# Report\n\nIntro[^a] text with “quotes”.\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n"
    "```python\nprint('hi')\n```\n\n## Details\n\n- one\n- two\n\n[^a]: Footnote.\n"
)


def test_output_is_deterministic() -> None:
    first = render_markdown(_ARTICLE)
    assert all(render_markdown(_ARTICLE) == first for _ in range(5))


def test_no_state_leaks_between_documents() -> None:
    alone = render_markdown(_ARTICLE)
    render_markdown("## Details\n\nOther[^a][^b].\n\n[^a]: A.\n[^b]: B.\n")
    assert render_markdown(_ARTICLE) == alone
    # Footnote numbering and heading ids restart for every document.
    assert '<a class="footnote-ref" href="#fn:a">1</a>' in alone.html
    assert '<h2 id="details">' in alone.html


def test_failed_render_does_not_poison_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    md = gm._markdown()
    original = md.convert

    def half_then_fail(source: str) -> str:
        original(source)
        raise RuntimeError("boom")

    monkeypatch.setattr(md, "convert", half_then_fail)
    with pytest.raises(RuntimeError):
        render_markdown("Stale[^x].\n\n[^x]: Stale note.\n\n## Stale\n")
    monkeypatch.undo()
    result = render_markdown("Fresh.")
    assert result.html == "<p>Fresh.</p>"
    assert result.toc == ()


def test_safe_to_use_from_several_threads() -> None:
    expected = render_markdown(_ARTICLE)
    results: list[RenderedBody] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(20):
            rendered = render_markdown(_ARTICLE)
            with lock:
                results.append(rendered)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80
    assert all(result == expected for result in results)


# -- pygments CSS ----------------------------------------------------------------------------------


def test_pygments_css_is_scoped_and_has_dark_mode() -> None:
    css = pygments_css()
    assert ".highlight .k {" in css
    assert "@media (prefers-color-scheme: dark) {" in css
    light, dark = css.split("@media (prefers-color-scheme: dark) {")
    assert ".highlight { background: #f8f8f8; }" in light
    assert "#272822" in dark  # monokai background
    assert dark.rstrip().endswith("}")
    # Every rule is scoped: nothing restyles <pre> or spans outside code blocks.
    for line in css.splitlines():
        line = line.strip()
        if line and line not in ("}", "@media (prefers-color-scheme: dark) {"):
            assert line.startswith(".highlight"), line


def test_pygments_css_dark_mode_undoes_light_only_properties() -> None:
    dark = pygments_css().split("@media (prefers-color-scheme: dark) {")[1]
    # "default" makes keywords bold, monokai does not.
    assert ".highlight .k { font-weight: normal }" in dark


def test_pygments_css_other_styles_and_determinism() -> None:
    css = pygments_css("friendly", "native")
    assert css != pygments_css()
    assert css == pygments_css("friendly", "native")
    assert "@media (prefers-color-scheme: dark)" in css


def test_url_scheme_helper_sees_through_obfuscation() -> None:
    # Guards the guard: the markdown-link test above is only as good as this helper.
    assert _url_schemes('<a href=" &#x01;Java&#x09;Script&colon;x">') == {"javascript"}
    assert _url_schemes('<img src="/a.jpg"><a href="#x">') == set()
