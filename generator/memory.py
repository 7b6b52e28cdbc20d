"""What a long-running process keeps between builds of one site: the preview server's memory.

A build from the command line starts with nothing in memory and checks everything against the
build cache and the disk. The preview server builds again and again, in one process, into a folder
only it writes to; it hands the same BuildMemory to every build, which then skips the work whose
result it holds already:

    entries   what the last build read from each content file (parse.read_articles): an entry
              follows from the file's bytes and the settings alone, so it never goes stale
    folders   what it recorded of its build folder and that folder's twin (output.OutputWriter),
              trusted while a folder's key is unchanged instead of the stat of every file in it
    index     the index of the last build that finished, patched after an edit that leaves every
              article's place as it was (index.patched_index)
    routes    the routes of the last index routed, patched alike (routes.patched_routes)
    templates the last build's templates, compiled, while no template file changed
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from generator.cache import Manifest
from generator.errors import Diagnostic
from generator.index import SiteIndex
from generator.model import Topic
from generator.records import SourceEntry
from generator.routes import Route, route_places
from generator.templates import TemplateSet

# rel -> one line of stat data (output.stat_lines): "rel\0size\0mtime\0inode" for a file,
# "rel/\0mtime\0inode" for a folder
StatLines = dict[str, str]


@dataclass(frozen=True)
class RememberedIndex:
    cache: str  # the cache file of the site it was made for
    topics: tuple[Topic, ...]  # the topics it was ordered by
    index: SiteIndex
    problems: tuple[Diagnostic, ...]
    key: str  # its index_store.index_key


@dataclass
class RememberedRoutes:
    index: SiteIndex  # what they were made for
    sizes: tuple[int, int]  # page size, feed entries
    routes: tuple[Route, ...]
    known_places: dict[str, tuple[int, ...]] | None = None  # see places()

    def places(self) -> dict[str, tuple[int, ...]]:
        """route_places() of the routes, made when first patched (a build that makes its routes
        anew has no use for it) and the same for every patch of them."""
        self.prepare(lambda: False)
        assert self.known_places is not None  # made without a stop
        return self.known_places

    def prepare(self, stop: Callable[[], bool]) -> None:
        """places() made ahead of the build that needs it, given up as soon as ``stop()`` says
        so (that build then makes it)."""
        if self.known_places is None:
            self.known_places = route_places(self.routes, stop)


@dataclass
class BuildMemory:
    # (cache file, settings digest) -> entries by content path, as the last build stored them
    entries: dict[tuple[str, str], dict[str, SourceEntry]] = field(default_factory=dict)
    # folder path -> (folder key, manifest, stat lines)
    folders: dict[str, tuple[str, Manifest, StatLines]] = field(default_factory=dict)
    index: RememberedIndex | None = None
    routes: RememberedRoutes | None = None
    templates: tuple[str, TemplateSet] | None = None  # (key of the template files' stats, templates)
