"""Markdown rendering of article bodies: Python-Markdown, then an ``nh3`` sanitizer pass.

Articles may contain raw HTML, so every rendered body goes through an allow-list
sanitizer *after* Markdown has run; that also catches ``[x](javascript:...)`` links
that Markdown itself happily emits.  The plain-text views (``summary``, ``text``)
are cut from the sanitized HTML with regular expressions, which is sound because
nh3 re-serializes its output: tags are balanced, names are lower-case, attribute
values are double-quoted and ``<``, ``>``, ``&`` inside text and attributes are
escaped.

Smarty is deliberately not enabled: articles keep their quotes and dashes exactly
as written.

Python-Markdown is most of a cold build's time. Each body is converted with only the inline
patterns, block processors and preprocessors its characters allow (``_Selection``), and each run
of its text with only the inline patterns that run's characters allow (``_InlineByRun``): the same
HTML in about half the time. Some passes that search or walk the whole text or tree run only where
they can find something: the spaced-line pass of the first preprocessor (``_SpacedLines``), the
setext heading and rule tests (``_TestedFirst``, on blocks that may hold one), the table of
contents (``_HeadingsOnlyToc``) and the unescape pass (``_Unescape``). tests/test_markdown_patterns.py
renders fuzzed bodies with each of them and with the library's own.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree as etree

# ``generator/markdown.py`` does not shadow the third-party package: Python 3 has
# no implicit relative imports, so this is the top-level ``markdown``.
import markdown
import markdown.extensions.codehilite
import nh3
import pygments
from markdown.extensions.footnotes import NBSP_PLACEHOLDER
from markdown.extensions.toc import TocExtension, TocTreeprocessor, slugify_unicode
from markdown.preprocessors import NormalizeWhitespace, Preprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor, UnescapeTreeprocessor
from markdown.util import ETX, STX, AtomicString
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import find_lexer_class_by_name
from pygments.styles import get_style_by_name
from pygments.util import ClassNotFound

from generator.model import RenderedBody

__all__ = [
    "MARKDOWN_SETTINGS_VERSION",
    "MarkdownTooDeep",
    "extension_objects",
    "pygments_css",
    "render_markdown",
]

# Bump when the code below changes what comes out for the same settings
# (e.g. how summaries are cut); setting and library changes are picked up
# by the digest in MARKDOWN_SETTINGS_VERSION on their own.
_RENDER_REVISION = 2  # 2: no back-link from a footnote that nothing refers to

# Formatters by option set; bounded because fence headers (hl_lines=...) can vary per block.
_FORMATTERS: dict[str, HtmlFormatter] = {}
_MAX_FORMATTERS = 64


def _html_formatter(lang_str: str = "", **options: object) -> HtmlFormatter:
    """Stand-in for the formatter class codehilite instantiates for every code block.

    Building an HtmlFormatter compiles the style's whole rule table, close to a
    millisecond, every time; once built it is only read from, so one instance per
    distinct option set serves every block in every thread.  ``lang_str`` is
    dropped, which is what codehilite's default (formatter named "html") does too.
    """
    key = repr(sorted(options.items()))
    formatter = _FORMATTERS.get(key)
    if formatter is None:
        if len(_FORMATTERS) >= _MAX_FORMATTERS:
            _FORMATTERS.clear()
        formatter = _FORMATTERS[key] = HtmlFormatter(**options)
    return formatter


@lru_cache(maxsize=256)
def _lexer_class(alias: str) -> type[Lexer] | None:
    try:
        return find_lexer_class_by_name(alias)  # type: ignore[no-any-return]
    except ClassNotFound:
        return None


def _lexer_by_name(alias: str, **options: Any) -> Lexer:
    """Pygments' ``get_lexer_by_name``, which codehilite calls for every code block, with the lexer
    class found once per language name: Pygments looks through its 600 lexers' aliases each time
    (a fifth of a millisecond), and through the installed packages' entry points for a name it
    does not know."""
    found = _lexer_class(alias) if alias else None
    if found is None:
        raise ClassNotFound(f"no lexer for alias {alias!r} found")
    return found(**options)


# codehilite names the function it calls at the top of its module, as its own global.
markdown.extensions.codehilite.get_lexer_by_name = _lexer_by_name  # type: ignore[attr-defined]


# Full dotted names load the extension modules directly instead of scanning
# the installed distributions' entry points for the short names.
_EXTENSIONS: Mapping[str, Mapping[str, Any]] = {
    # Alignment as ``align=""`` rather than ``style=""``: style never survives the sanitizer.
    "markdown.extensions.tables": {"use_align_attribute": True},
    "markdown.extensions.footnotes": {},
    "markdown.extensions.fenced_code": {},
    "markdown.extensions.codehilite": {
        "use_pygments": True,
        "css_class": "highlight",
        "guess_lang": False,
        "linenums": False,
        "pygments_formatter": _html_formatter,
    },
    "markdown.extensions.toc": {
        "permalink": False,
        "slugify": slugify_unicode,
        # An empty marker switches off "[TOC]" substitution: the table of contents
        # is returned separately, and a literal "[TOC]" in an article stays text.
        "marker": "",
    },
    "markdown.extensions.sane_lists": {},
}

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

_ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "a", "em", "strong", "b", "i", "u", "s", "sub", "sup", "blockquote", "code", "pre",
        "span", "div", "ul", "ol", "li", "dl", "dt", "dd", *_HEADINGS, "hr", "br", "table",
        "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "figure", "figcaption", "img",
        "abbr", "cite", "q", "small", "mark", "del", "ins", "details", "summary", "time",
    }
)  # fmt: skip

_ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    # Pygments marks tokens with classes on spans inside ``div.highlight > pre > code``.
    "code": frozenset({"class"}),
    "pre": frozenset({"class"}),
    "span": frozenset({"class"}),
    # Footnotes: ``div.footnote``, ``li#fn:1``, ``sup#fnref:1``.
    "div": frozenset({"class", "id"}),
    "li": frozenset({"id"}),
    "sup": frozenset({"id"}),
    **{h: frozenset({"id"}) for h in _HEADINGS},
    "a": frozenset({"href", "title", "id"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "th": frozenset({"align", "colspan", "rowspan"}),
    "td": frozenset({"align", "colspan", "rowspan"}),
    "time": frozenset({"datetime"}),
    # sane_lists writes ``<ol start="3">`` for a list that begins at 3; without it
    # the numbers shown would not be the ones the author wrote.
    "ol": frozenset({"start"}),
    # An abbreviation without its expansion is pointless.
    "abbr": frozenset({"title"}),
}

# Links may carry only the two classes the footnotes extension writes, so raw
# HTML cannot dress a link up as arbitrary site chrome.
_ALLOWED_ATTRIBUTE_VALUES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "a": {"class": frozenset({"footnote-ref", "footnote-backref"})},
}

# Relative URLs (paths, ``#fragments``) pass through; anything with another scheme
# (javascript:, data:, vbscript:, ...) loses its attribute.  nh3 decodes entities and
# strips the whitespace and control characters browsers ignore before looking at the
# scheme, so obfuscated spellings are caught too.
_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

# These go with their content: unlike, say, ``<form>``, whose text is worth keeping,
# what is inside them is code, a foreign document or fallback for one.
_DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"}
)


def _settings_digest() -> str:
    """Digest of everything that decides the output, for cache keys."""
    settings = {
        "revision": _RENDER_REVISION,
        "versions": {
            "markdown": markdown.__version__,
            "nh3": _nh3_version(),
            "pygments": pygments.__version__,
        },
        "extensions": _EXTENSIONS,
        "tags": sorted(_ALLOWED_TAGS),
        "attributes": {tag: sorted(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        "attribute_values": {
            tag: {name: sorted(values) for name, values in attrs.items()}
            for tag, attrs in _ALLOWED_ATTRIBUTE_VALUES.items()
        },
        "url_schemes": sorted(_URL_SCHEMES),
        "drop_with_content": sorted(_DROP_WITH_CONTENT),
    }

    def callable_name(obj: object) -> str:
        # Functions (the slugifier) have no JSON form; their qualified name stands in.
        return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"

    encoded = json.dumps(settings, sort_keys=True, default=callable_name).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def _nh3_version() -> str:
    # nh3 before 0.2.19 has no __version__; only then is the distribution metadata (slow to import) read.
    found = getattr(nh3, "__version__", None)
    if isinstance(found, str):
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nh3")
    except PackageNotFoundError:  # pragma: no cover - vendored or unusual installs
        return "unknown"


MARKDOWN_SETTINGS_VERSION: str = f"{_RENDER_REVISION}-{_settings_digest()}"

# Cleaner objects are immutable Rust values, safe to share between threads.
_CLEANER = nh3.Cleaner(
    tags=set(_ALLOWED_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
    tag_attribute_values={
        tag: {name: set(values) for name, values in attrs.items()}
        for tag, attrs in _ALLOWED_ATTRIBUTE_VALUES.items()
    },
    url_schemes=set(_URL_SCHEMES),
    strip_comments=True,
    # Links stay as written; ``target`` is not allowed, so there is no
    # reverse-tabnabbing to defend against with ``rel=noopener``.
    link_rel=None,
)

# A Markdown instance keeps per-document state (footnotes, stash, toc), so it is
# not thread safe.  One per thread; processes get their own copies anyway.
_local = threading.local()

# The footnotes extension always appends its section last.
_FOOTNOTES_START = '<div class="footnote">'
_FOOTNOTE_MARKERS_RE = re.compile(
    r'<sup id="fnref[^"]*"><a class="footnote-ref"[^>]*>[^<]*</a></sup>'
    r'|<a class="footnote-backref"[^>]*>[^<]*</a>'
)
_PARAGRAPH_RE = re.compile(r"<p>(.*?)</p>", re.DOTALL)
# Block boundaries become spaces so "<td>a</td><td>b</td>" reads "a b", while inline
# tags vanish without one so "un<em>believ</em>able" stays one word.
_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|thead|tbody|tfoot|tr|th|td"
    r"|caption|figure|figcaption|details|summary|hr|br|img)\b[^>]*>"
)
_TAG_RE = re.compile(r"<[^>]*>")


class MarkdownTooDeep(Exception):
    """A body nested more deeply (lists in lists, quotes in quotes) than Python-Markdown's
    recursive block parser can follow."""


class _UnreferencedFootnotes(Treeprocessor):
    """Drops the back-link of a footnote that no reference in the text points to.

    The footnotes extension lists every footnote defined, referenced or not, and gives each a
    "↩" link to ``#fnref:x``; with no reference no element has that id, so the link is broken.
    The note itself stays, as the extension keeps it: notes are numbered by the order of their
    definitions, and dropping one would make the numbers after it disagree with the text's.
    Runs after the extension's own processors (priority 15), when every reference is in the tree.
    """

    def run(self, root: etree.Element) -> None:
        ids = {el.get("id") for el in root.iter("sup")}
        for li in list(root.iter("li")):
            for p in [child for child in li if child.tag == "p"]:
                broken = [
                    a
                    for a in p
                    if a.tag == "a"
                    and a.get("class") == "footnote-backref"
                    and a.get("href", "")[1:] not in ids
                ]
                for link in broken:
                    _remove_backlink(p, link)
                if (
                    broken and not len(p) and not (p.text or "").strip()
                ):  # the link had a paragraph of its own
                    li.remove(p)


def _remove_backlink(p: etree.Element, link: etree.Element) -> None:
    """Remove ``link`` from the paragraph ``p``, with the no-break space the extension put before it."""
    children = list(p)
    i = children.index(link)
    kept = (link.tail or "").removeprefix(NBSP_PLACEHOLDER)
    if i == 0:
        p.text = (p.text or "").removesuffix(NBSP_PLACEHOLDER) + kept
    else:
        before = children[i - 1]
        before.tail = (before.tail or "").removesuffix(NBSP_PLACEHOLDER) + kept
    p.remove(link)


def extension_objects() -> list[markdown.Extension]:
    """Python-Markdown's extensions with Dateline's settings, as objects rather than names: for a
    name, Python-Markdown first scans every installed distribution's entry points, which costs more
    than the rest of a one-article rebuild's start."""
    return [importlib.import_module(name).makeExtension(**config) for name, config in _EXTENSIONS.items()]


def _markdown() -> markdown.Markdown:
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        extensions = extension_objects()
        for extension in extensions:
            if isinstance(extension, TocExtension):
                extension.TreeProcessorClass = _HeadingsOnlyToc
        md = markdown.Markdown(extensions=extensions, output_format="html")
        md.is_block_level = _block_level_test(md.block_level_elements)  # type: ignore[method-assign]
        md.preprocessors.register(_SpacedLines(md), "normalize_whitespace", 30)
        _local.unescape = _Unescape(md)
        md.treeprocessors.register(_local.unescape, "unescape", 0)
        md.treeprocessors.register(_UnreferencedFootnotes(md), "footnote-unreferenced", 14)
        _local.inline = _Selection(md.inlinePatterns, _inline_needs)
        inline_priority = next(item.priority for item in md.treeprocessors._priority if item.name == "inline")
        md.treeprocessors.register(_InlineByRun(md, _local.inline.needs_of), "inline", inline_priority)
        for name, marks in _PREPROCESSOR_MARKS.items():
            priority = next(item.priority for item in md.preprocessors._priority if item.name == name)
            md.preprocessors.register(_OnlyWith(md, md.preprocessors[name], marks), name, priority)
        _local.md = md
        _local.blocks = _Selection(md.parser.blockprocessors, _block_needs, _tested_by_block)
    return md


def _block_level_test(names: Iterable[str]) -> Callable[[object], bool]:
    """``Markdown.is_block_level`` with a set of the names rather than its list: the list is searched
    some forty times a body, by the inline and prettifying passes. Each tag's answer is kept: Python-Markdown
    makes a dozen tag names; raw HTML's tags are asked about too and may be anything, so at most 256
    answers are kept."""
    known = frozenset(names)
    answers: dict[object, bool] = {}

    def is_block_level(tag: object) -> bool:
        answer = answers.get(tag)
        if answer is None:
            answer = isinstance(tag, str) and tag.lower().rstrip("/") in known
            if len(answers) < 256:
                answers[tag] = answer
        return answer

    return is_block_level


class _SpacedLines(NormalizeWhitespace):
    """Python-Markdown's first preprocessor (``NormalizeWhitespace.run`` of Python-Markdown 3.11,
    which constraints.txt pins), which empties the lines holding only spaces with a regular
    expression tried at every character of the text: a twelfth of a body's conversion. Such a line
    follows a newline and starts with a space, so a text without "\\n " has none, and the expression
    is not run on it. tests/test_markdown_patterns.py compares it with the library's own."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines).replace(STX, "").replace(ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(self.md.tab_length)
        if "\n " in source:
            source = _SPACES_ONLY.sub("\n", source)
        return source.split("\n")


_SPACES_ONLY = re.compile(r"(?<=\n) +\n")  # Python-Markdown's own


class _HeadingsOnlyToc(TocTreeprocessor):
    """The table-of-contents pass, run only on a tree with a heading in it. Without one it finds
    nothing and changes nothing, yet reads every element twice, and makes, prettifies and
    serializes an empty list for ``md.toc``, which Dateline does not read: some 7% of the time
    a body without headings takes. Python-Markdown writes tag names in lower case; the upper case
    ones are looked for too because the pass's own test, ``header_rgx``, takes them."""

    def run(self, doc: etree.Element) -> None:
        if any(next(doc.iter(tag), None) is not None for tag in _HEADING_TAGS):
            super().run(doc)


_HEADING_TAGS = (*_HEADINGS, *(h.upper() for h in _HEADINGS))


class _Unescape(UnescapeTreeprocessor):
    """Python-Markdown's last tree pass, which puts back the characters a backslash escaped, run
    only on a body with a backslash: only the escape and code patterns leave what it looks for,
    and only for a backslash. It visits every element and attribute of the tree otherwise, for a
    fortieth of a body's conversion. ``needed`` is set for each body (render_markdown)."""

    needed = True

    def run(self, root: etree.Element) -> None:
        if self.needed:
            super().run(root)


# Preprocessors of Python-Markdown that change nothing in text without one of these, and are slow
# on a whole article anyway: the fenced code search (a tenth of a millisecond an article) and the
# raw HTML pass, which puts the whole text through html.parser.
_PREPROCESSOR_MARKS: Mapping[str, tuple[str, ...]] = {
    "fenced_code_block": ("```", "~~~"),  # a fence is three backticks or tildes on one line
    "html_block": ("<",),
}


class _OnlyWith(Preprocessor):
    """``inner``, run only on lines holding one of ``marks``; other lines it leaves as they are."""

    def __init__(self, md: markdown.Markdown, inner: Preprocessor, marks: tuple[str, ...]) -> None:
        super().__init__(md)
        self.inner, self.marks = inner, marks

    def run(self, lines: list[str]) -> list[str]:
        # One search of the whole text per mark: a mark cannot span a line break, and the
        # generator over lines and marks cost several times the join.
        text = "\n".join(lines)
        for mark in self.marks:
            if mark in text:
                return self.inner.run(lines)
        return lines


# What an inline pattern of Python-Markdown cannot match without, by its name: each of its regular
# expressions begins with one of these strings (a link with "[", an image with "![", raw HTML with
# "<"), and matches only where all the characters of one of them are. The emphasis pattern (a
# DelimiterProcessor) says its own, in ``tokens``. A pattern not named here is always applied. The
# names and expressions are Python-Markdown 3.11's (constraints.txt pins the version); when a new one
# changes them, tests/test_markdown_patterns.py says so, having one body for each of them.
_INLINE_NEEDS: Mapping[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "footnote": ("[^",),
    "autolink": ("<",),
    "automail": ("<",),
    "html": ("<",),
    "entity": ("&",),
}


# What a block processor cannot act without, as _INLINE_NEEDS: a heading by "#", a quote by ">", a
# table by "|", a link or footnote definition by "[", ":" (and "^"). The others test every block.
_BLOCK_NEEDS: Mapping[str, tuple[str, ...]] = {
    "hashheader": ("#",),
    "quote": (">",),
    "reference": ("[:",),
    "footnote": ("[^:",),
    "table": ("|",),
}


class _Selection:
    """The inline patterns or block processors worth trying on one body: those whose characters
    it has.

    Python-Markdown tries each of its fifteen inline patterns on every run of text, with a regular
    expression search and some Python around it, which is some three quarters of the time it takes
    to convert a news article; its block processors test every block likewise. Most articles have
    no backtick, backslash, "<", "&", "#", ">" or "|", and many no link or emphasis, so what needs
    those cannot match anywhere in them; left out, the output is byte for byte the same
    (tests/test_markdown_patterns.py checks it on fuzzed bodies), and a body converts in a third
    less time. Python-Markdown only removes characters or puts placeholders of letters and digits
    in their place (raw HTML, code, markers of lists and quotes), so a character absent from the
    body is absent from every block and run of text made of it.

    The lists are plain lists rather than Python-Markdown's registry, which sorts and looks up by
    name on each of the thousands of reads of a conversion: the parser and the inline processor
    only iterate them, or ask for their length and for an item by position.
    """

    def __init__(
        self,
        registry: Any,
        needs: Callable[[str, object], tuple[str, ...] | None],
        used: Callable[[str, Any], Any] = lambda name, item: item,
    ) -> None:
        items = list(registry)  # in the order Python-Markdown runs them (this sorts the registry)
        # The registry tells names only through its private list of entries, now in that order too.
        self.named = [(entry.name, item) for entry, item in zip(registry._priority, items, strict=True)]
        self.needs = {name: needs(name, item) for name, item in self.named}
        self.marks = "".join(sorted({c for needs in self.needs.values() for s in needs or () for c in s}))
        self.lists: dict[str, list[Any]] = {}
        self.needs_of = {id(item): self.needs[name] for name, item in self.named}  # by id() of the item
        self.used = {name: used(name, item) for name, item in self.named}  # what the lists hold

    def for_body(self, body: str) -> list[Any]:
        present = "".join(c for c in self.marks if c in body)
        found = self.lists.get(present)
        if found is None:
            found = self.lists[present] = [
                self.used[n] for n, _ in self.named if _applies(self.needs[n], present)
            ]
        return found


class _InlineByRun(InlineProcessor):
    """Python-Markdown's inline processor, which tries on each run of text only the patterns of
    the body's selection (``_Selection``) whose characters that run holds.

    A body with one link in it has the link patterns tried on all its paragraphs, list items and
    headings; most hold no "[" at all, and for them the search is wasted. Left out for such a run,
    a pattern changes nothing: it could not have matched there, and the run can only lose
    characters as other patterns act on it.
    """

    def __init__(self, md: markdown.Markdown, needs: Mapping[int, tuple[str, ...] | None]) -> None:
        super().__init__(md)
        # By id() of the pattern (_Selection.needs_of); a pattern not there is always tried.
        self.needs = needs

    # The library's private loop over the patterns (InlineProcessor.__handleInline of Python-Markdown
    # 3.11, which constraints.txt pins), with the check added; tests/test_markdown_patterns.py renders
    # fuzzed bodies with and without it.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        patterns, needs = self.inlinePatterns, self.needs
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start, index, count = 0, patternIndex, len(patterns)
        while index < count:
            need = needs.get(id(patterns[index]))
            if need is not None and not _holds(data, need):
                index, start = index + 1, 0  # what a search that finds nothing returns
                continue
            data, matched, start = apply(patterns[index], data, index, start)
            if not matched:
                index += 1
        return data


def _holds(data: str, needs: tuple[str, ...]) -> bool:
    """Whether ``data`` holds every character of one of ``needs``."""
    for chars in needs:
        for c in chars:
            if c not in data:
                break
        else:
            return True
    return False


def _applies(needs: tuple[str, ...] | None, present: str) -> bool:
    """Whether ``present`` holds every character of one of ``needs``; None needs nothing."""
    return needs is None or _holds(present, needs)


def _inline_needs(name: str, pattern: object) -> tuple[str, ...] | None:
    tokens = getattr(pattern, "tokens", None)  # a DelimiterProcessor: "*" and "_"
    if isinstance(tokens, list) and tokens and all(isinstance(t, str) and t for t in tokens):
        return tuple(t[0] for t in tokens)
    return _INLINE_NEEDS.get(name)


def _block_needs(name: str, processor: object) -> tuple[str, ...] | None:
    return _BLOCK_NEEDS.get(name)


# What one block must hold for a block processor's test to pass, where the body's characters say
# too little: "-" is in most bodies, but a setext heading's underline follows a newline, and a
# rule is three "-", "_" or "*" with at most two spaces between each.
_BLOCK_TEST_NEEDS: Mapping[str, tuple[str, ...]] = {
    "setextheader": ("\n=", "\n-"),
    "hr": tuple(f"{c}{gap}{c}" for c in "-_*" for gap in ("", " ", "  ")),
}


class _TestedFirst:
    """A block processor whose test is run only on blocks holding one of ``marks``.

    Python-Markdown tests every block with every processor of the body's selection, and the
    setext heading and rule tests search the whole block with expressions that try each
    character: prose paragraphs, one long line each, were a twentieth of a conversion there.
    Nothing but the parser's loop sees the stand-in, which asks the processor for the rest."""

    def __init__(self, processor: Any, marks: tuple[str, ...]) -> None:
        self.processor, self.marks = processor, marks

    def test(self, parent: etree.Element, block: str) -> bool:
        # A loop rather than any() over a generator: this runs for every block of every body.
        for mark in self.marks:
            if mark in block:
                return bool(self.processor.test(parent, block))
        return False

    def run(self, parent: etree.Element, blocks: list[str]) -> bool | None:
        return self.processor.run(parent, blocks)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.processor, name)


def _tested_by_block(name: str, processor: Any) -> Any:
    marks = _BLOCK_TEST_NEEDS.get(name)
    return processor if marks is None else _TestedFirst(processor, marks)


def _plain_text(fragment: str) -> str:
    """Visible text of sanitized HTML, entities decoded and whitespace collapsed."""
    fragment = _FOOTNOTE_MARKERS_RE.sub("", fragment)
    fragment = _BLOCK_TAG_RE.sub(" ", fragment)
    fragment = _TAG_RE.sub("", fragment)
    return " ".join(html.unescape(fragment).split())


def _summary(body_html: str) -> str:
    """Text of the first paragraph that has any (a lead photo is a paragraph too)."""
    end = body_html.rfind(_FOOTNOTES_START)
    if end == -1:
        end = len(body_html)
    for match in _PARAGRAPH_RE.finditer(body_html, 0, end):
        text = _plain_text(match.group(1))
        if text:
            return text
    return ""


def _flatten_toc(tokens: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, str, str]]:
    for token in tokens:
        # ``name`` is the heading's text, still HTML-escaped.
        yield int(token["level"]), str(token["id"]), " ".join(html.unescape(str(token["name"])).split())
        yield from _flatten_toc(token.get("children", ()))


def render_markdown(body: str) -> RenderedBody:
    """Render an article body to sanitized HTML plus its plain-text views and table of contents."""
    md = _markdown()
    md.treeprocessors["inline"].inlinePatterns = _local.inline.for_body(body)  # type: ignore[attr-defined]
    md.parser.blockprocessors = _local.blocks.for_body(body)  # type: ignore[attr-defined]
    _local.unescape.needed = "\\" in body
    try:
        rendered = md.convert(body)
        toc = tuple(_flatten_toc(getattr(md, "toc_tokens", ())))
    except RecursionError:
        _local.md = None  # left mid-document at an arbitrary depth: the next body gets a new one
        raise MarkdownTooDeep from None
    finally:
        # Reset even after a failure so the next document starts clean, and so a
        # large document's state is not kept alive until then.
        md.reset()
    clean = _CLEANER.clean(rendered).strip()
    text = _plain_text(clean)
    # _plain_text() leaves one space between words and none around them: no need to split again.
    words = text.count(" ") + 1 if text else 0
    return RenderedBody(html=clean, summary=_summary(clean), text=text, words=words, toc=toc)


def _style_rules(style: str) -> list[str]:
    # Not get_style_defs(): its line-number rules ("pre { ... }", "span.linenos")
    # are not scoped to .highlight and would restyle every <pre> on the page.
    formatter = HtmlFormatter(style=style)
    return [
        *formatter.get_background_style_defs(".highlight"),
        *formatter.get_token_style_defs(".highlight"),
    ]


def _dark_resets(light: str, dark: str) -> list[str]:
    """Undo light-style properties the dark style does not set itself.

    Without these a keyword that is bold in the light style stays bold, and an
    error token keeps its red border, in dark mode.
    """
    light_style = get_style_by_name(light)
    dark_style = get_style_by_name(dark)
    classes = HtmlFormatter(style=light).ttype2class
    resets = []
    for ttype, light_def in light_style:
        css_class = classes.get(ttype)
        if not css_class:
            continue
        dark_def = dark_style.style_for_token(ttype)
        declarations = [
            css
            for key, css in (
                ("color", "color: inherit"),
                ("bgcolor", "background-color: transparent"),
                ("bold", "font-weight: normal"),
                ("italic", "font-style: normal"),
                ("underline", "text-decoration: none"),
                ("border", "border: none"),
            )
            if light_def[key] and not dark_def[key]
        ]
        if declarations:
            resets.append(f".highlight .{css_class} {{ {'; '.join(declarations)} }}")
    return resets


@lru_cache(maxsize=8)
def pygments_css(style: str = "default", dark_style: str = "monokai") -> str:
    """Stylesheet for highlighted code: ``style`` normally, ``dark_style`` when the reader prefers dark."""
    dark_rules = [*_dark_resets(style, dark_style), *_style_rules(dark_style)]
    lines = [
        ".highlight pre { line-height: 125%; }",
        *_style_rules(style),
        "@media (prefers-color-scheme: dark) {",
        *(f"  {rule}" for rule in dark_rules),
        "}",
    ]
    return "\n".join(lines) + "\n"
