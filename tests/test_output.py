"""The output folder is replaced in one step, and nothing is written outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.errors import BuildFailed
from generator.output import OutsideOutput, Staging, output_lock
from tests.conftest import MakeSite, article


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_build_leaves_previous_output_intact(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First"), "content/b.md": article("Second")})
    build(site)
    before = tree(site / "output")
    (site / "content/b.md").write_text(article("Second", date="yesterday"), encoding="utf-8")
    with pytest.raises(BuildFailed):
        build(site)
    assert tree(site / "output") == before
    assert not [p for p in site.iterdir() if p.name.startswith(".output.staging")]


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
    assert result.files_unchanged > 0 and result.files_changed > 0


@pytest.mark.parametrize(
    "rel", ["../escape.html", "a/../../escape.html", "/etc/passwd", "a\\..\\b", "nul\x00.html", ""]
)
def test_staging_refuses_paths_outside(tmp_path: Path, rel: str) -> None:
    staging = Staging(tmp_path / "output")
    with pytest.raises(OutsideOutput):
        staging.write(rel, b"x")
    staging.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_staging_refuses_symlink_leading_out(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "output")
    (staging.path / "link").symlink_to(tmp_path)
    with pytest.raises(OutsideOutput):
        staging.write("link/escape.html", b"x")
    assert not (tmp_path / "escape.html").exists()


def test_staging_refuses_one_path_twice(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "output")
    staging.write("a/index.html", b"1")
    with pytest.raises(FileExistsError):
        staging.write("A/index.html", b"2")


def test_crafted_slug_cannot_write_outside(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("Escape", extra="slug: ../../../../escape\n")})
    with pytest.raises(BuildFailed) as failure:
        build(site)
    assert "content/a.md:6: slug:" in failure.value.show()
    assert not list(tmp_path.rglob("escape*"))
    assert not (site / "output").exists()


def test_stale_staging_folders_are_removed_by_next_build(make_site: MakeSite) -> None:
    site = make_site({"content/a.md": article("First")})
    stale = site / ".output.staging-killed"
    (stale / "x").mkdir(parents=True)
    build(site)
    assert not stale.exists()


def test_output_lock_serialises_and_cleans(tmp_path: Path) -> None:
    with output_lock(tmp_path / "out"):
        assert (tmp_path / ".out.lock").exists()


def test_commit_into_new_and_existing_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for generation in (b"one", b"two"):
        staging = Staging(out)
        staging.write("index.html", generation)
        staging.commit()
        assert (out / "index.html").read_bytes() == generation
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_folder_option_builds_elsewhere(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("First")})
    build(site, BuildOptions(output=tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere/index.html").exists()
    assert not (site / "output").exists()
