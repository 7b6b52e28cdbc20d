"""Map a request to a file of the build folder, or refuse it; and check the Host header.

Nothing outside the build folder is ever reached: the path is decoded once,
anything that could climb (``..``, backslashes, NUL) is refused, hidden names
are not served, and the file's real path (symbolic links followed) must lie
inside the build folder's real path, compared as paths, never as strings.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes

INDEX = "index.html"


@dataclass(frozen=True)
class Found:
    path: Path  # a regular file inside the build folder (symbolic links resolved)


@dataclass(frozen=True)
class Redirect:
    location: str  # a path on this server: relative ("./syria/") or absolute with one leading "/"


@dataclass(frozen=True)
class Missing:
    pass


@dataclass(frozen=True)
class BadRequest:
    reason: str


Resolution = Found | Redirect | Missing | BadRequest


def resolve_request(target: str, root: Path, base_path: str) -> Resolution:
    """The answer to a GET of ``target`` (the raw request target) for a site served under ``base_path``."""
    if not target.startswith("/"):
        return BadRequest("the request target must be a path")
    raw = target.split("?", 1)[0].split("#", 1)[0]
    try:
        path = unquote_to_bytes(raw).decode("utf-8")  # decoded exactly once: %252e stays "%2e"
    except UnicodeDecodeError:
        return BadRequest("the path is not UTF-8")
    if any(ch in path for ch in "\\\x00") or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return BadRequest("the path holds a backslash or a control character")
    segments = path.split("/")[1:]  # "/a/b/" -> ["a", "b", ""]
    if any(s in (".", "..") for s in segments):
        return BadRequest("the path climbs out with . or ..")
    if "" in segments[:-1]:
        # No page has an empty segment, and a Location made from one ("//host") could leave the site.
        return Missing()
    prefix = [s for s in unquote(base_path).split("/") if s]
    if prefix:
        if path == "/" or segments == prefix:  # "/" and "/archive" lead to "/archive/"
            return Redirect("/" + base_path.lstrip("/"))
        if segments[: len(prefix)] != prefix:
            return Missing()
        segments = segments[len(prefix) :]
    if any(s.startswith(".") for s in segments):
        return Missing()  # the cache, the output's twin, temporary files: nothing hidden is served
    return _find(root, segments)


def _find(root: Path, segments: list[str]) -> Resolution:
    """The file for ``segments`` (relative to the site's root, "" last for a folder) under ``root``."""
    try:
        real_root = root.resolve(strict=True)
        real = root.joinpath(*(s for s in segments if s)).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a loop of links, a name too long
        return Missing()
    if not real.is_relative_to(real_root):
        return Missing()  # a symbolic link that points out of the build folder
    wants_folder = segments[-1] == ""
    if real.is_dir():
        if not wants_folder:
            # Relative, so it cannot name another host; "./" and quoting keep "a:b" from reading as a scheme.
            return Redirect("./" + quote(segments[-1], safe="") + "/")
        try:
            real = (real / INDEX).resolve(strict=True)
        except (OSError, RuntimeError):
            return Missing()  # a folder without index.html: no listings
        if not real.is_relative_to(real_root):
            return Missing()
    elif wants_folder:
        return Missing()
    return Found(real) if real.is_file() else Missing()


def host_allowed(header: str | None, *, port: int, names: frozenset[str], any_ip: bool) -> bool:
    """True when the Host header names this server: a loopback name, the bound host, or (when bound
    to a non-loopback address) any IP address.

    A DNS rebinding attack reaches the server under the attacker's domain name, so names other than
    ours are refused. IP addresses cannot be rebound, and a server bound to the network is reached
    under whichever of the machine's addresses a client used.
    """
    where = _split_host(header or "")
    if where is None or where[1] != port:
        return False
    if where[0] in names:
        return True
    try:
        ipaddress.ip_address(where[0])
    except ValueError:
        return False
    return any_ip


def _split_host(header: str) -> tuple[str, int] | None:
    """``("::1", 8000)`` from ``[::1]:8000``; None when the header is not a host and port."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1 :]
    else:
        host, colon, port_text = value.partition(":")
        rest = colon + port_text
    if not host:
        return None
    if not rest:
        return host.rstrip("."), 80
    if rest[0] != ":" or not rest[1:].isdigit() or len(rest) > 6:
        return None
    return host.rstrip("."), int(rest[1:])


def allowed_host_names(bound: str) -> frozenset[str]:
    """The host names requests may carry for a server bound to ``bound``."""
    return frozenset({"localhost", "127.0.0.1", "::1", bound.lower().strip("[]")})


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
