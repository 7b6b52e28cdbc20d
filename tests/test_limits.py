"""Limits that keep one bad file from hanging or swamping a build."""

from __future__ import annotations

import pytest

from generator import parse
from generator.build import BuildOptions, build
from generator.errors import BuildFailed
from tests.conftest import MakeSite, article


def test_markdown_that_renders_too_slowly_is_a_clear_error(make_site: MakeSite, monkeypatch) -> None:
    monkeypatch.setattr(parse, "RENDER_SECONDS", 0.5)
    slow = article("Brackets", body="[" * 4000 + "x" + "]" * 4000)  # Python-Markdown needs seconds for this
    site = make_site({"content/a.md": article("Fine"), "content/slow.md": slow})
    with pytest.raises(BuildFailed) as failure:
        build(site, BuildOptions(jobs=1))
    assert failure.value.show().splitlines() == [
        "content/slow.md:7: rendering the Markdown took longer than 0.5 seconds: the body probably holds "
        "a construct the renderer handles badly (thousands of nested brackets, lists or emphasis marks)",
        "build failed: 1 problem",
    ]


def test_oversized_file_is_refused(make_site: MakeSite) -> None:
    big = article("Huge", body="word " * (2 * 1024 * 1024 + 10))  # over 10 MiB
    site = make_site({"content/big.md": big})
    with pytest.raises(BuildFailed) as failure:
        build(site)
    assert "content/big.md: file is 10.0 MiB; articles are limited to 10 MiB" in failure.value.show()
