"""What the preview server knows about the last build, and what it adds to the pages it serves.

The builder thread publishes a :class:`PreviewState` after every build; request
threads read it and reload streams wait on it (MkDocs' livereload: a condition
and an epoch). Every HTML page is served with a small script, and with an
error overlay while the last build failed; neither is ever written to the
output folder.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from generator.errors import Diagnostic

INTERNAL_PREFIX = "/__dateline/"
SCRIPT_PATH = INTERNAL_PREFIX + "livereload.js"
EVENTS_PATH = INTERNAL_PREFIX + "events"


@dataclass(frozen=True)
class PreviewState:
    """One moment of the preview: a new value after every build."""

    instance: str  # differs between runs of the server, so tabs left open across a restart reload
    epoch: int  # bumped when what a page shows changed: new output, or a new or cleared error
    builds: int  # builds finished, good or failed (for tests and counters)
    problems: tuple[Diagnostic, ...]  # of the last build when it failed; () when it succeeded
    base_path: str  # the URL path the site is served under: base_url's path, or "/" for offline links
    has_site: bool  # False until a build succeeds (and no earlier output was there)

    @property
    def token(self) -> str:
        """What a page is tagged with; a tab whose token differs from the server's reloads."""
        return f"{self.instance}-{self.epoch}"


class StateHub:
    """The current :class:`PreviewState` and a condition to wait for the next one."""

    def __init__(self, state: PreviewState) -> None:
        self._state = state
        self._cond = threading.Condition()
        self._closed = False
        self.streams = 0  # event streams open now: one a browser, however many tabs

    @property
    def state(self) -> PreviewState:
        return self._state

    @property
    def closed(self) -> bool:
        return self._closed

    def publish(self, **changes: object) -> PreviewState:
        with self._cond:
            self._state = replace(self._state, **changes)  # type: ignore[arg-type]
            self._cond.notify_all()
            return self._state

    def wait_for(self, predicate: Callable[[PreviewState], bool], timeout: float) -> PreviewState | None:
        """The first state that satisfies ``predicate``; None on timeout or when the hub closes."""
        with self._cond:
            met = self._cond.wait_for(lambda: self._closed or predicate(self._state), timeout)
            return self._state if met and not self._closed else None

    def streams_opened(self, count: int) -> None:
        with self._cond:
            self.streams += count

    def close(self) -> None:
        """Wake every waiting stream so that it ends: the server is stopping."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


# Browsers open at most about six HTTP/1.1 connections per host, shared by all tabs. An event
# stream held by every open tab would soon take them all and page loads would stall. So only one
# tab of the origin holds the stream: the one holding a Web Lock. It relays each state to the other
# tabs on a BroadcastChannel, and when it closes the lock passes to another tab, which opens the
# stream anew. A tab that has just loaded asks ("?") for the last state, in case a build finished
# while it was loading. Web Locks need a secure context (http://127.0.0.1 and localhost are);
# elsewhere each tab falls back to a stream of its own. A tab reloads once: from then on it closes its
# stream and channel, so that no message reaches a page being unloaded (with eight tabs reloading
# together, Chromium 150's renderer crashed now and then on such late messages).
LIVERELOAD_JS = """\
// Dateline preview: reloads the page when the site is rebuilt. Never part of the built site.
(() => {
  "use strict";
  const served = document.currentScript.dataset.token;
  const channel = self.BroadcastChannel ? new BroadcastChannel("dateline-livereload") : null;
  let last = null;
  let source = null;
  let reloading = false;
  const check = (token) => {
    if (token === served || reloading) return;
    reloading = true;
    if (source) source.close();
    if (channel) channel.close();
    location.reload();
  };
  const listen = () => {
    source = new EventSource("__EVENTS__");
    source.addEventListener("state", (event) => {
      last = event.data;
      if (channel) channel.postMessage(last);
      check(last);
    });
  };
  if (channel && navigator.locks) {
    channel.addEventListener("message", (event) => {
      if (event.data !== "?") check(event.data);
      else if (last) channel.postMessage(last);
    });
    navigator.locks.request("dateline-livereload", () => new Promise(listen));
    channel.postMessage("?");
  } else {
    listen();
  }
  // A page brought back by the back button may be older than the last build.
  addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });
  const close = document.getElementById("dateline-overlay-close");
  if (close) close.addEventListener("click", () => close.parentElement.remove());
})();
""".replace("__EVENTS__", EVENTS_PATH)

_OVERLAY_CSS = (
    "#dateline-overlay{position:fixed;inset:0;z-index:2147483647;overflow:auto;box-sizing:border-box;"
    "margin:0;padding:2rem;background:rgba(24,24,27,.95);color:#f4f4f5;text-align:left;"
    "font:15px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
    "#dateline-overlay h2{margin:0 0 1rem;font:inherit;font-size:1.25rem;font-weight:bold;color:#fca5a5}"
    "#dateline-overlay ul{margin:0 0 1rem;padding:0;list-style:none}"
    "#dateline-overlay li{margin:0 0 .5rem;white-space:pre-wrap;overflow-wrap:anywhere}"
    "#dateline-overlay p{margin:0;color:#a1a1aa}"
    "#dateline-overlay button{position:absolute;top:1rem;right:1rem;font:inherit;color:inherit;"
    "background:none;border:1px solid #71717a;border-radius:4px;padding:.25rem .75rem;cursor:pointer}"
)


def overlay(problems: tuple[Diagnostic, ...], *, has_site: bool) -> str:
    """The error overlay: every problem as ``path:line: message``, escaped."""
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
    errors = sum(1 for p in problems if p.severity == "error")
    heading = f"Build failed: {errors} problem{'' if errors == 1 else 's'}"
    shown = "This page is from the last good build." if has_site else "There is no good build to show yet."
    return (
        f"<style>{_OVERLAY_CSS}</style>"
        '<div id="dateline-overlay" role="alert">'
        '<button type="button" id="dateline-overlay-close">Hide</button>'
        f"<h2>{html.escape(heading)}</h2><ul>{items}</ul>"
        f"<p>{shown} Fix the file and save it: this page reloads by itself.</p></div>"
    )


def snippet(state: PreviewState) -> str:
    """What goes before ``</body>`` of every HTML page served."""
    script = f'<script src="{SCRIPT_PATH}" data-token="{html.escape(state.token)}"></script>'
    return (overlay(state.problems, has_site=state.has_site) if state.problems else "") + script


_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_HEAD_START = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)


def decorate(page: bytes, state: PreviewState, *, base_href: str | None = None) -> bytes:
    """The page with the reload script (and overlay) before its last ``</body>``.

    ``base_href`` adds a ``<base>`` first in ``<head>``: the 404 page of an offline build has links
    relative to the output root, but is served at whatever address was missing.
    """
    if base_href is not None and (head := _HEAD_START.search(page)):
        tag = f'<base href="{html.escape(base_href)}">'.encode()
        page = page[: head.end()] + tag + page[head.end() :]
    extra = snippet(state).encode()
    ends = list(_BODY_END.finditer(page))
    if not ends:
        return page + extra
    at = ends[-1].start()
    return page[:at] + extra + page[at:]


def placeholder_page(title: str, state: PreviewState) -> bytes:
    """A page of the server's own, for when the site has no page to show (no good build, no 404.html)."""
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1></body></html>\n"
    )
    return decorate(page.encode(), state)
