"""Load on the preview server: many keep-alive connections while many live-reload streams stay open.

Run by hand (loopback only; nothing leaves the machine):

    .venv/bin/python bench/serve_load.py                          # 100 synthetic articles, 30 s
    .venv/bin/python bench/serve_load.py --site ~/my-archive --seconds 60 --connections 300

It starts ``dateline serve`` as a child process on a free port of 127.0.0.1, learns the paths to ask
for from the site's home page (plus a missing page, a folder without its slash, a traversal and the
reload script), opens the live-reload streams (``/__dateline/events``, as the injected script does),
then runs the connections for the given time. Each connection sends requests one after another over
one kept-alive socket and reconnects now and then, so that the server also starts and ends request
threads under load. Halfway through an article is edited (a rebuild swaps the build folder under
the load); at the end another edit, and every stream must announce both rebuilds.

It prints the requests made, the errors (a wrong status, a short body, a reset, a 30 s stall, a
traceback in the server's log), latency percentiles, and the server's memory (VmRSS), threads and
open files before the load, halfway and after it. tests/test_serve_load.py runs the same harness for
a shorter time and asserts on the figures.

Pure Python (asyncio and raw sockets): no load tool to install.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVENTS_PATH = "/__dateline/events"
SCRIPT_PATH = "/__dateline/livereload.js"
REQUEST_TIMEOUT = 30.0  # a request that takes longer counts as an error (a stalled server)
MAX_ERRORS_KEPT = 20

# --- the server process


def proc_status(pid: int) -> dict[str, str]:
    """``/proc/PID/status`` as a dict ("VmRSS" -> "61234 kB")."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def proc_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, from ``/proc/PID/stat`` (fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the name, in parentheses, may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    """The server process at one moment."""

    at: float  # seconds since the load started (negative: before)
    rss_kb: int
    threads: int
    fds: int
    cpu: float  # seconds of CPU (user and system) the server used since it started

    def show(self) -> str:
        return f"{self.rss_kb / 1024:.1f} MB, {self.threads} threads, {self.fds} fds"


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path  # the server's stderr: its reports, and any traceback

    def sample(self, at: float) -> Sample:
        status = proc_status(self.process.pid)
        return Sample(
            at=at,
            rss_kb=int(status["VmRSS"].split()[0]),
            threads=int(status["Threads"]),
            fds=len(os.listdir(f"/proc/{self.process.pid}/fd")),
            cpu=proc_cpu_seconds(self.process.pid),
        )

    def alive(self) -> bool:
        return self.process.poll() is None


@contextlib.contextmanager
def dateline_serve(site: Path, log: Path, start_timeout: float = 300) -> Iterator[ServerProcess]:
    """``dateline serve --port 0 --no-open`` on ``site``, stopped with Ctrl-C (SIGINT) afterwards."""
    with log.open("wb") as err:
        # stderr to a file, not a pipe: a pipe nobody reads would fill up and stall the server.
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0", "--no-open"],
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=REPO,
        )
    try:
        assert process.stdout is not None
        # The first line is printed once the first build is done; the build can take a while.
        line = _readline(process, start_timeout)
        found = re.match(r"Serving http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            raise RuntimeError(f"dateline serve did not start: {line!r}\n{log.read_text()[-2000:]}")
        yield ServerProcess(process, int(found[1]), log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _readline(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The first line of the child's output, or "" when it ends or the time is up."""
    stdout = process.stdout
    assert stdout is not None
    result: list[bytes] = []
    # A thread, so that a server stuck in its first build cannot hang the caller past the timeout.
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].decode() if result else ""


# --- HTTP over raw sockets


class ProtocolError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    path: str
    status: int  # the status this path must get, every time
    method: str = "GET"


async def read_response(reader: asyncio.StreamReader, method: str) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise ProtocolError(f"no Content-Length in the answer ({lines[0]})")
    length = int(headers["content-length"])
    body = await reader.readexactly(length) if method != "HEAD" else b""
    return int(parts[1]), headers, body


def request_bytes(target: Target, port: int) -> bytes:
    return f"{target.method} {target.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


async def fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request on a connection of its own."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request_bytes(Target(path, 0), port))
        await writer.drain()
        return await asyncio.wait_for(read_response(reader, "GET"), REQUEST_TIMEOUT)
    finally:
        writer.close()


_HREF = re.compile(r'href="(/[^"#?]*)"')


async def discover_targets(port: int, limit: int = 16) -> list[Target]:
    """What the load asks for: pages linked from the home page, and answers of every other kind."""
    home = "/"
    status, headers, body = await fetch(port, home)
    if status == 302:  # a site under a sub-path: "/" leads to it
        home = headers["location"]
        status, headers, body = await fetch(port, home)
    if status != 200:
        raise RuntimeError(f"the home page answered {status}")
    links = []
    for href in _HREF.findall(body.decode("utf-8", "replace")):
        if href not in links and href != home and not href.startswith("/__dateline/"):
            links.append(href)
    targets = [Target(home, 200), Target(home, 200, "HEAD"), Target(SCRIPT_PATH, 200)]
    for href in links[:limit]:
        status, _, _ = await fetch(port, href)
        targets.append(Target(href, status))
    folder = next(
        (t.path for t in targets if t.path.endswith("/") and t.status == 200 and t.path != home), None
    )
    if folder is not None:
        targets.append(Target(folder.rstrip("/"), 302))  # a folder without its slash
    targets += [
        Target(home + "no-such-page/", 404),  # the site's 404 page, decorated
        Target(home + "no-such-file.css", 404),
        Target("/%2e%2e/%2e%2e/etc/passwd", 400),
        Target("/.dateline/cache.sqlite", 404),
    ]
    return targets


# --- live-reload streams


@dataclass
class Stream:
    """One open ``/__dateline/events`` connection and the state tokens it announced."""

    tokens: list[str] = field(default_factory=list)
    heartbeats: int = 0
    ended: str | None = None  # why the stream ended, while it is open: None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None  # the reader


async def open_stream(port: int) -> Stream:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
    if not head.startswith(b"HTTP/1.1 200") or b"text/event-stream" not in head.lower():
        raise ProtocolError(f"the event stream answered {head[:80]!r}")
    stream = Stream()
    stream.task = asyncio.create_task(_listen(stream, reader, writer))
    return stream


async def _listen(stream: Stream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            block = (await reader.readuntil(b"\n\n")).decode()
            if block.startswith(":"):
                stream.heartbeats += 1
                continue
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if fields.get("event") == "state":
                stream.tokens.append(fields["data"])
                stream.changed.set()
    except asyncio.IncompleteReadError:
        stream.ended = "the server closed the stream"
    except (OSError, asyncio.LimitOverrunError, ValueError) as exc:
        stream.ended = f"{type(exc).__name__}: {exc}"
    except asyncio.CancelledError:
        stream.ended = stream.ended or "closed by the client"
        raise
    finally:
        writer.close()
        stream.changed.set()


async def wait_for_new_token(streams: list[Stream], before: list[str | None], timeout: float) -> int:
    """Wait until each stream announced a token other than its ``before``; how many did."""

    async def one(stream: Stream, old: str | None) -> bool:
        while stream.ended is None and (not stream.tokens or stream.tokens[-1] == old):
            stream.changed.clear()
            await stream.changed.wait()
        return stream.ended is None

    done = await asyncio.wait_for(
        asyncio.gather(*(one(s, b) for s, b in zip(streams, before, strict=True))), timeout
    )
    return sum(done)


# --- the load


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, one per request
    connections: int = 0  # connections opened, reconnections included
    connect_latencies: list[float] = field(default_factory=list)  # seconds, one per connection opened
    statuses: dict[int, int] = field(default_factory=dict)

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERRORS_KEPT:
            self.error_samples.append(message)

    def percentile(self, q: float, of: list[float] | None = None) -> float:
        values = self.latencies if of is None else of
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    @property
    def slow_connects(self) -> int:
        """Connections that took a second or more to open: a SYN dropped because the accept queue was full
        and sent again (Linux waits 1 s, then 3 s)."""
        return sum(1 for t in self.connect_latencies if t >= 0.9)


async def _connection(
    port: int, targets: list[Target], deadline: float, rng: random.Random, result: LoadResult
) -> None:
    """One client: requests back to back on a kept-alive socket, reconnecting every few dozen."""
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            result.error(f"connect: {type(exc).__name__}: {exc}")
            await asyncio.sleep(0.1)
            continue
        result.connect_latencies.append(time.perf_counter() - started)
        result.connections += 1
        try:
            for _ in range(rng.randrange(5, 60)):
                if time.monotonic() >= deadline:
                    break
                target = rng.choice(targets)
                started = time.perf_counter()
                writer.write(request_bytes(target, port))
                await writer.drain()
                status, headers, _ = await asyncio.wait_for(
                    read_response(reader, target.method), REQUEST_TIMEOUT
                )
                result.latencies.append(time.perf_counter() - started)
                result.requests += 1
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status != target.status:
                    result.error(f"{target.method} {target.path}: status {status}, expected {target.status}")
                if headers.get("connection", "").lower() == "close":
                    break  # the server ends this connection: not an error, open another
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError, ValueError) as exc:
            result.error(f"{type(exc).__name__}: {exc}")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@dataclass
class Report:
    seconds: float
    connections: int
    targets: list[Target]
    load: LoadResult
    samples: list[Sample]  # before the load, during it (one a second) and after it
    streams: int
    streams_open: int  # at the end, after the load and both rebuilds
    saw_middle_rebuild: int  # streams that announced the rebuild made during the load
    saw_final_rebuild: int
    heartbeats: int
    server_cpu: float  # CPU seconds the server used during the load (the rebuild under load included)
    server_errors: list[str]  # tracebacks and logged errors in the server's output
    stream_problems: list[str]

    @property
    def start(self) -> Sample:
        return self.samples[0]

    @property
    def middle(self) -> Sample:
        return min(self.samples, key=lambda s: abs(s.at - self.seconds / 2))

    @property
    def end(self) -> Sample:
        return self.samples[-1]

    def lines(self) -> list[str]:
        load = self.load
        rate = load.requests / self.seconds if self.seconds else 0
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(load.statuses.items()))
        return [
            f"load: {self.connections} connections for {self.seconds:.0f} s over {len(self.targets)} paths, "
            f"{self.streams} live-reload streams open",
            f"requests: {load.requests} ({rate:.0f}/s; {statuses})",
            f"connections opened: {load.connections}, connect p50 "
            f"{load.percentile(50, load.connect_latencies) * 1000:.1f} ms, p99 "
            f"{load.percentile(99, load.connect_latencies) * 1000:.1f} ms, {load.slow_connects} took 1 s or more",
            f"errors: {load.errors}" + "".join(f"\n  {e}" for e in load.error_samples),
            f"latency: p50 {load.percentile(50) * 1000:.1f} ms, p90 {load.percentile(90) * 1000:.1f} ms, "
            f"p99 {load.percentile(99) * 1000:.1f} ms, max {max(load.latencies, default=0) * 1000:.0f} ms",
            f"server CPU during the load: {self.server_cpu:.1f} s "
            f"({self.server_cpu / max(1, load.requests) * 1000:.2f} ms a request)",
            f"server at start:  {self.start.show()}",
            f"server halfway:   {self.middle.show()}",
            f"server at end:    {self.end.show()} (max RSS {max(s.rss_kb for s in self.samples) / 1024:.1f} MB)",
            f"reload streams: {self.streams_open}/{self.streams} open at the end, "
            f"{self.saw_middle_rebuild} saw the rebuild under load, {self.saw_final_rebuild} the final one, "
            f"{self.heartbeats} heartbeats",
            f"server errors logged: {len(self.server_errors)}"
            + "".join(f"\n  {e}" for e in self.server_errors[:MAX_ERRORS_KEPT]),
            *self.stream_problems,
        ]


async def _run(
    server: ServerProcess, *, connections: int, streams: int, seconds: float, edit: Callable[[int], None]
) -> Report:
    port = server.port
    targets = await discover_targets(port)
    opened = [await open_stream(port) for _ in range(streams)]
    problems: list[str] = []
    await wait_for_new_token(opened, [None] * streams, REQUEST_TIMEOUT)  # each has its first token
    samples = [await _settled(server, -1.0)]

    started = time.monotonic()
    deadline = started + seconds
    load = LoadResult()
    rngs = [random.Random(n) for n in range(connections)]
    clients = [
        asyncio.create_task(_connection(port, targets, deadline, rngs[n], load)) for n in range(connections)
    ]

    middle_tokens: list[str | None] = [s.tokens[-1] if s.tokens else None for s in opened]
    edited_middle = False
    while time.monotonic() < deadline:
        await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        samples.append(server.sample(time.monotonic() - started))
        if not edited_middle and time.monotonic() >= started + seconds / 2:
            edit(1)  # a rebuild swaps the build folder while requests keep coming
            edited_middle = True
        if not server.alive():
            problems.append(f"the server exited with status {server.process.returncode}")
            break
    await asyncio.gather(*clients)
    seconds_run = time.monotonic() - started
    server_cpu = server.sample(seconds_run).cpu - samples[0].cpu

    # Every stream must have announced the rebuild made under load (the build may end after the load).
    saw_middle = await _count_new(opened, middle_tokens, problems, "the rebuild under load")
    final_tokens: list[str | None] = [s.tokens[-1] if s.tokens else None for s in opened]
    edit(2)
    saw_final = await _count_new(opened, final_tokens, problems, "the final rebuild")

    # The load's connections are closed: their threads end and their sockets close (no leak).
    samples.append(await _back_to(server, samples[0], seconds_run))
    streams_open = sum(1 for s in opened if s.ended is None)
    problems += [f"stream {n}: {s.ended}" for n, s in enumerate(opened) if s.ended is not None][
        :MAX_ERRORS_KEPT
    ]
    heartbeats = sum(s.heartbeats for s in opened)
    tasks = [s.task for s in opened if s.task is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return Report(
        seconds=seconds_run,
        connections=connections,
        targets=targets,
        load=load,
        samples=samples,
        streams=streams,
        streams_open=streams_open,
        saw_middle_rebuild=saw_middle,
        saw_final_rebuild=saw_final,
        heartbeats=heartbeats,
        server_cpu=server_cpu,
        server_errors=[],
        stream_problems=problems,
    )


async def _settled(server: ServerProcess, at: float) -> Sample:
    """A sample once the thread count holds still (closed connections' threads have ended), within 5 s."""
    deadline = time.monotonic() + 5
    previous = server.sample(at)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        current = server.sample(at)
        if (current.threads, current.fds) == (previous.threads, previous.fds):
            return current
        previous = current
    return previous


async def _back_to(server: ServerProcess, start: Sample, at: float, timeout: float = 30) -> Sample:
    """A sample once threads and open files are back to ``start`` (bounded: a leak shows as more)."""
    deadline = time.monotonic() + timeout
    current = server.sample(at)
    while (current.threads > start.threads or current.fds > start.fds) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        current = server.sample(at)
    return current


async def _count_new(streams: list[Stream], before: list[str | None], problems: list[str], what: str) -> int:
    try:
        # Bounded so a lost event fails the run rather than hanging it; a rebuild takes seconds.
        return await wait_for_new_token(streams, before, 120)
    except TimeoutError:
        missed = sum(1 for s, b in zip(streams, before, strict=True) if not s.tokens or s.tokens[-1] == b)
        problems.append(f"{missed} streams did not announce {what} within 120 s")
        return len(streams) - missed


_SERVER_ERROR = re.compile(r"Traceback|error while answering|Exception|internal error", re.IGNORECASE)


def run(
    site: Path,
    *,
    connections: int = 200,
    streams: int = 50,
    seconds: float = 30,
    edit: Callable[[int], None],
    log: Path,
) -> Report:
    """Serve ``site`` and load it; ``edit(n)`` changes a source file so that rebuild ``n`` follows."""
    with dateline_serve(site, log) as server:
        report = asyncio.run(
            _run(server, connections=connections, streams=streams, seconds=seconds, edit=edit)
        )
    report.server_errors = [
        line for line in log.read_text(errors="replace").splitlines() if _SERVER_ERROR.search(line)
    ]
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", type=Path, help="a site folder (default: a synthetic one, see --articles)")
    parser.add_argument("--articles", type=int, default=100, help="size of the synthetic site")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--streams", type=int, default=50, help="live-reload streams held open")
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corpus  # bench/corpus.py

    with tempfile.TemporaryDirectory(prefix="dateline-serve-load-") as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            corpus.write_corpus(site, args.articles)
        site = site.resolve()

        def edit(n: int) -> None:
            # Appends to an article: on a user's own site this changes a file; use a copy.
            corpus.edit_article(site, n)

        if args.site is not None:
            print(f"warning: the load edits two articles of {site} (appends a sentence)")
        print(f"site: {site}")
        report = run(
            site,
            connections=args.connections,
            streams=args.streams,
            seconds=args.seconds,
            edit=edit,
            log=Path(tmp) / "serve.log",
        )
    for line in report.lines():
        print(line)
    if report.load.errors or report.server_errors or report.stream_problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
