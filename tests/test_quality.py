"""The code stays lint-clean and its stages depend one way (import-linter layers)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(tool, path=str(BIN)) or shutil.which(tool)
    assert exe, f"{tool} is not installed: install the test extras (pip install -e '.[test]')"
    return subprocess.run([exe, *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", "generator", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_kept() -> None:
    result = run("ruff", "format", "--check", "generator", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_stages_depend_one_way() -> None:
    result = run("lint-imports")
    assert result.returncode == 0, result.stdout + result.stderr
