"""The one place that decides output paths and links.

Every page has an *output path*, relative to the output folder and always
naming a file (``countries/syria/index.html``). A link is made from the path
of the page that holds it to the path of its target:

- ``clean`` mode (static hosting): ``/archive/countries/syria/``, under the
  base URL's path, so the site works at a domain root or in a sub-folder;
- ``offline`` mode (file://): ``../syria/index.html``, relative and naming
  index.html, so the folder can be opened from disk.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from generator.config import LinkMode
from generator.model import Article, Country, Period, Tag, Topic

INDEX = "index.html"
PAGE_SEGMENT = "page"
# Names that a slug may not take: they would collide with folders Dateline makes itself.
RESERVED_SLUGS = frozenset({PAGE_SEGMENT, "assets", "countries", "topics", "tags", "archive", "search"})


def _paged(folder: str, page: int) -> str:
    """``folder/index.html`` for page 1, ``folder/page/N/index.html`` after it."""
    # Formatted rather than joined, as article(): every page asks for a few dozen of these.
    if page > 1:
        folder = f"{folder}/{PAGE_SEGMENT}/{page}" if folder else f"{PAGE_SEGMENT}/{page}"
    return f"{folder}/{INDEX}" if folder else INDEX


def home(page: int = 1) -> str:
    return _paged("", page)


def article(a: Article) -> str:
    # Formatted rather than joined: every build asks this of every article several times.
    return f"{a.published.year:04d}/{a.published.month:02d}/{a.slug}/{INDEX}"


def countries() -> str:
    return "countries/" + INDEX


def country(c: Country, page: int = 1) -> str:
    return _paged(f"countries/{c.slug}", page)


def country_topic(c: Country, t: Topic, page: int = 1) -> str:
    return _paged(f"countries/{c.slug}/{t.slug}", page)


def topics() -> str:
    return "topics/" + INDEX


def topic(t: Topic, page: int = 1) -> str:
    return _paged(f"topics/{t.slug}", page)


def tags() -> str:
    return "tags/" + INDEX


def tag(t: Tag, page: int = 1) -> str:
    return _paged(f"tags/{t.slug}", page)


def archive() -> str:
    return "archive/" + INDEX


def period(p: Period, page: int = 1) -> str:
    folder = f"{p.year:04d}" if p.month is None else f"{p.year:04d}/{p.month:02d}"
    return _paged(folder, page)


def not_found() -> str:
    return "404.html"


FEED = "feed.xml"


def feed(subject: Country | Topic | Tag | None = None) -> str:
    """The Atom feed of the whole site, or of one country, topic or tag, beside its page."""
    if subject is None:
        return FEED
    folder = {Country: "countries", Topic: "topics", Tag: "tags"}[type(subject)]
    return f"{folder}/{subject.slug}/{FEED}"


def search() -> str:
    return "search/" + INDEX


def sitemap() -> str:
    return "sitemap.xml"


def robots() -> str:
    return "robots.txt"


def asset(name: str) -> str:
    return f"assets/{name}"


@dataclass(frozen=True)
class Links:
    """Turns output paths into links for one link mode."""

    mode: LinkMode
    base_url: str  # ends with "/"

    @functools.cached_property
    def base_path(self) -> str:
        # Cached: every link of every page starts with it (some 600,000 at 10,000 articles).
        return urlsplit(self.base_url).path or "/"

    def url(self, target: str, *, source: str, fragment: str = "") -> str:
        """The link to output path ``target`` written in the page at output path ``source``."""
        anchor = f"#{quote(fragment)}" if fragment else ""
        if self.mode == "offline":
            return _relative(target, posixpath.dirname(source)) + anchor
        return self.base_path + _clean_quoted(target) + anchor

    def absolute(self, target: str) -> str:
        """The full URL of ``target`` on the published site (canonical links, feeds, sitemaps)."""
        return self.base_url + quote(_clean(target))


# Every page links to the same few hundred places: computing each link once saves a good share
# of rendering time on a large archive.
@functools.lru_cache(maxsize=1 << 16)
def _relative(target: str, folder: str) -> str:
    return quote(posixpath.relpath(target, folder or "."))


@functools.lru_cache(maxsize=1 << 16)
def _clean_quoted(target: str) -> str:
    return quote(_clean(target))


def _clean(target: str) -> str:
    """``a/b/index.html`` becomes ``a/b/``; other files keep their name."""
    if target == INDEX:
        return ""
    if target.endswith("/" + INDEX):
        return target[: -len(INDEX)]
    return target
