"""Edit to visible: how long after saving an article the preview's open tab shows the change.

Run by hand, never by the tests (it needs Chromium and Playwright, and its numbers need a quiet machine):

    .venv/bin/python bench/corpus.py /tmp/site10k -n 10000                 # once
    .venv/bin/python bench/serve_edit.py --site /tmp/site10k --output /tmp/site10k-out
    .venv/bin/python bench/serve_edit.py --site /tmp/site1k --edits 3 --json results.json

It starts ``dateline serve --port 0 --no-open`` on the site as a child process (this interpreter, this
environment), opens the first article (sorted paths under ``content/``) in Debian's Chromium through
Playwright, then ``--edits`` times appends a paragraph holding a new sentence to the article's file
and waits until the open tab's DOM holds it. The tab reloads by itself (live reload); nothing here
reloads it. At the end the article's original bytes are written back and the server is stopped with
Ctrl-C (SIGINT).

Each edit is split by the server's own log lines, timestamped as they arrive:

    watch     the write to "<file> changed; rebuilding" (inotify and the 0.1 s debounce)
    shown     that line to the tab showing the sentence: the build up to the moment its output is
              in place, when the server sends the reload event, then the page's load and render
    after     the tab showing it to the "Built ... in S s" line: the build's own end (its cache
              brought up to date) runs while the tab reloads, so this is usually above zero
              (S, the build's own figure, is shown too)

The first edit is shown apart from the others: after the server starts it also fills the output's
hidden twin folder. ``--output DIR`` keeps the first build between runs (as ``dateline serve
--output``); without it every run starts with a full build into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from markupsafe import escape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.chromium_flags import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the browser tests' flags)

START_TIMEOUT = 900.0  # the first build into an empty folder: about a minute at 10,000 articles
EDIT_TIMEOUT = 300.0  # an edit that takes longer has failed (a lost event, a broken build)
SETTLE = 1.0  # seconds between edits, so the tab's reload (styles, scripts) is over before the next

_SERVING = re.compile(r"Serving (http://\S+)")
_REBUILDING = re.compile(r"; rebuilding$")
_BUILT = re.compile(r"Built (\d+) articles?, (\d+) pages in ([\d.]+) s \((\d+) rendered\)")


# --- the server


@dataclass(frozen=True)
class LogLine:
    at: float  # time.time() when the line arrived
    text: str


class Server:
    """``dateline serve`` as a child process; its output (stdout and stderr) collected line by line."""

    def __init__(self, site: Path, output: Path) -> None:
        command = [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0"]
        self.process = subprocess.Popen(
            [*command, "--no-open", "--output", str(output)],
            # One pipe for both, read all the time by a thread: a pipe nobody reads would fill and stall
            # the server, and the lines must be timestamped when they are written, not when looked at.
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=REPO,  # `-m generator` then finds this checkout's package first
            env=os.environ.copy(),
        )
        self.lines: list[LogLine] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="serve-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = LogLine(time.time(), raw.decode("utf-8", "replace").rstrip("\n"))
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()  # the server has ended: wake waiters so they give up

    def wait_for_line(self, pattern: re.Pattern[str], after: int, timeout: float) -> tuple[int, LogLine]:
        """The first line from index ``after`` on matching ``pattern``, and its index."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index in range(after, len(self.lines)):
                    if pattern.search(self.lines[index].text):
                        return index, self.lines[index]
                after = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    raise RuntimeError(f"no line matching {pattern.pattern!r} within {timeout:.0f} s")
                self._changed.wait(min(left, 1.0))

    def since(self, index: int) -> list[LogLine]:
        with self._changed:
            return self.lines[index:]

    def tail(self, count: int = 30) -> str:
        with self._changed:
            return "\n".join(line.text for line in self.lines[-count:])

    def stop(self) -> None:
        if self.process.poll() is None:
            # As Ctrl-C: the server ends its threads and removes its lock file.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)


@contextmanager
def served(site: Path, output: Path) -> Iterator[tuple[Server, str]]:
    """The running server and the URL it printed, once it answers there."""
    server = Server(site, output)
    try:
        _, line = server.wait_for_line(_SERVING, 0, START_TIMEOUT)
        url = _SERVING.search(line.text)[1]  # type: ignore[index]
        # The line is printed just before the HTTP thread starts: ask until it answers.
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    response.read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield server, url
    except BaseException:
        print(f"server output (last lines):\n{server.tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()


# --- the article and its page


def front_matter(text: str) -> dict[str, Any]:
    """The article's front matter (YAML between ``---`` or TOML between ``+++``), as Dateline reads it."""
    for fence, load in (("---", yaml.safe_load), ("+++", tomllib.loads)):
        if text.startswith(fence + "\n"):
            end = text.find("\n" + fence, len(fence))
            if end > 0:
                return dict(load(text[len(fence) + 1 : end]) or {})
    return {}


def find_page(output: Path, source: Path, title: str) -> Path:
    """The built page of the article: the output page whose ``<h1>`` is its title.

    Searched rather than computed, so that a date with a UTC offset near a month's end or a ``slug:``
    in the front matter cannot send the benchmark to the wrong page. Article pages are
    ``YYYY/MM/<slug>/index.html``; the file's own name is tried first, which is the slug unless the
    front matter says otherwise, and only then every article-shaped page (a second or so at 10,000).
    """
    # Jinja escapes the title as markupsafe does (&#34; for a double quote, not html.escape's &quot;).
    heading = re.compile(r"<h1[^>]*>\s*" + re.escape(str(escape(title))) + r"\s*</h1>")
    for pattern in (f"*/*/{source.stem}/index.html", "*/*/*/index.html"):
        for page in sorted(output.glob(pattern)):
            if heading.search(page.read_text(encoding="utf-8", errors="replace")):
                return page
    raise RuntimeError(f"no page in {output} has the heading {title!r}")


# --- measuring


@dataclass
class Edit:
    number: int
    total: float  # seconds from the write to the tab showing the sentence
    watch: float | None  # the write to the server's "changed; rebuilding" line
    shown: float | None  # that line to the tab showing the sentence
    after: float | None  # the tab showing it to the "Built" line (the build's end)
    build_seconds: float | None  # what the build itself reported
    pages_rendered: int | None
    rebuilds: int  # "rebuilding" lines between the write and the sentence shown; 1 unless a save was split

    def show(self) -> str:
        def part(value: float | None) -> str:
            return "    -  " if value is None else f"{value:6.3f}"

        rendered = "" if self.pages_rendered is None else f", {self.pages_rendered} rendered"
        build = "" if self.build_seconds is None else f"  (build {self.build_seconds:.2f} s{rendered})"
        extra = f"  [{self.rebuilds} rebuilds]" if self.rebuilds != 1 else ""
        return (
            f"edit {self.number}: {self.total:6.3f} s   watch {part(self.watch)}  shown {part(self.shown)}"
            f"  after {part(self.after)}{build}{extra}"
        )


def measure_edit(page: Any, server: Server, article: Path, number: int, tag: str) -> Edit:
    sentence = f"Benchmark edit {number} of run {tag} was appended here."
    seen = len(server.lines)
    started = time.time()
    # Appended in one write, as a paragraph of its own (a body ending in a table or list stays valid).
    with article.open("ab") as handle:
        handle.write(f"\n\n{sentence}\n".encode())
    # The tab stamps the moment itself (Date.now(), the same wall clock as time.time()), so the
    # round trip back to Playwright is not counted. The wait outlives the tab's reloads.
    handle_js = page.wait_for_function(
        "s => document.body !== null && document.body.textContent.includes(s) && Date.now()",
        arg=sentence,
        timeout=EDIT_TIMEOUT * 1000,
    )
    shown = float(handle_js.json_value()) / 1000
    handle_js.dispose()
    total = shown - started

    # The server's lines for this edit: the first "rebuilding" after the write, the first "Built" after
    # it, which may come after the tab showed the sentence (the tab reloads before the build ends).
    lines = [line for line in server.since(seen) if line.at <= shown]
    rebuilding = [i for i, line in enumerate(lines) if _REBUILDING.search(line.text)]
    watch = to_shown = after = build_seconds = None
    rendered = None
    if rebuilding:
        start = lines[rebuilding[0]]
        watch, to_shown = start.at - started, shown - start.at
        built = _built_line(server, seen + rebuilding[0])
        if built is not None:
            found = _BUILT.search(built.text)
            assert found is not None
            after = built.at - shown
            build_seconds = float(found[3])
            rendered = int(found[4])
    return Edit(number, total, watch, to_shown, after, build_seconds, rendered, len(rebuilding))


def _built_line(server: Server, start: int, wait: float = 10.0) -> LogLine | None:
    """The first "Built" line from line ``start`` on, waiting for it a while."""
    deadline = time.monotonic() + wait
    while True:
        built = next((line for line in server.since(start) if _BUILT.search(line.text)), None)
        if built is not None or time.monotonic() > deadline:
            return built
        time.sleep(0.02)


def summary(edits: list[Edit]) -> dict[str, dict[str, float]]:
    """Median, min and max of each part over the given edits."""
    result = {}
    for name in ("total", "watch", "shown", "after", "build_seconds"):
        values = [v for e in edits if (v := getattr(e, name)) is not None]
        if values:
            result[name] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
            }
    return result


def run(site: Path, output: Path, edits: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright  # imported here: --help works without Playwright

    articles = sorted((site / "content").rglob("*.md"))
    if not articles:
        raise SystemExit(f"no articles under {site / 'content'}")
    article = articles[0]
    original = article.read_bytes()
    title = str(front_matter(original.decode("utf-8")).get("title") or "")
    if not title:
        raise SystemExit(f"{article} has no title in its front matter")
    tag = secrets.token_hex(4)  # in every sentence: a sentence from an earlier run can't match

    started = time.monotonic()
    results: list[Edit] = []
    try:
        with served(site, output) as (server, url):
            startup = time.monotonic() - started
            first_build = next((line.text for line in server.lines if _BUILT.search(line.text)), "")
            page_file = find_page(output, article, title)
            page_url = url + page_file.relative_to(output).parent.as_posix() + "/"
            print(f"server: {url} up in {startup:.1f} s ({first_build or 'no build line'})")
            print(f"article: {article.relative_to(site)} at {page_url}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                try:
                    page = browser.new_page()
                    page.goto(page_url, wait_until="load")
                    time.sleep(SETTLE)  # the live-reload stream opens after the load
                    for number in range(1, edits + 1):
                        edit = measure_edit(page, server, article, number, tag)
                        results.append(edit)
                        print(edit.show(), flush=True)
                        time.sleep(SETTLE)
                finally:
                    browser.close()
            # Put the article back and let the server rebuild it before stopping it, so that a kept
            # --output folder matches the site again.
            seen = len(server.lines)
            article.write_bytes(original)
            try:
                server.wait_for_line(_BUILT, seen, EDIT_TIMEOUT)
            except RuntimeError as exc:
                print(f"warning: the rebuild after restoring the article: {exc}", file=sys.stderr)
    finally:
        if article.read_bytes() != original:
            article.write_bytes(original)

    return {
        "site": str(site),
        "article": str(article.relative_to(site)),
        "startup_seconds": startup,
        "first_build": first_build,
        "edits": [asdict(e) for e in results],
        "first": asdict(results[0]) if results else None,
        "rest": summary(results[1:]) if len(results) > 1 else None,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
    }


def print_summary(report: dict[str, Any]) -> None:
    edits = report["edits"]
    if not edits:
        return
    print(f"first edit: {edits[0]['total']:.3f} s")
    rest = report["rest"]
    if rest:
        print(f"edits 2-{len(edits)}:      median     min     max")
        for name, label in (
            ("total", "save to shown"),
            ("watch", "watch+debounce"),
            ("shown", "build+reload"),
            ("build_seconds", "  (build's own)"),
            ("after", "build end after"),
        ):
            if name in rest:
                s = rest[name]
                print(f"  {label:<15} {s['median']:6.3f}  {s['min']:6.3f}  {s['max']:6.3f} s")
    load = ", ".join(f"{x:.2f}" for x in report["machine"]["load_average"])
    print(f"load average at the end: {load} ({report['machine']['cpus']} CPUs)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", type=Path, required=True, help="a site folder (see bench/corpus.py)")
    parser.add_argument("--edits", type=int, default=6, help="edits to measure (default 6)")
    parser.add_argument(
        "--output", type=Path, help="build folder kept between runs (default: a temporary one)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.edits < 1:
        parser.error("--edits must be at least 1")
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    site = args.site.resolve()
    if not (site / "site.toml").is_file():
        raise SystemExit(f"no site.toml in {site}")

    with tempfile.TemporaryDirectory(prefix="dateline-serve-edit-") as tmp:
        output = args.output.resolve() if args.output else Path(tmp) / "site"
        report = run(site, output, args.edits)
    print_summary(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
