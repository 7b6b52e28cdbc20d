"""The preview's HTTP side: a threaded stdlib server and its request handler.

Files are served straight from the build folder: a build swaps the whole
folder in one step, so a request sees the old build or the new, never a mix.
HTML pages get the live-reload script (and the error overlay) on the way out.
The standard library's server is enough for one author's browser; it adds no
dependency.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import socket
import socketserver
import stat
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generator.livereload import (
    EVENTS_PATH,
    INTERNAL_PREFIX,
    LIVERELOAD_JS,
    SCRIPT_PATH,
    PreviewState,
    StateHub,
    decorate,
    placeholder_page,
)
from generator.serve_paths import BadRequest, Found, Redirect, host_allowed, resolve_request

log = logging.getLogger(__name__)

NOT_FOUND_PAGE = "404.html"
# A stream that sends nothing for this long gets a comment line, so a closed tab is noticed and
# its thread freed, and proxies and browsers do not drop an idle stream.
HEARTBEAT_SECONDS = 15.0

# Explicit types for what a site holds, so the answer does not depend on the machine's mime.types.
_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/rss+xml", "image/svg+xml")


def content_type(path: Path) -> str:
    """The Content-Type for a file, with ``charset=utf-8`` for text (Dateline writes UTF-8)."""
    kind = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith(_TEXT_TYPES) or kind.endswith("+xml"):
        return f"{kind}; charset=utf-8"
    return kind


class PreviewHTTPServer(ThreadingHTTPServer):
    """One thread per connection; knows the build folder, the state and the names it answers to."""

    daemon_threads = True
    # The listen backlog: connections the kernel holds until the server accepts them. When it is
    # full, a new connection's SYN is dropped and the client waits 1 s, then 3 s, to send it again;
    # 128 overflowed with 200 clients connecting at once (bench/serve_load.py). Linux caps it at
    # net.core.somaxconn (4096 since Linux 5.4).
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        *,
        root: Path,
        hub: StateHub,
        host_names: frozenset[str],
        any_ip: bool,
    ) -> None:
        self.address_family = family
        self.root = root
        self.hub = hub
        self.host_names = host_names
        self.any_ip = any_ip
        super().__init__(address, PreviewHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's full DNS name, which can take seconds; not needed.
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        log.exception("error while answering %s", client_address)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive: a page and its assets over a few connections
    timeout = 30  # an idle kept-alive connection gives its thread back
    # TCP_NODELAY: a file's body follows its headers in a second write, which Nagle's algorithm held
    # back until the client's delayed ACK (40 ms): 22 requests a second on a kept-alive connection.
    disable_nagle_algorithm = True
    server_version = "dateline-preview"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _answer(self, *, send_body: bool) -> None:
        try:
            self._route(send_body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the browser went away (a reload, a closed tab)

    def _route(self, send_body: bool) -> None:
        server = self.server
        if not host_allowed(
            self.headers.get("Host"), port=server.server_port, names=server.host_names, any_ip=server.any_ip
        ):
            # A page of another site reaching us through DNS rebinding, or a mistyped address.
            self._send_text(HTTPStatus.FORBIDDEN, "Forbidden: unknown Host header\n", send_body)
            return
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH and send_body:
            self._events()
            return
        if path == SCRIPT_PATH:
            self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", LIVERELOAD_JS.encode(), send_body)
            return
        if path.startswith(INTERNAL_PREFIX):
            self._send_text(HTTPStatus.NOT_FOUND, "Not found\n", send_body)
            return
        # The state is read before the file: a build that lands in between then makes the page's
        # token stale, and the tab reloads once more, rather than keeping an old page for good.
        state = server.hub.state
        if not state.has_site:
            page = placeholder_page("The site has not been built yet", state)
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/html; charset=utf-8", page, send_body)
            return
        answer = resolve_request(self.path, server.root, state.base_path)
        if isinstance(answer, Found):
            self._send_file(HTTPStatus.OK, answer.path, state, send_body)
        elif isinstance(answer, Redirect):
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", answer.location)
            self._finish_headers(0)
        elif isinstance(answer, BadRequest):
            self._send_text(HTTPStatus.BAD_REQUEST, f"Bad request: {answer.reason}\n", send_body)
        else:
            self._not_found(state, send_body)

    def _not_found(self, state: PreviewState, send_body: bool) -> None:
        """The site's own 404 page, with status 404."""
        page = resolve_request(state.base_path + NOT_FOUND_PAGE, self.server.root, state.base_path)
        if isinstance(page, Found):
            # An offline build's 404 page links relative to the site's root, wherever it is shown.
            base = state.base_path if state.base_path == "/" else None
            self._send_file(HTTPStatus.NOT_FOUND, page.path, state, send_body, base_href=base)
        else:
            body = placeholder_page("Not found", state)
            self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", body, send_body)

    def _send_file(
        self,
        status: HTTPStatus,
        path: Path,
        state: PreviewState,
        send_body: bool,
        *,
        base_href: str | None = None,
    ) -> None:
        kind = content_type(path)
        try:
            # O_NOFOLLOW: the resolved path has no link left in it; one planted since is refused.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:  # gone since it was resolved: a build swapped the folder in between
            if status == HTTPStatus.OK:
                self._not_found(state, send_body)
            else:
                self._send_text(HTTPStatus.NOT_FOUND, "Not found\n", send_body)
            return
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                self._send_text(HTTPStatus.NOT_FOUND, "Not found\n", send_body)
                return
            if kind.startswith("text/html"):
                body = decorate(handle.read(), state, base_href=base_href)
                self._send(status, kind, body, send_body)
                return
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self._finish_headers(info.st_size)
            if send_body:
                # A static file may be large (a video, a PDF): streamed, never read whole.
                while chunk := handle.read(1 << 16):
                    self.wfile.write(chunk)

    def _events(self) -> None:
        """A server-sent event stream: the state token now, then each new one."""
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")  # the stream ends with the connection
        self.end_headers()
        self.close_connection = True
        hub.streams_opened(1)
        try:
            self._stream_states(hub)
        finally:
            hub.streams_opened(-1)

    def _stream_states(self, hub: StateHub) -> None:
        token = hub.state.token
        # retry: a restarted server is found again within a second.
        self.wfile.write(f"retry: 1000\nevent: state\ndata: {token}\n\n".encode())
        self.wfile.flush()
        while not hub.closed:
            state = hub.wait_for(lambda s, seen=token: s.token != seen, HEARTBEAT_SECONDS)
            if state is None:
                if hub.closed:
                    return
                self.wfile.write(b": heartbeat\n\n")
            else:
                token = state.token
                self.wfile.write(f"event: state\ndata: {token}\n\n".encode())
            self.wfile.flush()

    def _send_text(self, status: HTTPStatus, text: str, send_body: bool) -> None:
        self._send(status, "text/plain; charset=utf-8", text.encode(), send_body)

    def _send(self, status: HTTPStatus, kind: str, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self._finish_headers(len(body))
        if send_body:
            self.wfile.write(body)

    def _finish_headers(self, length: int) -> None:
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")  # every reload must show the latest build
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
