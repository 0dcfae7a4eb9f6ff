"""The library, the tests and the notebooks' code pass the linter configured in pyproject.toml
(ruff; it reads the code cells of .ipynb files)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINTED = ["aeutils", "tests", "lectures", "assignments", "solutions"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", "check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_ruff_finds_nothing():
    result = _ruff(*LINTED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_reads_the_notebooks():
    """Notebooks are really linted: a lecture's code is checked cell by cell (the report names
    the cell), with the project's rules."""
    lecture = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))[0]
    result = _ruff("--select", "ALL", "--output-format", "concise", str(lecture.relative_to(ROOT)))
    assert result.returncode == 1 and f"{lecture.name}:cell " in result.stdout, result.stdout
