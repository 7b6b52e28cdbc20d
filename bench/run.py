"""Time `dateline build` on synthetic archives, optionally next to Hugo and Pelican.

    python bench/run.py --sizes 1000,10000 [--peers] [--scenarios cold,noop,edit,template,add]
                        [--rounds N] [--workdir bench/work] [--seed 1] [--json FILE] [--skip-dateline]

See bench/README.md for what each scenario does and how memory is measured.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import corpus
import peers
from measure import Measurement, measure

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("cold", "noop", "edit", "template", "add")
PEER_SCENARIOS = {"hugo": ("cold", "noop"), "pelican": ("cold",)}


@dataclass
class Result:
    tool: str
    n: int
    scenario: str
    seconds: float | None = None
    max_rss_mib: float | None = None
    tree_rss_mib: float | None = None
    tree_pss_mib: float | None = None
    user_seconds: float | None = None
    system_seconds: float | None = None
    html_files: int | None = None
    files: int | None = None
    check: str = ""
    error: str = ""
    round: int = 1  # the cold builds of --rounds after the first are rounds 2, 3...

    @property
    def ms_per_article(self) -> float | None:
        return None if self.seconds is None else self.seconds * 1000 / self.n

    @property
    def label(self) -> str:
        return self.scenario if self.round == 1 else f"{self.scenario} #{self.round}"

    def line(self) -> str:
        head = f"{self.tool:<8}  n={self.n:<6} {self.label:<9}"
        if self.error:
            return f"{head} FAILED: {self.error}"
        numbers = f"{self.seconds:7.1f} s {self.max_rss_mib:6.0f} MB {self.ms_per_article:6.2f} ms/article"
        if self.user_seconds is not None and self.system_seconds is not None:
            numbers += f"  cpu {self.user_seconds:.1f} user + {self.system_seconds:.1f} sys"
        shown = (self.tree_rss_mib or 0) > 1.05 * (self.max_rss_mib or 0)
        extra = f"  tree {self.tree_rss_mib:.0f} MB (PSS {self.tree_pss_mib or 0:.0f} MB)" if shown else ""
        pages = f"  {self.html_files} html / {self.files} files"
        return f"{head}{numbers}{extra}{pages}" + (f"  [{self.check}]" if self.check else "")


@dataclass(frozen=True)
class Layout:
    """Where one size's working copies, outputs, caches and logs go."""

    workdir: Path
    n: int

    def site(self, tool: str) -> Path:
        return self.workdir / "sites" / f"{tool}-n{self.n}"

    def output(self, tool: str) -> Path:
        return self.workdir / "out" / f"{tool}-n{self.n}"

    def cache(self, tool: str) -> Path:
        return self.workdir / "cache" / f"{tool}-n{self.n}"

    def discard(self, path: Path) -> None:
        """Move ``path`` out of the way, into a folder that main() deletes when the run ends.

        Deleting a tree of 40,000 files just before a build would slow that build: on an ext4
        without a journal, as on this project's machine, the inode allocator passes over inodes
        freed in the last minute one by one (``recently_deleted`` in ``perf``), so the next tool
        to make files would pay for the last one's. A rename frees nothing."""
        if not path.exists() and not path.is_symlink():
            return
        bin_ = discarded(self.workdir)
        bin_.mkdir(parents=True, exist_ok=True)
        for number in itertools.count():
            target = bin_ / f"{path.name}-{number}"
            if not target.exists():
                path.rename(target)
                return

    def log(self, tool: str, scenario: str) -> Path:
        return self.workdir / "logs" / f"{tool}-n{self.n}-{scenario}.log"


# ---------------------------------------------------------------- corpus


def corpus_dir(workdir: Path, n: int, seed: int) -> Path:
    """The pristine corpus for (n, seed), written once and kept; rewritten when corpus.py changes."""
    folder = workdir / "corpora" / f"n{n}-seed{seed}"
    stamp = hashlib.sha256(Path(corpus.__file__).read_bytes()).hexdigest()
    marker = folder / ".complete"
    if marker.exists() and marker.read_text(encoding="utf-8") == stamp:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    print(f"writing corpus n={n} seed={seed} to {folder}", flush=True)
    corpus.write_corpus(folder, n, seed)
    marker.write_text(stamp, encoding="utf-8")
    return folder


def discarded(workdir: Path) -> Path:
    """Where Layout.discard() moves old sites, outputs and caches."""
    return workdir / "discarded"


def fresh_copy(source: Path, layout: Layout, tool: str) -> Path:
    target = layout.site(tool)
    layout.discard(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".complete"))
    return target


# ---------------------------------------------------------------- Dateline


def dateline_command(site: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "generator", "build", "--site", str(site), "--output", str(output)]


def to_result(
    tool: str, n: int, scenario: str, m: Measurement, output: Path, log: Path, turn: int = 1
) -> Result:
    result = Result(tool, n, scenario, round(m.seconds, 3), round(m.max_rss_kib / 1024, 1), round=turn)
    result.tree_rss_mib = round(m.tree_rss_kib / 1024, 1)
    result.tree_pss_mib = round(m.tree_pss_kib / 1024, 1)
    result.user_seconds, result.system_seconds = round(m.user_seconds, 2), round(m.system_seconds, 2)
    if m.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        result.error = f"exit {m.returncode}: {tail[0] if tail else ''} (log: {log})"
    elif output.exists():
        result.html_files, result.files = peers.count_files(output)
    return result


HIDDEN_SUFFIXES = (".dateline-back", ".dateline-spare")  # generator.output's twin and spare folders


def remove_output(layout: Layout, output: Path) -> None:
    """The output folder and the hidden folders beside it that Dateline writes."""
    for folder in (output, *(output.with_name(f".{output.name}{suffix}") for suffix in HIDDEN_SUFFIXES)):
        layout.discard(folder)


def prepare(scenario: str, layout: Layout, site: Path, output: Path, step: int) -> None:
    """Change the site (or clear caches) the way ``scenario`` says, before its build."""
    n = layout.n
    if scenario == "cold":
        # What ``dateline clean`` removes, so that the build is a first one.
        layout.discard(site / ".dateline")
        remove_output(layout, output)
    elif scenario == "edit":
        corpus.edit_article(site, n // 2 + step)
    elif scenario == "template":
        corpus.touch_template(site)
    elif scenario == "add":
        corpus.add_article(site, step)


def run_dateline(layout: Layout, pristine: Path, scenarios: list[str]) -> list[Result]:
    site, output = fresh_copy(pristine, layout, "dateline"), layout.output("dateline")
    remove_output(layout, output)
    command = dateline_command(site, output)
    results: list[Result] = []
    for step, scenario in enumerate(scenarios):
        repeat = scenarios[: step + 1].count(scenario)  # the second "edit" is logged as edit.2
        if scenario != "cold" and not output.exists():
            measure(command, REPO_ROOT, layout.log("dateline", "warmup"))  # incremental needs a build first
        try:
            prepare(scenario, layout, site, output, step)
        except FileNotFoundError as error:
            results.append(shown(Result("dateline", layout.n, scenario, error=str(error))))
            continue
        results.append(shown(measured("dateline", layout, command, REPO_ROOT, scenario, repeat=repeat)))
    return results


def dateline_cold(layout: Layout, pristine: Path, turn: int) -> Result:
    """A first build of a fresh copy of the corpus (the scenarios have changed the last one)."""
    site, output = fresh_copy(pristine, layout, "dateline"), layout.output("dateline")
    prepare("cold", layout, site, output, 0)
    return shown(measured("dateline", layout, dateline_command(site, output), REPO_ROOT, "cold", turn))


def measured(
    tool: str, layout: Layout, command: list[str], cwd: Path, scenario: str, turn: int = 1, repeat: int = 1
) -> Result:
    """One timed build of ``tool`` into its output folder, logged: a later round's log is named
    ``cold-2``, a scenario's ``repeat``-th in the list given ``edit.2``, so no log overwrites another."""
    log = layout.log(tool, log_name(scenario, turn, repeat))
    m = measure(command, cwd, log)
    return to_result(tool, layout.n, scenario, m, layout.output(tool), log, turn)


def log_name(scenario: str, turn: int = 1, repeat: int = 1) -> str:
    return scenario + (f"-{turn}" if turn > 1 else "") + (f".{repeat}" if repeat > 1 else "")


def shown(result: Result) -> Result:
    print(result.line(), flush=True)
    return result


# ---------------------------------------------------------------- peers


def peer_site(tool: str, layout: Layout, entries: list[peers.Entry]) -> Path:
    writer: Callable[[list[peers.Entry], Path], Path] = (
        peers.write_hugo if tool == "hugo" else peers.write_pelican
    )
    return writer(entries, layout.site(tool))


def peer_command(tool: str, layout: Layout, site: Path, python: str) -> list[str]:
    if tool == "hugo":
        return peers.hugo_command(site, layout.output(tool), layout.cache(tool))
    return peers.pelican_command(site, layout.output(tool), python)


def run_peer(tool: str, layout: Layout, entries: list[peers.Entry], python: str) -> list[Result]:
    """``tool``'s scenarios (PEER_SCENARIOS) on a site written for it; none when it is missing."""
    reason = peers.available(tool, python)
    if reason:
        print(f"{tool:<8}  n={layout.n:<6} skipped: {reason}", flush=True)
        return []
    site, expected = peer_site(tool, layout, entries), peers.Expected.of(entries)
    return [peer_build(tool, layout, site, scenario, python, expected) for scenario in PEER_SCENARIOS[tool]]


def peer_build(
    tool: str, layout: Layout, site: Path, scenario: str, python: str, expected: peers.Expected, turn: int = 1
) -> Result:
    """One measured build of the peer site ``site``, its output checked against ``expected``."""
    output = layout.output(tool)
    if scenario == "cold":
        layout.discard(output)
        layout.discard(layout.cache(tool))
    result = measured(tool, layout, peer_command(tool, layout, site, python), site, scenario, turn)
    if not result.error:
        result.check = peers.check_output(tool, output, expected).describe()
    return shown(result)


def run_peers(layout: Layout, pristine: Path, python: str) -> list[Result]:
    entries = peers.read_entries(pristine)
    return [r for tool in peers.TOOLS for r in run_peer(tool, layout, entries, python)]


def cold_rounds(layout: Layout, pristine: Path, args: argparse.Namespace) -> list[Result]:
    """Rounds 2 to ``args.rounds`` of cold builds, each tool once a round. The tools take turns
    in an order that moves on by one each round, so that none is always the one to follow
    another's build (its files still being written back, its memory just freed)."""
    expected = peers.Expected.of(peers.read_entries(pristine)) if args.peers else None
    tools = ["dateline"] if not args.skip_dateline else []
    if args.peers:
        tools += [tool for tool in peers.TOOLS if peers.available(tool, args.pelican_python) is None]
    results: list[Result] = []
    for turn in range(2, args.rounds + 1):
        shift = (turn - 1) % len(tools) if tools else 0
        for tool in tools[shift:] + tools[:shift]:
            if tool == "dateline":
                results.append(dateline_cold(layout, pristine, turn))
            else:
                assert expected is not None  # a peer is only listed with --peers
                site = layout.site(tool)  # written by run_peer in the first round
                results.append(peer_build(tool, layout, site, "cold", args.pelican_python, expected, turn))
    return results


# ---------------------------------------------------------------- reporting


def wall_times(results: list[Result]) -> dict[tuple[str, int, str], list[float]]:
    """The wall times of each (tool, size, scenario)'s builds that succeeded (its rounds, or a
    scenario given more than once)."""
    times: dict[tuple[str, int, str], list[float]] = {}
    for r in results:
        if r.seconds is not None and not r.error:
            times.setdefault((r.tool, r.n, r.scenario), []).append(r.seconds)
    return times


def ratios(results: list[Result]) -> list[dict[str, object]]:
    """dateline/peer ratios of median wall times for every (size, scenario) both have measured."""
    builds = wall_times(results)
    times = {key: statistics.median(values) for key, values in builds.items()}
    found: list[dict[str, object]] = []
    for (tool, n, scenario), seconds in sorted(times.items()):
        mine = times.get(("dateline", n, scenario))
        if tool != "dateline" and mine is not None and seconds:
            found.append(
                {
                    "n": n,
                    "scenario": scenario,
                    "peer": tool,
                    "ratio": round(mine / seconds, 2),
                    "dateline_seconds": round(mine, 3),
                    "peer_seconds": round(seconds, 3),
                    "builds": [len(builds["dateline", n, scenario]), len(builds[tool, n, scenario])],
                }
            )
    return found


def _cell(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown_table(results: list[Result]) -> str:
    rows = [
        "| Tool | Articles | Scenario | Wall (s) | CPU user (s) | CPU sys (s) | Peak RSS (MiB) | Tree RSS (MiB) "
        "| Tree PSS (MiB) | ms/article | HTML files | Files |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.error:
            rows.append(f"| {r.tool} | {r.n} | {r.label} | failed | | | | | | | | |")
            continue
        cells = [
            _cell(r.seconds, ".1f"),
            _cell(r.user_seconds, ".1f"),
            _cell(r.system_seconds, ".1f"),
            _cell(r.max_rss_mib, ".0f"),
            _cell(r.tree_rss_mib, ".0f"),
            _cell(r.tree_pss_mib, ".0f"),
            _cell(r.ms_per_article, ".2f"),
            _cell(r.html_files, "d"),
            _cell(r.files, "d"),
        ]
        rows.append(f"| {r.tool} | {r.n} | {r.label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def environment(with_peers: bool, python: str) -> dict[str, str]:
    info = {"python": platform.python_version(), "machine": platform.machine(), "cpus": str(_cpus())}
    if with_peers:
        tools = [tool for tool in peers.TOOLS if peers.available(tool, python) is None]
        info.update({tool: peers.version(tool, python) for tool in tools})
    return info


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


def report(results: list[Result], env: dict[str, str], json_path: Path | None) -> None:
    found = ratios(results)
    if found:
        print()
        for item in found:
            builds = item["builds"]
            assert isinstance(builds, list)
            medians_of = f" (medians of {builds[0]} and {builds[1]} builds)" if max(builds) > 1 else ""
            print(
                f"n={item['n']:<6} {item['scenario']:<9} dateline/{item['peer']} = {item['ratio']:.2f}x"
                f"  {item['dateline_seconds']:.1f} s / {item['peer_seconds']:.1f} s{medians_of}"
            )
    print()
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in env.items()))
    print()
    print(markdown_table(results))
    if json_path:
        payload = {"environment": env, "results": [asdict(r) for r in results], "ratios": found}
        json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {json_path}")


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000", help="comma-separated article counts (default 1000)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated, in order")
    parser.add_argument("--peers", action="store_true", help="also build the corpus with Hugo and Pelican")
    parser.add_argument("--skip-dateline", action="store_true", help="time the peers only")
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / "bench" / "work")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="cold builds of every tool this many times, taking turns; ratios compare medians (default 1)",
    )
    parser.add_argument(
        "--pelican-python", default=sys.executable, help="Python with pelican installed (default: this one)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",") if size]
    args.scenarios = [name for name in args.scenarios.split(",") if name]
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(SCENARIOS)}")
    args.workdir = args.workdir.resolve()
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    return args


def compile_dateline() -> None:
    """Compile Dateline's modules to bytecode before any build is timed, as pip does for a package
    it installs (the peers' modules and Dateline's dependencies have theirs). The checkout is an
    editable install: where PYTHONDONTWRITEBYTECODE is set, nothing would write its bytecode, and
    every timed build would compile the package's 10,000 lines again at its start (0.1 s)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO_ROOT / "generator")], check=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    shutil.rmtree(discarded(args.workdir), ignore_errors=True)  # a run that was stopped left it
    if not args.skip_dateline:
        compile_dateline()
    results: list[Result] = []
    for n in args.sizes:
        pristine = corpus_dir(args.workdir, n, args.seed)
        layout = Layout(args.workdir, n)
        if not args.skip_dateline:
            results += run_dateline(layout, pristine, args.scenarios)
        if args.peers:
            results += run_peers(layout, pristine, args.pelican_python)
        results += cold_rounds(layout, pristine, args)
    report(results, environment(args.peers, args.pelican_python), args.json)
    shutil.rmtree(discarded(args.workdir), ignore_errors=True)


if __name__ == "__main__":
    main()
