"""A rebuild that renders many pages (a template changed, an article added at the top of long lists)
has them stored by the processes that render them (output.store_changed), not sent to the main
process: the clean build's files, unchanged bytes left with their modification times, one clear
message when a write fails, and no worker left behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import MakeSite, article
from test_cache_fixes import clean_build, tree
from test_fresh_twin import fill_the_disk
from test_output_check import _no_children_left

from generator.build import BuildOptions, BuildResult, build
from generator.errors import BuildFailed
from generator.output import OutputWriter
from generator.templates import theme_dir
from generator.workers import MIN_PARALLEL


def _site(make_site: MakeSite) -> Path:
    return make_site(
        {
            f"content/2020/a{n}.md": article(f"Article {n}", f"2020-{n % 12 + 1:02d}-{n % 28 + 1:02d}")
            for n in range(40)
        }
    )


def _with_trusted_twin(site: Path) -> None:
    """Build twice: the second build's twin (the first build's files) is then known to the next."""
    build(site, BuildOptions(jobs=2))
    path = site / "content/2020/a3.md"
    path.write_text(article("Article 3", "2020-04-04", body="Edited."), encoding="utf-8")
    os.utime(path, (time.time() - 30, time.time() - 30))
    build(site, BuildOptions(jobs=2))


def _base_template(site: Path, added: str) -> None:
    """The theme's base.html as the site's own, with ``added`` before its first line."""
    path = site / "templates/base.html"
    path.parent.mkdir(exist_ok=True)
    path.write_text(added + (theme_dir() / "base.html").read_text(encoding="utf-8"), encoding="utf-8")


def _pages_put(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages the main process writes (OutputWriter.put), rather than the rendering processes."""
    put: list[str] = []
    real = OutputWriter.put

    def spy(self: OutputWriter, rel: str, fingerprint: str, data: bytes | None) -> None:
        if rel.endswith("index.html"):
            put.append(rel)
        real(self, rel, fingerprint, data)

    monkeypatch.setattr(OutputWriter, "put", spy)
    return put


def _build(site: Path) -> BuildResult:
    return build(site, BuildOptions(jobs=2))


def test_pages_of_a_changed_template_are_written_where_they_are_rendered(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    _with_trusted_twin(site)
    put = _pages_put(monkeypatch)
    _base_template(site, "<!-- theme 2 -->\n")
    result = _build(site)
    assert result.pages_rendered > MIN_PARALLEL and result.files_written >= result.pages_rendered
    assert put == []
    assert tree(site / "output") == clean_build(site, tmp_path)
    assert b"<!-- theme 2 -->" in (site / "output/index.html").read_bytes()


def test_pages_rendered_to_the_same_bytes_keep_their_files(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template change that changes no page (a Jinja comment) renders every page again, and
    writes none: upload tools see no change."""
    site = _site(make_site)
    _with_trusted_twin(site)
    out = site / "output"
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*.html")}
    put = _pages_put(monkeypatch)
    _base_template(site, "{# a comment renders nothing #}")
    result = _build(site)
    assert result.pages_rendered > MIN_PARALLEL and put == []
    assert result.files_written == 0 and result.files_linked == 0
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*.html")} == before
    assert tree(out) == clean_build(site, tmp_path)
    # The twin, untouched after all, is still trusted: the next edit links into it only the files
    # of the edit before (the twin is the build before the live one), not every file again.
    (site / "content/2020/a5.md").write_text(article("Article 5", "2020-06-06", body="New."), "utf-8")
    again = _build(site)
    assert again.files_linked < 20 and 0 < again.files_written < 20
    assert tree(out) == clean_build(site, tmp_path)


def test_a_failed_write_in_a_worker_is_one_clear_message_and_the_output_stays(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    _with_trusted_twin(site)
    live = tree(site / "output")
    _base_template(site, "<!-- theme 2 -->\n")
    fill_the_disk(monkeypatch, at_write=30)
    with pytest.raises(BuildFailed) as failed:
        _build(site)
    monkeypatch.undo()
    assert _no_children_left()  # the workers ended with the build, not with the exception
    [problem] = failed.value.diagnostics
    assert "No space left on device" in str(problem) and "\n" not in str(problem)
    assert problem.path.startswith("output/") and ".dateline-" not in problem.path, problem.path
    assert tree(site / "output") == live  # the previous build stays published
    _build(site)
    assert tree(site / "output") == clean_build(site, tmp_path)
