"""Faults and bad input: the build fails with a clear message and loses nothing, or survives.

- Broken inputs that a fixture folder under tests/invalid/ cannot hold (a 50 MiB file, a named pipe,
  symbolic links, unreadable files, files deleted while the build reads them, slow Markdown), run
  through the real command line with a previous build in place: exit status 1, the expected lines, no
  traceback, the previous output byte-identical and nothing written outside the output folder.
- Every case under tests/invalid/ again, with a previous build in place that must stay as it was.
- Disk-full and permission errors injected at chosen writes of the output writer and the cache.
- A damaged build cache (record-level garbage, the cache folder replaced) and an edited output.
- SIGKILL at random moments (tests/kill_harness.py): the output is always wholly one build.

Tests of bugs found here are marked ``xfail(strict=True, reason="BUG: ...")``: when the bug is fixed
they pass, pytest reports XPASS as a failure, and the mark must go.

Environment: ``DATELINE_KILLS`` (default 50) and ``DATELINE_KILL_ARTICLES`` (default 24) size the
SIGKILL campaign; ``python tests/kill_harness.py --kills 500`` runs a longer one by hand.
"""

from __future__ import annotations

import errno
import os
import pathlib
import pickle
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import tomllib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import kill_harness
import pytest

import generator.build as build_module
import generator.output as output_module
import generator.parse as parse_module
from generator.build import BuildOptions, build
from generator.cache import CACHE_DIR, CACHE_FILE, BuildCache
from generator.errors import BuildFailed
from tests.conftest import search_made_beside

REPO = Path(__file__).resolve().parent.parent
INVALID = REPO / "tests" / "invalid"
IS_ROOT = os.geteuid() == 0
OLD = time.time() - 3600  # files a user builds were written a while ago; the cache trusts settled stats

SITE_TOML = """\
title = "Broken archive"
base_url = "https://example.org/"

[[topics]]
slug = "conflict"
label = "Conflict"

[[topics]]
slug = "refugees"
label = "Migration and refugees"
"""
FRONT = "title: Talks resume in Geneva\ndate: 2020-02-18\ncountries: [Syria]\ntopics: [conflict]\n"
GOOD = f"---\n{FRONT}---\n\nDelegations met again on Monday.\n"
ARTICLE = "content/2020/02/talks.md"


# --- helpers -----------------------------------------------------------------------------------------


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    os.utime(path, (OLD, OLD))
    return path


def files_state(folder: Path, skip: Callable[[str], bool] = lambda _: False) -> dict[str, object]:
    """What a reader sees under ``folder``: bytes and modification time of files, link targets, kinds."""
    state: dict[str, object] = {}
    if not folder.exists():
        return state
    for root, dirs, names in os.walk(folder):
        for name in sorted(dirs + names):
            path = Path(root, name)
            rel = path.relative_to(folder).as_posix()
            if skip(rel):
                continue
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                state[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                try:
                    data: object = path.read_bytes() if st.st_size < 1_000_000 else ("size", st.st_size)
                except OSError as exc:
                    data = ("unreadable", exc.errno)
                state[rel] = (data, st.st_mtime_ns)
            elif not stat.S_ISDIR(st.st_mode):
                state[rel] = ("special", stat.S_IFMT(st.st_mode))
        dirs[:] = [
            d
            for d in dirs
            if not Path(root, d).is_symlink() and not skip(Path(root, d).relative_to(folder).as_posix())
        ]
    return state


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def tool_files(out: Path) -> Callable[[str], bool]:
    """Paths beside the output folder that belong to the build: the output, its twin and lock, the cache."""
    own = {out.name, f".{out.name}.dateline-back", f".{out.name}.lock"}
    return lambda rel: rel.split("/")[0] in own or rel.startswith(f"site/{CACHE_DIR}")


def base_site(work: Path) -> tuple[Path, Path]:
    """A one-article site built into ``work/out`` (the previous output every failure must keep)."""
    site = work / "site"
    write(site / "site.toml", SITE_TOML)
    write(site / ARTICLE, GOOD)
    out = work / "out"
    build(site, BuildOptions(output=out, jobs=1))
    return site, out


@dataclass(frozen=True)
class Run:
    returncode: int | None  # None: still running at the time limit, then killed
    stdout: str
    stderr: str
    seconds: float


def run_cli(site: Path, out: Path, args: tuple[str, ...] = (), inject: str = "", timeout: float = 60) -> Run:
    """``dateline build`` in a subprocess, after running ``inject`` (Python) in it to simulate a fault."""
    code = f"{inject}\nfrom generator.cli import main\nmain()\n"
    cmd = [sys.executable, "-c", code, "build", "--site", str(site), "--output", str(out), *args]
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        code_ = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        code_ = None
    return Run(
        code_, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), time.monotonic() - start
    )


# Python run in the build's process before it starts: reading a named file fails as for a file the
# user may not read. Used when the tests run as root (as in CI), where chmod 000 stops nobody.
def _refuse_reading(name: str) -> str:
    return (
        "import errno, pathlib\n"
        "_read = pathlib.Path.read_bytes\n"
        "def _refused(self):\n"
        f"    if self.name == {name!r}:\n"
        "        raise PermissionError(errno.EACCES, 'Permission denied', str(self))\n"
        "    return _read(self)\n"
        "pathlib.Path.read_bytes = _refused\n"
    )


# --- broken inputs made by the test, through the command line ------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Path, Path], None]  # (site, work folder)
    expected: tuple[str, ...]  # stderr lines; with ``regex``, patterns each line must match
    regex: bool = False
    bug: str | None = None
    args: tuple[str, ...] = ()
    inject: str = ""
    status: tuple[int, ...] = (1,)
    timeout: float = 60


def _big_file(site: Path, work: Path) -> None:
    path = write(site / "content/2020/02/big.md", GOOD.replace("Talks resume", "Big talks"))
    with open(path, "r+b") as handle:  # sparse: 50 MiB on paper, nothing on disk
        handle.truncate(50 * 1024 * 1024)
    os.utime(path, (OLD, OLD))


def _links_outside(site: Path, work: Path) -> None:
    secret = write(work / "secret.md", GOOD.replace("Talks resume", "Secret talks"))
    os.symlink(os.path.relpath(secret, site / "content/2020/02"), site / "content/2020/02/leak.md")
    os.symlink("/etc/hostname", site / "content/etc.md")


def _links_outside_and_edit(site: Path, work: Path) -> None:
    _links_outside(site, work)
    write(site / ARTICLE, GOOD.replace("Delegations met", "Delegations met again"))


def _unreadable(site: Path, work: Path) -> None:
    path = write(site / "content/2020/02/locked.md", GOOD.replace("Talks resume", "Locked talks"))
    path.chmod(0)


def _socket(site: Path, work: Path) -> None:
    folder = site / "content/2020/02"
    cwd = os.getcwd()
    os.chdir(folder)  # a socket path is limited to about 100 bytes: bind by a short relative name
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind("sock.md")
    finally:
        os.chdir(cwd)


def _fifo(site: Path, work: Path) -> None:
    os.mkfifo(site / "content/2020/02/pipe.md")


def _loop(site: Path, work: Path) -> None:
    os.symlink("loop-b.md", site / "content/2020/02/loop-a.md")
    os.symlink("loop-a.md", site / "content/2020/02/loop-b.md")


def _dangling(site: Path, work: Path) -> None:
    os.symlink("nowhere.md", site / "content/2020/02/dangling.md")


def _article(raw: bytes) -> Callable[[Path, Path], None]:
    return lambda site, work: write(site / ARTICLE, raw) and None


def _site_toml(raw: bytes) -> Callable[[Path, Path], None]:
    return lambda site, work: write(site / "site.toml", raw) and None


def _template(raw: bytes) -> Callable[[Path, Path], None]:
    return lambda site, work: write(site / "templates/article.html", raw) and None


def _content_is_a_file(site: Path, work: Path) -> None:
    shutil.rmtree(site / "content")
    write(site / "content", "not a folder\n")


def _static_unreadable(site: Path, work: Path) -> None:
    write(site / "static/logo.png", b"\x89PNG\r\n").chmod(0)


def _static_link_outside(site: Path, work: Path) -> None:
    secret = write(work / "secret.txt", "TOP SECRET\n")
    (site / "static").mkdir()
    os.symlink(secret, site / "static/leak.txt")


def _body(text: str) -> bytes:
    return f"---\n{FRONT}---\n\n{text}\n".encode()


CASES = [
    Case(
        "article-of-50-mib",
        _big_file,
        (
            "content/2020/02/big.md: file is 50.0 MiB; articles are limited to 10 MiB",
            "build failed: 1 problem",
        ),
        timeout=20,
    ),
    Case(
        "symlinks-leading-outside-content",
        _links_outside_and_edit,
        (
            "content/2020/02/leak.md: symbolic link to a file outside content/",
            "content/etc.md: symbolic link to a file outside content/",
            "build failed: 2 problems",
        ),
    ),
    Case(
        "symlink-outside-content-added-to-an-unchanged-site",
        _links_outside,
        (
            "content/2020/02/leak.md: symbolic link to a file outside content/",
            "content/etc.md: symbolic link to a file outside content/",
            "build failed: 2 problems",
        ),
    ),
    Case(
        "unreadable-article",
        _unreadable,
        ("content/2020/02/locked.md: cannot read: Permission denied", "build failed: 1 problem"),
        inject=_refuse_reading("locked.md") if IS_ROOT else "",
    ),
    Case(
        "socket-named-like-an-article",
        _socket,
        ("content/2020/02/sock.md: cannot read: No such device or address", "build failed: 1 problem"),
    ),
    Case(
        "content-is-a-file",
        _content_is_a_file,
        ("content: no content folder: create content/ and put articles in it", "build failed: 1 problem"),
    ),
    Case(
        "site-toml-not-utf8",
        _site_toml(
            SITE_TOML.replace("Broken archive", "Archive caf\udce9").encode("utf-8", "surrogateescape")
        ),
        ("site.toml:1: not valid UTF-8 (byte 0xe9); save the file as UTF-8", "build failed: 1 problem"),
    ),
    Case(
        "named-pipe-named-like-an-article",
        _fifo,
        (r"content/2020/02/pipe\.md: .+",),
        regex=True,
        timeout=10,
    ),
    Case(
        "symlink-loop",
        _loop,
        (r"content/2020/02/loop-[ab]\.md: .*(loop|link).*",),
        regex=True,
    ),
    Case(
        "dangling-symlink",
        _dangling,
        (r"content/2020/02/dangling\.md: .*(symbolic link|link).*",),
        regex=True,
    ),
    Case(
        "not-utf8-with-old-mac-line-ends",
        _article(
            b"---\rtitle: Talks\rdate: 2020-02-18\rcountries: [Syria]\rtopics: [conflict]\r---\r\rBody caf\xe9.\r"
        ),
        (
            "content/2020/02/talks.md:8: not valid UTF-8 (byte 0xe9); save the file as UTF-8",
            "build failed: 1 problem",
        ),
    ),
    Case(
        "not-utf8-after-a-bom",
        _article(b"\xef\xbb\xbf" + GOOD.encode().replace(b"Delegations met", b"\xe9t\xe9: delegations met")),
        (
            "content/2020/02/talks.md:8: not valid UTF-8 (byte 0xe9); save the file as UTF-8",
            "build failed: 1 problem",
        ),
    ),
    Case(
        "nul-byte-in-front-matter",
        _article(GOOD.replace("Talks resume", "Talks\x00 resume").encode()),
        (r"content/2020/02/talks\.md:2: .*(NUL|U\+0000|control character).*",),
        regex=True,
    ),
    Case(
        "nul-in-slug",
        _article(f'---\n{FRONT}slug: "talks\\0resume"\n---\n\nBody.\n'.encode()),
        (r"content/2020/02/talks\.md:6: slug: [^\x00-\x1f\x7f]*",),
        regex=True,
    ),
    Case(
        "site-toml-title-a-table",
        _site_toml(
            SITE_TOML.replace(
                'title = "Broken archive"\nbase_url = "https://example.org/"\n',
                'base_url = "https://example.org/"\n\n[title]\nname = "Broken archive"\n',
            ).encode()
        ),
        (r"site\.toml:\d+: title: .*table.*",),
        regex=True,
    ),
    Case(
        "template-runtime-error",
        _template(
            b'{% extends "base.html" %}\n{% block content %}\n{{ 1 // (page.title|length - page.title|length) }}\n{% endblock %}\n'
        ),
        (r"templates/article\.html:3: .*(zero|division).*",),
        regex=True,
    ),
    Case(
        "template-not-utf8",
        _template(b'{% extends "base.html" %}\n{% block content %}\n<p>caf\xe9</p>\n{% endblock %}\n'),
        (r"templates/article\.html(:\d+)?: .*UTF-8.*",),
        regex=True,
    ),
    Case(
        "template-extends-a-missing-template",
        _template(b'{% extends "nothere.html" %}\n{% block content %}{{ page.title }}{% endblock %}\n'),
        (r"templates/article\.html:1: template not found: nothere\.html",),
        regex=True,
    ),
    Case(
        "template-includes-outside-templates",
        _template(
            b'{% extends "base.html" %}\n{% block content %}\n{% include "../../site.toml" %}\n{% endblock %}\n'
        ),
        (r"templates/article\.html:3: template not found: \.\./\.\./site\.toml",),
        regex=True,
    ),
    Case(
        "output-option-is-the-root",
        lambda site, work: None,
        (r"--output: refusing to use / as the output folder",),
        regex=True,
        args=("--output", "/"),
        status=(1, 2),
    ),
    Case(
        "markdown-nested-too-deeply",
        _article(_body("* " * 500 + "x")),
        (r"content/2020/02/talks\.md(:\d+)?: .+",),
        regex=True,
    ),
    Case(
        "markdown-that-renders-slowly",
        _article(_body("[" * 20000)),
        (r"content/2020/02/talks\.md(:\d+)?: .*(longer than|time limit|too long).*",),
        regex=True,
        timeout=20,
    ),
    Case(
        "static-file-unreadable",
        _static_unreadable,
        (r"static/logo\.png: cannot read: Permission denied",),
        regex=True,
        inject=_refuse_reading("logo.png") if IS_ROOT else "",
    ),
    Case(
        "static-symlink-leading-outside-the-site",
        _static_link_outside,
        (r"static/leak\.txt: .*(symbolic link|outside).*",),
        regex=True,
    ),
]


def _case_params() -> Iterator[object]:
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
        yield pytest.param(case, id=case.name, marks=marks)


def _check_lines(case: Case, stderr: str) -> None:
    lines = stderr.splitlines()
    if not case.regex:
        assert lines == list(case.expected)
        return
    assert lines and re.fullmatch(r"build failed: \d+ problems?", lines[-1]), stderr
    for line in lines[:-1]:
        assert any(re.fullmatch(p, line) for p in case.expected), f"unexpected line {line!r}"
    for pattern in case.expected:
        assert any(re.fullmatch(pattern, line) for line in lines[:-1]), f"no line matches {pattern!r}"


@pytest.mark.parametrize("case", list(_case_params()))
def test_broken_input_fails_cleanly_and_keeps_the_previous_output(case: Case, tmp_path: Path) -> None:
    site, out = base_site(tmp_path)
    case.setup(site, tmp_path)
    before_out = files_state(out)
    before_rest = files_state(tmp_path, tool_files(out))
    run = run_cli(site, out, case.args, case.inject, case.timeout)
    assert run.returncode is not None, f"still running after {case.timeout} s: killed"
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode in case.status, run.stderr
    assert run.stdout == ""
    _check_lines(case, run.stderr)
    assert files_state(out) == before_out, "the previous output changed"
    assert files_state(tmp_path, tool_files(out)) == before_rest, "something was written outside the output"


def test_a_50_mib_article_is_refused_quickly(tmp_path: Path) -> None:
    site, out = base_site(tmp_path)
    _big_file(site, tmp_path)
    (site / ARTICLE).unlink()
    start = time.monotonic()
    with pytest.raises(BuildFailed):
        build(site, BuildOptions(output=out, jobs=1))
    assert time.monotonic() - start < 5


# --- every tests/invalid case, with a previous build in place ------------------------------------------


def _invalid_cases() -> list[str]:
    cases = []
    for folder in sorted(p for p in INVALID.iterdir() if p.is_dir()):
        try:
            settings = tomllib.loads((folder / "site.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            settings = {}
        if "output" not in settings:  # cases about the output setting have no previous output to keep
            cases.append(folder.name)
    return cases


@pytest.fixture(scope="module")
def previous_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """One good build that every broken site below is built over."""
    work = tmp_path_factory.mktemp("previous")
    _, out = base_site(work)
    return out, files_state(out)


@pytest.mark.parametrize("case", _invalid_cases())
def test_invalid_case_keeps_a_previous_output(
    case: str, previous_output: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    out, before = previous_output
    site = tmp_path / "site"
    shutil.copytree(INVALID / case, site, ignore=shutil.ignore_patterns("expected.txt", "args.txt"))
    args_file = INVALID / case / "args.txt"
    strict = args_file.exists() and "--strict" in args_file.read_text(encoding="utf-8").split()
    site_before = files_state(site)
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(output=out, strict=strict, jobs=1))
    assert failed.value.diagnostics
    assert files_state(out) == before, "the previous output changed"
    assert files_state(site, lambda rel: rel.startswith(CACHE_DIR)) == site_before
    beside = {p.name for p in out.parent.iterdir()}
    assert beside - {"site", out.name, f".{out.name}.lock", f".{out.name}.dateline-back"} == set()


# --- a file deleted while the build reads -------------------------------------------------------------------


def talk(n: int, title: str = "", body: str = "Delegations met again on Monday.") -> str:
    """Article ``n`` of a site of many: its own title (so its own slug) and the given body."""
    front = FRONT.replace("Talks resume in Geneva", title or f"Talks round {n}")
    return f"---\n{front}---\n\n{body}\n"


def _many_articles(site: Path, count: int) -> None:
    write(site / "site.toml", SITE_TOML)
    for n in range(count):
        write(site / f"content/2020/a{n}.md", talk(n))


@pytest.mark.parametrize("moment", ["before-reading", "after-listing"])
def test_file_deleted_during_the_build(moment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _many_articles(site, 5)
    out = tmp_path / "out"
    build(site, BuildOptions(output=out, jobs=1))
    before = files_state(out)
    victim = site / "content/2020/a3.md"
    write(victim, talk(3, body="Edited."))  # so it is read again
    if moment == "before-reading":
        real = parse_module.read_source

        def deleting(root: Path, path: Path) -> object:
            if path.name == victim.name:
                path.unlink(missing_ok=True)
            return real(root, path)

        monkeypatch.setattr(parse_module, "read_source", deleting)
    else:
        import generator.build as build_module

        real_find = build_module.find_sources

        def listing_then_deleting(root: Path, content: Path) -> object:
            found = real_find(root, content)
            victim.unlink()
            return found

        monkeypatch.setattr(build_module, "find_sources", listing_then_deleting)
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(output=out, jobs=1))
    assert [str(d) for d in failed.value.diagnostics] == [
        "content/2020/a3.md: file disappeared while the build was reading it"
    ]
    assert files_state(out) == before
    monkeypatch.undo()
    build(site, BuildOptions(output=out, jobs=1))  # the next build (without the file) succeeds
    assert not [p for p in out.rglob("*") if "round-3" in p.name]
    assert [p for p in out.rglob("*") if "round-4" in p.name]


# --- disk full and permission errors at chosen writes ------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    where: str  # which file operation fails
    nth: int  # the how-manieth call of it (under the twin folder) fails
    bug: str | None = None  # why the failure is not reported cleanly yet


FAULTS = [
    Fault("write", 1),
    Fault("write", 7),
    Fault("write", 20),
    Fault("open", 1),
    Fault("open", 12),
    Fault("mkdir", 1),
    Fault("mkdir", 4),
    Fault("replace", 1),
    Fault("replace", 9),
    Fault("link", 1),
    Fault("link", 8),
    Fault("unlink", 1),
    Fault("exchange", 1),
    Fault("cache", 1),
    Fault("cache", 3),
]


def _faulty_site(tmp_path: Path) -> tuple[Path, Path]:
    """A site built twice (so the twin holds a build too), then edited: the next build writes new
    files (22), links unchanged ones (8), removes a deleted article's (3) and swaps the folders."""
    site = tmp_path / "site"
    _many_articles(site, 12)
    out = tmp_path / "out"
    build(site, BuildOptions(output=out, jobs=1))
    write(site / "content/2020/a0.md", talk(0, "Talks round 0, second version"))
    for n in range(8):  # new in the live build, missing from the twin: the next build links them over
        write(site / f"static/files/s{n}.txt", f"static file {n}\n")
    build(site, BuildOptions(output=out, jobs=1))
    for n in (1, 5, 9):
        write(site / f"content/2020/a{n}.md", talk(n, body=f"Edited {n}."))
    write(site / "content/2020/a2.md", talk(2, "Talks round 2 renamed"))
    (site / "content/2020/a11.md").unlink()
    write(site / "content/2020/new.md", talk(12, "A new round"))
    return site, out


class _Injector:
    """Make the ``nth`` call of one file operation fail, counting only calls that concern the twin."""

    def __init__(self, fault: Fault, twin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fault, self.twin, self.calls, self.fired = fault, str(twin), 0, False
        where = fault.where
        if where in ("write", "open"):
            self._wrap(monkeypatch, output_module, "_write", self._path_error)
        elif where == "mkdir":  # Path.mkdir() comes here too
            self._wrap(monkeypatch, output_module.os, "mkdir", self._path_error)
        elif where == "unlink":
            self._wrap(monkeypatch, pathlib.Path, "unlink", self._path_error, skip_temp=True)
        elif where in ("replace", "link"):
            self._wrap(monkeypatch, output_module.os, where, self._two_path_error)
        elif where == "exchange":
            self._wrap(monkeypatch, output_module, "_exchange", self._two_path_error, all_calls=True)
        elif where == "cache":
            for name in (
                "put_manifest",
                "put_value",
                "put_bodies",
                "put_source_entries",
            ):
                self._wrap(monkeypatch, BuildCache, name, self._cache_error, all_calls=True)

    def _wrap(
        self,
        monkeypatch: pytest.MonkeyPatch,
        owner: object,
        name: str,
        error: Callable[[tuple], Exception],
        *,
        all_calls: bool = False,
        skip_temp: bool = False,
    ) -> None:
        real = getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            paths = [str(a) for a in args[:2]]
            concerned = any(self.twin in p and not (skip_temp and p.endswith(".dateline-tmp")) for p in paths)
            if all_calls or concerned:
                self.calls += 1
                if self.calls == self.fault.nth:
                    self.fired = True
                    raise error(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    def _path_error(self, args: tuple) -> Exception:
        if self.fault.where == "write":  # write() itself fails: no file name, as the kernel says it
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if self.fault.where == "mkdir":
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[0]))
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(args[0]))

    def _two_path_error(self, args: tuple) -> Exception:
        code = {"replace": errno.EACCES, "link": errno.EMLINK, "exchange": errno.EBUSY}[self.fault.where]
        return OSError(code, os.strerror(code), str(args[0]), None, str(args[1]))

    def _cache_error(self, args: tuple) -> Exception:
        return sqlite3.OperationalError("database or disk is full")


def _fault_params(only_clean_report: bool) -> Iterator[object]:
    for fault in FAULTS:
        reason = fault.bug if only_clean_report else None
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(fault, id=f"{fault.where}-{fault.nth}", marks=marks)


@pytest.mark.parametrize("fault", list(_fault_params(only_clean_report=False)))
def test_write_fault_loses_nothing(fault: Fault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever write fails, the output is still wholly the old build, and the next build repairs all."""
    site, out = _faulty_site(tmp_path)
    before = files_state(out)
    reference = tmp_path / "reference"
    build(site, BuildOptions(output=reference, cache=False, jobs=1))
    injector = _Injector(fault, out.parent / f".{out.name}.dateline-back", monkeypatch)
    with pytest.raises(Exception):  # noqa: B017 - any failure; how it is reported is the next test's
        build(site, BuildOptions(output=out, jobs=1))
    assert injector.fired, f"the build made fewer than {fault.nth} such calls: the fault was not injected"
    monkeypatch.undo()
    after = files_state(out)
    if fault.where == "cache":  # a cache write may fail after the swap: then the new build is in place
        assert after == before or tree(out) == tree(reference)
    else:
        assert after == before, "the output changed"
    build(site, BuildOptions(output=out, jobs=1))
    assert tree(out) == tree(reference)
    twin = out.parent / f".{out.name}.dateline-back"
    assert not list(out.rglob("*.dateline-tmp")) and not list(twin.rglob("*.dateline-tmp"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["site", "out", "reference", ".out.dateline-back", ".out.lock", ".reference.lock"]
    )
    # The twin is consistent: the next incremental build from it is a clean build too.
    write(site / "content/2020/a4.md", talk(4, body="Edited again."))
    build(site, BuildOptions(output=out, jobs=1))
    shutil.rmtree(reference)
    build(site, BuildOptions(output=reference, cache=False, jobs=1))
    assert tree(out) == tree(reference)


@pytest.mark.parametrize("fault", list(_fault_params(only_clean_report=True)))
def test_write_fault_is_one_clear_message(
    fault: Fault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure is a BuildFailed whose message names the output file and the system's error."""
    site, out = _faulty_site(tmp_path)
    _Injector(fault, out.parent / f".{out.name}.dateline-back", monkeypatch)
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(output=out, jobs=1))
    [problem] = [d for d in failed.value.diagnostics if d.severity == "error"]
    text = str(problem)
    assert "\n" not in text
    assert any(s in text for s in ("No space left", "Permission denied", "Too many links", "busy", "full"))
    assert ".dateline-" not in text and not problem.path.startswith("/"), text
    if fault.where == "exchange":  # the swap moves the whole folder: it is the folder that is named
        assert problem.path == "../out", text
    else:
        named = re.search(r"\.(html|xml|css|js|txt)$", problem.path) or problem.path.startswith(".dateline")
        assert named, text


def test_disk_full_through_the_command_line(tmp_path: Path) -> None:
    """The user's view of a full disk: one message, status 1, no traceback, the old site in place."""
    site, out = _faulty_site(tmp_path)
    before = files_state(out)
    inject = (
        "import errno, os\n"
        "import generator.output as output\n"
        "_write = output._write\n"
        "def _full(path, data):\n"
        "    if '.dateline-back' in str(path):\n"
        "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "    return _write(path, data)\n"
        "output._write = _full\n"
    )
    run = run_cli(site, out, inject=inject)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "No space left on device" in run.stderr
    assert run.stderr.splitlines()[-1] == "build failed: 1 problem"
    assert files_state(out) == before


# --- a damaged cache, an edited output ------------------------------------------------------------------


def _cached_site(tmp_path: Path) -> tuple[Path, Path]:
    site = tmp_path / "site"
    _many_articles(site, 6)
    out = tmp_path / "out"
    build(site, BuildOptions(output=out, jobs=1))
    return site, out


def _edit_and_compare(site: Path, out: Path, tmp_path: Path) -> None:
    """Edit an article and build in a new process, as a user would: the output is a clean build."""
    write(site / "content/2020/a1.md", talk(1, body="Edited."))
    run = run_cli(site, out, ("-q",))
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    reference = tmp_path / "reference"
    build(site, BuildOptions(output=reference, cache=False, jobs=1))
    assert tree(out) == tree(reference)


def _sql(site: Path, statement: str) -> None:
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        assert db.execute(statement).rowcount > 0, "the damage must land on something"
    db.close()


CACHE_DAMAGE = [
    pytest.param("UPDATE trees SET manifest = x'00ff00'", id="manifest-garbage"),
    # One byte of a stored manifest changed: its checksum no longer matches.
    pytest.param(
        "UPDATE trees SET manifest = CAST(substr(manifest, 1, 40) || x'00' || substr(manifest, 42) AS BLOB)",
        id="manifest-byte-changed",
    ),
    pytest.param("UPDATE sources SET entries = x'00ff00'", id="source-entries-garbage"),
    pytest.param("UPDATE sources SET checksum = checksum + 1", id="source-checksum-wrong"),
    pytest.param("UPDATE sources SET settings = 'other'", id="source-settings-other"),
    pytest.param("UPDATE bodies SET html = x'0102', words = x'0304'", id="body-garbage"),
    pytest.param("UPDATE state SET data = x'00ff00' WHERE key = 'page-state'", id="page-state-garbage"),
    pytest.param("UPDATE state SET data = x'00ff00' WHERE key = 'search'", id="search-state-garbage"),
    pytest.param("UPDATE state SET checksum = checksum + 1", id="state-checksum-wrong"),
    pytest.param("DELETE FROM state", id="state-missing"),
    pytest.param("UPDATE bodies SET terms = x'0506'", id="body-terms-garbage"),
    pytest.param("DELETE FROM bodies", id="bodies-missing"),
    pytest.param("DELETE FROM trees", id="manifests-missing"),
]


@pytest.mark.parametrize("statement", CACHE_DAMAGE)
def test_damaged_cache_records_are_rebuilt(statement: str, tmp_path: Path) -> None:
    site, out = _cached_site(tmp_path)
    _sql(site, statement)
    _edit_and_compare(site, out, tmp_path)


def test_a_damaged_body_is_found_when_read_and_rendered_anew(tmp_path: Path) -> None:
    """Bodies are checked when a page needs them, not all on every build: a damaged one found while
    rendering (here every article page, after a template change) restarts the build without it."""
    site, out = _cached_site(tmp_path)
    _sql(site, "UPDATE bodies SET html = x'78da0102'")
    (site / "templates").mkdir(exist_ok=True)
    theme = REPO / "templates/article.html"
    (site / "templates/article.html").write_text(theme.read_text(encoding="utf-8") + "<!-- changed -->\n")
    build(site, BuildOptions(output=out, jobs=1))
    reference = tmp_path / "reference"
    build(site, BuildOptions(output=reference, cache=False, jobs=1))
    assert tree(out) == tree(reference)
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        assert db.execute("SELECT count(*) FROM bodies WHERE html = x'78da0102'").fetchone() == (0,)
    db.close()


def test_a_build_that_fails_while_its_search_index_is_made_beside_ends_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template that fails on one page stops the build while the forked child makes the search
    index: the build reports the template's line, kills and reaps the child, and the output stays."""
    site, out = _cached_site(tmp_path)
    live = tree(out)
    theme = (REPO / "templates/article.html").read_text(encoding="utf-8")
    write(
        site / "templates/article.html",
        theme.replace(
            "{% block content %}", "{% block content %}{{ 1 // (page.title != 'Talks round 3') }}", 1
        ),
    )
    started: list[int] = []
    search_made_beside(monkeypatch, started)
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(output=out, jobs=2))
    assert started and all(pid > 0 for pid in started)
    assert "templates/article.html" in str(failed.value) and "ZeroDivisionError" in str(failed.value)
    with pytest.raises(ChildProcessError):  # no child left, running or waiting to be reaped
        os.waitpid(-1, os.WNOHANG)
    assert tree(out) == live


@pytest.mark.parametrize("beside", [False, True])
def test_a_body_whose_search_terms_are_lost_is_rendered_anew(
    tmp_path: Path, beside: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search index takes each body's terms from the cache. A row whose terms cannot be read is
    a damaged body even when no page has read it before the search stage: the build starts again
    without it, and the index is a clean build's. With ``beside``, the index is made in a forked
    child while the pages render, as a large build makes it: the child's error is the build's."""
    site, out = tmp_path / "site", tmp_path / "out"
    write(site / "site.toml", SITE_TOML)
    for n in range(4):
        write(site / f"content/2020/a{n}.md", talk(n, body=f"Talks went on.\n\nRound {n}: delegates{n} met."))
    build(site, BuildOptions(output=out, jobs=1))
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        rows = db.execute("SELECT key, html FROM bodies").fetchall()
        victim = next(key for key, html in rows if b"delegates0" in html)
        db.execute("UPDATE bodies SET terms = x'0506' WHERE key = ?", (victim,))
        db.execute("DELETE FROM state WHERE key = 'search'")  # the index is made from every body's terms
    db.close()
    # Only a later paragraph changes: the summary, so every card, stays, and no other page is rendered.
    write(site / "content/2020/a1.md", talk(1, body="Talks went on.\n\nRound 1: delegates1 met again."))
    if beside:
        monkeypatch.setattr(build_module, "SEARCH_BESIDE_AT", 0)
    build(site, BuildOptions(output=out, jobs=2 if beside else 1))
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        terms = db.execute("SELECT terms FROM bodies WHERE key = ?", (victim,)).fetchone()[0]
    db.close()
    assert "delegates0" in terms.decode()  # rendered anew, terms and all
    reference = tmp_path / "reference"
    build(site, BuildOptions(output=reference, cache=False, jobs=1))
    assert tree(out) == tree(reference)


class _Planted:
    """Unpickling this would run a command: what a cache planted in a site folder might hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_cache_runs_nothing(tmp_path: Path) -> None:
    """A site folder received from someone else may carry a crafted cache, checksums and all: its
    entries are refused and the files read again; the command in them never runs."""
    site, out = _cached_site(tmp_path)
    marker = tmp_path / "ran"
    data = pickle.dumps({"content/2020/a1.md": _Planted(marker)}, protocol=5)
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        db.execute("UPDATE sources SET entries = ?, checksum = ?", (data, zlib.crc32(data)))
    db.close()
    _edit_and_compare(site, out, tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("table", ["state", "trees"])
def test_planted_build_state_runs_nothing(table: str, tmp_path: Path) -> None:
    """What builds leave for the next (page and search state, output manifests) is plain data: a
    pickle naming any class at all is refused, and the build goes on as without it."""
    site, out = _cached_site(tmp_path)
    marker = tmp_path / "ran"
    data = pickle.dumps(("stamp", {"index.html": _Planted(marker)}), protocol=5)
    with sqlite3.connect(site / CACHE_DIR / CACHE_FILE) as db:
        if table == "state":
            changed = db.execute("UPDATE state SET data = ?, checksum = ?", (data, zlib.crc32(data)))
        else:
            record = zlib.crc32(data).to_bytes(4, "big") + data  # as cache.put_manifest stores it
            changed = db.execute("UPDATE trees SET manifest = ?", (record,))
        assert changed.rowcount > 0
    db.close()
    _edit_and_compare(site, out, tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "damage",
    ["wal-garbage", "cache-file-is-a-folder", "cache-folder-is-a-file"],
)
def test_damaged_cache_files_are_rebuilt(damage: str, tmp_path: Path) -> None:
    site, out = _cached_site(tmp_path)
    folder = site / CACHE_DIR
    if damage == "wal-garbage":
        (folder / f"{CACHE_FILE}-wal").write_bytes(os.urandom(8192))
    elif damage == "cache-file-is-a-folder":
        shutil.rmtree(folder)
        (folder / CACHE_FILE).mkdir(parents=True)
    else:
        shutil.rmtree(folder)
        folder.write_text("not a folder\n")
    _edit_and_compare(site, out, tmp_path)


def test_an_output_file_edited_by_hand_is_repaired(tmp_path: Path) -> None:
    site, out = _cached_site(tmp_path)
    style = out / "assets/style.css"
    style.write_bytes(style.read_bytes() + b"/* edited by hand */\n")
    _edit_and_compare(site, out, tmp_path)


# --- SIGKILL at random moments --------------------------------------------------------------------------


def test_sigkill_at_random_moments_leaves_one_whole_build(tmp_path: Path) -> None:
    kills = int(os.environ.get("DATELINE_KILLS", "50"))
    count = int(os.environ.get("DATELINE_KILL_ARTICLES", "24"))
    lines: list[str] = []
    stats = kill_harness.run_campaign(tmp_path, kills=kills, seed=20240607, count=count, log=lines.append)
    print(stats.summary())
    assert not stats.failures, "\n".join(stats.failures[:10])
    assert stats.kills >= kills // 2, f"too few kills landed inside a build: {stats.summary()}"
    assert stats.left_old and stats.left_new, f"the kills never straddled the swap: {stats.summary()}"
