"""A first build copies its files ahead (hardlinks.TwinCopy) so that the build after it has a twin
to write in; whatever happens to that copy, the output is the clean build's and nothing is left
behind: no spare folder, no child process."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import MakeSite, article
from test_cache_fixes import clean_build, tree
from test_output_check import _edit, _inodes, _no_children_left, _site, _twin

import generator.hardlinks as hardlinks
import generator.output as output
import generator.output_check as output_check
from generator.build import BuildOptions, build, clean
from generator.cache import open_cache
from generator.errors import BuildFailed
from generator.output import OutputWriter, trusted


@pytest.fixture
def copying(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every first build copies its files ahead, however small."""
    monkeypatch.setattr(output, "FORK_AT", 1)


def _spare(site: Path) -> Path:
    return site / ".output.dateline-spare"


def test_a_first_build_leaves_a_trusted_twin_of_links(
    make_site: MakeSite, tmp_path: Path, copying: None
) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    out, twin = site / "output", _twin(site)
    assert _inodes(twin) == _inodes(out) and _inodes(out)  # the same files, linked
    assert not _spare(site).exists() and _no_children_left()
    with open_cache(site) as cache:
        front = trusted(cache, out, None)
        assert front is not None and trusted(cache, twin, None, front) is not None
    _edit(site, 1)
    result = build(site, BuildOptions(jobs=1))
    assert result.files_linked == 0 and result.files_written > 0  # nothing to link into the twin
    assert tree(out) == clean_build(site, tmp_path)


def test_a_build_without_the_cache_copies_nothing(make_site: MakeSite, copying: None) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1, cache=False))
    assert not _twin(site).exists() and not _spare(site).exists()


def test_a_first_build_that_fails_before_its_swap_leaves_no_copy(
    make_site: MakeSite, copying: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    made: list[int] = []
    real = output.TwinCopy.__init__

    def spied(self: output.TwinCopy, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        made.append(self.pid)

    def failing(self: OutputWriter, swapped: object = None) -> None:
        raise output.WriteFailed("output", "swap the new build in", OSError(28, "No space left on device"))

    monkeypatch.setattr(output.TwinCopy, "__init__", spied)
    monkeypatch.setattr(OutputWriter, "commit", failing)
    with pytest.raises(BuildFailed):
        build(site, BuildOptions(jobs=1))
    assert made and not _spare(site).exists() and not (site / "output").exists()
    assert _no_children_left()


def test_a_copy_that_fails_leaves_no_twin_and_a_whole_build(
    make_site: MakeSite, tmp_path: Path, copying: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    real_link, parent = os.link, os.getpid()

    def failing_link(src: str, dst: str, *args: object, **kwargs: object) -> None:
        if os.getpid() != parent and dst.endswith("index.html"):
            raise OSError(28, "No space left on device")
        real_link(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", failing_link)
    build(site, BuildOptions(jobs=1))
    assert not _twin(site).exists() and not _spare(site).exists() and _no_children_left()
    assert tree(site / "output") == clean_build(site, tmp_path)
    _edit(site, 1)
    build(site, BuildOptions(jobs=1))
    assert tree(site / "output") == clean_build(site, tmp_path / "again")


def test_a_spare_folder_a_killed_build_left_is_not_in_the_twin(
    make_site: MakeSite, tmp_path: Path, copying: None
) -> None:
    site = _site(make_site)
    stale = _spare(site) / "2020" / "stale.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("from a build that was killed", encoding="utf-8")
    build(site, BuildOptions(jobs=1))
    assert not _spare(site).exists()
    assert tree(_twin(site)) == tree(site / "output") == clean_build(site, tmp_path)


def test_a_spare_folder_left_beside_a_live_one_goes_with_the_next_build(
    make_site: MakeSite, copying: None
) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    _spare(site).mkdir()
    (_spare(site) / "stale.html").write_text("left", encoding="utf-8")
    _edit(site, 1)
    build(site, BuildOptions(jobs=1))
    assert not _spare(site).exists()


def test_clean_removes_the_spare_folder(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("A")})
    build(site, BuildOptions(jobs=1))
    _spare(site).mkdir()
    assert _spare(site) in clean(site) and not _spare(site).exists()


def test_a_no_op_build_does_not_wait_for_the_twin_check(
    make_site: MakeSite, tmp_path: Path, copying: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    build(site, BuildOptions(jobs=1))
    assert _twin(site).is_dir()
    real = output_check.verified
    twin, waited = os.fspath(_twin(site)), tmp_path / "waited"

    def slow_on_the_twin(folder: Path, *args: object) -> object:
        if os.fspath(folder) == twin:  # in the child: a minute on the twin, unless ended before
            time.sleep(60)
            waited.touch()
        return real(folder, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(output_check, "FORK_AT_BYTES", 1)
    monkeypatch.setattr(output_check, "verified", slow_on_the_twin)
    result = build(site, BuildOptions(jobs=1))
    assert result.files_written == 0 and result.pages_rendered == 0
    # The build took the live folder's verdict and ended the child while it was on the twin.
    assert not waited.exists() and _no_children_left()


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_link_files_links_every_file_into_the_folders_it_makes(tmp_path: Path, threads: int) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    rels = [
        f"{year}/{month:02}/{n}/index.html" for year in (2019, 2020) for month in (1, 2) for n in range(5)
    ]
    rels += ["index.html", "feed.xml", "2020/index.html"]
    for rel in rels:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(rel)
    target.mkdir()
    hardlinks.link_files(os.fspath(source), os.fspath(target), reversed(rels), threads)
    made = {os.fspath(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert made == set(rels)
    assert all(os.path.samefile(source / rel, target / rel) for rel in rels)


@pytest.mark.parametrize("count", [1, 2, 3, 7])
@pytest.mark.parametrize("length", [0, 1, 2, 5, 6, 9, 20])
def test_runs_cut_a_list_into_at_most_count_runs_of_neighbours(count: int, length: int) -> None:
    items = [f"{n:03}" for n in range(length)]
    runs = hardlinks._runs(items, count)
    assert [item for run in runs for item in run] == items  # every item once, in order
    assert len(runs) <= count and all(runs)
    assert len(runs) == min(count, length)  # no thread left idle
    assert max(map(len, runs), default=0) - min(map(len, runs), default=0) <= 1


def _relink_fixture(tmp_path: Path, count: int) -> tuple[Path, Path, Path, list[str]]:
    """A live folder and its twin whose files are hard links to a third folder's (the old build):
    the twin's files are to become the live ones, the old build's must not change."""
    live, twin, old = tmp_path / "live", tmp_path / "twin", tmp_path / "old"
    rels = [f"2020/{n:04}/index.html" for n in range(count)]
    for rel in rels:
        for folder in (live, twin, old):
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (live / rel).write_text(f"new {rel}")
        (old / rel).write_text(f"old {rel}")
        os.link(old / rel, twin / rel)
    return live, twin, old, rels


@pytest.mark.parametrize("count", [5, hardlinks.RELINK_THREADS_AT, 300])
def test_relink_files_puts_the_live_files_in_without_changing_the_old_ones(
    tmp_path: Path, count: int
) -> None:
    live, twin, old, rels = _relink_fixture(tmp_path, count)
    planted = twin / "2020/0001/index.html"
    planted.unlink()
    planted.symlink_to(tmp_path / "elsewhere")  # replaced, never followed
    assert hardlinks.relink_files(os.fspath(live), os.fspath(twin), rels) is None
    assert all(os.path.samefile(live / rel, twin / rel) for rel in rels)
    assert all((old / rel).read_text() == f"old {rel}" for rel in rels)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("count", [5, 300])
def test_relink_files_names_the_first_file_it_could_not_link(tmp_path: Path, count: int) -> None:
    live, twin, _, rels = _relink_fixture(tmp_path, count)
    (live / rels[3]).unlink()
    (live / rels[-1]).unlink()
    failed = hardlinks.relink_files(os.fspath(live), os.fspath(twin), rels)
    assert failed is not None and failed[0] == rels[3] and isinstance(failed[1], FileNotFoundError)
