"""A first build, with no output folder yet, has its pages written where they are rendered (in the
worker processes, output.write_new) rather than sent to the main process: the same files, the
same record of them, the same clear message when a write fails, and never a write through a link."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from conftest import MakeSite, article
from test_cache_fixes import clean_build, tree

import generator.output as output
from generator.build import BuildOptions, build
from generator.cache import open_cache
from generator.errors import BuildFailed
from generator.output import OutputWriter, digest_of, tree_key, write_new
from generator.workers import MIN_PARALLEL


def _site(make_site: MakeSite, count: int) -> Path:
    return make_site(
        {
            f"content/2020/a{n}.md": article(f"Article {n}", f"2020-{n % 12 + 1:02d}-{n % 28 + 1:02d}")
            for n in range(count)
        }
    )


def test_a_parallel_first_build_records_the_files_it_wrote(make_site: MakeSite, tmp_path: Path) -> None:
    site = _site(make_site, 40)  # some 150 pages: more than one worker's share
    result = build(site, BuildOptions(jobs=2))
    out = site / "output"
    assert result.pages_rendered > MIN_PARALLEL
    assert tree(out) == clean_build(site, tmp_path)
    with open_cache(site) as cache:
        found = cache.manifest(tree_key(out) or "")
    assert found is not None
    manifest = found[0]
    files = tree(out)
    assert manifest.keys() == files.keys()
    assert all(manifest[rel][1] == digest_of(data) for rel, data in files.items())
    assert result.files_written == len(files)
    # The record is trusted: after an edit, every file whose bytes did not change keeps its
    # modification time.
    times = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    (site / "content/2020/a3.md").write_text(article("Article 3", "2020-04-04", body="Edited."), "utf-8")
    again = build(site, BuildOptions(jobs=2))
    assert 0 < again.files_written < 20
    after = tree(out)
    same = [
        p for p in times if after.get(p.relative_to(out).as_posix()) == files[p.relative_to(out).as_posix()]
    ]
    assert len(same) > len(files) - 20
    assert all(p.stat().st_mtime_ns == times[p] for p in same)


def test_only_a_first_build_writes_in_the_workers(make_site: MakeSite) -> None:
    site = _site(make_site, 2)
    out = site / "output"
    with open_cache(site) as cache:
        assert OutputWriter(out, cache).fresh_twin() == os.fspath(OutputWriter.twin_of(out))
    build(site, BuildOptions(jobs=1))
    with open_cache(site) as cache:
        assert OutputWriter(out, cache).fresh_twin() is None  # a live folder: its unchanged files are kept


def test_write_new_never_writes_through_a_link_or_over_a_file(tmp_path: Path) -> None:
    twin, secret = tmp_path / "twin", tmp_path / "secret.txt"
    (twin / "a").mkdir(parents=True)
    secret.write_text("mine", encoding="utf-8")
    (twin / "a/index.html").symlink_to(secret)
    with pytest.raises(FileExistsError):
        write_new(os.fspath(twin), "a/index.html", b"<p>page</p>")
    assert secret.read_text(encoding="utf-8") == "mine"
    (twin / "b").mkdir()
    (twin / "b/index.html").write_bytes(b"first")
    with pytest.raises(FileExistsError):
        write_new(os.fspath(twin), "b/index.html", b"second")
    assert (twin / "b/index.html").read_bytes() == b"first"
    assert write_new(os.fspath(twin), "c/d/index.html", b"new") == digest_of(b"new")
    assert (twin / "c/d/index.html").read_bytes() == b"new"


def fill_the_disk(monkeypatch: pytest.MonkeyPatch, at_write: int) -> None:
    """Make the output's ``at_write``-th write of this process fail as on a full disk; forked
    workers inherit the patch (each counting its own writes from there)."""
    real_write = os.write
    calls = {"n": 0}

    def full(handle: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == at_write:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(handle, data)

    monkeypatch.setattr(output.os, "write", full)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_write_in_a_first_build_is_one_clear_message(
    jobs: int, make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site, 40)
    fill_the_disk(monkeypatch, at_write=30)
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(jobs=jobs))
    monkeypatch.undo()
    [problem] = failed.value.diagnostics
    assert "No space left on device" in str(problem) and "\n" not in str(problem)
    assert problem.path.startswith("output/") and ".dateline-" not in problem.path, problem.path
    assert not (site / "output").exists()  # nothing is published
    build(site, BuildOptions(jobs=jobs))  # the next build completes the twin it left, file by file
    assert tree(site / "output") == clean_build(site, tmp_path)
