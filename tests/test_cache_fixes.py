"""The build cache and the output folder's records, when what they describe changed behind Dateline's back.

An output file edited, deleted or added by hand, a --no-cache build killed before removing its scratch
cache, garbage in the small values of the cache, a cache that cannot be opened, and the policy for
symbolic links in static/ (links within the site work, links leading out of it are refused).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import sqlite3
import time
import zlib
from pathlib import Path

import pytest
from conftest import MakeSite, article

import generator.cache as cache_module
from generator.build import BuildOptions, build
from generator.cache import CACHE_DIR, CACHE_FILE, SCRATCH_PREFIX
from generator.errors import BuildFailed


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def small_site(make_site: MakeSite) -> Path:
    return make_site(
        {f"content/2020/a{n}.md": article(f"Article {n}", f"2020-01-{n + 1:02d}") for n in range(4)}
    )


def clean_build(site: Path, tmp_path: Path) -> dict[str, bytes]:
    return tree(
        build(site, BuildOptions(output=tmp_path / "reference", cache=False, jobs=1)).config.output_dir
    )


@pytest.mark.parametrize("change", ["edit", "delete", "add", "replace-by-link"])
def test_an_output_changed_by_hand_is_repaired_by_the_next_build(
    change: str, make_site: MakeSite, tmp_path: Path
) -> None:
    """Nothing in the site changed, so the next build would be a no-op: it must repair the output."""
    site = small_site(make_site)
    build(site, BuildOptions(jobs=1))
    build(site, BuildOptions(jobs=1))  # the twin holds a build too, hard-linked to the live files
    out = site / "output"
    page = next(p for p in sorted(out.rglob("index.html")) if p.parent != out)
    if change == "edit":
        page.write_bytes(page.read_bytes().replace(b"Article", b"Altered"))
    elif change == "delete":
        page.unlink()
    elif change == "add":
        (page.parent / "extra.html").write_text("added by hand", encoding="utf-8")
    else:
        page.unlink()
        page.symlink_to(tmp_path)
    build(site, BuildOptions(jobs=1))
    assert tree(out) == clean_build(site, tmp_path)
    build(site, BuildOptions(jobs=1))  # and the build after that, from the twin, too
    assert tree(out) == clean_build(site, tmp_path)


@pytest.mark.parametrize("change", ["same-bytes-new-file", "other-bytes-new-file", "edit-in-place", "add"])
def test_a_twin_changed_by_hand_is_not_trusted(change: str, make_site: MakeSite, tmp_path: Path) -> None:
    """The twin's files are checked through the live folder's where they are the same files (hard
    links); one replaced in the twin by another file, even of the same bytes, or edited, or added,
    is found, and the output after the swap is still what a clean build makes."""
    site = small_site(make_site)
    for n in range(2):  # two builds: the twin holds the first, recorded, its files linked to the live ones
        (site / "content/2020/a1.md").write_text(article("Article 1", "2020-01-02", body=f"Edit {n}."))
        os.utime(site / "content/2020/a1.md", (time.time() - 60, time.time() - 60))
        build(site, BuildOptions(jobs=1))
    twin = site / ".output.dateline-back"
    page = next(  # a page both folders share: one file under two names
        p
        for p in sorted(twin.rglob("index.html"))
        if p.stat().st_ino == (site / "output" / p.relative_to(twin)).stat().st_ino
    )
    if change == "same-bytes-new-file":
        data = page.read_bytes()
        page.unlink()
        page.write_bytes(data)
    elif change == "other-bytes-new-file":
        page.unlink()
        page.write_text("replaced by hand", encoding="utf-8")
    elif change == "edit-in-place":
        with page.open("ab") as handle:
            handle.write(b"<!-- edited by hand -->")
    else:
        (page.parent / "extra.html").write_text("added by hand", encoding="utf-8")
    for n in (2, 3):  # the first swaps the twin in; the second builds from the other folder
        (site / "content/2020/a1.md").write_text(article("Article 1", "2020-01-02", body=f"Edit {n}."))
        os.utime(site / "content/2020/a1.md", (time.time() - 60, time.time() - 60))
        build(site, BuildOptions(jobs=1))
        assert tree(site / "output") == clean_build(site, tmp_path / str(n))


def test_a_file_deleted_from_the_hidden_twin_is_not_missing_after_the_swap(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = small_site(make_site)
    for n in range(3):  # the first build, then one that swaps: the twin holds the first, recorded
        if n:
            (site / "content/2020/a1.md").write_text(article("Article 1", "2020-01-02", body=f"Edit {n}."))
            os.utime(site / "content/2020/a1.md", (time.time() - 60, time.time() - 60))
        if n == 2:
            (site / ".output.dateline-back/assets/style.css").unlink()
        build(site, BuildOptions(jobs=1))  # the last: the twin, brought up to date, becomes the output
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_an_untouched_output_is_still_a_no_op(make_site: MakeSite) -> None:
    site = small_site(make_site)
    build(site, BuildOptions(jobs=1))
    again = build(site, BuildOptions(jobs=1))
    assert (again.parsed, again.pages_rendered, again.files_written, again.files_linked) == (0, 0, 0, 0)


@pytest.mark.parametrize("key", ["last-build", "index", "page-state", "search"])
def test_garbage_in_a_stored_value_is_a_miss(key: str, make_site: MakeSite, tmp_path: Path) -> None:
    site = small_site(make_site)
    build(site, BuildOptions(jobs=1))
    # Not plain data at all, then plain data of the wrong shapes, each with a right checksum.
    for garbage in (b"garbage{", pickle.dumps({}), pickle.dumps([1, 2]), pickle.dumps({"tree": 1})):
        with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
            changed = db.execute(
                "UPDATE state SET data = ?, checksum = ? WHERE key = ?", (garbage, zlib.crc32(garbage), key)
            )
            assert changed.rowcount == 1
        db.close()
        (site / "content/2020/a1.md").write_text(article("Article 1", "2020-01-02", body="Edited."))
        os.utime(site / "content/2020/a1.md", (time.time() - 60, time.time() - 60))
        build(site, BuildOptions(jobs=1))
        assert tree(site / "output") == clean_build(site, tmp_path)


def test_a_no_cache_build_leaves_nothing_behind(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = small_site(make_site)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    build(site, BuildOptions(cache=False, jobs=1))
    assert list(temp.iterdir()) == []
    assert not list((site / CACHE_DIR).glob(f"{SCRATCH_PREFIX}*"))


def test_scratch_caches_of_killed_builds_are_removed_but_not_ones_in_use(make_site: MakeSite) -> None:
    site = small_site(make_site)
    folder = site / CACHE_DIR
    folder.mkdir()
    killed, running, starting = (folder / f"{SCRATCH_PREFIX}{name}" for name in ("killed", "running", "new"))
    for scratch in (killed, running, starting):
        scratch.mkdir()
        (scratch / CACHE_FILE).write_bytes(b"left over")
    for scratch in (killed, running):
        os.utime(scratch, (time.time() - 3600, time.time() - 3600))
    handle = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as the build using it holds it
        build(site, BuildOptions(cache=False, jobs=1))
        assert not killed.exists()
        assert running.exists()  # locked: its build is running
        assert starting.exists()  # too young to tell: its build may not have locked it yet
    finally:
        os.close(handle)


def test_a_cache_that_cannot_be_opened_is_one_message(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = small_site(make_site)

    def refuse(*args: object, **kwargs: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(cache_module.sqlite3, "connect", refuse)
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(jobs=1))
    assert [str(d) for d in failed.value.diagnostics] == [
        ".dateline: cannot open the build cache: unable to open database file"
    ]


def test_static_links_within_the_site_are_published(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("A"), "shared/logo.txt": "logo\n"})
    (site / "static").mkdir()
    (site / "static/logo.txt").symlink_to("../shared/logo.txt")
    (site / "static/more").symlink_to(site / "shared", target_is_directory=True)  # folders are not followed
    build(site, BuildOptions(jobs=1))
    assert (site / "output/logo.txt").read_text() == "logo\n"


def test_a_static_folder_linked_outside_the_site_is_refused(make_site: MakeSite, tmp_path: Path) -> None:
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "key.txt").write_text("secret\n")
    site = make_site({"content/a.md": article("A")})
    (site / "static").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(jobs=1))
    assert [str(d) for d in failed.value.diagnostics] == [
        "static/key.txt: symbolic link to a file outside the site folder"
    ]
    assert not (site / "output").exists()


def test_the_twin_is_checked_through_the_files_it_shares_with_the_live_folder(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild asks the system about the twin's folders and about the files it does not share
    with the live folder, not about each of its files again (37,000 of them at 10,000 articles)."""
    site = make_site(
        {
            f"content/2020/a{n}.md": article(f"Article {n}", f"2020-{n % 12 + 1:02d}-{n // 12 + 1:02d}")
            for n in range(40)
        }
    )
    edited = site / "content/2020/a1.md"

    def edit(n: int) -> None:  # a new body under the same summary: only the article's own page changes
        edited.write_text(article("Article 1", "2020-02-01", extra="summary: Fixed.\n", body=f"Edit {n}."))
        os.utime(edited, (time.time() - 60, time.time() - 60))

    for n in range(2):
        edit(n)
        build(site, BuildOptions(jobs=1))
    twin = site / ".output.dateline-back"
    files = {os.fspath(p) for p in twin.rglob("*") if p.is_file()}
    asked: list[str] = []
    real = os.lstat

    def counting(path: str, *args: object, **kwargs: object) -> os.stat_result:
        asked.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", counting)
    edit(2)
    build(site, BuildOptions(jobs=1))
    monkeypatch.undo()
    assert len(files) > 100
    assert len(files & set(asked)) < 10
