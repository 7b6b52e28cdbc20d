"""Inline patterns, block processors and preprocessors left out for a body that lacks their
characters change nothing in its HTML; nor do Dateline's stand-ins for the library's passes that
run only where they can find something (spaced lines, setext headings and rules, the table of
contents, unescaping) and for its block-level test."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from markdown import Markdown
from markdown.extensions.toc import TocTreeprocessor
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import InlineProcessor, UnescapeTreeprocessor

import generator.markdown as gm
from generator.markdown import MarkdownTooDeep, render_markdown
from generator.model import RenderedBody

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "dateline-hypothesis")

# Pieces of inline and block syntax, and characters that block processing rewrites (tabs, CR).
_BITS = [
    "*", "**", "***", "_", "__", "`", "``", "```\n", "\n```\ncode\n```\n", "\n~~~ python\nx = 1\n~~~\n", "\\", "\\*", "\\[", "[", "]", "(", ")", "!", "^",
    "[a](b)", "[a](<b c>)", "![i](x.png)", "[a][r]", "[r]", "[r][]", "\n[r]: http://x.y/ \"T\"\n", "[^1]",
    "\n[^1]: note\n", "<http://a.b/c>", "<a@b.c>", "<b>", "</b>", "<span>x</span>", "<!-- c -->",
    "&amp;", "&copy;", "&#169;", "&", "&x", "<", ">", "  \n", "\t", "\r", "\r\n", "\n", "\n\n", "# ",
    "> ", "- ", "1. ", "    ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "~~", "word", " ", "é", ":",
]  # fmt: skip


def _bodies() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_BITS) | st.text(alphabet="ab *_[]<&`\\\n", max_size=6), max_size=40).map(
        "".join
    )


def _every_pattern(self: Any, body: str) -> list[Any]:
    return [pattern for _, pattern in self.named]


def _always(self: Any, lines: list[str]) -> list[str]:
    return self.inner.run(lines)  # type: ignore[no-any-return]


def _render(body: str) -> RenderedBody | str:
    try:
        return render_markdown(body)
    except MarkdownTooDeep:
        return "too deep"


_LOOP = "_InlineProcessor__handleInline"  # the library's loop over the inline patterns


# One body for each pattern and preprocessor that may be left out, used as it should be.
_EACH = [
    "A note[^1].\n\n[^1]: The note.\n",
    "An ![image](x.png), ![another][r] and ![r].\n\n[r]: y.png\n",
    "A [link](https://x.y/), a [reference][r] and a [short one][r] or [r].\n\n[r]: https://r.s/\n",
    "<https://x.y/> and <a@b.c>, <b>raw</b> &amp; &#169; \\* `code` *em* __strong__",
    "```python\nx = 1\n```\n\n~~~\ny\n~~~\n",
    "<div>\nA block of HTML.\n</div>\n",
    "# Heading\n\n> A quote\n> > nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSetext\n---\n",
]


@settings(max_examples=400, deadline=None, database=None, print_blob=True)
@given(body=_bodies())
@example(body=_EACH[0])
@example(body=_EACH[1])
@example(body=_EACH[2])
@example(body=_EACH[3])
@example(body=_EACH[4])
@example(body=_EACH[5])
@example(body=_EACH[6])
@example(body="A line,\n \nthen one of a space: two paragraphs.")
@example(body="Rules:\n\n- - -\n\n* * *\n\n_  _  _\n\n***\n\nA\n--\n\nB\n===\n")
def test_a_body_renders_as_with_every_pattern_and_preprocessor(body: str) -> None:
    chosen = _render(body)
    md = gm._markdown()  # a new one if the body was too deep for the last
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gm._Selection, "for_body", _every_pattern)
        patch.setattr(gm._OnlyWith, "run", _always)
        patch.setattr(gm._InlineByRun, _LOOP, getattr(InlineProcessor, _LOOP))
        patch.setattr(gm._SpacedLines, "run", NormalizeWhitespace.run)
        patch.setattr(gm._Unescape, "run", UnescapeTreeprocessor.run)
        patch.setattr(gm._HeadingsOnlyToc, "run", TocTreeprocessor.run)
        patch.setattr(md, "is_block_level", Markdown.is_block_level.__get__(md))
        every = _render(body)
    assert chosen == every
    if isinstance(chosen, RenderedBody):  # words are counted without splitting the text again
        assert chosen.words == len(chosen.text.split())


def test_a_run_of_text_is_tried_only_with_the_patterns_its_characters_allow() -> None:
    tried: list[tuple[str, str]] = []
    apply = InlineProcessor._InlineProcessor__applyPattern

    def counted(self: Any, pattern: Any, data: str, index: int, start: int = 0) -> Any:
        tried.append((type(pattern).__name__, data))
        return apply(self, pattern, data, index, start)

    body = "A [link](https://x.y/) here.\n\nPlain prose with no marks.\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(InlineProcessor, "_InlineProcessor__applyPattern", counted)
        html = render_markdown(body).html
        by_run = list(tried)
        tried.clear()
        patch.setattr(gm._InlineByRun, _LOOP, getattr(InlineProcessor, _LOOP))
        assert render_markdown(body).html == html
    on_plain = {name for name, data in by_run if data.startswith("Plain")}
    assert "LinkInlineProcessor" in {name for name, _ in tried if _.startswith("Plain")}
    assert "LinkInlineProcessor" not in on_plain
    assert "LinkInlineProcessor" in {name for name, data in by_run if data.startswith("A ")}
    assert len(by_run) < len(tried)


def test_preprocessors_are_left_out_only_without_their_marks() -> None:
    render_markdown("warm up")
    fences = gm._local.md.preprocessors["fenced_code_block"]
    assert isinstance(fences, gm._OnlyWith)
    assert fences.run(["Plain text, ~~ and `` too."]) == ["Plain text, ~~ and `` too."]
    try:
        assert fences.run(["```", "code", "```"]) != ["```", "code", "```"]  # stashed
    finally:
        gm._local.md.reset()  # the stash, for the next body


def test_the_whitespace_pass_is_the_librarys_and_runs_its_expression_only_on_spaced_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    render_markdown("warm up")
    md = gm._local.md
    spaced = md.preprocessors["normalize_whitespace"]
    assert isinstance(spaced, gm._SpacedLines)
    library = NormalizeWhitespace(md)
    for text in ["a\n \nb", "a\n  \nb", "a\n\t\nb", "a\r  \r\nb", "  \na", "a \n b\n", "a\x02b\x03\n\n   \n"]:
        assert spaced.run(text.split("\n")) == library.run(text.split("\n"))
    searched: list[str] = []
    monkeypatch.setattr(gm, "_SPACES_ONLY", _Recording(gm._SPACES_ONLY, searched))
    spaced.run(["Plain prose.", "", "More prose."])
    assert searched == []
    spaced.run(["Prose.", "   ", "More."])
    assert searched == ["Prose.\n   \nMore.\n\n"]


class _Recording:
    def __init__(self, pattern: Any, seen: list[str]) -> None:
        self.pattern, self.seen = pattern, seen

    def sub(self, repl: str, text: str) -> str:
        self.seen.append(text)
        return self.pattern.sub(repl, text)  # type: ignore[no-any-return]


def test_escaped_characters_are_put_back_only_in_bodies_with_a_backslash() -> None:
    assert (
        render_markdown("Not \\*emphasis\\*, and `a\\\\b`.").html
        == "<p>Not *emphasis*, and <code>a\\\\b</code>.</p>"
    )
    render_markdown("Plain prose.")
    assert gm._local.unescape.needed is False
    render_markdown("A \\# sign.")
    assert gm._local.unescape.needed is True


def test_the_table_of_contents_pass_runs_only_on_a_tree_with_headings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[int] = []
    library = TocTreeprocessor.run

    def counted(self: Any, doc: Any) -> None:
        ran.append(1)
        library(self, doc)

    monkeypatch.setattr(TocTreeprocessor, "run", counted)
    assert render_markdown("Prose only.\n\n- a list\n").toc == ()
    assert ran == []
    assert render_markdown("## One\n\nText.\n\nTwo\n---\n").toc == ((2, "one", "One"), (2, "two", "Two"))
    assert ran == [1]
    quoted = render_markdown("> Inside\n> ======\n")
    assert quoted.toc == ((1, "inside", "Inside"),) and '<h1 id="inside">' in quoted.html


def test_the_block_level_test_answers_as_the_librarys() -> None:
    render_markdown("warm up")
    md = gm._local.md
    tags = ["p", "P", "div/", "em", "span", "hr", "table", "", "pre", object(), None, 3]
    tags += [f"x-{n}" for n in range(300)] + ["div"]  # more names than it keeps answers for
    for _ in range(2):  # the second time from what it kept
        for tag in tags:
            assert md.is_block_level(tag) == Markdown.is_block_level(md, tag), tag


def test_a_body_of_plain_prose_is_tried_with_few_patterns() -> None:
    render_markdown("warm up")
    patterns = gm._local.inline
    plain = patterns.for_body("Ministers met in Geneva on Tuesday.\n\nTalks go on.")
    rich = patterns.for_body("*a* `b` \\c [d](e) ![i](j) [^1] <f> &amp; _g_")
    assert len(plain) < len(rich) == len(patterns.named)
    assert len(plain) <= 3  # the line break, and what the library adds that Dateline does not know


def test_the_lists_keep_the_order_python_markdown_runs_them_in() -> None:
    render_markdown("warm up")
    md = gm._local.md
    assert [item for _, item in gm._local.inline.named] == list(md.inlinePatterns)
    blocks = gm._local.blocks.for_body("#>|[:^*`<&\\!_")
    assert [gm._local.blocks.used[name] for name, _ in gm._local.blocks.named] == blocks
    assert [getattr(b, "processor", b) for b in blocks] == [item for _, item in gm._local.blocks.named]


def test_setext_headings_and_rules_are_tested_only_in_blocks_with_their_marks() -> None:
    render_markdown("warm up")
    used = gm._local.blocks.used
    setext, rule = used["setextheader"], used["hr"]
    assert isinstance(setext, gm._TestedFirst) and isinstance(rule, gm._TestedFirst)
    parent = gm.etree.Element("div")
    assert setext.test(parent, "Title\n=====") and setext.test(parent, "Title\n---")
    assert not setext.test(parent, "A well-known line = one block, no underline.")
    assert rule.test(parent, "- - -") and rule.test(parent, "***") and rule.test(parent, "_  _  _")
    assert not rule.test(parent, "A well-known *point* - made_here.")
    html = render_markdown("Title\n=====\n\nText.\n\n* * *\n\nSub\n---\n").html
    assert "<h1" in html and "<hr" in html and "<h2" in html


def test_a_pattern_of_another_name_is_always_tried() -> None:
    assert gm._inline_needs("strikethrough", object()) is None
    assert gm._applies(None, "")
    assert gm._applies(("![",), "![") and not gm._applies(("![",), "[")


@pytest.mark.parametrize("language", ["python", "Python", "py", "js", "c++", "text", "nosuchlang", ""])
def test_code_is_highlighted_as_with_pygments_own_lexer_lookup(
    language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """codehilite finds each block's lexer through Dateline's cached lookup: the same lexer, with
    the same options, as Pygments' own search, for known names in any case, unknown ones and none."""
    import markdown.extensions.codehilite as codehilite
    from pygments.lexers import get_lexer_by_name

    body = f"```{language}\ndef f(x):  # note\n    return x * 2\n```\n\n    indented = 1\n"
    assert codehilite.get_lexer_by_name is gm._lexer_by_name  # type: ignore[attr-defined]
    ours = render_markdown(body)
    monkeypatch.setattr(codehilite, "get_lexer_by_name", get_lexer_by_name)
    assert render_markdown(body) == ours
