"""Live reload in a real browser: Playwright driving the system's Chromium (Debian's ``chromium``).

Playwright's own browser download is not used (``playwright install`` is never run): the browser is
the one ``.ci/run`` installs with apt. In CI (``CI`` set) a missing browser or Playwright fails the
test; on a developer's machine it skips with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chromium_flags import CHROMIUM_ARGS
from tests.conftest import MakeSite, article
from tests.serve_helpers import serving, write

ARTICLE = "content/2020/patrols.md"
ARTICLE_URL = "2020/02/joint-patrols-resume/"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser test: see .ci/run)")
    pytest.skip(reason)


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    _missing("no chromium on this machine (apt-get install chromium)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(
        {
            ARTICLE: article("Joint Patrols Resume", body="Patrols resumed on Tuesday."),
            "content/2020/other.md": article("Another Story", "2020-03-01"),
        }
    )


def test_an_open_page_reloads_by_itself_after_an_edit(browser, site: Path) -> None:
    with serving(site) as server:
        page = browser.new_page()  # type: ignore[attr-defined]
        try:
            page.goto(server.url + ARTICLE_URL)
            assert "Patrols resumed on Tuesday." in page.inner_text("main")
            page.evaluate("window.notReloaded = true")  # gone once the page reloads
            page.wait_for_function("() => document.readyState === 'complete'")
            text = (site / ARTICLE).read_text().replace("on Tuesday", "on Wednesday")
            write(site / ARTICLE, text)
            page.wait_for_function(
                "() => document.body.innerText.includes('Patrols resumed on Wednesday.')", timeout=30_000
            )
            assert page.evaluate("window.notReloaded === undefined")
        finally:
            page.close()


def test_many_tabs_share_one_event_stream_and_all_reload(browser, site: Path) -> None:
    with serving(site) as server:
        context = browser.new_context()  # type: ignore[attr-defined]
        try:
            pages = [context.new_page() for _ in range(8)]  # more tabs than a browser's 6 connections a host
            for page in pages:
                page.goto(server.url + ARTICLE_URL)
            pages[-1].wait_for_timeout(500)
            assert server.hub.streams == 1  # one tab holds the stream for all
            write(site / ARTICLE, (site / ARTICLE).read_text().replace("on Tuesday", "at dawn"))
            for page in pages:
                page.wait_for_function(
                    "() => document.body.innerText.includes('Patrols resumed at dawn.')", timeout=30_000
                )
            assert server.builds == 2
        finally:
            context.close()


def test_the_error_overlay_comes_and_goes(browser, site: Path) -> None:
    good = (site / ARTICLE).read_text()
    with serving(site) as server:
        page = browser.new_page()  # type: ignore[attr-defined]
        try:
            page.goto(server.url + ARTICLE_URL)
            write(site / ARTICLE, good.replace("date: 2020-02-18", "date: someday"))
            overlay = page.locator("#dateline-overlay")
            overlay.wait_for(state="visible", timeout=30_000)
            assert f"{ARTICLE}:3: date:" in overlay.inner_text()
            write(site / ARTICLE, good.replace("on Tuesday", "once more"))
            page.wait_for_function(
                "() => document.body.innerText.includes('Patrols resumed once more.')", timeout=30_000
            )
            assert page.locator("#dateline-overlay").count() == 0
        finally:
            page.close()
