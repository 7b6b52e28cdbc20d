"""What the build cache remembers of each content file, packed for loading fast and safely.

The articles of a whole archive are read back on every build, so their packing decides how long
a rebuild after one edit takes: some 50 ms for 10,000 articles packed with pickle, ten times that
for JSON records turned back into dataclasses. Pickle alone would let a planted cache run code;
here unpacking may build nothing but Dateline's own frozen values (an article, its countries,
topics, tags and credits, a diagnostic) and the datetime values inside them: any other class is
refused, so the worst a crafted cache can do is describe a wrong article, as a crafted JSON
record could.

    pack(entries)            the entries of some files, as bytes
    unpack(data, values)     the inverse; Damaged when the bytes are not what pack() makes
    pack_plain(value)        plain data (dicts, lists, tuples, strings, numbers), as bytes
    unpack_plain(data)       the inverse, building no object of any class; Damaged otherwise

What builds leave for the next one (output manifests, page and search state) is plain data,
a few MB at 10,000 articles: pickled it loads and saves several times faster than as JSON.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import io
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from generator.config import SiteConfig
from generator.countries import country_by_code
from generator.errors import Diagnostic
from generator.model import Article, Country, Credit, Tag, Topic


@dataclass(frozen=True)
class SourceEntry:
    """What one content file gave: its article (None when it has errors) and its problems."""

    size: int
    mtime_ns: int  # -1: the stat was taken while the file may still have been changing
    digest: str  # of the file's bytes
    article: Article | None
    diagnostics: tuple[Diagnostic, ...]


class Damaged(Exception):
    """Packed entries that do not unpack to what pack() made: the files are read again."""


# The values pack() stores by their fields: kind, then the fields value() takes, in order.
_FIELDS: dict[type, tuple[str, ...]] = {
    Country: ("country", "code", "name", "slug"),
    Topic: ("topic", "slug", "label", "description"),
    Tag: ("tag", "slug", "label"),
    Credit: ("credit", "text", "role"),
}
_KINDS: dict[str, type] = {fields[0]: kind for kind, fields in _FIELDS.items()}


def value(kind: str, *fields: Any) -> object:
    """A country, topic, tag or credit from its fields: how pack() stores them (see _Packer)."""
    return _KINDS[kind](*fields)


class Values:
    """One instance of each country, topic, tag and credit: thousands of articles share a few
    hundred of them. Besides saving memory, the index groups articles by them, and a dictionary
    finds a key that *is* the one it holds far faster than one that only equals it."""

    def __init__(self, config: SiteConfig) -> None:
        self._known: dict[tuple[Any, ...], object] = {
            ("topic", t.slug, t.label, t.description): t for t in config.topics
        }

    def value(self, kind: str, *fields: Any) -> Any:
        key = (kind, *fields)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = _canonical(value(kind, *fields))
        return found

    def shared(self, article: Article) -> Article:
        """``article`` with this build's instances of its values (one made in a worker process)."""

        def own(values: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(self.value(*_value_key(v)) for v in values)

        return replace(
            article,
            credits=own(article.credits),
            countries=own(article.countries),
            topics=own(article.topics),
            tags=own(article.tags),
        )


def _canonical(made: object) -> object:
    if isinstance(made, Country):
        try:
            known = country_by_code(made.code)
        except KeyError:
            return made
        return known if known == made else made
    return made


def pack(entries: dict[str, SourceEntry]) -> bytes:
    buffer = io.BytesIO()
    _Packer(buffer, protocol=5).dump(entries)
    return buffer.getvalue()


def unpack(data: bytes, values: Values) -> dict[str, SourceEntry]:
    try:
        with collections_paused():
            entries = _Unpacker(io.BytesIO(data), values).load()
    except Exception as exc:  # whatever garbage makes pickle raise, the files are read again
        raise Damaged(str(exc)) from None
    if not isinstance(entries, dict):
        raise Damaged("not a mapping")
    for name, entry in entries.items():
        if not (
            isinstance(name, str)
            and isinstance(entry, SourceEntry)
            and isinstance(entry.size, int)
            and isinstance(entry.mtime_ns, int)
            and isinstance(entry.digest, str)
            and isinstance(entry.article, Article | None)
            and isinstance(entry.diagnostics, tuple)
            and all(isinstance(d, Diagnostic) for d in entry.diagnostics)
        ):
            raise Damaged("an entry of another shape")
    return entries


def _value_key(obj: Any) -> tuple[Any, ...]:
    """A country, topic, tag or credit as value() takes it: its kind, then its fields."""
    kind, *names = _FIELDS[type(obj)]
    return (kind, *(getattr(obj, n) for n in names))


class _Packer(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        """A country, topic, tag or credit as a call to value(): unpacking then asks the build's
        Values for it, once a pack for each (pickle refers back to a value stored before)."""
        if type(obj) not in _FIELDS:
            return NotImplemented
        return value, _value_key(obj)


# The only classes unpacking may build; value() is answered by the build's Values.
_ALLOWED: dict[tuple[str, str], type] = {
    (__name__, "SourceEntry"): SourceEntry,
    ("generator.model", "Article"): Article,
    ("generator.errors", "Diagnostic"): Diagnostic,
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "timezone"): datetime.timezone,
    ("datetime", "timedelta"): datetime.timedelta,
}


class _Unpacker(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, values: Values) -> None:
        super().__init__(file)
        self.values = values

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, "value"):
            return self.values.value
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the build cache") from None

    def persistent_load(self, pid: Any) -> object:
        raise pickle.UnpicklingError("no persistent objects in the build cache")


def pack_plain(data: object) -> bytes:
    return pickle.dumps(data, protocol=5)


def unpack_plain(data: object) -> Any:
    if not isinstance(data, bytes):
        raise Damaged("not bytes")
    try:
        with collections_paused():
            return _PlainUnpacker(io.BytesIO(data)).load()
    except Exception as exc:
        raise Damaged(str(exc)) from None


@contextlib.contextmanager
def collections_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile, for work that makes many objects and no cyclic garbage:
    a collection (one every 50,000 objects made while a build runs) would only scan them. Unpacking
    makes tens of thousands (a collection was half the time of reading a manifest at 10,000
    articles); patching the search index reads back every term of the previous build's shards, some
    hundred thousand lists, and the collection that made it pass took 17 to 22 ms of a rebuild after
    one edit, finding nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _PlainUnpacker(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name}: plain data holds no objects")

    def persistent_load(self, pid: Any) -> object:
        raise pickle.UnpicklingError("no persistent objects in plain data")


def diagnostic_record(d: Diagnostic) -> list[Any]:
    return [d.path, d.line, d.message, d.severity]


def diagnostic_from_record(record: list[Any]) -> Diagnostic:
    path, line, message, severity = record
    return Diagnostic(path, line, message, severity)
