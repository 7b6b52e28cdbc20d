"""Helpers for the whole-site browser tests: Debian's Chromium, a real nginx, axe-core, error recording.

In CI (``CI`` set) a missing Chromium, Playwright, nginx or axe-core fails the tests; elsewhere they skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.chromium_flags import CHROMIUM_ARGS as BASE_ARGS

TESTS = Path(__file__).resolve().parent
AXE = TESTS / ".cache" / "axe.min.js"  # written by .ci/run; fetched here when missing outside CI
NGINX = "/usr/sbin/nginx"
CHROMIUM_ARGS = [
    *BASE_ARGS,
    "--allow-file-access-from-files",
]


def missing(reason: str) -> NoReturn:
    """Fail in CI (the tests must run there), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: see .ci/run)")
    pytest.skip(reason)


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    missing("no chromium on this machine (apt-get install chromium)")


@contextmanager
def launched_browser() -> Iterator[Any]:
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


NGINX_CONF = """\
user root;
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    absolute_redirect off;
    server {{
        listen 127.0.0.1:{port};
        location /archive/ {{
            alias {root}/;
            index index.html;
            error_page 404 /archive/404.html;
        }}
    }}
}}
"""


@contextmanager
def nginx(root: Path, port: int, tmp: Path) -> Iterator[str]:
    """``root`` served by nginx at http://127.0.0.1:port/archive/ (yielded), the way a static host would."""
    if not os.access(NGINX, os.X_OK):
        missing(f"no nginx at {NGINX} (apt-get install nginx)")
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root), encoding="utf-8")
    proc = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(tmp), "-e", str(tmp / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/archive/"
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"nginx exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    assert response.status == 200
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def axe_script() -> Path:
    """axe.min.js: put in tests/.cache/ by .ci/run; outside CI fetched with ``npm pack`` when missing."""
    if AXE.is_file():
        return AXE
    npm = shutil.which("npm")
    if os.environ.get("CI") or npm is None:
        missing(f"no {AXE.relative_to(TESTS.parent)} (.ci/run writes it with npm pack axe-core@4)")
    AXE.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", "axe-core@4", "--silent"], cwd=tmp, capture_output=True, text=True
        )
        if done.returncode != 0:
            missing(f"npm pack axe-core@4 failed: {done.stderr.strip()[-300:]}")
        with tarfile.open(Path(tmp) / done.stdout.split()[-1]) as tgz:
            data = tgz.extractfile("package/axe.min.js")
            assert data is not None
            AXE.write_bytes(data.read())
    return AXE


def run_axe(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the open page, one line each (id, impact, targets)."""
    page.add_script_tag(path=str(axe_script()))
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]} - {v['help']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def record_errors(page: Any) -> list[str]:
    """Console errors, uncaught exceptions, failed requests and HTTP responses >= 400 seen by ``page``."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: m.type == "error" and errors.append(f"console: {m.text} ({m.location.get('url')})"),
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"requestfailed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status}: {r.url}"))
    return errors
