"""Helpers for the preview server's tests: raw HTTP requests, an event-stream reader, a started server."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.serve import PreviewServer, ServeOptions


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def get(port: int, path: str, *, host: str | None = None, method: str = "GET") -> Response:
    """One request with ``path`` sent exactly as given (no normalising, no quoting)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


def raw_request(port: int, data: bytes) -> bytes:
    """Send raw bytes (a request http.client would refuse to make) and return all of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


class EventStream:
    """A client of the server-sent event stream: ``next_state()`` returns each state token."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        request = (
            f"GET /__dateline/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        head = self._read_until(b"\r\n\r\n", 30)
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b"text/event-stream" in head.lower(), head

    def next_state(self, timeout: float = 30) -> str:
        """The data of the next ``state`` event (heartbeat comments are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            block = self._read_until(b"\n\n", deadline - time.monotonic()).decode()
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if fields.get("event") == "state":
                return fields["data"]

    def _read_until(self, marker: bytes, timeout: float) -> bytes:
        while marker not in self.buffer:
            if timeout <= 0:
                raise TimeoutError(f"no {marker!r} in time")
            self.sock.settimeout(timeout)
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the stream ended")
            self.buffer += chunk
        block, _, self.buffer = self.buffer.partition(marker)
        return block

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def serving(site: Path, **options: object) -> Iterator[PreviewServer]:
    """A started preview of ``site`` on a free port, stopped afterwards."""
    reports: list[str] = []
    server = PreviewServer(site, ServeOptions(port=0, **options), report=reports.append)  # type: ignore[arg-type]
    server.reports = reports  # type: ignore[attr-defined]
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write(path: Path, text: str) -> None:
    """Save a file as an editor does: a temporary file beside it, renamed over it."""
    temp = path.with_name(f".{path.name}.tmp-save")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def wait_until(predicate: Callable[[], bool], timeout: float = 30, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message} not met within {timeout} s")
        time.sleep(0.05)


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())
