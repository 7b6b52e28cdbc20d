"""The output folder is replaced in one step, and nothing is written outside it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.cache import open_cache
from generator.errors import BuildFailed
from generator.output import OutputWriter, OutsideOutput, WriteFailed, output_lock
from tests.conftest import MakeSite, article


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_failed_build_leaves_previous_output_intact(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First"), "content/b.md": article("Second")})
    build(site)
    before = tree(site / "output")
    (site / "content/b.md").write_text(article("Second", date="yesterday"), encoding="utf-8")
    with pytest.raises(BuildFailed):
        build(site)
    assert tree(site / "output") == before


def test_template_error_during_rendering_leaves_previous_output(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First")})
    build(site)
    before = tree(site / "output")
    (site / "templates").mkdir()
    (site / "templates/article.html").write_text("{{ page.missing_field }}", encoding="utf-8")
    with pytest.raises(BuildFailed) as failure:
        build(site)
    assert "templates/article.html:1: undefined variable" in failure.value.show()
    assert tree(site / "output") == before


def test_deleted_article_disappears_from_next_build(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First"), "content/b.md": article("Gone soon")})
    build(site)
    assert (site / "output/2020/02/gone-soon/index.html").exists()
    (site / "content/b.md").unlink()
    build(site)
    assert not (site / "output/2020/02/gone-soon").exists()


def test_unchanged_files_keep_their_inode_and_mtime(make_site: MakeSite) -> None:
    second = article("Second", "2021-01-01", body="Summary stays.\n\nOld ending.")
    site = make_site({"content/a.md": article("First"), "content/b.md": second})
    build(site)
    page = site / "output/2020/02/first/index.html"
    os.utime(page, (1_000_000, 1_000_000))
    stat = page.stat()
    (site / "content/b.md").write_text(second.replace("Old ending.", "New ending."), encoding="utf-8")
    result = build(site)
    assert page.stat().st_ino == stat.st_ino
    assert page.stat().st_mtime == 1_000_000
    assert result.files_written > 0


@pytest.fixture
def writer(tmp_path: Path) -> OutputWriter:
    return OutputWriter(tmp_path / "output", open_cache(tmp_path, scratch=tmp_path))


@pytest.mark.parametrize(
    "rel", ["../escape.html", "a/../../escape.html", "/etc/passwd", "a\\..\\b", "nul\x00.html", ""]
)
def test_writer_refuses_paths_outside(writer: OutputWriter, tmp_path: Path, rel: str) -> None:
    with pytest.raises(OutsideOutput):
        writer.put(rel, "fp", b"x")
    assert not (tmp_path / "escape.html").exists()


def test_writer_refuses_symlink_leading_out(writer: OutputWriter, tmp_path: Path) -> None:
    writer.put("index.html", "fp", b"x")
    (writer.back / "link").symlink_to(tmp_path)
    with pytest.raises(OutsideOutput):
        writer.put("link/escape.html", "fp", b"x")
    assert not (tmp_path / "escape.html").exists()


def test_writer_refuses_one_path_twice(writer: OutputWriter) -> None:
    writer.put("a/index.html", "fp", b"1")
    with pytest.raises(FileExistsError):
        writer.put("A/index.html", "fp", b"2")


def test_crafted_slug_cannot_write_outside(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("Escape", extra="slug: ../../../../escape\n")})
    with pytest.raises(BuildFailed) as failure:
        build(site)
    assert "content/a.md:6: slug:" in failure.value.show()
    assert not list(tmp_path.rglob("escape*"))
    assert not (site / "output").exists()


def test_output_lock_file_sits_beside_output(tmp_path: Path) -> None:
    with output_lock(tmp_path / "out"):
        assert (tmp_path / ".out.lock").exists()


def test_commit_into_new_and_existing_folder(tmp_path: Path) -> None:
    cache = open_cache(tmp_path, scratch=tmp_path)
    out = tmp_path / "out"
    for generation in (b"one", b"two", b"three"):
        writer = OutputWriter(out, cache)
        writer.put("index.html", generation.decode(), generation)
        writer.put(f"{generation.decode()}.html", "fp", generation)
        writer.commit()
        assert (out / "index.html").read_bytes() == generation
        assert sorted(p.name for p in out.iterdir()) == sorted(["index.html", f"{generation.decode()}.html"])


def test_half_written_twin_is_not_trusted(make_site: MakeSite) -> None:
    """A build that died while updating the hidden twin leaves it marked untrusted; the next build is right."""
    site = make_site({"content/a.md": article("First"), "content/b.md": article("Second", "2021-01-01")})
    build(site)
    (site / "content/b.md").write_text(article("Second", "2021-01-01", body="Changed."), encoding="utf-8")
    build(site)
    twin = site / ".output.dateline-back"
    (twin / "junk.html").write_text("left by a killed build", encoding="utf-8")
    (twin / "index.html").write_text("half written", encoding="utf-8")
    with open_cache(site) as cache:
        writer = OutputWriter(site / "output", cache)
        writer._start()  # what a build does just before touching the twin, then it is killed
    (site / "content/a.md").write_text(article("First", body="Edited."), encoding="utf-8")
    build(site)
    fresh = build(site, BuildOptions(output=site.parent / "fresh", cache=False))
    assert tree(site / "output") == tree(fresh.config.output_dir)


def test_output_folder_option_builds_elsewhere(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("First")})
    build(site, BuildOptions(output=tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere/index.html").exists()
    assert not (site / "output").exists()


@pytest.mark.parametrize("change", ["file becomes folder", "folder becomes file"])
def test_a_static_file_and_a_folder_of_one_name_trade_places(
    make_site: MakeSite, tmp_path: Path, change: str
) -> None:
    """The twin still holds the old build's ``foo`` two builds later, when the swap brings it back."""
    site = make_site({"content/a.md": article("A", "2020-01-01"), "static/keep.txt": "kept"})
    static = site / "static"
    if change == "file becomes folder":
        (static / "foo").write_text("a file", encoding="utf-8")
    else:
        (static / "foo").mkdir()
        (static / "foo" / "bar.txt").write_text("in a folder", encoding="utf-8")
    build(site)
    if change == "file becomes folder":
        (static / "foo").unlink()
        (static / "foo").mkdir()
        (static / "foo" / "bar.txt").write_text("now in a folder", encoding="utf-8")
    else:
        shutil.rmtree(static / "foo")
        (static / "foo").write_text("now a file", encoding="utf-8")
    for n in range(3):  # the change, then builds that swap the old build's twin back in and update it
        if n:
            (site / "content/a.md").write_text(
                article("A", "2020-01-01", body=f"Edit {n}."), encoding="utf-8"
            )
        build(site)
        expected = tmp_path / f"clean-{n}"
        build(site, BuildOptions(output=expected, cache=False))
        assert tree(site / "output") == tree(expected), f"build {n + 2}"


def test_writer_never_writes_through_a_link_planted_in_a_new_folder(
    writer: OutputWriter, tmp_path: Path
) -> None:
    writer.put("a/index.html", "fp", b"x")  # the twin and its folder a/ are this build's own
    outside = tmp_path / "outside.html"
    outside.write_bytes(b"kept")
    (writer.back / "a" / "page.html").symlink_to(outside)
    with pytest.raises(WriteFailed):
        writer.put("a/page.html", "fp", b"written")
    assert outside.read_bytes() == b"kept"
