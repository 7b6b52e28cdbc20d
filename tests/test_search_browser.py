"""The search page in a real browser: Playwright driving the system's Chromium, from file:// and over http.

The search page is part of ``dateline build``, and tests/test_browser_site.py searches a real build of
the example site. The tests of typing, filtering and escaping need a few hundred articles with
chosen titles, so rather than building every page ``assemble_search_site`` writes only what the
search page needs into an output folder: the rendered ``templates/search.html``,
``templates/static/`` as ``assets/``, the ``search_files`` output and a stub page for each of the
first 200 articles (enough to follow a result's link).

``test_measure_a_10000_article_archive`` builds bench/corpus.py's 10,000 synthetic articles for real
(about a minute of the test's time) and prints the sizes and timings of searching them (run with
``-s`` to see them); it asserts no timing.

In CI (``CI`` set) a missing Chromium or Playwright fails the tests; elsewhere they skip.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import statistics
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import pytest
from test_search import COUNTRIES, HOSTILE, _data, doc, synthetic_docs

from generator import search, search_index, urls
from generator.build import BuildOptions, build
from generator.search import SearchDoc, SearchPage
from generator.views import Link, PageView, SiteView
from tests.chromium_flags import CHROMIUM_ARGS as BASE_ARGS

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import corpus  # noqa: E402  (bench/corpus.py: the synthetic archive the benchmarks build)

CHROMIUM_ARGS = [
    *BASE_ARGS,
    "--allow-file-access-from-files",
]
PAGE = "search/index.html"
RE_OUR_SCRIPT = re.compile(r"/(assets/search(-core)?|search/(index|[td]-[0-9a-f]{12}))\.js$")


@dataclass(frozen=True)
class SearchPageView(PageView):
    """Stand-in until PageView has the field: what the lead's context will give search.html."""

    search: SearchPage | None = None


def assemble_search_site(out: Path, docs: Iterable[SearchDoc], *, mode: str, base_url: str) -> Path:
    """An output folder with the search page at search/index.html; returns the page's path."""
    links = urls.Links(mode, base_url)  # type: ignore[arg-type]

    def link(target: str) -> str:
        return links.url(target, source=PAGE)

    docs = list(docs)
    for name, data in search_index.search_files(docs).items():
        _write(out / name, data)
    for static in sorted((REPO / "templates" / "static").rglob("*")):
        if static.is_file():
            _write(
                out / urls.asset(static.relative_to(REPO / "templates" / "static").as_posix()),
                static.read_bytes(),
            )
    for d in docs[:200]:  # enough to follow a result's link
        _write(
            out / d.path,
            f"<!doctype html><title>{html.escape(d.title)}</title><h1>{html.escape(d.title)}</h1>".encode(),
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPO / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    site = SiteView(
        title="Search test archive",
        description="",
        language="en",
        home_url=link(urls.home()),
        nav=(Link("Home", link(urls.home())), Link("Search", link(PAGE), current=True)),
        stylesheets=(link(urls.asset("style.css")),),
        icon=link(urls.asset("favicon.svg")),
        generator="Dateline",
    )
    page = SearchPageView(
        kind="search",
        title="Search the archive",
        head_title="Search – Search test archive",
        description="",
        language="en",
        direction="ltr",
        canonical_url="",
        search=search.search_page(link, offline=mode == "offline"),
    )
    _write(out / PAGE, env.get_template("search.html").render(site=site, page=page).encode())
    return out / PAGE


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def small_docs() -> list[SearchDoc]:
    return [
        doc(
            "Harbour reopens in Türkiye", "2024-11-01", country="turkiye", summary="The old harbour is open."
        ),
        doc("Harbour strike in France", "2024-10-01", country="france", summary="Dockers stop the harbour."),
        doc(HOSTILE, "2024-09-01", summary="A title that tries to be markup: alert"),
        *synthetic_docs(150, seed=3),
    ]


# -- the browser ------------------------------------------------------------------------------------


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = next(
        (c for c in ("/usr/bin/chromium", shutil.which("chromium")) if c and Path(c).is_file()), None
    )
    if executable is None:
        _missing("no chromium on this machine (apt-get install chromium)")
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


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """``folder`` over http on a free port of 127.0.0.1; yields the root URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextmanager
def search_page(browser, tmp_path: Path, how: str, docs: list[SearchDoc]) -> Iterator[object]:
    """The search page opened ``how``: "file" (offline build from disk) or "http" (clean links, under
    a sub-path)."""
    www = tmp_path / f"www-{how}"
    site, mode, base = (www, "offline", "https://example.org/") if how == "file" else (
        www / "archive", "clean", "https://example.org/archive/"
    )  # fmt: skip
    page_file = assemble_search_site(site, docs, mode=mode, base_url=base)
    with ExitStack() as stack:
        url = page_file.as_uri() if how == "file" else stack.enter_context(serving(www)) + "archive/search/"
        yield stack.enter_context(opened(browser, url))


@contextmanager
def opened(browser, url: str) -> Iterator[object]:
    """A search page at ``url`` in a fresh browser context (nothing loaded or cached yet), once its
    search is ready; any dialog (an alert an injected script would raise) fails the test."""
    context = browser.new_context()
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url)
        page.wait_for_selector("#dl-search[data-ready]")
        yield page
        assert dialogs == []
    finally:
        context.close()


def shown(page, query: str, filters: str = "") -> list[str]:
    """Wait until the results of ``query`` (and filters, as a query string) are shown; their titles."""
    page.wait_for_function(
        "([q, f]) => { const l = document.getElementById('dl-search-results');"
        " return l.dataset.query === q && l.dataset.filters === f; }",
        arg=[query, filters],
    )
    return page.locator("#dl-search-results h3").all_inner_texts()


# -- the tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["file", "http"])
def test_typing_shows_highlighted_results_that_filter_and_link(browser, tmp_path: Path, how: str) -> None:
    with search_page(browser, tmp_path, how, small_docs()) as page:
        assert page.locator("#dl-search-country option").count() == len(COUNTRIES) + 1
        page.get_by_label("Search words").press_sequentially("harb")
        titles = shown(page, "harb")
        assert titles[:2] == ["Harbour reopens in Türkiye", "Harbour strike in France"]
        assert page.locator("#dl-search-results h3 mark").first.inner_text() == "Harbour"
        assert page.locator("#dl-search-results .card-summary mark").first.inner_text() == "harbour"
        assert "found" in page.locator("#dl-search-status").inner_text()

        page.get_by_label("Country").select_option("france")
        titles = shown(page, "harb", "countries=france")
        assert titles[0] == "Harbour strike in France"
        metas = page.locator("#dl-search-results .meta").all_inner_texts()
        assert metas and all("France" in meta for meta in metas)

        href = page.locator("#dl-search-results h3 a").first.get_attribute("href")
        if how == "file":
            assert href == "../2024/10/harbour-strike-in-france/index.html"
        else:
            assert href == "/archive/2024/10/harbour-strike-in-france/"
        page.locator("#dl-search-results h3 a").first.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Harbour strike in France"


@pytest.mark.parametrize("how", ["file", "http"])
def test_hostile_titles_show_as_text_and_run_nothing(browser, tmp_path: Path, how: str) -> None:
    with search_page(browser, tmp_path, how, small_docs()) as page:
        page.get_by_label("Search words").fill("alert")
        assert len(shown(page, "alert")) == 1
        assert page.locator("#dl-search-results h3 a").text_content() == HOSTILE
        assert page.locator("#dl-search-results h3 mark").all_inner_texts() == ["alert"]
        assert page.locator("#dl-search-results script, #dl-search-results img").count() == 0
        sources = page.evaluate("[...document.scripts].map((s) => new URL(s.src).pathname)")
        assert all(RE_OUR_SCRIPT.search(src) for src in sources), sources


def test_the_address_keeps_the_search_and_the_keyboard_reaches_everything(browser, tmp_path: Path) -> None:
    with search_page(browser, tmp_path, "http", small_docs()) as page:
        page.goto(page.url + "?q=harbour&year=2024")
        page.wait_for_selector("#dl-search[data-ready]")
        assert page.get_by_label("Search words").input_value() == "harbour"
        assert len(shown(page, "harbour", "year=2024")) >= 2

        page.get_by_label("Search words").fill("")
        page.get_by_label("Year").select_option("")
        page.get_by_label("Search words").focus()
        page.keyboard.type("garden")  # common enough for more than a page of results
        assert len(shown(page, "garden")) == 20
        assert page.url.endswith("/archive/search/?q=garden")
        assert page.get_by_role("status").inner_text().endswith("showing the first 20.")
        for expected in ("dl-search-country", "dl-search-topic", "dl-search-year"):
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == expected
        page.locator("#dl-search-more").focus()
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelectorAll('#dl-search-results > li').length > 20")
        assert page.evaluate(
            "document.activeElement.closest('li') === document.querySelectorAll('#dl-search-results > li')[20]"
        )
        page.get_by_label("Search words").press("Escape")
        assert shown(page, "") == []


def test_without_javascript_the_page_says_so(browser, tmp_path: Path) -> None:
    out = tmp_path / "out"
    page_file = assemble_search_site(out, small_docs()[:3], mode="offline", base_url="https://example.org/")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        assert "Search needs JavaScript" in page.locator("main").inner_text()
        assert not page.locator("#dl-search").is_visible()
    finally:
        context.close()


# -- measuring --------------------------------------------------------------------------------------

ARTICLES = 10_000
COMMON_WORDS = ("harbour", "bridge", "volunteer")  # nouns of bench/corpus.py's prose
# Words of the corpus: its prose, a topic's label ("Migration and refugees") and a country's name.
WARM_QUERIES = (
    "garden",
    "bridge lantern",
    "refugees",
    "harbour volunteer",
    "migration",
    "turkey",
    "quiet",
    "ferry",
)


def test_measure_a_10000_article_archive(browser, tmp_path: Path, record_property) -> None:
    """Bytes loaded and time to results on a real build of 10,000 synthetic articles, from file:// and
    over http.

    ``corpus.write_corpus`` writes bench/corpus.py's 10,000 articles (those of ``bench/run.py --sizes
    10000``) and ``build`` makes the whole site of them with offline links; its search/index.html is
    opened from disk, and over http with this process serving the same output folder on a loopback
    port. The common words are nouns of the corpus's prose; the rare ones are the three words (terms
    of letters only) that the fewest articles have, counted in the built index. Each of the six is
    typed a letter at a time into a fresh page (nothing loaded yet); on the first common word, eight
    more queries are timed once the shards they need are loaded. No timing is asserted, only that a
    first search loads under 5 MB. ``pytest -s`` prints the figures; they are also recorded as the
    ``search_measurements`` property."""
    site, out = tmp_path / "site", tmp_path / "out"
    corpus.write_corpus(site, ARTICLES)
    built = build(site, BuildOptions(output=out, links="offline", cache=False))
    assert built.articles == ARTICLES
    found_in = articles_by_term(out)
    words = {"common word": COMMON_WORDS, "rare word": rarest_words(found_in, 3)}
    having = {word: found_in.get(word, 0) for typed in words.values() for word in typed}
    assert all(having[word] > ARTICLES // 10 for word in COMMON_WORDS), having
    assert all(having[word] < ARTICLES // 100 for word in words["rare word"]), having
    index = sorted((out / search.FOLDER).glob("*.js"))  # the page, search/index.html, is not the index
    report: dict[str, object] = {
        "build": f"{built.articles} articles, {built.pages} pages in {built.seconds:.0f} s",
        "index files": len(index),
        "index bytes": sum(file.stat().st_size for file in index),
        "articles with the word": having,
    }
    with serving(out) as root:
        for how, url in (("http", root + PAGE), ("file", (out / PAGE).as_uri())):
            for label, queries in words.items():
                times, loads = [], []
                for query in queries:
                    with opened(browser, url) as page:
                        ms, loaded = _first_search(page, query, out)
                        times.append(ms)
                        loads.append(loaded)
                        assert loaded["total"] < 5_000_000
                        if label == "common word" and query == queries[0]:
                            warm = f"{how}: ms to results once shards are loaded, median of 8 queries"
                            report[warm] = _warm(page)
                report[f"{how}: first search of a {label} {queries}: ms from last key to results, median"] = (
                    statistics.median(times)
                )
                report[f"{how}: first search of a {label}: bytes loaded, largest"] = max(
                    loads, key=lambda x: x["total"]
                )
    for key, value in report.items():
        print(f"{key}: {value}")
    record_property("search_measurements", json.dumps(report))


def articles_by_term(out: Path) -> dict[str, int]:
    """How many articles have each term of the search index built into ``out`` (in the body, title or
    other fields), read back from its files as a build reads them to patch them."""
    index = _data((out / search.INDEX_FILE).read_bytes())
    shards = [(first, name) for first, name in index["terms"]]
    entries = search_index._read_shards(shards, lambda path: (out / path).read_bytes(), {})
    assert entries is not None
    found_in: dict[str, int] = {}
    for term, entry in entries.items():
        body, title, meta = [*entry, "", "", ""][:3]
        articles = {n >> 2 for n in search_index._decode(body, 3)}  # the low two bits say how often
        articles.update(search_index._decode(title, 0), search_index._decode(meta, 0))
        found_in[term] = len(articles)
    return found_in


def rarest_words(found_in: dict[str, int], n: int) -> tuple[str, ...]:
    """The ``n`` words the fewest articles have. Only terms of letters: the numbers in the corpus's
    tables are rarer, but they are not what a reader types. Only terms typed as they stand: a word
    that loses a plural ``s`` would be searched as another term."""
    words = [t for t in found_in if t.isascii() and t.isalpha() and search.term(t) == t]
    return tuple(sorted(words, key=lambda t: (found_in[t], t))[:n])


def _first_search(page, query: str, out: Path) -> tuple[float, dict[str, int]]:
    """``query`` typed into a page that has loaded no index file yet: ms from the last key to results
    shown, and the bytes loaded by then (of files in ``out``)."""
    page.get_by_label("Search words").press_sequentially(query, delay=80)  # a quick typist
    assert shown(page, query)
    return float(page.locator("#dl-search-results").get_attribute("data-ms")), _loaded_bytes(page, out)


def _loaded_bytes(page, www: Path) -> dict[str, int]:
    """Bytes of every search file the page loaded, by kind (the page itself and its CSS not counted)."""
    names = page.evaluate("[...document.scripts].map((script) => script.src)")
    kinds = {"index.js": 0, "term shards": 0, "result chunks": 0, "scripts": 0}
    counts = {"term shard files": 0, "result chunk files": 0}
    for name in set(names):
        path = unquote(urlsplit(name).path)
        file = Path(path) if name.startswith("file:") else www / path.lstrip("/")
        size = file.stat().st_size
        base = file.name
        if base == "index.js":
            kinds["index.js"] += size
        elif base.startswith("t-"):
            kinds["term shards"] += size
            counts["term shard files"] += 1
        elif base.startswith("d-"):
            kinds["result chunks"] += size
            counts["result chunk files"] += 1
        elif base.endswith(".js"):
            kinds["scripts"] += size
    return {**kinds, **counts, "total": sum(kinds.values())}


def _warm(page) -> float:
    """Median time from input to results shown, for queries whose shards are already loaded."""
    field = page.get_by_label("Search words")
    times = []
    for query in WARM_QUERIES:
        field.fill(query)
        shown(page, query)  # loads what the query needs
        field.fill("")
        shown(page, "")
        field.fill(query)
        assert shown(page, query)  # a word of the corpus: results to show
        times.append(float(page.locator("#dl-search-results").get_attribute("data-ms")))
    return round(statistics.median(times), 1)
