"""Incremental builds: the cache saves work, and the result is always a clean build's, byte for byte."""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

import generator.build as build_module
from generator.build import BuildOptions, BuildResult, build, clean, mirror_output
from generator.cache import CACHE_DIR, CACHE_FILE, PAGE_SIZE, open_cache
from generator.memory import BuildMemory
from generator.output import OutputWriter, stamp_of, stat_lines, tree_key
from generator.templates import TemplateSet
from tests.conftest import MakeSite, article, calls_to, search_made_beside

COUNTRIES = ["Syria", "Turkey", "Norway", "NO", "Russia", "Japan"]
TAGS = ["alpha", "beta", "gamma", "économie"]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def clean_build(site: Path, tmp_path: Path, **options: object) -> dict[str, bytes]:
    out = tmp_path / "reference"
    shutil.rmtree(out, ignore_errors=True)
    build(site, BuildOptions(output=out, cache=False, **options))  # type: ignore[arg-type]
    return tree(out)


def assert_stamps_match_the_folders(site: Path) -> None:
    """What the cache records of the output folder and its twin is what a full look at them gives,
    although a build re-reads only the stat of the files it changed."""
    output = site / "output"
    with open_cache(site) as cache:
        for folder in (output, OutputWriter.twin_of(output)):
            key = tree_key(folder)
            found = cache.manifest(key) if key is not None else None
            if folder == output:
                assert found is not None, "the live output folder's manifest is not recorded"
            if found is not None and found[1]:
                lines = stat_lines(folder, found[0])
                assert lines is not None and stamp_of(lines) == found[1], folder.name


def random_article(rng: random.Random, n: int, day: str | None = None) -> str:
    countries = ", ".join(rng.sample(COUNTRIES[:3] + COUNTRIES[4:], rng.randint(1, 2)))
    tags = ", ".join(rng.sample(TAGS, rng.randint(0, 2)))
    topics = rng.choice(["[conflict]", "[refugees]", "[conflict, refugees]"])
    date = day or f"20{rng.randint(18, 21)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    body = "\n\n".join(
        f"Synthetic paragraph {i} of article {n}, revision {rng.randint(0, 999)}." for i in range(3)
    )
    return (
        f"---\ntitle: Synthetic article {n}\ndate: {date}\ncountries: [{countries}]\n"
        f"topics: {topics}\ntags: [{tags}]\n---\n\n{body}\n"
    )


def test_noop_rebuild_does_no_work(make_site: MakeSite) -> None:
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(8)})
    build(site)
    result = build(site)
    assert (result.parsed, result.bodies_rendered, result.pages_rendered) == (0, 0, 0)
    assert (result.files_written, result.files_linked) == (0, 0)


def test_one_edit_renders_only_the_pages_that_show_it(make_site: MakeSite) -> None:
    files = {
        f"content/{i}.md": article(f"Article {i}", f"2020-{i % 12 + 1:02d}-01", body="One.\n\nTwo.")
        for i in range(30)
    }
    site = make_site(files)
    first = build(site)
    (site / "content/5.md").write_text(
        files["content/5.md"].replace("Two.", "Two, edited."), encoding="utf-8"
    )
    result = build(site)
    assert (result.parsed, result.bodies_rendered) == (1, 1)
    # The body shows on its own page; the feeds that list the article (site, country, topic) are
    # written again too, since a feed may carry whole articles.
    assert result.pages_rendered == 4
    assert result.pages_rendered < first.pages_rendered


@pytest.mark.parametrize("own", [False, True])
def test_a_mirrored_twin_leaves_the_next_edit_only_its_own_files(
    make_site: MakeSite, tmp_path: Path, own: bool
) -> None:
    """What the preview server does while it waits for the first edit: afterwards that edit writes
    its changed files and links none, and the site is still what a clean build gives."""
    files = {f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(10)}
    site = make_site(files)
    options = BuildOptions()
    memory = BuildMemory() if own else None
    build(site, options, memory)
    output = site / "output"
    twin = OutputWriter.twin_of(output)
    assert not twin.exists()  # a first build renames its folder into place: no twin yet
    mirror_output(site, options, memory)
    assert tree(twin) == tree(output)
    for path in output.rglob("*"):
        if path.is_file():
            assert path.stat().st_ino == (twin / path.relative_to(output)).stat().st_ino
    assert_stamps_match_the_folders(site)
    mirror_output(site, options, memory)  # already a copy: nothing to do
    (site / "content/3.md").write_text(files["content/3.md"] + "\nEdited.\n", encoding="utf-8")
    result = build(site, options, memory)
    assert result.files_linked == 0 and 0 < result.files_written < 10
    assert tree(output) == clean_build(site, tmp_path)
    assert_stamps_match_the_folders(site)


def _stop_after_first_batch() -> Callable[[], bool]:
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1  # the first batch of links, then stop

    return stop


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_mirror_stopped_half_way_leaves_the_next_build_only_the_rest(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """The preview server stops filling the twin when an edit comes: what it linked so far is
    recorded, and the edit's build links only the rest, not every file of the site again."""
    days = [date(2019, 1, 1) + timedelta(days=i) for i in range(300)]
    files = {f"content/{i}.md": article(f"Article {i}", day.isoformat()) for i, day in enumerate(days)}
    site = make_site(files)
    memory = BuildMemory()
    build(site, BuildOptions(), memory)
    output, twin = site / "output", OutputWriter.twin_of(site / "output")
    assert mirror_output(site, BuildOptions(), memory, stop=_stop_after_first_batch()) is False
    linked = len(files_in(twin))
    assert 0 < linked < len(files_in(output))
    assert_stamps_match_the_folders(site)
    (site / "content/7.md").write_text(files["content/7.md"] + "\nEdited.\n", encoding="utf-8")
    result = build(site, BuildOptions(), memory)
    assert 0 < result.files_linked <= len(files_in(output)) - linked
    assert tree(output) == clean_build(site, tmp_path)
    assert_stamps_match_the_folders(site)


def test_a_mirror_stopped_behind_a_build_that_changed_much_keeps_what_it_linked(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """A server started after a build that changed many files (an article added at the top of long
    lists, a template edited) finds the twin a build behind; stopped part way through catching it
    up, the mirror leaves a twin the next build trusts, with the files it linked and the old ones."""
    days = [date(2019, 1, 1) + timedelta(days=i) for i in range(300)]
    files = {f"content/{i}.md": article(f"Article {i}", day.isoformat()) for i, day in enumerate(days)}
    site = make_site(files)
    build(site, BuildOptions())
    mirror_output(site, BuildOptions())
    (site / "templates").mkdir()
    theme_article = Path(__file__).parent.parent / "templates/article.html"
    (site / "templates/article.html").write_text(
        theme_article.read_text(encoding="utf-8").replace("<article", "<article data-edited"),
        encoding="utf-8",
    )
    assert build(site, BuildOptions()).pages_rendered == 300  # the twin now holds the old pages
    output, twin = site / "output", OutputWriter.twin_of(site / "output")
    behind = {rel for rel in files_in(output) if (output / rel).read_bytes() != (twin / rel).read_bytes()}
    assert len(behind) >= 300
    memory = BuildMemory()
    build(site, BuildOptions(), memory)  # a server's first build: nothing changed
    assert mirror_output(site, BuildOptions(), memory, stop=_stop_after_first_batch()) is False
    caught_up = {rel for rel in behind if (output / rel).stat().st_ino == (twin / rel).stat().st_ino}
    assert 0 < len(caught_up) < len(behind)
    assert_stamps_match_the_folders(site)
    (site / "content/7.md").write_text(files["content/7.md"] + "\nEdited.\n", encoding="utf-8")
    result = build(site, BuildOptions(), memory)
    assert 0 < result.files_linked <= len(behind) - len(caught_up)
    assert tree(output) == clean_build(site, tmp_path)
    assert_stamps_match_the_folders(site)


def test_template_change_rerenders_pages_using_it(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(6)})
    build(site)
    (site / "templates").mkdir()
    theme_article = Path(__file__).parent.parent / "templates/article.html"
    (site / "templates/article.html").write_text(
        theme_article.read_text(encoding="utf-8").replace("<article", "<article data-edited"),
        encoding="utf-8",
    )
    result = build(site)
    assert result.pages_rendered == 6
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_the_preview_keeps_its_templates_till_one_changes(make_site: MakeSite, tmp_path: Path) -> None:
    """A preview server's builds share one compiled template set (and its drawn cards) while no
    template file changes; a changed card partial is a new set, and every list shows it."""
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(6)})
    card = site / "templates/partials/card.html"
    card.parent.mkdir(parents=True)
    theme_card = Path(__file__).parent.parent / "templates/partials/card.html"
    card.write_text(theme_card.read_text(encoding="utf-8"), encoding="utf-8")

    def settle(path: Path, seconds_ago: float) -> None:
        os.utime(path, (time.time() - seconds_ago, time.time() - seconds_ago))

    settle(card, 90)
    memory = BuildMemory()
    build(site, BuildOptions(), memory)
    assert memory.templates is not None
    first = memory.templates[1]
    (site / "content/3.md").write_text(article("Article 3", "2020-01-04", body="Edited."), encoding="utf-8")
    settle(site / "content/3.md", 80)
    build(site, BuildOptions(), memory)
    assert memory.templates[1] is first
    card.write_text(card.read_text(encoding="utf-8").replace('class="card"', 'class="card edited"'))
    settle(card, 70)
    build(site, BuildOptions(), memory)
    assert memory.templates[1] is not first
    assert 'class="card edited"' in (site / "output/index.html").read_text(encoding="utf-8")
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_a_build_takes_the_last_builds_template_digests_while_no_template_file_changed(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Working out what a page's templates are (every template it uses, read and parsed) is done
    once for a set of template files: a later build from the command line reads none of them while
    none changed, and reads them again once one did."""
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(6)})
    page = site / "templates/article.html"
    page.parent.mkdir()
    theme_page = Path(__file__).parent.parent / "templates/article.html"
    page.write_text(theme_page.read_text(encoding="utf-8"), encoding="utf-8")

    def settle(path: Path, seconds_ago: float) -> None:  # a file changed this instant is not known yet
        os.utime(path, (time.time() - seconds_ago, time.time() - seconds_ago))

    settle(page, 90)
    build(site)
    parsed = calls_to(monkeypatch, TemplateSet, "_uses_of")
    (site / "content/3.md").write_text(article("Article 3", "2020-01-04", body="Edited."), encoding="utf-8")
    settle(site / "content/3.md", 80)
    assert build(site).pages_rendered > 0
    assert parsed == []
    page.write_text(page.read_text(encoding="utf-8").replace("<article", "<article data-edited"))
    settle(page, 70)
    assert build(site).pages_rendered == 6
    assert "article.html" in parsed
    assert "data-edited" in (site / "output/2020/01/article-3/index.html").read_text(encoding="utf-8")
    assert tree(site / "output") == clean_build(site, tmp_path)


@pytest.mark.parametrize(
    ("partial", "element", "shown_on"),
    [
        ("card.html", "card", ["index.html", "2020/index.html"]),  # every list
        ("group_lists.html", "group", ["index.html", "archive/index.html"]),  # lists of links
    ],
)
def test_memo_partial_change_rerenders_the_pages_using_it(
    make_site: MakeSite, tmp_path: Path, partial: str, element: str, shown_on: list[str]
) -> None:
    # Cards and lists of links are rendered once per build through card_html() and groups_html(),
    # not imported by the pages: only the memo names the macro's file, and the dependency must
    # still be seen; pages that show none (the search page, an article page for lists of links)
    # are not rendered again.
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(6)})
    build(site)
    (site / "templates/partials").mkdir(parents=True)
    theme = Path(__file__).parent.parent / "templates/partials" / partial
    (site / "templates/partials" / partial).write_text(
        theme.read_text(encoding="utf-8").replace(f'class="{element}"', f'class="{element} edited"'),
        encoding="utf-8",
    )
    result = build(site)
    for page in shown_on:
        assert f'class="{element} edited"' in (site / "output" / page).read_text(encoding="utf-8")
    assert 6 < result.pages_rendered < len(list((site / "output").rglob("*.html")))
    assert tree(site / "output") == clean_build(site, tmp_path)


@pytest.mark.parametrize(
    ("seed", "own"), [*((s, False) for s in range(6)), *((s, True) for s in range(6, 9))]
)
def test_random_edit_sequences_match_clean_builds(
    make_site: MakeSite, tmp_path: Path, seed: int, own: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``own``, builds as the preview server makes them, with one BuildMemory (trusting what
    the process recorded of its output folder, patching its last index); every third is a build
    without it, as another process's would be. With odd seeds the search index is made beside the
    rendering, in a forked child, as a large build makes it."""
    rng = random.Random(seed)
    if seed % 2:
        monkeypatch.setattr(build_module, "SEARCH_BESIDE_AT", 0)
    site = make_site({f"content/a{n}.md": random_article(rng, n) for n in range(12)})
    memory = BuildMemory() if own else None
    build(site, BuildOptions(), memory)
    next_id = 12
    for step in range(8):
        names = sorted(p.name for p in (site / "content").glob("*.md"))
        action = rng.choice(["edit", "edit", "add", "delete", "draft", "config", "template", "retitle"])
        victim = site / "content" / rng.choice(names)
        if action == "edit":
            victim.write_text(random_article(rng, int(victim.stem[1:])), encoding="utf-8")
        elif action == "retitle":
            text = victim.read_text(encoding="utf-8")
            victim.write_text(
                text.replace("title: Synthetic", "title: Renamed synthetic", 1), encoding="utf-8"
            )
        elif action == "add":
            # Half the time the newest article, as a day's news is: the search index is patched.
            day = (date(2022, 1, 1) + timedelta(days=next_id)).isoformat() if rng.random() < 0.5 else None
            (site / f"content/a{next_id}.md").write_text(random_article(rng, next_id, day), encoding="utf-8")
            next_id += 1
        elif action == "delete" and len(names) > 3:
            victim.unlink()
        elif action == "draft":
            victim.write_text(
                victim.read_text(encoding="utf-8").replace("---\n\n", "draft: true\n---\n\n", 1)
            )
        elif action == "config":
            toml = (site / "site.toml").read_text(encoding="utf-8")
            size = rng.choice([2, 3, 5])
            (site / "site.toml").write_text(
                toml.replace(toml.split("page_size = ")[1].split("\n")[0], str(size))
            )
        elif action == "template":
            (site / "templates").mkdir(exist_ok=True)
            (site / "templates/404.html").write_text(f"<p>Not here ({rng.random()})</p>\n", encoding="utf-8")
        if step % 2:  # settled, as files saved a while ago are: builds then trust their stats
            for path in (site / "site.toml", *site.glob("content/*.md"), *site.glob("templates/*.html")):
                settled = time.time() - 100 + step
                os.utime(path, (settled, settled))
        build(site, BuildOptions(), memory if step % 3 != 2 else None)
        assert_stamps_match_the_folders(site)
        assert tree(site / "output") == clean_build(site, tmp_path), f"after {action}"


def test_an_added_newest_article_leaves_the_other_search_files_as_they_were(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """Articles are numbered oldest first in the search index: the day's new article takes the
    next number, and the result files of the others are kept, modification time and all."""
    rng = random.Random(7)
    site = make_site({f"content/a{n}.md": random_article(rng, n) for n in range(60)})
    build(site)
    search = site / "output" / "search"
    before = {p.name: p.stat().st_mtime_ns for p in search.glob("d-*.js")}
    assert len(before) == 3  # 25 articles a file
    time.sleep(0.01)
    (site / "content/a60.md").write_text(random_article(rng, 60, "2023-05-01"), encoding="utf-8")
    build(site)
    after = {p.name: p.stat().st_mtime_ns for p in search.glob("d-*.js")}
    assert tree(site / "output") == clean_build(site, tmp_path)
    kept = {name for name, mtime in after.items() if before.get(name) == mtime}
    assert len(kept) == 2 and len(after) == 3


def test_parallel_and_serial_builds_are_identical(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    site = make_site({f"content/a{n}.md": random_article(rng, n) for n in range(80)})
    build(site, BuildOptions(output=tmp_path / "serial", jobs=1, cache=False))
    build(site, BuildOptions(output=tmp_path / "parallel", jobs=2, cache=False))
    assert tree(tmp_path / "serial") == tree(tmp_path / "parallel")
    # A large build makes its search index in a forked child while it renders: the same files.
    made_in = search_made_beside(monkeypatch)
    build(site, BuildOptions(output=tmp_path / "beside", jobs=2, cache=False))
    assert len(made_in) == 1 and made_in[0] != os.getpid()
    assert tree(tmp_path / "serial") == tree(tmp_path / "beside")
    # A large archive makes it after the rendering: together the two would take too much memory.
    monkeypatch.setattr(build_module, "SEARCH_BESIDE_MOST", 79)
    build(site, BuildOptions(output=tmp_path / "after", jobs=2, cache=False))
    assert len(made_in) == 1
    assert tree(tmp_path / "serial") == tree(tmp_path / "after")


def test_pages_are_fingerprinted_alike_in_one_process_or_several(make_site: MakeSite, tmp_path: Path) -> None:
    """A build that fingerprints every page (a first one, or after an article was added) does it
    in worker processes: what it records must be what one process computes."""
    rng = random.Random(8)
    site = make_site({f"content/a{n}.md": random_article(rng, n) for n in range(80)})
    recorded = []
    for jobs in (1, 2):
        clean(site)
        build(site, BuildOptions(jobs=jobs))
        with open_cache(site) as cache:
            key = tree_key(site / "output")
            found = cache.manifest(key) if key is not None else None
        assert found is not None
        recorded.append({p: fingerprint for p, (fingerprint, _) in found[0].items() if p.endswith(".html")})
    assert recorded[0] == recorded[1] and len(recorded[0]) > 64
    # A first build makes each page's fingerprint as it renders it; a build that does not know
    # which pages the last one changed makes them all in a pass of their own, and keeps every page
    # whose fingerprint is the one recorded: all of them.
    with open_cache(site) as cache:
        cache.put_value("page-state", None)
        cache.put_value("last-build", None)
    assert build(site, BuildOptions(jobs=2)).pages_rendered == 0


@pytest.mark.parametrize("damage", ["garbage", "truncate", "empty", "version"])
def test_damaged_cache_is_detected_and_rebuilt(make_site: MakeSite, tmp_path: Path, damage: str) -> None:
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(5)})
    build(site)
    db = site / CACHE_DIR / CACHE_FILE
    if damage == "garbage":
        db.write_bytes(b"\x00garbage" * 1000)
    elif damage == "truncate":
        db.write_bytes(db.read_bytes()[:1500])
    elif damage == "empty":
        db.write_bytes(b"")
    else:
        import sqlite3

        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE meta SET value = 'dateline-cache-0/old' WHERE key = 'schema'")
    for suffix in ("-wal", "-shm"):
        (db.parent / (db.name + suffix)).unlink(missing_ok=True)
    (site / "content/2.md").write_text(article("Article 2 edited", "2020-01-03"), encoding="utf-8")
    result: BuildResult = build(site)
    assert result.parsed == 5  # nothing was trusted
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_the_cache_is_made_with_large_pages_and_an_older_one_made_again(
    make_site: MakeSite, tmp_path: Path
) -> None:
    import sqlite3

    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(5)})
    db = site / CACHE_DIR / CACHE_FILE
    db.parent.mkdir()
    with contextlib.closing(sqlite3.connect(db)) as conn:  # as the layout before made it
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        with conn:
            conn.execute("INSERT INTO meta VALUES ('schema', 'dateline-cache-13/0.1.0')")

    def page_size() -> int:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            return int(conn.execute("PRAGMA page_size").fetchone()[0])

    assert page_size() == 4096
    assert build(site).parsed == 5
    assert page_size() == PAGE_SIZE == 65536
    (site / "content/2.md").write_text(article("Article 2 edited", "2020-01-03"), encoding="utf-8")
    assert build(site).parsed == 1
    assert page_size() == PAGE_SIZE
    assert tree(site / "output") == clean_build(site, tmp_path)


def test_the_cache_is_checked_through_whenever_its_file_changed(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.cache

    checks: list[object] = []
    real_check = generator.cache._integrity_ok

    def counted(db: object) -> bool:
        checks.append(db)
        return real_check(db)  # type: ignore[arg-type]

    monkeypatch.setattr(generator.cache, "_integrity_ok", counted)
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(3)})
    build(site)
    build(site)
    assert len(checks) == 1  # a new cache is checked once; the file as the last build left it is not
    db = site / CACHE_DIR / CACHE_FILE
    with db.open("r+b") as handle:  # a byte changed behind Dateline's back
        handle.seek(200)
        handle.write(b"\x00")
    build(site)
    assert len(checks) == 2


def test_deleting_the_cache_changes_nothing_but_speed(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({f"content/{i}.md": article(f"Article {i}", f"2020-01-{i + 1:02d}") for i in range(5)})
    build(site)
    before = tree(site / "output")
    shutil.rmtree(site / CACHE_DIR)
    build(site)
    assert tree(site / "output") == before


def test_concurrent_builds_of_one_site_agree(make_site: MakeSite, tmp_path: Path) -> None:
    import subprocess
    import sys

    rng = random.Random(3)
    site = make_site({f"content/a{n}.md": random_article(rng, n) for n in range(30)})
    command = [sys.executable, "-m", "generator", "build", "--site", str(site), "--quiet"]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert tree(site / "output") == clean_build(site, tmp_path)
    assert build(site).pages_rendered == 0  # the cache they shared is intact


def test_clean_removes_output_twin_and_cache(make_site: MakeSite) -> None:
    from generator.build import clean

    site = make_site({"content/a.md": article("First")})
    build(site)
    (site / "content/a.md").write_text(article("First", body="Changed."), encoding="utf-8")
    build(site)
    removed = clean(site)
    assert sorted(p.name for p in removed) == [".dateline", ".output.dateline-back", "output"]
    assert sorted(p.name for p in site.iterdir()) == [".output.lock", "content", "site.toml"]


@pytest.mark.parametrize(("seed", "own"), [*((s, False) for s in range(4)), *((s, True) for s in range(4))])
def test_text_only_edits_match_clean_builds(
    make_site: MakeSite, tmp_path: Path, seed: int, own: bool
) -> None:
    """Edits that keep every article's place (the fast path that re-renders only touched pages);
    with ``own``, as the preview server builds, patching the last index instead of making it anew."""
    rng = random.Random(100 + seed)
    site = make_site({f"content/a{n}.md": random_article(rng, n) for n in range(15)})
    memory = BuildMemory() if own else None
    build(site, BuildOptions(), memory)
    for step in range(6):
        victim = site / "content" / f"a{rng.randrange(15)}.md"
        text = victim.read_text(encoding="utf-8")
        what = rng.choice(["body", "title", "summary", "updated"])
        if what == "updated":  # the article's sitemap date changes, and nothing else of the index
            text = re.sub(r"\nupdated: .*", "", text, count=1)
            text = re.sub(r"(date: .*)", rf"\1\nupdated: 2022-03-{step + 1:02d}", text, count=1)
        elif what == "body":
            text = text.replace("Synthetic paragraph 2", f"Edited paragraph {step}", 1)
        elif what == "title":
            text = re.sub(r"title: .*", f"title: Retitled {step} {victim.stem}", text, count=1)
        else:
            text = text.replace("Synthetic paragraph 0", f"New lead {step}", 1)
        victim.write_text(text, encoding="utf-8")
        result = build(site, BuildOptions(), memory)
        assert tree(site / "output") == clean_build(site, tmp_path), f"after {what} edit"
        assert result.pages_rendered < 40


def test_two_output_folders_of_one_site_stay_right(make_site: MakeSite, tmp_path: Path) -> None:
    """The cache is per site; what it remembers of each output folder must not leak into the other."""
    rng = random.Random(11)
    site = make_site({f"content/a{n}.md": random_article(rng, n) for n in range(10)})
    first, second = tmp_path / "first", tmp_path / "second"
    build(site, BuildOptions(output=first))
    victim = site / "content/a3.md"
    victim.write_text(
        victim.read_text(encoding="utf-8").replace("Synthetic paragraph 1", "Changed"), encoding="utf-8"
    )
    build(site, BuildOptions(output=second))
    build(site, BuildOptions(output=first))  # first is one edit behind: it must catch up
    assert tree(first) == tree(second) == clean_build(site, tmp_path)
