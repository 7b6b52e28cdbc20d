"""The check of the output folder and its twin, run in a forked child for large folders, answers
exactly what the check in process answers, and leaves no process behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import MakeSite, article, calls_to
from test_cache_fixes import clean_build, tree

import generator.output_check as output_check
from generator.build import BuildOptions, build
from generator.cache import BuildCache, open_cache
from generator.errors import BuildFailed
from generator.output import trusted
from generator.output_check import FolderCheck


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every folder is checked in a child; returns the pids of the children made."""
    made: list[int] = []
    real = output_check._Child.__init__

    def spied(self: output_check._Child, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        made.append(self.pid)

    monkeypatch.setattr(output_check, "FORK_AT_BYTES", 1)
    monkeypatch.setattr(output_check._Child, "__init__", spied)
    return made


def _site(make_site: MakeSite) -> Path:
    return make_site({f"content/a{n}.md": article(f"Article {n}", f"2020-01-{n + 1:02d}") for n in range(8)})


def _edit(site: Path, n: int) -> None:
    path = site / "content/a1.md"
    path.write_text(article("Article 1", "2020-01-02", body=f"Edit {n}."), encoding="utf-8")
    os.utime(path, (time.time() - 60 + n, time.time() - 60 + n))


def _no_children_left() -> bool:
    """True when this process has no child, running or waiting to be reaped."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_child_answers_as_the_process_would(make_site: MakeSite, forking: list[int]) -> None:
    site = _site(make_site)
    for n in range(3):
        _edit(site, n)
        build(site, BuildOptions(jobs=1))
    out = site / "output"
    with open_cache(site) as cache:
        with FolderCheck(cache, out, None) as check:
            front, back = check.result()
        expected_front = trusted(cache, out, None)
        expected_back = trusted(cache, out.parent / ".output.dateline-back", None, expected_front)
    assert forking and front is not None and back is not None and expected_front is not None
    # The live folder's stat lines stay in the child: only its verdict and manifest come back.
    assert (front, back) == ((expected_front[0], {}), expected_back)
    assert _no_children_left()


def test_the_verdict_on_the_live_folder_costs_the_build_no_record(
    make_site: MakeSite, forking: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child reads the folders' records itself: the build learns that the live folder holds
    what was recorded (all a no-op build asks) without reading a record; it reads them for the
    whole answer, which matches the check in process."""
    site = _site(make_site)
    for n in range(2):
        _edit(site, n)
        build(site, BuildOptions(jobs=1))
    read = calls_to(monkeypatch, BuildCache, "manifest")
    out = site / "output"
    with open_cache(site) as cache, FolderCheck(cache, out, None) as check:
        assert check.front_trusted()
        assert read == [] and forking
        front, back = check.result()
        assert len(read) == 2
        expected_front = trusted(cache, out, None)
        expected_back = trusted(cache, out.parent / ".output.dateline-back", None, expected_front)
    assert expected_front is not None and (front, back) == ((expected_front[0], {}), expected_back)
    assert _no_children_left()


def test_the_child_finds_an_edited_live_folder_untrusted(make_site: MakeSite, forking: list[int]) -> None:
    site = _site(make_site)
    for n in range(2):
        _edit(site, n)
        build(site, BuildOptions(jobs=1))
    page = next(p for p in sorted((site / "output").rglob("index.html")) if p.parent != site / "output")
    page.write_bytes(page.read_bytes() + b"<!-- edited by hand -->")
    with open_cache(site) as cache, FolderCheck(cache, site / "output", None) as check:
        front, _ = check.result()
    assert forking and front is None


@pytest.mark.parametrize("change", ["none", "edit-live", "delete-twin"])
def test_builds_with_the_check_in_a_child_match_clean_builds(
    change: str, make_site: MakeSite, tmp_path: Path, forking: list[int]
) -> None:
    site = _site(make_site)
    for n in range(2):
        _edit(site, n)
        build(site, BuildOptions(jobs=1))
    out, twin = site / "output", site / ".output.dateline-back"
    if change == "edit-live":
        page = next(p for p in sorted(out.rglob("index.html")) if p.parent != out)
        page.write_bytes(page.read_bytes().replace(b"Article", b"Altered"))
    elif change == "delete-twin":
        next(p for p in sorted(twin.rglob("index.html")) if p.parent != twin).unlink()
    for n in (2, 3):
        _edit(site, n)
        build(site, BuildOptions(jobs=1))
        assert tree(out) == clean_build(site, tmp_path / str(n))
    assert len(forking) >= 2 and _no_children_left()


def test_a_build_that_fails_leaves_no_child(make_site: MakeSite, forking: list[int]) -> None:
    site = _site(make_site)
    for n in range(2):
        _edit(site, n)
        build(site, BuildOptions(jobs=1))
    (site / "content/a2.md").write_text(
        "---\ntitle: Broken\ndate: yesterday\n---\n\nBody.\n", encoding="utf-8"
    )
    with pytest.raises(BuildFailed):
        build(site, BuildOptions(jobs=1))
    assert forking and _no_children_left()


def test_a_child_that_fails_is_answered_in_process(
    make_site: MakeSite, tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    for n in range(2):
        _edit(site, n)
        build(site, BuildOptions(jobs=1))

    def failing(*args: object) -> object:
        raise OSError("the child fails")

    monkeypatch.setattr(output_check, "_check", failing)
    _edit(site, 2)
    result = build(site, BuildOptions(jobs=1))
    assert forking and result.pages_rendered < result.pages  # the folders were still trusted
    assert tree(site / "output") == clean_build(site, tmp_path)


def _twin(site: Path) -> Path:
    return site / ".output.dateline-back"


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_the_child_makes_the_missing_twin_for_a_build_that_writes(
    make_site: MakeSite, tmp_path: Path, forking: list[int]
) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    assert not _twin(site).exists()  # a first build leaves no twin
    live = _inodes(site / "output")
    _edit(site, 1)
    result = build(site, BuildOptions(jobs=1))
    # The writer linked nothing itself: the child had made the twin, every file a link of the old
    # live folder's, which is now the twin: its unchanged files are still those inodes.
    assert forking and result.files_linked == 0 and 0 < result.files_written < len(live)
    assert _inodes(_twin(site)) == live
    kept = {rel for rel, inode in _inodes(site / "output").items() if live.get(rel) == inode}
    assert kept and len(kept) == len(live) - result.files_written
    assert tree(site / "output") == clean_build(site, tmp_path)
    _edit(site, 2)
    build(site, BuildOptions(jobs=1))
    assert tree(site / "output") == clean_build(site, tmp_path / "again")
    assert _no_children_left()


def test_a_no_op_build_makes_no_twin(make_site: MakeSite, forking: list[int]) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    result = build(site, BuildOptions(jobs=1))
    assert forking and result.files_written == 0 and not _twin(site).exists()
    assert _no_children_left()


def test_a_twin_made_for_a_build_that_fails_is_trusted_by_the_next(
    make_site: MakeSite, tmp_path: Path, forking: list[int]
) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    broken = site / "content/a2.md"
    good = broken.read_text(encoding="utf-8")
    broken.write_text("---\ntitle: Broken\ndate: yesterday\n---\n\nBody.\n", encoding="utf-8")
    with pytest.raises(BuildFailed):
        build(site, BuildOptions(jobs=1))
    assert _twin(site).is_dir() and _no_children_left()
    with open_cache(site) as cache:
        front = trusted(cache, site / "output", None)
        assert front is not None and trusted(cache, _twin(site), None, front) is not None
    broken.write_text(good, encoding="utf-8")
    _edit(site, 1)
    result = build(site, BuildOptions(jobs=1))
    assert result.files_linked == 0  # the twin was trusted: nothing to link into it again
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_a_twin_that_is_there_is_not_touched_by_the_child(
    make_site: MakeSite, tmp_path: Path, forking: list[int]
) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    stray = _twin(site) / "stray.txt"  # a twin no cache knows of: the writer checks it file by file
    stray.parent.mkdir()
    stray.write_text("left by someone", encoding="utf-8")
    _edit(site, 1)
    build(site, BuildOptions(jobs=1))
    assert not stray.exists()  # the old live folder is the twin now
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_a_twin_the_child_could_not_finish_is_completed_by_the_build(
    make_site: MakeSite, tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    real_link, parent = os.link, os.getpid()
    links: list[str] = []

    def failing_link(src: str, dst: str, *args: object, **kwargs: object) -> None:
        links.append(dst)
        if len(links) == 3 and os.getpid() != parent:  # the child's third link
            raise OSError(28, "No space left on device")
        real_link(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", failing_link)
    monkeypatch.setattr("generator.output.os.link", failing_link)
    _edit(site, 1)
    result = build(site, BuildOptions(jobs=1))
    assert result.files_linked > 0  # the twin was not trusted: the writer linked into it
    assert tree(site / "output") == clean_build(site, tmp_path)
    assert _no_children_left()
