"""The packing of cached articles: a faithful round trip, shared values, and nothing else built."""

from __future__ import annotations

import os
import pickle
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from generator.cache import source_bucket
from generator.config import load_config
from generator.countries import country_by_code
from generator.errors import Diagnostic
from generator.model import Article, Credit, Tag
from generator.records import Damaged, SourceEntry, Values, pack, unpack

CONFIG = load_config(Path(__file__).resolve().parent.parent)  # the example site: its topics


@pytest.fixture
def values() -> Values:
    return Values(CONFIG)


def _article(slug: str, tag: str = "oil") -> Article:
    topic = CONFIG.topics[0]
    return Article(
        source_path=f"content/2020/{slug}.md",
        slug=slug,
        title=f"Title {slug}",
        published=datetime(2020, 2, 18, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        has_time=True,
        updated=None,
        summary="A summary.",
        source="Outlet",
        source_url=None,
        authors=("A. Writer",),
        credits=(Credit("Photo: someone", "photo"),),
        countries=(country_by_code("NO"), country_by_code("GB")),
        topics=(topic,),
        tags=(Tag(tag, tag.title()),),
        language="en",
        draft=False,
        body_digest="b" * 64,
        word_count=120,
        digest="d",
        card_digest="c",
        relation_digest="r",
    )


def _entry(size: int, mtime: int, digest: str, article: Article) -> SourceEntry:
    return SourceEntry(size, mtime, digest, article, ())


def test_round_trip_keeps_every_field(values: Values) -> None:
    entries = {
        "content/2020/a.md": _entry(10, 20, "x", _article("a")),
        "content/2020/b.md": _entry(11, 21, "y", _article("b")),
        "content/2020/bad.md": SourceEntry(5, 6, "z", None, (Diagnostic("content/2020/bad.md", 4, "date"),)),
    }
    back = unpack(pack(entries), values)
    assert back == entries
    a, b = back["content/2020/a.md"].article, back["content/2020/b.md"].article
    assert a is not None and b is not None
    assert a.countries[0] is b.countries[0] is country_by_code("NO")  # Norway, one instance
    assert a.tags[0] is b.tags[0] and a.credits[0] is b.credits[0]
    assert a.topics[0] is CONFIG.topics[0]


class _Runs:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_class_outside_the_allowed_ones_is_refused(values: Values, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(Damaged, match="not allowed"):
        unpack(pickle.dumps({"content/x.md": _Runs(marker)}), values)
    assert not marker.exists()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x80\x05garbage", id="garbage"),
        pytest.param(
            pickle.dumps({"content/x.md": SourceEntry(1, 2, "d", "not an article", ())}),  # type: ignore[arg-type]
            id="wrong-type",
        ),
        pytest.param(pickle.dumps({"content/x.md": (1, 2, "d", None, ())}), id="a-tuple"),
        pytest.param(pickle.dumps({3: SourceEntry(1, 2, "d", None, ())}), id="not-a-name"),
        pytest.param(
            pickle.dumps({"content/2020/a.md": replace(_entry(1, 2, "d", _article("a")), digest=3)}),
            id="digest-of-another-type",
        ),
        pytest.param(pickle.dumps(["content/x.md"]), id="not-a-mapping"),
    ],
)
def test_damaged_bytes_are_refused(data: bytes, values: Values) -> None:
    with pytest.raises(Damaged):
        unpack(data, values)


def test_truncated_pack_is_refused(values: Values) -> None:
    data = pack({"content/2020/a.md": _entry(10, 20, "x", _article("a"))})
    with pytest.raises(Damaged):
        unpack(data[: len(data) // 2], values)


def test_buckets_are_stable_and_spread() -> None:
    names = [f"content/2020/{i:05}.md" for i in range(5000)]
    buckets = [source_bucket(n) for n in names]
    assert buckets == [source_bucket(n) for n in names]
    assert len(set(buckets)) > 200  # of 256: an edit rewrites a few dozen articles, not thousands
