"""Shared fixtures: tiny sites written into a temporary folder and built for real."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import generator.build as build_module

REPO = Path(__file__).resolve().parent.parent

SITE_TOML = """\
title = "Fixture archive"
description = "A site written by a test"
base_url = "https://example.org/"
page_size = 5

[[topics]]
slug = "conflict"
label = "Conflict"

[[topics]]
slug = "refugees"
label = "Migration and refugees"
"""


def article(
    title: str, date: str = "2020-02-18", *, countries: str = "[Syria]", extra: str = "", body: str = ""
) -> str:
    """The text of a small synthetic article file."""
    return (
        f"---\ntitle: {title}\ndate: {date}\ncountries: {countries}\ntopics: [conflict]\n{extra}---\n\n"
        f"{body or 'Synthetic fixture text for ' + title + '.'}\n"
    )


MakeSite = Callable[..., Path]


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """``make_site({"content/a.md": "..."})`` writes a site (with a default site.toml) and returns its folder."""

    def make(files: dict[str, str | bytes], *, name: str = "site", site_toml: str = SITE_TOML) -> Path:
        root = tmp_path / name
        root.mkdir()
        all_files: dict[str, str | bytes] = {"site.toml": site_toml, **files}
        for rel, data in all_files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(textwrap.dedent(data) if rel.endswith(".html") else data, encoding="utf-8")
            # Files a user builds were mostly written a while ago; the cache trusts only settled stats.
            os.utime(path, (time.time() - 60, time.time() - 60))
        return root

    return make


# --- Fixture sites built once per session (tests/sites/, used by test_golden.py and test_links.py) ---


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """``built_site("multi", "offline")``: the output folder of a fixture site, built once per session.

    Sites are the keys of ``regenerate_golden.SITES`` ("example" is the repository's own
    site); modes those of ``regenerate_golden.MODES``. Treat the folder as read-only.
    """
    import regenerate_golden

    cache: dict[tuple[str, str], Path] = {}

    def build(site: str, mode: str) -> Path:
        if (site, mode) not in cache:
            folder = tmp_path_factory.mktemp(f"built-{site}-{mode}")
            cache[site, mode] = regenerate_golden.build_site(site, mode, folder / "out")
        return cache[site, mode]

    return build


def search_made_beside(monkeypatch: pytest.MonkeyPatch, started: list[int] | None = None) -> list[int]:
    """Have every build of this test make its search index beside the rendering (workers.Beside),
    however few its pages; returns the list each such build adds to: the pid of the process that
    made the index (a forked child's, unless the child could not answer). ``started`` gets the pid
    of each child as it is forked, for builds that stop before they take the index."""
    made_in: list[int] = []

    class Spied(build_module.Beside):  # type: ignore[type-arg]
        def __init__(self, func: Callable[[], object]) -> None:
            super().__init__(lambda: (os.getpid(), func()))
            if started is not None:
                started.append(self.pid or 0)

        def result(self) -> object:
            pid, value = super().result()
            made_in.append(pid)
            return value

    monkeypatch.setattr(build_module, "SEARCH_BESIDE_AT", 0)
    monkeypatch.setattr(build_module, "Beside", Spied)
    return made_in


def calls_to(monkeypatch: pytest.MonkeyPatch, owner: type, method: str) -> list[object]:
    """Record the first argument of every call of ``owner.method`` in this process (a forked
    child's calls are its own) and let each go through; returns the list they are added to."""
    seen: list[object] = []
    real = getattr(owner, method)

    def recorded(self: object, first: object, *rest: object) -> object:
        seen.append(first)
        return real(self, first, *rest)

    monkeypatch.setattr(owner, method, recorded)
    return seen
