"""The benchmark runner's bookkeeping (bench/run.py): ratios of medians over rounds of cold builds,
and old trees moved aside rather than deleted before a build. The builds themselves are only ever
timed by hand."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import run  # noqa: E402  (bench/run.py)


def _result(tool: str, scenario: str, seconds: float | None, turn: int = 1, error: str = "") -> run.Result:
    return run.Result(tool, 100, scenario, seconds, error=error, round=turn)


def test_ratios_compare_the_medians_of_the_builds_that_succeeded() -> None:
    results = [
        _result("dateline", "cold", 3.0),
        _result("hugo", "cold", 1.0),
        _result("hugo", "cold", 4.0, 2),
        _result("dateline", "cold", 1.5, 2),
        _result("hugo", "cold", None, 3, error="exit 1"),
        _result("dateline", "cold", 1.0, 3),
        _result("dateline", "noop", 0.5),
        _result("hugo", "noop", 2.0),
        _result("dateline", "edit", 1.0),  # no peer edits: no ratio
    ]
    found = {(r["scenario"], r["peer"]): r for r in run.ratios(results)}
    assert set(found) == {("cold", "hugo"), ("noop", "hugo")}
    cold = found["cold", "hugo"]
    assert (cold["dateline_seconds"], cold["peer_seconds"], cold["builds"]) == (1.5, 2.5, [3, 2])
    assert cold["ratio"] == 0.6  # neither the mean (1.83) nor the first or last build
    assert found["noop", "hugo"]["ratio"] == 0.25 and found["noop", "hugo"]["builds"] == [1, 1]


def test_a_later_round_is_labelled_with_its_number() -> None:
    assert _result("hugo", "cold", 1.0).label == "cold"
    assert _result("hugo", "cold", 1.0, 3).label == "cold #3"
    assert _result("hugo", "cold", None, 3, error="exit 1").line().split() == [
        "hugo",
        "n=100",
        "cold",
        "#3",
        "FAILED:",
        "exit",
        "1",
    ]


def test_discard_moves_a_tree_aside_and_the_run_deletes_it_at_its_end(tmp_path: Path) -> None:
    layout = run.Layout(tmp_path, 100)
    for number in range(2):
        output = layout.output("dateline")
        (output / "a").mkdir(parents=True)
        (output / "a" / "index.html").write_text(str(number))
        layout.discard(output)
        assert not output.exists()
    kept = sorted(p.read_text() for p in run.discarded(tmp_path).rglob("index.html"))
    assert kept == ["0", "1"]  # a second tree of the same name does not replace the first
    layout.discard(tmp_path / "missing")  # nothing there is nothing to do


@pytest.mark.parametrize("rounds", ["0", "-1"])
def test_rounds_must_be_one_or_more(rounds: str) -> None:
    with pytest.raises(SystemExit):
        run.parse_args(["--rounds", rounds])


def test_dateline_is_compiled_to_bytecode_even_where_python_writes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "generator"
    (package / "importer").mkdir(parents=True)
    modules = [package / "__init__.py", package / "build.py", package / "importer" / "__init__.py"]
    for module in modules:
        module.write_text("VALUE = 1\n")
    monkeypatch.setattr(run, "REPO_ROOT", tmp_path)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    run.compile_dateline()
    assert all(Path(importlib.util.cache_from_source(str(m))).is_file() for m in modules)


def test_every_build_of_a_run_has_a_log_of_its_own() -> None:
    builds = [("edit", 1, 1), ("edit", 1, 2), ("edit", 1, 3), ("cold", 1, 1), ("cold", 2, 1), ("cold", 1, 2)]
    names = [run.log_name(*build) for build in builds]
    assert names[0] == "edit" and names[1] == "edit.2" and names[4] == "cold-2"
    assert len(set(names)) == len(names)


def test_markdown_cost_times_the_library_bare_with_extensions_and_as_dateline_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import corpus  # bench/corpus.py
    import markdown_cost  # bench/markdown_cost.py

    corpus.write_corpus(tmp_path, 12)
    bodies = markdown_cost.bodies_of(tmp_path / "content")
    assert len(bodies) == 12 and not any(body.startswith("---") for body in bodies)
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert "<table>" in str(markdown_cost.library(extensions=True)(table))
    assert "<table>" not in str(markdown_cost.library(extensions=False)(table))
    markdown_cost.main([str(tmp_path / "content"), "--rounds", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["bare", "extensions", "dateline"]
    rounds = [re.search(r"CPU \((.*?)\)", line) for line in lines]
    assert all(" 12 bodies: " in line for line in lines)
    assert all(m is not None and len(m.group(1).split(", ")) == 2 for m in rounds)  # one time a round
