"""Write the site into a staging folder, then swap it into place in one step.

A build never leaves a half-written output folder: pages go into a hidden
staging folder beside the output, and the two are exchanged atomically
(``renameat2(RENAME_EXCHANGE)`` on Linux; two renames elsewhere). Files whose
bytes did not change are hard-linked from the previous output, so they keep
their modification times and upload tools see only real changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from generator.errors import Diagnostic

_STAGING_PREFIX = ".staging-"
_OLD_PREFIX = ".old-"


class OutsideOutput(Exception):
    """A path that would land outside the output folder."""


class Staging:
    """A staging folder for one build; ``commit`` swaps it in, ``discard`` removes it."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(
            tempfile.mkdtemp(prefix=f".{output_dir.name}{_STAGING_PREFIX}", dir=output_dir.parent)
        )
        self._real = self.path.resolve()
        self._written: dict[str, str] = {}  # lower-cased path -> path, to refuse case collisions
        self.changed = 0
        self.unchanged = 0

    def target(self, rel: str) -> Path:
        """The staging path for output path ``rel``, refusing anything that resolves outside."""
        if not rel or "\x00" in rel or rel.startswith(("/", "\\")) or "\\" in rel:
            raise OutsideOutput(rel)
        path = self.path / rel
        if not path.resolve().is_relative_to(self._real) or ".." in Path(rel).parts:
            raise OutsideOutput(rel)
        return path

    def write(self, rel: str, data: bytes) -> None:
        """Write one output file; unchanged bytes are linked from the previous output."""
        key = rel.lower()
        if key in self._written:
            raise FileExistsError(f"{rel} would be written twice (also as {self._written[key]})")
        self._written[key] = rel
        path = self.target(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = self.output_dir / rel
        if _same_bytes(old, data):
            with contextlib.suppress(OSError):
                os.link(old, path)
                self.unchanged += 1
                return
        path.write_bytes(data)
        self.changed += 1

    def commit(self) -> None:
        """Put the staging folder in place of the output folder, atomically where the OS allows."""
        for folder, _dirs, _files in os.walk(self.path):
            os.chmod(folder, 0o755)  # mkdtemp makes the top folder private; a site is public
        if self.output_dir.exists() and not _exchange(self.path, self.output_dir):
            old = self.output_dir.parent / f".{self.output_dir.name}{_OLD_PREFIX}{os.getpid()}"
            os.rename(self.output_dir, old)
            os.rename(self.path, self.output_dir)
            shutil.rmtree(old, ignore_errors=True)
            return
        if not self.output_dir.exists():
            os.rename(self.path, self.output_dir)
            return
        shutil.rmtree(self.path, ignore_errors=True)  # after the exchange it holds the old build

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


@contextlib.contextmanager
def output_lock(output_dir: Path) -> Iterator[None]:
    """One build at a time per output folder; leftovers of killed builds are removed under the lock."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = output_dir.parent / f".{output_dir.name}.lock"
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            for prefix in (_STAGING_PREFIX, _OLD_PREFIX):
                for stale in output_dir.parent.glob(f".{output_dir.name}{prefix}*"):
                    shutil.rmtree(stale, ignore_errors=True)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def copy_tree(staging: Staging, source: Path, dest: str) -> list[Diagnostic]:
    """Copy a folder of static files into the output under ``dest``."""
    problems: list[Diagnostic] = []
    if not source.is_dir():
        return problems
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder, name)
            rel = path.relative_to(source).as_posix()
            try:
                staging.write(f"{dest}/{rel}" if dest else rel, path.read_bytes())
            except (OSError, OutsideOutput) as exc:
                problems.append(Diagnostic(path.as_posix(), None, f"cannot copy: {exc}"))
    return problems
