"""``dateline serve``: a real server on a free port, real HTTP requests, real file edits."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import generator.build as build_module
import generator.memory as memory_module
import generator.output as output_module
from generator import watch
from generator.cache import BuildCache
from generator.output import OutputWriter
from generator.serve import PreviewServer, ServeError, ServeOptions
from generator.serve_paths import (
    BadRequest,
    Found,
    Missing,
    Redirect,
    host_allowed,
    is_loopback,
    resolve_request,
)
from tests.conftest import SITE_TOML, MakeSite, article, calls_to, search_made_beside
from tests.serve_helpers import EventStream, files_under, get, raw_request, serving, wait_until, write

ARTICLE = "content/2020/turkey.md"
ARTICLE_URL = "/2020/02/turkey-rejoins-patrols/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def site_files() -> dict[str, str | bytes]:
    return {
        ARTICLE: article("Turkey Rejoins Patrols", body="The original body of the article."),
        "content/2020/other.md": article("Another Story", "2020-03-01", countries="[Turkey]"),
        "content/2020/draft.md": article("A Draft Story", "2020-04-01", extra="draft: true\n"),
        "static/images/pixel.png": PNG,
        "static/data.bin": b"\x00\x01\x02",
        "static/notes.txt": "plain notes\n",
    }


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(site_files())


# --- serving


def test_serves_pages_assets_and_content_types(site: Path) -> None:
    with serving(site) as server:
        home = get(server.port, "/")
        assert home.status == 200
        assert home.headers["content-type"] == "text/html; charset=utf-8"
        assert home.headers["cache-control"] == "no-store"
        assert "Turkey Rejoins Patrols" in home.text
        page = get(server.port, ARTICLE_URL)
        assert page.status == 200 and "The original body of the article." in page.text
        css = get(server.port, "/assets/style.css")
        assert css.status == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
        png = get(server.port, "/images/pixel.png")
        assert (png.status, png.headers["content-type"], png.body) == (200, "image/png", PNG)
        assert get(server.port, "/notes.txt").headers["content-type"] == "text/plain; charset=utf-8"
        assert get(server.port, "/data.bin").headers["content-type"] == "application/octet-stream"
        assert get(server.port, "/countries/syria/index.html").status == 200
        head = get(server.port, "/", method="HEAD")
        assert head.status == 200 and head.body == b""
        assert head.headers["content-length"] == str(len(home.body))


def test_reload_script_is_injected_but_never_written(site: Path) -> None:
    with serving(site) as server:
        for path in ("/", ARTICLE_URL, "/countries/", "/no-such-page/"):
            body = get(server.port, path).text
            assert '<script src="/__dateline/livereload.js"' in body
            assert body.index("/__dateline/livereload.js") < body.rindex("</body>")
        assert "livereload" not in get(server.port, "/assets/style.css").text
        built = list(files_under(server.output))
        assert built
        assert not [
            p for p in built if b"/__dateline/" in p.read_bytes() or b"dateline-overlay" in p.read_bytes()
        ]
        assert not (site / "output").exists()  # the user's output folder is not touched


def test_livereload_script_is_small_and_plain(site: Path) -> None:
    with serving(site) as server:
        script = get(server.port, "/__dateline/livereload.js")
        assert script.status == 200
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        for needle in ("EventSource", "navigator.locks", "BroadcastChannel", "/__dateline/events"):
            assert needle in script.text
        for forbidden in ("eval(", "innerHTML", "new Function", "onclick", "document.write"):
            assert forbidden not in script.text
        assert len(script.body) < 2500


def test_missing_page_is_the_sites_404_with_status_404(site: Path) -> None:
    with serving(site) as server:
        for path in ("/no-such-page/", "/2020/02/nothing/", "/nothing.css", "/__dateline/nothing"):
            response = get(server.port, path)
            assert response.status == 404, path
        page = get(server.port, "/no/such/page/")
        assert "Page not found" in page.text and "Fixture archive" in page.text
        assert page.headers["content-type"] == "text/html; charset=utf-8"


def test_folders_redirect_to_their_slash_and_never_list(site: Path) -> None:
    with serving(site) as server:
        response = get(server.port, "/countries/syria")
        assert response.status == 302 and response.headers["location"] == "./syria/"
        assert get(server.port, "/countries/syria/").status == 200
        (server.output / "bare").mkdir()
        (server.output / "bare" / "file.txt").write_text("x")
        assert get(server.port, "/bare/").status == 404  # a folder without index.html: no listing
        assert "file.txt" not in get(server.port, "/bare/").text
        assert get(server.port, "/index.html/").status == 404


def test_site_under_a_sub_path_is_served_under_it(make_site: MakeSite) -> None:
    toml = SITE_TOML.replace("https://example.org/", "https://example.org/archive/")
    site = make_site(site_files(), site_toml=toml)
    with serving(site) as server:
        assert server.url.endswith("/archive/")
        root = get(server.port, "/")
        assert root.status == 302 and root.headers["location"] == "/archive/"
        assert get(server.port, "/archive").headers["location"] == "/archive/"
        home = get(server.port, "/archive/")
        assert home.status == 200 and 'href="/archive/assets/style.css"' in home.text
        assert get(server.port, "/archive" + ARTICLE_URL).status == 200
        assert get(server.port, "/archive/assets/style.css").status == 200
        missing = get(server.port, ARTICLE_URL)  # outside the sub-path
        assert missing.status == 404 and "Page not found" in missing.text


def test_offline_links_are_served_from_the_root(site: Path) -> None:
    with serving(site, offline=True) as server:
        home = get(server.port, "/index.html")
        assert home.status == 200 and 'href="assets/style.css"' in home.text
        assert get(server.port, "/").status == 200
        assert get(server.port, ARTICLE_URL + "index.html").status == 200
        missing = get(server.port, "/deep/missing/page.html")
        # The offline 404 page's links are relative to the root, wherever it is shown.
        assert missing.status == 404 and '<base href="/">' in missing.text


def test_drafts_only_with_drafts(site: Path) -> None:
    with serving(site) as server:
        assert get(server.port, "/2020/04/a-draft-story/").status == 404
    with serving(site, drafts=True) as server:
        assert get(server.port, "/2020/04/a-draft-story/").status == 200


def test_fifty_parallel_requests(site: Path) -> None:
    paths = ["/", ARTICLE_URL, "/countries/", "/assets/style.css", "/images/pixel.png"] * 10
    with serving(site) as server, ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda p: get(server.port, p).status, paths))
    assert statuses == [200] * 50


# --- rebuilds, reload events, the error overlay


def test_edit_rebuilds_the_page_and_fires_a_reload_event(site: Path) -> None:
    with serving(site) as server:
        stream = EventStream(server.port)
        try:
            first = stream.next_state()
            assert first == server.state.token
            builds = server.builds
            text = (site / ARTICLE).read_text().replace("The original body", "An edited body")
            write(site / ARTICLE, text)
            server.wait_for_build(builds + 1)
            assert stream.next_state() != first
        finally:
            stream.close()
        page = get(server.port, ARTICLE_URL)
        assert "An edited body of the article." in page.text
        assert f'data-token="{server.state.token}"' in page.text
        result = server.last_result
        assert result is not None and 0 < result.pages_rendered < result.pages  # incremental


def test_the_routes_are_indexed_by_article_while_the_server_waits(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that makes the routes anew leaves their index by article (route_places) to be made
    while the server waits for an edit, not by the edit's build, which patches the routes with it
    (a second at 100,000 articles)."""
    made: list[int] = []
    real = memory_module.route_places

    def counted(routes: tuple[object, ...], *stop: object) -> object:
        made.append(len(routes))
        return real(routes, *stop)  # type: ignore[arg-type]

    monkeypatch.setattr(memory_module, "route_places", counted)
    with serving(site) as server:
        wait_until(lambda: bool(made), message="the routes indexed after the first build")
        routes = server.memory.routes
        assert routes is not None and routes.known_places is not None
        builds = server.builds
        text = (site / ARTICLE).read_text().replace("The original body", "An edited body")
        write(site / ARTICLE, text)
        server.wait_for_build(builds + 1)
        assert len(made) == 1  # the edit's build patched the routes with the index made before
        result = server.last_result
        assert result is not None and 0 < result.pages_rendered < result.pages


def test_a_preview_build_in_its_builder_thread_makes_the_search_index_beside(
    site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The preview server builds in a thread beside its HTTP threads; a build there that forks a child
    for the search index (as a large one does) gets the same files as a clean build."""
    made_in = search_made_beside(monkeypatch)
    with serving(site, jobs=2) as server:
        builds = server.builds
        first = len(made_in)
        text = (site / ARTICLE).read_text().replace("The original body", "A body about zeppelins")
        write(site / ARTICLE, text)
        server.wait_for_build(builds + 1)
        assert len(made_in) == first + 1 and made_in[-1] != os.getpid()  # made by the forked child
        reference = tmp_path / "reference"
        build_module.build(site, build_module.BuildOptions(output=reference, cache=False, jobs=1))
        assert (reference / "search/index.js").is_file()
        for shard in (reference / "search").glob("*.js"):  # the search page itself has the reload script
            assert get(server.port, f"/search/{shard.name}").body == shard.read_bytes()


def test_tabs_reload_once_the_new_build_is_in_place_before_the_cache_is_written(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reload event is sent right after the swap: the page shows the edit while the build is
    still bringing its cache up to date; and the build's end sends no second reload."""
    release = threading.Event()
    real = build_module._remember_build

    def held(*args: object, **kwargs: object) -> None:
        assert release.wait(30)
        real(*args, **kwargs)

    with serving(site) as server:
        stream = EventStream(server.port)
        try:
            first = stream.next_state()
            builds = server.builds
            monkeypatch.setattr(build_module, "_remember_build", held)
            write(site / ARTICLE, (site / ARTICLE).read_text().replace("The original body", "An edited body"))
            reloaded = stream.next_state()
            assert reloaded != first and server.builds == builds  # the build has not finished
            assert "An edited body of the article." in get(server.port, ARTICLE_URL).text
            release.set()
            server.wait_for_build(builds + 1)
            assert server.state.token == reloaded  # no second reload for the same build
        finally:
            release.set()
            stream.close()


def test_broken_front_matter_shows_an_overlay_until_fixed(site: Path) -> None:
    good = (site / ARTICLE).read_text()
    with serving(site) as server:
        stream = EventStream(server.port)
        try:
            token = stream.next_state()
            write(site / ARTICLE, good.replace("date: 2020-02-18", 'date: "<b>soon</b>"'))
            server.wait_for_build(2)
            assert stream.next_state() != token  # tabs reload to show the overlay
            for path in (ARTICLE_URL, "/", "/no-such-page/"):
                page = get(server.port, path).text
                assert 'id="dateline-overlay"' in page
                assert f"{ARTICLE}:3: date: expected a date" in page
                assert "&lt;b&gt;soon&lt;/b&gt;" in page and "<b>soon</b>" not in page  # escaped
            assert "The original body" in get(server.port, ARTICLE_URL).text  # the last good build
            token = server.state.token
            write(site / ARTICLE, good.replace("original body", "fixed body"))
            server.wait_for_build(3)
            assert stream.next_state() != token
        finally:
            stream.close()
        page = get(server.port, ARTICLE_URL).text
        assert "dateline-overlay" not in page and "The fixed body" in page


def test_a_site_that_never_built_shows_the_overlay_then_the_site(make_site: MakeSite) -> None:
    files = site_files()
    good = str(files[ARTICLE])
    files[ARTICLE] = good.replace("title: Turkey Rejoins Patrols\n", "")
    site = make_site(files)
    with serving(site) as server:
        page = get(server.port, "/")
        assert page.status == 503
        assert f"{ARTICLE}:1" in page.text and "dateline-overlay" in page.text
        write(site / ARTICLE, good)
        server.wait_for_build(2)
        page = get(server.port, "/")
        assert page.status == 200 and "dateline-overlay" not in page.text


def test_a_burst_of_100_writes_makes_at_most_two_builds(site: Path) -> None:
    with serving(site) as server:
        before = server.builds
        (site / "content/burst").mkdir()
        for n in range(100):
            write(site / f"content/burst/story-{n % 25}.md", article(f"Burst story {n % 25}", "2021-05-01"))
        server.wait_for_build(before + 1)
        time.sleep(1.5)  # time for a further build, were the burst split
        assert server.builds - before <= 2
        assert "Burst story 24" in get(server.port, "/2021/05/burst-story-24/").text


def test_template_and_config_changes_rebuild(site: Path) -> None:
    with serving(site) as server:
        builds = server.builds
        toml = (site / "site.toml").read_text().replace("Fixture archive", "Renamed archive")
        write(site / "site.toml", toml)
        server.wait_for_build(builds + 1)
        result = server.last_result
        assert result is not None and result.pages_rendered == result.pages  # everything
        assert "Renamed archive" in get(server.port, ARTICLE_URL).text
        (site / "templates").mkdir()  # a folder made after the start is watched too
        server.wait_for_build(builds + 2)
        write(
            site / "templates/404.html", '{% extends "base.html" %}{% block content %}Gone away{% endblock %}'
        )
        server.wait_for_build(builds + 3)
        assert "Gone away" in get(server.port, "/missing/").text
        assert server.last_result is not None and server.last_result.pages_rendered == 1  # only 404.html


def test_editor_temporary_and_hidden_files_do_not_rebuild(site: Path) -> None:
    with serving(site) as server:
        builds = server.builds
        for name in (".turkey.md.swp", "turkey.md~", "4913", ".#turkey.md", "#turkey.md#", ".hidden.md"):
            (site / "content/2020" / name).write_text("scratch")
        (site / "notes.txt").write_text("not part of the site")
        (site / ".dateline" / "scratch").write_text("x")
        time.sleep(1.0)
        assert server.builds == builds


def test_polling_when_asked(site: Path) -> None:
    with serving(site, poll=True) as server:
        write(site / ARTICLE, (site / ARTICLE).read_text().replace("original", "polled"))
        server.wait_for_build(2)
        assert "The polled body" in get(server.port, ARTICLE_URL).text


def test_falls_back_to_polling_when_inotify_runs_out(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Exhausted(watch.Observer):  # type: ignore[misc, valid-type]
        def schedule(self, *args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watch, "Observer", Exhausted)
    with serving(site) as server:
        assert any("polling" in line and "max_user_watches" in line for line in server.reports)
        write(site / ARTICLE, (site / ARTICLE).read_text().replace("original", "fallback"))
        server.wait_for_build(2)
        assert "The fallback body" in get(server.port, ARTICLE_URL).text


# --- the build folder and the port


def test_temporary_build_folder_is_removed_on_stop(site: Path) -> None:
    server = PreviewServer(site, ServeOptions(port=0), report=lambda line: None)
    server.start()
    temp = server.output.parent
    assert (server.output / "index.html").is_file()
    server.stop()
    assert not temp.exists()
    assert not (site / "output").exists()


def test_output_option_builds_there_and_keeps_it(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview-out"
    with serving(site, output=out) as server:
        assert server.output == out.resolve()
        assert get(server.port, "/").status == 200
    assert (out / "index.html").is_file()
    assert "__dateline" not in (out / "index.html").read_text()


def test_a_server_started_on_an_unchanged_build_keeps_it_in_memory_for_the_first_edit(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started on a folder that `dateline build` left up to date, the server's first build still
    goes the whole way and keeps the articles, index, routes and the proof of both output folders
    in memory: the first edit neither reads the archive back nor checks every output file again."""
    out = tmp_path / "kept"
    build_module.build(site, build_module.BuildOptions(output=out, jobs=1))
    build_module.mirror_output(site, build_module.BuildOptions(output=out))  # a twin, as a later build leaves
    verified: list[Path] = []
    real = output_module.verified

    def counted(folder: Path, *rest: object) -> object:
        verified.append(folder)
        return real(folder, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(output_module, "verified", counted)
    with serving(site, output=out) as server:
        first = server.last_result
        assert first is not None and first.pages_rendered == 0 and first.files_written == 0
        assert server.memory.index is not None and server.memory.routes is not None
        assert {os.fspath(out.resolve()), os.fspath(OutputWriter.twin_of(out.resolve()))} <= set(
            server.memory.folders
        )
        builds, checked = server.builds, len(verified)
        parsed = calls_to(monkeypatch, BuildCache, "source_entries")
        text = (site / ARTICLE).read_text().replace("The original body", "An edited body")
        write(site / ARTICLE, text)
        server.wait_for_build(builds + 1)
        assert len(verified) == checked and parsed == []
        assert "An edited body" in get(server.port, ARTICLE_URL).text


def test_busy_port_is_a_clear_error(site: Path) -> None:
    with serving(site) as server:
        other = PreviewServer(site, ServeOptions(port=server.port), report=lambda line: None)
        with pytest.raises(ServeError, match=f"port {server.port} .* already in use"):
            other.start()


def test_no_site_toml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match=r"no site\.toml"):
        PreviewServer(tmp_path, ServeOptions(port=0)).start()


def test_command_prints_the_url_and_stops_cleanly_on_ctrl_c(site: Path, tmp_path: Path) -> None:
    temp = tmp_path / "temp"  # the command's temporary folder goes here, to be seen gone
    temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("Serving http://127.0.0.1:"), line
        port = int(line.split(":")[2].split("/")[0])
        assert get(port, "/").status == 200
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C, also when the test failed: it removes its folder
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Stopped." in err and "Traceback" not in err
    assert "Built 2 articles" in err  # the draft is left out
    assert list(temp.iterdir()) == []


# --- security: Host header, traversal, redirects


def test_foreign_host_headers_are_refused(site: Path) -> None:
    with serving(site) as server:
        port = server.port
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
            assert get(port, "/", host=host).status == 200, host
        for host in (
            f"evil.example:{port}",
            "evil.example",
            f"127.0.0.1.evil.example:{port}",
            f"localhost.evil.example:{port}",
            f"127.0.0.1:{port + 1}",
            "127.0.0.1",
            f"10.0.0.1:{port}",
            f"127.0.0.1:{port}@evil.example",
            f"[::1:{port}",
            "",
        ):
            response = get(port, "/", host=host)
            assert response.status == 403, host
            assert "Fixture archive" not in response.text
        assert get(port, "/__dateline/events", host="evil.example").status == 403
        answer = raw_request(port, b"GET / HTTP/1.0\r\n\r\n")  # no Host header at all
        assert answer.startswith(b"HTTP/1.1 403") or answer.startswith(b"HTTP/1.0 403")


SECRET = "dateline-test-secret-4f1c"
_DOTS = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae", "%u002e%u002e"]
_DOTS += ["%e2%80%a4%e2%80%a4", "%ef%bc%8e%ef%bc%8e", "..%00", "...", "..;"]
_SEPARATORS = ["/", "%2f", "%2F", "%5c", "\\", "%252f", "%c0%af", "//"]
TRAVERSALS = sorted(
    {f"/{dots}{sep}secret.txt" for dots in _DOTS for sep in _SEPARATORS}
    | {f"/{(dots + sep) * 8}etc{sep}passwd" for dots in _DOTS[:6] for sep in _SEPARATORS[:4]}
    | {
        "/..",
        "/../",
        "/./../secret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/2020/02/../../../secret.txt",
        "/countries/..%2f..%2fsecret.txt",
        "/a/b/c/../../../../secret.txt",
        "/%5c..%5csecret.txt",
        "/\\..\\secret.txt",
        "//etc/passwd",
        "///etc/passwd",
        "//../secret.txt",
        "/etc/passwd",
        "/%2fetc%2fpasswd",
        "/%2Fetc/passwd",
        "/foo%00.html",
        "/index.html%00",
        "/index.html%00.txt",
        "/%00/../secret.txt",
        "/..%20/secret.txt",
        "/.%20./secret.txt",
        "/..%09/secret.txt",
        "/..%0d%0a/secret.txt",
        "/file:///etc/passwd",
        "/leak.txt",
        "/%6ceak.txt",
        "/leakdir/secret.txt",
        "/leakdir/",
        "/leakdir",
        "/etc-link/passwd",
        "/etc-link/",
        "/.hidden",
        "/%2ehidden",
        "/.dateline/cache.sqlite",
        "/%2edateline/cache.sqlite",
        "/.site.lock",
        "/.site.dateline-back/index.html",
        "{outside}/secret.txt",
        "/{outside}/secret.txt",
        "/%2f{outside}/secret.txt",
        "/..{outside}/secret.txt",
        "http://127.0.0.1/../secret.txt",
        "*",
        # Windows drive letters and UNC paths: names like any other here, never a way out.
        "/C:/Windows/win.ini",
        "/C:\\Windows\\win.ini",
        "/c:%5cwindows%5cwin.ini",
        "/C:%2f..%2fsecret.txt",
        "/%43:/secret.txt",
        "/C%3a/secret.txt",
        "/C:secret.txt",
        "/C:/{outside}/secret.txt",
        "/\\\\server\\share\\secret.txt",
        "/%5c%5cserver%5cshare%5csecret.txt",
        "/\\\\?\\C:\\secret.txt",
        "/..\\..\\C:\\secret.txt",
        "/file:///C:/secret.txt",
        # Overlong UTF-8 for "." "/" "\\" in 2, 3 and 4 bytes: not UTF-8, refused.
        "/%e0%80%ae%e0%80%ae/secret.txt",
        "/%f0%80%80%ae%f0%80%80%ae/secret.txt",
        "/%c0%2e%c0%2e/secret.txt",
        "/..%c1%9csecret.txt",
        "/..%e0%80%afsecret.txt",
        # Slashes from elsewhere in Unicode: fullwidth, division, fraction.
        "/..%ef%bc%8fsecret.txt",
        "/..%e2%88%95secret.txt",
        "/..%e2%81%84secret.txt",
        "/....//secret.txt",
        "/.../.../secret.txt",
        # An encoded query or fragment mark, or a path parameter, before the climb.
        "/%3f/../secret.txt",
        "/%23/../secret.txt",
        "/..;/..;/secret.txt",
        "/assets;/../../secret.txt",
        "http://evil.example/../secret.txt",
        "HTTP://127.0.0.1/%2e%2e/secret.txt",
        # Links planted in the build folder: relative ones out of it, one in a sub-folder.
        "/rel-leak.txt",
        "/up-link/secret.txt",
        "/assets/leak.css",
    }
)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    """A running preview with secrets beside, outside and hidden inside its build folder."""
    root = tmp_path_factory.mktemp("traversal") / "site"
    for rel, data in {"site.toml": SITE_TOML, **site_files()}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text(SECRET)
    (root / "secret.txt").write_text(SECRET)
    with serving(root) as server:
        (server.output.parent / "secret.txt").write_text(SECRET)  # right beside the build folder
        (server.output / ".hidden").write_text(SECRET)
        (server.output / "leak.txt").symlink_to(outside / "secret.txt")
        (server.output / "leakdir").symlink_to(outside, target_is_directory=True)
        (server.output / "etc-link").symlink_to("/etc", target_is_directory=True)
        (server.output / "rel-leak.txt").symlink_to("../secret.txt")  # the secret beside the build
        (server.output / "up-link").symlink_to("..", target_is_directory=True)
        (server.output / "assets" / "leak.css").symlink_to(outside / "secret.txt")
        (server.output / "evil.example").mkdir()
        (server.output / "evil.example" / "index.html").write_text("<html><body>on site</body></html>")
        yield server, outside


def test_traversal_corpus_is_large_and_covers_every_kind() -> None:
    assert len(TRAVERSALS) >= 60
    kinds = {
        "dot-dot": "/../",
        "encoded dots": "%2e%2e",
        "double encoding": "%252e",
        "encoded slash": "%2f",
        "doubled slash": "//",
        "backslash": "\\",
        "encoded backslash": "%5c",
        "absolute path": "/etc/passwd",
        "NUL": "%00",
        "overlong UTF-8": "%c0%ae",
        "a link pointing out": "/leak",
        "Windows drive letter": "C:",
        "UNC path": "\\\\server",
        "absolute-form URL": "http://",
    }
    missing = [kind for kind, needle in kinds.items() if not any(needle in path for path in TRAVERSALS)]
    assert not missing


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_never_leaves_the_build_folder(planted, path: str) -> None:
    server, outside = planted
    response = get(server.port, path.replace("{outside}", str(outside)))
    assert response.status in (400, 403, 404), (path, response.status, response.headers)
    assert SECRET not in response.text and "root:x:0:0" not in response.text


@pytest.mark.parametrize(
    "path",
    ["/?/../../secret.txt", "/#/../../secret.txt", "/index.html?../../secret.txt", "/?%2e%2e/secret.txt"],
)
def test_a_climb_in_the_query_or_fragment_is_not_part_of_the_path(planted, path: str) -> None:
    server, _ = planted
    response = get(server.port, path)
    assert response.status == 200 and "Fixture archive" in response.text  # the home page
    assert SECRET not in response.text


@pytest.mark.parametrize(
    "path",
    ["\x00", "/\x00", "/index.html\x00", "/..\x00/secret.txt", "/\x7f", "/\r/secret.txt"],
)
def test_control_characters_are_refused(planted, path: str) -> None:
    server, _ = planted
    answer = raw_request(
        server.port,
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode(),
    )
    status = answer.split(b"\r\n", 1)[0]
    assert b" 400 " in status or b" 404 " in status, (path, status)
    assert SECRET.encode() not in answer


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example",
        "//evil.example/",
        "//evil.example/%2e%2e",
        "///evil.example",
        "/%2fevil.example",
        "/%2f%2fevil.example",
        "/%5cevil.example",
        "/\\evil.example",
        "/\\\\evil.example",
        "/.%2fevil.example",
        "/https:/evil.example",
        "/https://evil.example",
        "/%68ttps://evil.example",
        "/evil.example",
        "/evil.example?next=//evil.example",
        "/http:%2f%2fevil.example",
    ],
)
def test_no_open_redirects(planted, path: str) -> None:
    from urllib.parse import urljoin, urlsplit

    server, _ = planted
    response = get(server.port, path)
    if 300 <= response.status < 400:
        location = response.headers["location"]
        assert not location.startswith("//") and "\\" not in location, location
        target = urljoin(f"http://127.0.0.1:{server.port}{path}", location)
        assert urlsplit(target).netloc == f"127.0.0.1:{server.port}", (path, location)


# --- units: path resolution and Host names


def test_resolve_request_units(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("x")
    (tmp_path / "a:b").mkdir()
    assert resolve_request("/a/", tmp_path, "/") == Found((tmp_path / "a" / "index.html").resolve())
    assert resolve_request("/a", tmp_path, "/") == Redirect("./a/")
    assert resolve_request("/a:b", tmp_path, "/") == Redirect("./a%3Ab/")
    assert resolve_request("/a/%2e%2e/a/", tmp_path, "/") == BadRequest("the path climbs out with . or ..")
    assert resolve_request("/sub/a/", tmp_path, "/sub/") == Found((tmp_path / "a" / "index.html").resolve())
    assert resolve_request("/sub", tmp_path, "/sub/") == Redirect("/sub/")
    assert resolve_request("/", tmp_path, "/sub/") == Redirect("/sub/")
    assert resolve_request("/a/", tmp_path, "/sub/") == Missing()
    assert resolve_request("/%ff/", tmp_path, "/") == BadRequest("the path is not UTF-8")


def test_host_allowed_units() -> None:
    names = frozenset({"localhost", "127.0.0.1", "::1"})
    assert host_allowed("127.0.0.1:8000", port=8000, names=names, any_ip=False)
    assert host_allowed("localhost.:8000", port=8000, names=names, any_ip=False)
    assert not host_allowed("192.168.1.5:8000", port=8000, names=names, any_ip=False)
    assert host_allowed("192.168.1.5:8000", port=8000, names=names, any_ip=True)  # bound to the network
    assert host_allowed("[fe80::1]:8000", port=8000, names=names, any_ip=True)
    assert not host_allowed("evil.example:8000", port=8000, names=names, any_ip=True)
    assert not host_allowed(None, port=8000, names=names, any_ip=True)
    assert host_allowed("localhost", port=80, names=names, any_ip=False)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")


def test_the_change_queue_tells_a_quiet_spell_from_a_change() -> None:
    """The builder collects garbage only after a quiet spell; a change or stopping ends the wait."""
    queue = watch.ChangeQueue(delay=0.05, max_delay=1.0)
    assert queue.quiet_for(0.05)
    timer = threading.Timer(0.1, queue.add, ("content/a.md",))
    timer.start()
    began = time.monotonic()
    assert not queue.quiet_for(10)
    assert time.monotonic() - began < 5
    batch = queue.next_batch()
    assert batch is not None and batch.paths == frozenset({"content/a.md"})
    queue.close()
    assert not queue.quiet_for(0.01)
