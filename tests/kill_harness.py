"""Kill ``dateline build`` with SIGKILL at random moments and check that nothing is ever half-written.

A synthetic site takes turns between two versions, "A" and "B", that differ in every page (the site
title, every body, some titles, articles removed and added). Each round switches the site to the other
version, starts ``python -m generator build`` as a subprocess in its own process group, kills the group
(the build and its workers) with SIGKILL after a seeded random delay, and checks that

- the output folder is byte for byte the previous version's clean build or the new one's, nothing else;
- nothing was left beside the output folder but its twin and lock file, nor in the site but its cache;
- the next build (a new process, as a user's next command) succeeds and gives exactly the new
  version's clean build, and its twin holds a whole build too, with no temporary files left in
  either folder.

The rounds cycle through ``--jobs 1``, ``--no-cache`` and both, so kills land in cached, uncached,
serial and parallel builds. Delays are drawn between the moment the command has started up and the
moment a complete build of that kind ends (both measured first, and the latter again whenever a
build ends before its kill), so nearly every kill lands inside the build itself and some after it.

    .venv/bin/python tests/kill_harness.py --kills 200 --articles 80 --seed 7     # by hand
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from generator.build import BuildOptions, build  # noqa: E402

# A process that has imported Dateline once and forks a fresh child for every build it is asked
# for: each "next build" is a new process (nothing remembered in memory from an earlier build)
# that runs the real command line, without paying Python's start-up each time.
_FORK_SERVER = r"""
import json, os, sys, traceback
from generator.cli import main
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        fd = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.argv = ["dateline", *job["args"]]
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


class ForkServer:
    """Runs ``dateline ARGS`` in a freshly forked process; see _FORK_SERVER."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _FORK_SERVER],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, args: list[str]) -> tuple[int, str]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"args": args, "log": str(self.log)}) + "\n")
        self.proc.stdin.flush()
        code = int(self.proc.stdout.readline())
        return code, self.log.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


MODES: tuple[tuple[str, ...], ...] = (("--jobs", "1"), ("--no-cache",), ("--jobs", "1", "--no-cache"))
COUNTRIES = ("Syria", "Turkey", "Norway", "Japan", "Brazil", "Kenya", "France", "India")
WORDS = re.findall(
    r"\w+",
    "talks resume after a week of shelling as aid convoys reach the border towns and officials "
    "say the ceasefire holds for now while negotiators meet again in the capital on monday",
)

Tree = dict[str, bytes]


def site_toml(version: str) -> str:
    return (
        f'title = "Kill harness archive {version}"\n'
        'base_url = "https://example.org/"\n'
        "page_size = 8\n\n"
        '[[topics]]\nslug = "conflict"\nlabel = "Conflict"\n\n'
        '[[topics]]\nslug = "economy"\nlabel = "Economy"\n'
    )


def articles(version: str, count: int) -> dict[str, str]:
    """The article files of one version: B drops a tenth of A's articles, adds as many and edits the rest."""
    drop = max(1, count // 10)
    numbers = range(count) if version == "A" else range(drop, count + drop)
    files = {}
    for n in numbers:
        rng = random.Random(n)
        date = f"20{rng.randint(15, 22)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        title = f"Article {n}" + (" revised" if version == "B" and n % 3 == 0 else "")
        countries = ", ".join(rng.sample(COUNTRIES, 2))
        topic = rng.choice(["conflict", "economy"])
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(50)) + f" (version {version}, paragraph {p})."
            for p in range(4)
        )
        files[f"content/{date[:4]}/a{n}.md"] = (
            f"---\ntitle: {title}\ndate: {date}\ncountries: [{countries}]\ntopics: [{topic}]\n"
            f"tags: [t{n % 9}, s{n % 4}]\n---\n\n{body}\n"
        )
    return files


def write_version(site: Path, version: str, count: int, stamp: float) -> None:
    """Make ``site`` hold exactly ``version``; every file gets the modification time ``stamp``.

    Each round passes a new stamp, so a file never keeps the size and modification time of a
    different text (which the build cache, like make or rsync, would take for unchanged).
    """
    wanted = {"site.toml": site_toml(version), **articles(version, count)}
    content = site / "content"
    if content.exists():
        for path in list(content.rglob("*.md")):
            if path.relative_to(site).as_posix() not in wanted:
                path.unlink()
    for rel, text in wanted.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (stamp, stamp))


def snapshot(folder: Path) -> Tree | None:
    """Every file under ``folder`` with its bytes; None when the folder does not exist."""
    if not folder.exists():
        return None
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def describe_difference(tree: Tree | None, references: dict[str, Tree | None]) -> str:
    if tree is None:
        return "the output folder is missing"
    lines = []
    for name, ref in references.items():
        if ref is None:
            lines.append(f"vs {name}: that version has no output folder")
            continue
        missing = sorted(set(ref) - set(tree))[:3]
        extra = sorted(set(tree) - set(ref))[:3]
        changed = sorted(k for k in set(ref) & set(tree) if ref[k] != tree[k])[:3]
        lines.append(f"vs {name}: missing {missing}, extra {extra}, different {changed}")
    return "; ".join(lines)


@dataclass
class Stats:
    kills: int = 0  # builds started and sent SIGKILL while still running
    scratch_left: int = 0  # --no-cache scratch caches that killed builds left in the temporary folder
    finished_first: int = 0  # builds that ended before their kill moment
    left_old: int = 0
    left_new: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.kills} builds killed mid-way and {self.finished_first} that finished first; "
            f"output left as the old build {self.left_old} times, as the new build {self.left_new} times; "
            f"{self.scratch_left} scratch caches left in TMPDIR; {len(self.failures)} failures; "
            f"{self.seconds:.0f} s"
        )


def command(site: Path, out: Path, mode: tuple[str, ...]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "generator",
        "build",
        "--site",
        str(site),
        "--output",
        str(out),
        "-q",
        *mode,
    ]


def run_killed(cmd: list[str], delay: float, env: dict[str, str]) -> bool:
    """Run ``cmd`` and SIGKILL its whole process group after ``delay`` seconds; True when it was killed."""
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=env
    )
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        _reap_group(proc.pid)
        return True
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise AssertionError(f"the build failed on its own (status {proc.returncode}): {stderr}")
    return False


def _reap_group(pgid: int) -> None:
    """Wait until no process of the killed group is left (forked workers die with it)."""
    for _ in range(200):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False, timeout=600, env=env)
    if result.returncode != 0:
        raise AssertionError(f"calibration build failed: {result.stderr}")
    return time.perf_counter() - start


def leftovers(work: Path, site: Path, out: Path) -> list[str]:
    """Anything a build left where it should not: beside the output folder, in the site, temp files."""
    allowed = {out.name, f".{out.name}.dateline-back", f".{out.name}.lock", site.name, "refs", "tmp", "log"}
    found = [p.name for p in work.iterdir() if p.name not in allowed]
    found += [p.name for p in site.iterdir() if p.name not in ("site.toml", "content", ".dateline")]
    for folder in (out, work / f".{out.name}.dateline-back"):
        if folder.exists():
            found += [p.relative_to(work).as_posix() for p in folder.rglob("*.dateline-tmp")]
    return found


def run_campaign(
    work: Path, *, kills: int, seed: int, count: int, log: Callable[[str], None] = lambda _: None
) -> Stats:
    """``kills`` rounds of switch version, start, kill, check, finish, check. Failures are collected."""
    rng = random.Random(seed)
    site, out = work / "site", work / "out"
    site.mkdir(parents=True)
    (work / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(work / "tmp")}  # where --no-cache builds keep their scratch cache
    stats = Stats()
    started = time.perf_counter()
    stamp = time.time() - 10_000

    refs: dict[str, Tree | None] = {}
    for version in ("A", "B"):  # the clean builds every output must match
        write_version(site, version, count, stamp)
        folder = work / "refs" / version
        build(site, BuildOptions(output=folder, cache=False, jobs=1))
        refs[version] = snapshot(folder)
    shutil.rmtree(work / "refs")
    shutil.rmtree(site)
    site.mkdir()

    # Calibration: how long the command takes to start, and a whole build of each kind from A to B.
    startup = min(timed([sys.executable, "-m", "generator", "--version"], env) for _ in range(2))
    durations = {}
    for mode in MODES:
        for path in (out, work / ".out.dateline-back", site / ".dateline"):
            shutil.rmtree(path, ignore_errors=True)
        stamp += 1
        write_version(site, "A", count, stamp)
        build(site, BuildOptions(output=out, jobs=1))
        stamp += 1
        write_version(site, "B", count, stamp)
        durations[mode] = timed(command(site, out, mode), env)
    log(
        f"start-up {startup:.2f} s; builds "
        + ", ".join(f"{' '.join(m)}: {t:.2f} s" for m, t in durations.items())
    )

    server = ForkServer(work / "log", env)
    try:
        _rounds(work, site, out, kills, count, rng, refs, startup, durations, stamp, env, server, stats, log)
    finally:
        server.close()
    stats.scratch_left = len(list((work / "tmp").glob("dateline-*")))
    stats.seconds = time.perf_counter() - started
    return stats


def _rounds(
    work: Path,
    site: Path,
    out: Path,
    kills: int,
    count: int,
    rng: random.Random,
    refs: dict[str, Tree | None],
    startup: float,
    durations: dict[tuple[str, ...], float],
    stamp: float,
    env: dict[str, str],
    server: ForkServer,
    stats: Stats,
    log: Callable[[str], None],
) -> None:
    current: str | None = "B"  # the output holds B now
    for round_ in range(kills):
        if round_ == 0:  # the very first build of a site, with no output yet, is killed too
            for path in (out, work / ".out.dateline-back", site / ".dateline"):
                shutil.rmtree(path, ignore_errors=True)
            current = None
        mode = MODES[round_ % len(MODES)]
        target = "A" if current == "B" else "B"
        stamp += 1
        write_version(site, target, count, stamp)
        delay = rng.uniform(0.8 * startup, 1.1 * durations[mode])
        began = time.perf_counter()
        if run_killed(command(site, out, mode), delay, env):
            stats.kills += 1
        else:
            stats.finished_first += 1
            # The machine may be faster now than when calibrating: aim at the builds it runs today.
            durations[mode] = (durations[mode] + time.perf_counter() - began) / 2
        state = snapshot(out)
        old = refs[current] if current else None
        where = f"round {round_} ({' '.join(mode)}, killed after {delay:.2f} s, {current} -> {target})"
        if state == refs[target]:
            stats.left_new += 1
        elif state == old:
            stats.left_old += 1
        else:
            expected = {"old": old, "new": refs[target]}
            stats.failures.append(f"{where}: output is neither build: {describe_difference(state, expected)}")
        extra = leftovers(work, site, out)
        extra = [e for e in extra if not e.endswith(".dateline-tmp")]  # temp files in the twin are fine here
        if extra:
            stats.failures.append(f"{where}: left behind {extra}")
        # The next build, in a new process, must succeed and give the clean build, leaving nothing.
        status, output = server.run(command(site, out, mode)[3:])
        if status != 0:  # a failure is a finding: record it and go on
            stats.failures.append(f"{where}: the next build failed with status {status}: {output[-2000:]}")
        else:
            if snapshot(out) != refs[target]:
                stats.failures.append(f"{where}: the next build is not the clean build")
            twin = snapshot(work / ".out.dateline-back")
            if twin is not None and twin not in (refs["A"], refs["B"]):
                stats.failures.append(f"{where}: the twin holds no whole build after the next build")
            if leftovers(work, site, out):
                stats.failures.append(f"{where}: the next build left {leftovers(work, site, out)}")
        current = target
        log(f"{where}: {'ok' if not stats.failures else stats.failures[-1]}")


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--articles", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dateline-kill-") as work:
        stats = run_campaign(
            Path(work), kills=args.kills, seed=args.seed, count=args.articles,
            log=print if args.verbose else lambda _: None,
        )  # fmt: skip
    print(stats.summary())
    for failure in stats.failures:
        print("FAIL", failure)
    sys.exit(1 if stats.failures else 0)


if __name__ == "__main__":
    main()
