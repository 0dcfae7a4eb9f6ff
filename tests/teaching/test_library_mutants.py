"""The fast unit tests catch every planted bug of ``library_mutants.py`` (issue 24, item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]



def test_every_planted_bug_in_the_library_core_fails_its_test(tmp_path):
    # a child process: the runner must not find this process's already imported aeutils
    out = tmp_path / "mutants.json"
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "teaching" / "library_mutants.py"), "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    records = json.loads(out.read_text())
    assert len(records) >= 20
    missed = [f"{r['name']}: {r['outcome']}\n{r['detail'][-800:]}" for r in records if r["outcome"] != "failed"]
    assert not missed, "\n\n".join(missed)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_runner_tells_a_crash_of_pytest_from_a_planted_bug_it_missed(tmp_path):
    """A plugin raising after the test ran (as a ZeroDivisionError in the CPU summary once did)
    is reported as "crashed" with its traceback, and a teardown error after a failed assertion
    leaves the bug caught."""
    tests = tmp_path / "tests" / "teaching"
    tests.mkdir(parents=True)
    (tests / "conftest.py").write_text(
        "import os, pytest\n"
        "@pytest.fixture\n"
        "def broken_teardown():\n"
        "    yield\n"
        "    raise RuntimeError('teardown')\n"
        "def pytest_terminal_summary(terminalreporter):\n"
        "    if os.environ.get('CRASH_SUMMARY'):\n"
        "        1 / 0\n")
    (tests / "test_x.py").write_text(
        "def test_fails(): assert 1 == 2\n"
        "def test_passes(): pass\n"
        "def test_fails_then_teardown_errs(broken_teardown): assert 1 == 2\n"
        "def test_passes_then_teardown_errs(broken_teardown): pass\n")
    script = (
        "import json, os, sys\n"
        f"sys.path.insert(0, {str(REPO / 'tests' / 'teaching')!r})\n"
        "import library_mutants as lm\n"
        "from pathlib import Path\n"
        f"lm.REPO, lm.TESTS = Path({str(tmp_path)!r}), Path({str(tests)!r})\n"
        "out = {}\n"
        "for name in ('fails', 'passes', 'fails_then_teardown_errs', 'passes_then_teardown_errs', 'nothing'):\n"
        f"    log = Path({str(tmp_path)!r}) / f'{{name}}.log'\n"
        "    out[name] = lm.outcome_of(lm.REPO, f'test_x.py::test_{name}', log)\n"
        "os.environ['CRASH_SUMMARY'] = '1'\n"
        f"log = Path({str(tmp_path)!r}) / 'crash.log'\n"
        "out['crash'] = lm.outcome_of(lm.REPO, 'test_x.py::test_fails', log)\n"
        "out['crash_log'] = log.read_text()\n"
        "print(json.dumps(out))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert {k: v for k, v in out.items() if k != "crash_log"} == {
        "fails": "failed", "passes": "passed", "fails_then_teardown_errs": "failed",
        "passes_then_teardown_errs": "error", "nothing": "missing", "crash": "crashed"}
    assert "ZeroDivisionError" in out["crash_log"]
