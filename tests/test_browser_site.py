"""The example site in a real browser (Debian's Chromium through Playwright), the way readers get it.

Two builds of the repository's example site: the offline build opened from file://, and the clean
build served by a real nginx at a sub-path (``/archive/``) on a free loopback port. On both: a
click-through from the home page to every kind of page with no failed request, HTTP error or console
error; search; axe-core on each kind of page. Screenshots of the home page, the article and the
countries map at 1280 and 375 px go to tests/screenshots/ (git-ignored) to be looked at after a run.
The theme on the offline build: no sideways scroll at 360 px, dark mode when the system asks for it
(and axe-core again in dark mode), and a print stylesheet that prints an article without navigation.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from generator.build import BuildOptions, build
from tests.browser_helpers import (
    CHROMIUM_ARGS,
    chromium,
    free_port,
    launched_browser,
    nginx,
    record_errors,
    run_axe,
)

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "tests" / "screenshots"
TITLE = "Turkey Rejoins Joint Russian Patrols in Syria"
ARTICLE = "2020/02/turkey-rejoins-joint-russian-patrols-in-syria/"
# Pages axe-core checks: name -> clean path under the site root (the offline file adds index.html).
PAGES = {
    "home": "",
    "article": ARTICLE,
    "countries": "countries/",
    "country": "countries/syria/",
    "country-and-topic": "countries/syria/refugees/",
    "topic": "topics/refugees/",
    "tag": "tags/hasakah/",
    "archive": "archive/",
    "archive-month": "2020/02/",
    "search": "search/",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def offline_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("offline") / "out"
    build(REPO, BuildOptions(output=out, links="offline", cache=False))
    return out


@pytest.fixture(scope="module")
def nginx_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The clean build of a copy of the example site, served by nginx under /archive/; its root URL."""
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    site = tmp / "site"
    shutil.copytree(REPO / "content", site / "content")
    toml = (REPO / "site.toml").read_text(encoding="utf-8")
    toml, n = re.subn(r'(?m)^base_url = ".*"$', f'base_url = "http://127.0.0.1:{port}/archive/"', toml)
    assert n == 1
    (site / "site.toml").write_text(toml, encoding="utf-8")
    build(site, BuildOptions(output=tmp / "out", cache=False))
    with nginx(tmp / "out", port, tmp / "nginx") as url:
        yield url


@pytest.fixture(params=["file", "nginx"])
def site_url(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(how, root URL): the offline build from file:// or the clean build from nginx."""
    if request.param == "file":
        yield "file", request.getfixturevalue("offline_root").as_uri() + "/"
    else:
        yield "nginx", request.getfixturevalue("nginx_root")


def url_of(site: tuple[str, str], path: str) -> str:
    how, root = site
    return root + path + ("index.html" if how == "file" else "")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def test_click_through_every_kind_of_page(page: Any, site_url: tuple[str, str]) -> None:
    from playwright.sync_api import expect

    errors = record_errors(page)
    page.goto(url_of(site_url, ""))
    h1 = page.locator("h1")
    expect(h1).to_have_text("Dateline example archive")
    _nav(page, "Countries")
    expect(h1).to_have_text("Countries")
    page.locator(".group-links").get_by_role("link", name="Syria", exact=True).click()
    expect(h1).to_have_text("Syria")
    page.locator(".group-links").get_by_role("link", name="Migration and refugees", exact=True).click()
    expect(h1).to_have_text("Migration and refugees in Syria")
    page.locator(".card-title").get_by_role("link", name=TITLE, exact=True).click()
    expect(h1).to_have_text(TITLE)
    page.locator("main").get_by_role("link", name="Hasakah", exact=True).click()
    expect(h1).to_have_text("Hasakah")
    _nav(page, "Archive")
    expect(h1).to_have_text("Archive")
    page.locator("main").get_by_role("link", name="February 2020", exact=True).click()
    expect(h1).to_have_text("February 2020")
    _nav(page, "Search")
    expect(h1).to_have_text("Search")
    page.wait_for_selector("#dl-search[data-ready]")
    if site_url[0] == "nginx":
        assert page.url == site_url[1] + "search/"
    page.wait_for_load_state("load")
    assert errors == []


def test_nothing_is_fetched_outside_the_sub_path(browser: Any, nginx_root: str) -> None:
    # A browser asks a host for its icon once per run: a fresh one asks (from the same Playwright).
    fresh = browser.browser_type.launch(executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
    try:
        page = fresh.new_page()
        errors = record_errors(page)
        page.goto(nginx_root)
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)  # the icon is fetched after load
        assert errors == []
    finally:
        fresh.close()


def _results(page: Any, query: str, filters: str = "") -> list[str]:
    page.wait_for_function(
        "([q, f]) => { const l = document.getElementById('dl-search-results');"
        " return l.dataset.query === q && l.dataset.filters === f; }",
        arg=[query, filters],
    )
    return page.locator("#dl-search-results h3 a").all_inner_texts()


def test_search_finds_the_article_and_filters_by_country(page: Any, site_url: tuple[str, str]) -> None:
    errors = record_errors(page)
    page.goto(url_of(site_url, "search/"))
    page.wait_for_selector("#dl-search[data-ready]")
    field = page.get_by_label("Search words")
    field.press_sequentially("Idlib")
    assert _results(page, "Idlib") == [TITLE]
    country = page.get_by_label("Country")
    options = country.locator("option").evaluate_all("(os) => os.map((o) => o.value).filter(Boolean)")
    assert options == ["russia", "syria", "turkey"]  # covered countries only, alphabetical
    country.select_option("syria")
    assert _results(page, "Idlib", "countries=syria") == [TITLE]
    assert "Syria" in page.locator("#dl-search-results .meta").first.inner_text()
    field.fill("Zanzibar")  # no article has it: the filter stays, nothing is found
    assert _results(page, "Zanzibar", "countries=syria") == []
    field.fill("Idlib")
    country.select_option("turkey")  # every covered country holds the one article
    assert _results(page, "Idlib", "countries=turkey") == [TITLE]
    page.locator("#dl-search-results h3 a").first.click()
    assert page.locator("h1").inner_text() == TITLE
    assert page.url == url_of(site_url, ARTICLE)
    assert errors == []


def _axe_violations(page: Any, site: tuple[str, str], name: str) -> list[str]:
    """axe-core's serious and critical violations on the page ``name`` (search: with results shown)."""
    page.goto(url_of(site, PAGES[name]))
    if name == "search":
        page.wait_for_selector("#dl-search[data-ready]")
        page.get_by_label("Search words").fill("Idlib")
        _results(page, "Idlib")
    return run_axe(page)


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(page: Any, site_url: tuple[str, str], name: str) -> None:
    violations = _axe_violations(page, site_url, name)
    assert violations == [], "\n".join(violations)


@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots_and_no_sideways_scroll(browser: Any, offline_root: Path, width: int) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        errors = record_errors(page)
        too_wide = []
        for name, path in (("home", ""), ("article", ARTICLE), ("countries-map", "countries/")):
            page.goto((offline_root / path / "index.html").as_uri())
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
            sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if sizes[0] > sizes[1] + 1:
                too_wide.append(f"{name}: scrollWidth {sizes[0]} > {sizes[1]}")
        assert too_wide == []
        assert errors == []
    finally:
        context.close()


# --- The theme: narrow screens, dark mode, print ---------------------------------------------------


def offline_site(root: Path) -> tuple[str, str]:
    """The offline build at ``root`` as a ``site_url`` value, for ``url_of``."""
    return "file", root.as_uri() + "/"


@contextmanager
def opened(browser: Any, **options: Any) -> Iterator[Any]:
    """A page in a fresh browser context made with ``options`` (viewport, color_scheme, ...)."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("name", ["home", "article", "countries"])
def test_no_sideways_scroll_at_360_px(browser: Any, offline_root: Path, name: str) -> None:
    # 360 px is the narrowest common phone; the theme promises to fit it without horizontal scrolling.
    with opened(browser, viewport={"width": 360, "height": 740}) as page:
        errors = record_errors(page)
        page.goto(url_of(offline_site(offline_root), PAGES[name]))
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert inner_width == 360
        assert scroll_width <= inner_width, f"{name}: scrollWidth {scroll_width} > {inner_width}"
        assert errors == []


def _rgb(css: str) -> tuple[int, ...]:
    """``rgb(23, 24, 27)`` as numbers."""
    match = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, [\d.]+)?\)", css)
    assert match, css
    return tuple(int(n) for n in match.groups())


def _colours(page: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The body's computed background and text colours."""
    background, text = page.evaluate(
        "(() => { const s = getComputedStyle(document.body); return [s.backgroundColor, s.color]; })()"
    )
    return _rgb(background), _rgb(text)


@pytest.mark.parametrize("name", ["home", "article"])
def test_dark_mode_follows_the_system_setting(browser: Any, offline_root: Path, name: str) -> None:
    url = url_of(offline_site(offline_root), PAGES[name])
    schemes = {}
    for scheme in ("light", "dark"):
        with opened(browser, color_scheme=scheme) as page:
            page.goto(url)
            schemes[scheme] = _colours(page)
    (light_bg, light_text), (dark_bg, dark_text) = schemes["light"], schemes["dark"]
    assert dark_bg != light_bg
    # Dark text on a light page, light text on a dark one: the scheme really turned over.
    assert sum(light_bg) > sum(light_text)
    assert sum(dark_bg) < sum(dark_text)


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations_in_dark_mode(
    browser: Any, offline_root: Path, name: str
) -> None:
    # The dark palette has its own contrast to get right, checked page by page like the light one.
    with opened(browser, color_scheme="dark") as page:
        violations = _axe_violations(page, offline_site(offline_root), name)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    assert violations == [], "\n".join(violations)


SHOWN = "(els) => els.filter((e) => e.getClientRects().length > 0).map((e) => e.className || e.tagName)"


def test_an_article_prints_without_navigation(browser: Any, offline_root: Path) -> None:
    with opened(browser) as page:
        page.goto(url_of(offline_site(offline_root), ARTICLE))
        navigation = page.locator("nav, .skip-link, .site-footer")
        on_screen = navigation.evaluate_all(SHOWN)
        assert "site-nav" in on_screen  # shown on screen, so hiding it below is the print stylesheet's doing
        page.emulate_media(media="print")
        assert navigation.evaluate_all(SHOWN) == []
        body = page.locator(".article-body")
        assert body.is_visible()
        assert page.locator("h1").inner_text() == TITLE
        assert "Turkish" in body.inner_text()
        assert page.locator(".site-title").is_visible()  # the site's name stays, as a letterhead
