"""A link checker for a built Dateline site: every internal link must reach a file (and its #id).

Every ``.html`` file of the output folder is parsed; each ``href``, ``src`` and
``srcset`` URL is resolved the way a browser would for the link mode:

- ``clean``: links are absolute paths under the base URL's path
  (``/archive/countries/syria/``); ``x/`` means ``x/index.html``;
- ``offline``: links are relative to the page's folder and must name a file
  (``../syria/index.html``); a bare folder or a root-absolute path is broken.

Full URLs under ``base_url`` (canonical links) are mapped onto the output
folder in either mode; ``mailto:``, ``tel:``, ``data:`` and other hosts are
skipped. Fragments must match an ``id`` (or ``<a name>``) in the target page.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

Mode = Literal["clean", "offline"]
_SKIPPED_SCHEMES = frozenset({"mailto", "tel", "data"})


@dataclass(frozen=True)
class BrokenLink:
    page: str  # output path of the page holding the link
    url: str  # the link as written
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.url} ({self.reason})"


@dataclass
class PageLinks:
    urls: list[str]
    ids: set[str]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageLinks([], set())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.page.ids.add(value)
            elif name in ("href", "src"):
                self.page.urls.append(value)
            elif name == "srcset":
                self.page.urls += [c.split()[0] for c in value.split(",") if c.strip()]


def parse_page(path: Path) -> PageLinks:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector.page


def html_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html") if p.is_file())


def check_links(root: Path, base_url: str, mode: Mode) -> list[BrokenLink]:
    """Every broken internal link of the site built in ``root``, with the page it appears in."""
    if not base_url.endswith("/"):
        base_url += "/"
    pages = {name: parse_page(root / name) for name in html_files(root)}
    broken: list[BrokenLink] = []
    for name, page in pages.items():
        for url in page.urls:
            reason = _problem(root, pages, name, url, base_url, mode)
            if reason:
                broken.append(BrokenLink(name, url, reason))
    return broken


def _problem(
    root: Path, pages: dict[str, PageLinks], source: str, url: str, base_url: str, mode: Mode
) -> str | None:
    """Why ``url`` in page ``source`` is broken, or None when it works (or is not ours to check)."""
    if not url.strip():
        return "empty link"
    parts = urlsplit(url)
    if parts.scheme in _SKIPPED_SCHEMES:
        return None
    if parts.scheme or parts.netloc:  # a full URL: ours when under base_url, else external
        absolute = urljoin(base_url, url)
        if not absolute.split("#")[0].startswith(base_url):
            if urlsplit(absolute).netloc == urlsplit(base_url).netloc:
                return "same host but outside base_url"
            return None if parts.scheme in ("http", "https", "") else f"unexpected scheme {parts.scheme}:"
        target = _clean_target(urlsplit(absolute).path[len(urlsplit(base_url).path) :])
    elif not parts.path:  # "#id" or "?q": this page
        target = source
    elif mode == "clean":
        page_url = base_url + _clean_url(source)
        absolute = urljoin(page_url, url)
        if not absolute.startswith(base_url):
            return "outside base_url"
        target = _clean_target(urlsplit(absolute).path[len(urlsplit(base_url).path) :])
    else:
        if parts.path.startswith("/"):
            return "root-absolute path in offline mode"
        if parts.path.endswith("/"):
            return "folder link in offline mode: must name a file"
        target = posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(parts.path)))
        if target.startswith("../") or target == "..":
            return "leads outside the output folder"
    if not (root / target).is_file():
        kind = "a folder, not a file" if (root / target).is_dir() else "missing"
        return f"target {target} is {kind}"
    if parts.fragment and target.endswith(".html"):
        if target not in pages:
            pages[target] = parse_page(root / target)
        if unquote(parts.fragment) not in pages[target].ids:
            return f"no id {unquote(parts.fragment)!r} in {target}"
    return None


def _clean_target(path: str) -> str:
    """The output file a clean URL path (relative to the base path) is served from."""
    path = unquote(path)
    return path + "index.html" if path == "" or path.endswith("/") else path


def _clean_url(output_path: str) -> str:
    if output_path == "index.html":
        return ""
    return output_path.removesuffix("index.html")
