"""How the suite is laid out (one folder per room of the house) and how `make test` shares the
machine between its two pytest-xdist workers (tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cpu_time import cgroup_root, summary_lines
from xdist_groups import xdist_group

TESTS = Path(__file__).resolve().parent
NEEDS_CGROUP = pytest.mark.skipif(
    cgroup_root() is None,
    reason="no cgroup can be made here (not root, or no cgroup mounted): getrusage is used")
#: the rooms of the house, as aeutils has them, and the suite's own tests at the top
ROOMS = {"teaching": "aeutils' teaching modules", "grading": "aeutils.grading: what test cells use",
         "instructor": "aeutils.instructor: the nbgrader pipeline", "lectures": "lectures executed, "
         "their numbers and answers", "browser": "JupyterLab in Chromium", "hub": "a real JupyterHub",
         "site": "the built website", "tools": "tools/, packaging, lint"}


def test_every_test_file_is_in_a_room_of_the_house():
    top = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert top == ["test_suite_layout.py"], f"test files at the top of tests/: {top}"
    rooms = sorted(p.parent.name for p in TESTS.glob("*/test_*.py"))
    assert set(rooms) == set(ROOMS), f"test folders {sorted(set(rooms))}, expected {sorted(ROOMS)}"


def test_tests_sharing_machine_wide_state_share_a_worker():
    group = xdist_group
    assert group("tests/instructor/test_grading_corpus.py::test_case_outcome[x]") == "grading"
    assert group("tests/instructor/test_real_assignments.py::test_mutant_loses_only_its_part[a-b]") \
        == "grading"
    assert group("tests/hub/test_hub_class.py::test_a_class_on_a_real_jupyterhub") == "grading"
    assert group("tests/browser/test_browser_lectures.py::test_notebook_runs_in_jupyterlab[00]") \
        == "browser"
    assert group("tests/teaching/test_data.py::test_load_digits") is None


@NEEDS_CGROUP
def test_the_cpu_clock_counts_processes_nobody_waits_for():
    """A sandboxed kernel is re-parented and a server outlives its test: the cgroup clock (CI)
    must count them, where getrusage does not (tests/cpu_time.py)."""
    script = """
import os, subprocess, sys, tempfile, time
from cpu_time import cgroup_clock, waited_cpu_seconds
clock = cgroup_clock()
start, waited = clock.seconds(), waited_cpu_seconds()
done = os.path.join(tempfile.mkdtemp(), "done")
# a grandchild that burns 0.5 CPU s after its parent exited: nobody waits for it
burn = f"import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.5: pass\\nopen({done!r}, 'w')"
subprocess.run(["sh", "-c", f"{sys.executable} -c \\"{burn}\\" &"])
for _ in range(600):  # however busy the machine is
    if os.path.exists(done):
        break
    time.sleep(0.1)
time.sleep(0.2)
print(clock.seconds() - start, waited_cpu_seconds() - waited)
clock.close()
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=TESTS).stdout.split()
    counted, waited = float(out[0]), float(out[1])
    assert counted >= 0.45 and waited < 0.3, (counted, waited)


@NEEDS_CGROUP
def test_a_test_process_started_by_a_test_counts_in_that_test():
    """A test that runs pytest in a child (the planted bugs) makes the child's clock a cgroup of
    its own: it must sit inside the test's cgroup, or the test's part loses the child's CPU time."""
    burn = ("from cpu_time import cgroup_clock\nimport time\nclock = cgroup_clock()\n"
            "t = time.process_time()\nwhile time.process_time() - t < 0.5: pass\nclock.close()")
    script = f"""
import subprocess, sys
from cpu_time import cgroup_clock
clock = cgroup_clock()
start = clock.seconds()
subprocess.run([sys.executable, "-c", {burn!r}], check=True)
print(clock.seconds() - start)
clock.close()
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=TESTS).stdout
    assert float(out) >= 0.45, out


def test_the_cpu_summary_survives_a_run_shorter_than_a_clock_tick():
    """cgroup v1 charges CPU time at the scheduler's ticks: a one-test run of a few milliseconds
    reads 0 s. Its summary must still print (a ZeroDivisionError there crashed the pytest run of
    a planted bug, which then counted as not caught)."""
    assert summary_lines({"teaching": 0.0}, {"cgroup"}) == [
        "teaching          0 s      -", "all               0 s",
        "(every process the tests started: one cgroup per test process)"]
    lines = summary_lines({"teaching": 1.0, "instructor": 3.0}, {"cgroup", "rusage"})
    assert lines[:3] == ["instructor        3 s    75%", "teaching          1 s    25%",
                         "all               4 s"]
    assert lines[3].startswith("(getrusage")
