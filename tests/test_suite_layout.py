"""How `make test` shares the machine between its two pytest-xdist workers (tests/conftest.py)."""

from __future__ import annotations

from xdist_groups import xdist_group


def test_tests_sharing_machine_wide_state_share_a_worker():
    group = xdist_group
    assert group("tests/grading/test_grading_corpus.py::test_case_outcome[x]") == "grading"
    assert group("tests/grading/test_real_assignments.py::test_mutant_loses_only_its_part[a-b]") \
        == "grading"
    assert group("tests/hub/test_hub_class.py::test_a_class_on_a_real_jupyterhub") == "grading"
    assert group("tests/browser/test_browser_lectures.py::test_notebook_runs_in_jupyterlab[00]") \
        == "browser"
    assert group("tests/test_data.py::test_load_digits") is None


def test_the_cpu_clock_counts_processes_nobody_waits_for():
    """A sandboxed kernel is re-parented and a server outlives its test: the cgroup clock (CI)
    must count them, where getrusage does not (tests/cpu_time.py)."""
    import subprocess
    import sys
    from pathlib import Path

    import pytest
    from cpu_time import cgroup_clock

    probe = cgroup_clock()
    if probe is None:
        pytest.skip("no cgroup can be made here (not root, or no cgroup mounted): getrusage is used")
    probe.close()
    script = """
import subprocess, sys, time
from cpu_time import cgroup_clock, waited_cpu_seconds
clock = cgroup_clock()
start, waited = clock.seconds(), waited_cpu_seconds()
# a grandchild that burns 0.5 CPU s after its parent exited: nobody waits for it
subprocess.run(["sh", "-c", sys.executable + " -c 'import time; t = time.process_time()\\nwhile time.process_time() - t < 0.5: pass' &"])
time.sleep(1.5)
print(clock.seconds() - start, waited_cpu_seconds() - waited)
clock.close()
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent).stdout.split()
    counted, waited = float(out[0]), float(out[1])
    assert counted >= 0.45 and waited < 0.3, (counted, waited)
