"""``dateline serve``: build, serve, watch, rebuild, reload.

The process stays warm: the site is built once at start and then rebuilt
in-process by one builder thread, so each rebuild reuses the build cache and
re-renders only the pages that changed. Builds run one at a time; requests are
answered meanwhile from the build folder, which a build replaces in one step.

    PreviewServer.start()   bind the port, build, serve, watch; returns the port
    builder thread          waits for a batch of changes, rebuilds, publishes the state
    request threads         answer from the build folder (serve_http)
    PreviewServer.stop()    stop watching and serving; remove the temporary build folder
"""

from __future__ import annotations

import errno
import gc
import logging
import secrets
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from generator.build import BuildOptions, BuildResult, build, mirror_output
from generator.config import CONFIG_NAME, SiteConfig, load_config
from generator.errors import BuildFailed, DatelineError, Diagnostic
from generator.livereload import PreviewState, StateHub
from generator.memory import BuildMemory
from generator.output import tree_key
from generator.serve_http import PreviewHTTPServer
from generator.serve_paths import allowed_host_names, is_loopback
from generator.templates import theme_dir
from generator.watch import Changes, SiteWatcher

log = logging.getLogger(__name__)


class ServeError(DatelineError):
    """The preview cannot start (the port is taken, the site folder has no site.toml)."""


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port
    offline: bool = False  # relative links naming index.html, as `build --offline`
    drafts: bool = False
    output: Path | None = None  # build here and keep it; None: a temporary folder removed on stop
    poll: bool = False  # watch by polling instead of inotify
    debounce: float = 0.1  # seconds without changes before a rebuild starts
    jobs: int = 0  # worker processes for large renders; 0: one per core


Report = Callable[[str], None]


_COLLECT_AFTER = 3.0  # seconds without changes after a build before a full garbage collection


def _served_path(config: SiteConfig) -> str:
    """Where the site is served: base_url's path for clean links (as published), "/" for offline."""
    return "/" if config.links == "offline" else config.base_path


class PreviewServer:
    """A preview of one site; usable from tests in-process (``with PreviewServer(site) as s: ...``)."""

    def __init__(
        self, site: Path, options: ServeOptions = ServeOptions(), report: Report | None = None
    ) -> None:
        self.site = site.resolve()
        self.options = options
        self.report: Report = report or log.info
        self.hub = StateHub(
            PreviewState(
                instance=secrets.token_hex(4),
                epoch=0,
                builds=0,
                problems=(),
                base_path="/",
                has_site=False,
            )
        )
        self.last_result: BuildResult | None = None
        self.memory = BuildMemory()  # what builds keep for the next one: this process owns the build folder
        self.output: Path  # the build folder, set by start()
        self._temp: Path | None = None
        self._http: PreviewHTTPServer | None = None
        self._port = 0
        self._watcher: SiteWatcher | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle

    def start(self) -> int:
        """Bind, build the site, then serve and watch it; returns the port. Raises :class:`ServeError`."""
        if not (self.site / CONFIG_NAME).is_file():
            raise ServeError(f"no {CONFIG_NAME} in {self.site}: give the site folder with --site")
        try:
            self.output = self._output_folder()
            self._http = self._bind()  # before the first build, which may take a minute: fail fast
            self._port = self._http.server_port
            if not is_loopback(self.options.host):
                drafts = ", drafts included" if self.options.drafts else ""
                self.report(
                    f"warning: serving on {self.options.host}, not only on this computer: anyone who can "
                    f"reach this address on the network can read the preview{drafts}"
                )
            self._watcher = SiteWatcher(
                self.site, poll=self.options.poll, delay=self.options.debounce, theme=theme_dir()
            )
            # Watching starts before the first build, so an edit made during it is not missed.
            if (message := self._watcher.start()) is not None:
                self.report(f"warning: {message}")
            self.hub.publish(has_site=(self.output / "index.html").is_file(), base_path=self._base_path())
            self.rebuild(None)
        except BaseException:
            self.stop()
            raise
        assert self._http is not None
        self._spawn(self._http.serve_forever, "dateline-http")
        self._spawn(self._build_loop, "dateline-builder")
        return self.port

    def stop(self) -> None:
        """Stop watching and serving, wait for a running build, remove the temporary build folder."""
        self.hub.close()
        if self._watcher is not None:
            self._watcher.stop()
        if self._http is not None:
            if any(t.name == "dateline-http" for t in self._threads):
                self._http.shutdown()
            self._http.server_close()
            self._http = None
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)  # the build, its twin and its lock file
            self._temp = None

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._port, "start() first"
        return self._port

    @property
    def url(self) -> str:
        """The address of the site's home page, as printed for the user."""
        host = self.options.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}{self.hub.state.base_path}"

    @property
    def state(self) -> PreviewState:
        return self.hub.state

    @property
    def builds(self) -> int:
        """Builds finished since start, the first one included."""
        return self.hub.state.builds

    def wait_for_build(self, builds: int, timeout: float = 60.0) -> PreviewState:
        """Wait until ``builds`` builds have finished; the state then. Raises TimeoutError."""
        state = self.hub.wait_for(lambda s: s.builds >= builds, timeout)
        if state is None:
            raise TimeoutError(f"build {builds} did not finish within {timeout} s")
        return state

    # --- building

    def rebuild(self, changes: Changes | None) -> PreviewState:
        """Build once and publish the outcome; a failed build leaves the last good site served."""
        before = tree_key(self.output)
        options = self._build_options()
        if changes is not None:
            self.report(f"{changes.describe()}; rebuilding")
        problems: tuple[Diagnostic, ...] = ()
        reloaded = False

        def swapped(config: SiteConfig) -> None:
            # Tabs reload as soon as the build folder holds the new build, while the build brings
            # its cache up to date (the next build waits for that, not the reader).
            nonlocal reloaded
            if tree_key(self.output) != before:
                state = self.hub.state
                path = _served_path(config)
                self.hub.publish(epoch=state.epoch + 1, problems=(), has_site=True, base_path=path)
                reloaded = True

        try:
            result = build(self.site, options, self.memory, swapped=swapped)
        except BuildFailed as exc:
            problems = exc.diagnostics
            self.report(exc.show())
        except DatelineError as exc:
            problems = (Diagnostic("dateline", None, exc.show()),)
            self.report(exc.show())
        except Exception as exc:  # a bug in a build must not end the preview: shown like a build error
            log.exception("the build crashed")
            problems = (Diagnostic("dateline", None, f"internal error: {exc!r}"),)
            self.report(f"internal error: {exc!r}")
        else:
            self.last_result = result
            for warning in result.warnings:
                self.report(str(warning))
            noun = "article" if result.articles == 1 else "articles"
            self.report(
                f"Built {result.articles} {noun}, {result.pages} pages in {result.seconds:.2f} s "
                f"({result.pages_rendered} rendered)"
            )
        state = self.hub.state
        changed = (tree_key(self.output) != before and not reloaded) or problems != state.problems
        return self.hub.publish(
            builds=state.builds + 1,
            epoch=state.epoch + 1 if changed else state.epoch,
            problems=problems,
            has_site=state.has_site or not problems,
            base_path=self._base_path(),
        )

    def _build_options(self) -> BuildOptions:
        return BuildOptions(
            output=self.output,
            links="offline" if self.options.offline else None,
            drafts=self.options.drafts,
            progress=False,
            jobs=self.options.jobs,
        )

    def _build_loop(self) -> None:
        assert self._watcher is not None
        self._ready_twin()
        self._ready_routes()
        while (changes := self._watcher.next_batch()) is not None:
            self.rebuild(changes)
            self._ready_routes()
            # What the memory keeps (a million objects at 10,000 articles) is left out of the
            # collections that happen during the next build: scanning it takes a tenth of a second
            # or more, and holds every thread meanwhile. It is scanned once the server has been idle
            # a while, to free what became cyclic garbage.
            gc.freeze()
            if self._watcher.queue.quiet_for(_COLLECT_AFTER):
                gc.unfreeze()
                gc.collect()
                gc.freeze()

    def _ready_twin(self) -> None:
        """Fill the build folder's hidden twin while no edit has come yet (5 s or so at 10,000
        articles), so the first edit is as quick as the ones after it. A change saved meanwhile
        stops it, as does stopping the server: the rebuild then fills the rest, as it would have
        without this. A failure, too, only leaves that work to the next build."""
        assert self._watcher is not None
        try:
            mirror_output(self.site, self._build_options(), self.memory, stop=self._watcher.queue.waiting)
        except (DatelineError, OSError) as exc:
            log.info("could not prepare the build folder's twin: %s", exc)

    def _ready_routes(self) -> None:
        """Index the remembered routes by article (RememberedRoutes.places) while no edit has come,
        after a build that made its routes anew: the next build, which patches them, needed it
        first and waited for it (1 s at 100,000 articles, its 171,000 routes). An edit saved
        meanwhile stops it."""
        assert self._watcher is not None
        if self.memory.routes is not None:
            self.memory.routes.prepare(self._watcher.queue.waiting)

    def _base_path(self) -> str:
        """Where the site is served: base_url's path for clean links (as published), "/" for offline."""
        if self.last_result is not None:
            config = self.last_result.config
        else:
            try:
                config = load_config(self.site, links="offline" if self.options.offline else None)
            except DatelineError:
                return self.hub.state.base_path
        return _served_path(config)

    # --- plumbing

    def _output_folder(self) -> Path:
        if self.options.output is not None:
            return self.options.output.resolve()
        # The build, its hidden twin and its lock file all go inside one folder, removed on stop.
        self._temp = Path(tempfile.mkdtemp(prefix="dateline-serve-"))
        return self._temp / "site"

    def _bind(self) -> PreviewHTTPServer:
        host, port = self.options.host, self.options.port
        try:
            family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0][0]
            return PreviewHTTPServer(
                (host, port),
                family,
                root=self.output,
                hub=self.hub,
                host_names=allowed_host_names(host),
                any_ip=not is_loopback(host),
            )
        except socket.gaierror as exc:
            raise ServeError(f"cannot serve on {host}: {exc.strerror}") from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use (another dateline serve?): "
                    "stop it, or choose another port with --port (0 picks a free one)"
                ) from None
            raise ServeError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None

    def _spawn(self, target: Callable[[], object], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)


def wait_for_interrupt() -> None:
    """Return on SIGTERM; Ctrl-C raises KeyboardInterrupt as usual (main thread only)."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(3600):
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
