"""The preview server's error overlay in headless Chromium: hostile text is shown, never run.

A site previewed by the real server (in-process, a free port of 127.0.0.1) is broken with
tests/hostile/payloads.txt: each payload as the failing value of a date, a country, a topic and as
an unknown field's name, and a few as article file names, so that the overlay lists every payload in
its ``path:line: message`` lines. An open tab reloads by itself to show the overlay; then the home
page and a missing page are opened with it. As in tests/test_hostile.py (whose browser, canary and
counters are reused): ``alert``, ``confirm``, ``prompt`` and ``print`` are a canary every payload
would call; 0 calls, 0 dialogs, 0 scripts compiled from the page (the server's own reload script
aside), 0 requests to anywhere but the preview server. A control page, opened last, shows that a
payload that does run is seen by the counters, through the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from generator.livereload import SCRIPT_PATH
from tests.browser_helpers import chromium, missing
from tests.conftest import MakeSite, article
from tests.serve_helpers import serving, write
from tests.test_hostile import PAYLOADS, Browser, yaml_string

ARTICLE = "content/2020/patrols.md"
ARTICLE_URL = "2020/02/joint-patrols-resume/"
# The issue's own examples, first: the test looks for them in the overlay's text.
SHOWN = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>"]
HOSTILE = SHOWN + [p for p in PAYLOADS if p not in SHOWN]
# File names cannot hold "/" or NUL; a few payloads become names of articles that fail.
NAMED = [p for p in HOSTILE if "/" not in p and "\x00" not in p and len(p.encode()) < 100][:6]
CONTROL = (
    "<!doctype html><html><head><title>control</title></head><body>"
    "<img src=x onerror=alert(1)><script>confirm(2)</script></body></html>"
)


class PreviewBrowser(Browser):
    """test_hostile's Browser, let through to the preview server only; its reload script is its own."""

    origin = ""  # http://127.0.0.1:PORT, set once the server runs

    def _route(self, route: Any) -> None:
        if self.origin and route.request.url.startswith(self.origin + "/"):
            route.continue_()
        else:
            super()._route(route)  # recorded and refused

    def _script(self, event: dict) -> None:
        if event.get("url", "").split("?")[0] == self.origin + SCRIPT_PATH:
            return  # the server's live-reload script, in every page it serves
        super()._script(event)

    def open(self, path: str) -> None:
        self.where = path
        self.page.goto(self.origin + path, wait_until="load")
        self.count()


class _LoopbackLauncher:
    """What Browser.__init__ launches Chromium through, with one change to test_hostile's flags: its
    host resolver rule, which maps every name and address to "not found", lets 127.0.0.1 through."""

    def __init__(self, playwright: Any) -> None:
        self.chromium = self
        self._chromium = playwright.chromium

    def launch(self, **options: Any) -> Any:
        options["args"] = [
            f"{arg}, EXCLUDE 127.0.0.1" if arg.startswith("--host-resolver-rules=") else arg
            for arg in options["args"]
        ]
        return self._chromium.launch(**options)


@pytest.fixture(scope="module")
def browser() -> Iterator[PreviewBrowser]:
    executable = chromium()  # fails in CI when missing, skips elsewhere (tests/browser_helpers.py)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        opened = PreviewBrowser(_LoopbackLauncher(playwright), executable)
        try:
            yield opened
        finally:
            opened.close()


def broken_article(index: int, payload: str) -> str:
    """An article whose date, country, topic and one field's name are ``payload``: four problems."""
    y = yaml_string(payload)
    return f"---\ntitle: Hostile {index}\ndate: {y}\ncountries: [{y}]\ntopics: [{y}]\n{y}: 1\n---\n\nText.\n"


def test_the_error_overlay_shows_payloads_as_text_and_runs_none(
    browser: PreviewBrowser, make_site: MakeSite
) -> None:
    site = make_site(
        {
            ARTICLE: article("Joint Patrols Resume", body="Patrols resumed on Tuesday."),
            "content/2020/other.md": article("Another Story", "2020-03-01"),
            "static/control.html": CONTROL,
        }
    )
    report = browser.report
    with serving(site) as server:
        browser.origin = f"http://127.0.0.1:{server.port}"

        browser.open("/" + ARTICLE_URL)
        browser.page.evaluate("window.notReloaded = true")  # gone once the page reloads by itself
        (site / "content/hostile").mkdir()
        for n, payload in enumerate(HOSTILE):
            write(site / f"content/hostile/p{n:03d}.md", broken_article(n, payload))
        for payload in NAMED:  # no title: "<name>.md:1: title: ..." names the file
            write(site / f"content/hostile/{payload}.md", "---\ndate: 2020-01-01\n---\n\nText.\n")
        expected = 4 * len(HOSTILE) + len(NAMED)  # the folder's creation may have made a build first
        state = server.hub.wait_for(lambda s: len(s.problems) >= expected, timeout=60)
        assert state is not None, server.state.problems[:5]

        overlay = browser.page.locator("#dateline-overlay")
        overlay.wait_for(state="visible", timeout=30_000)  # the open tab reloaded to show it
        # A build made while the files were being written may have shown fewer: the last one shows all.
        browser.page.wait_for_function(
            "n => document.querySelectorAll('#dateline-overlay li').length === n",
            arg=len(state.problems),
            timeout=30_000,
        )
        browser.where = "/" + ARTICLE_URL + " (reloaded)"
        browser.count()
        assert browser.page.evaluate("window.notReloaded === undefined")
        assert "Patrols resumed on Tuesday." in browser.page.inner_text("main")  # the last good build
        text = overlay.inner_text()
        # Every problem is a line of the overlay, its path:line and the payload shown as text.
        assert "content/hostile/p000.md:3: date: expected a date like 2020-02-18 or " in text
        assert f'got "{SHOWN[0]}"' in text
        assert f'content/hostile/p001.md:4: countries: unknown country "{SHOWN[1]}"' in text
        for payload in NAMED:
            assert f"content/hostile/{payload}.md:1" in text, payload
        assert browser.page.locator("#dateline-overlay img, #dateline-overlay script").count() == 0

        for path in ("/", "/no-such-page/"):  # the home page and the site's 404 page, each with it
            browser.open(path)
            assert browser.page.locator("#dateline-overlay li").count() == len(state.problems), path
        problems = report.problems()
        print(f"{len(state.problems)} problems shown in the overlay on {report.pages} pages")

        # The control, last: after the reload and the navigations, a payload that runs is still seen
        # by the canary and by the script counter, through the same server.
        browser.open("/control.html")
        assert any("alert(1)" in c for c in report.canary), report.canary
        assert any("confirm(2)" in c for c in report.canary), report.canary
        assert report.scripts, "the control's inline script was not counted"

    assert report.pages >= 4
    assert not problems, "\n".join(problems[:20])
