"""Every lecture, run the way a student runs it: JupyterLab, Run All, look at the page.

This is where `make test` executes each lecture (once): besides what the page shows, the notebook
is saved (outputs and widget state) and held to every check of the headless run
(tests/lecture_checks.py), and the kernel's CPU time, on the reference machine's clock
(tests/lecture_times.py), against the per-lecture limit.
"""

from __future__ import annotations

import os
from pathlib import Path

import lecture_checks
import lecture_times
import nbformat
import pytest
from jlab import FIXTURE_DIR_NAME, REPO, run_notebook

from aeutils import course

# Wall seconds for Run All of one lecture: a bound for a hang, not the timing check (that is the
# kernel's CPU time, see lecture_checks); raise it with AEUTILS_BROWSER_TIMEOUT on a busy machine.
LECTURE_TIMEOUT = float(os.environ.get("AEUTILS_BROWSER_TIMEOUT", "180"))


def _lectures() -> list[str]:
    """Discovered at collection time: lectures are being written while this suite runs."""
    return sorted(p.name for p in (REPO / "lectures").glob("[0-9][0-9]_*.ipynb"))


NOTEBOOKS = [f"lectures/{name}" for name in _lectures()] + [
    f"{FIXTURE_DIR_NAME}/widgets_demo.ipynb"]


@pytest.mark.browser
@pytest.mark.timeout(LECTURE_TIMEOUT + 300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[Path(p).stem for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(request, lab, lab_server, screenshots, path):
    with lecture_times.MachineSpeed() as speed:
        report = run_notebook(lab, path, timeout=LECTURE_TIMEOUT)
    lab.screenshot(screenshots / f"{Path(path).stem}.png")
    moves = "; ".join(f"{m.control}: {m.before!r} -> {m.after!r}" for m in report.moves)
    cpu = report.kernel_cpu_seconds
    print(f"{path}: {report.seconds:.1f} s (Run All {report.run_seconds:.1f} s wall, kernel "
          f"{cpu if cpu is None else round(cpu, 1)} s CPU), {report.images} images, "
          f"{report.widgets} widget views, {report.explorers} explorers; moves: {moves or 'none'}")
    assert not report.problems, f"{path}:\n  " + "\n  ".join(report.problems)
    assert len(report.moves) >= report.explorers
    if not path.startswith("lectures/"):
        return
    lab.save(path)
    saved = nbformat.read(lab_server["root"] / path, as_version=4)
    course.write_outputs(saved, lecture_checks.BUILD, Path(path).stem)
    assert cpu is not None, "the kernel's process was not found: its CPU time is unknown"
    timed = lecture_times.LectureTime(Path(path).stem, cpu, speed.factor)
    timed.record(request.node)
    found = lecture_checks.problems(saved, Path(path).name) + timed.problems()
    assert not found, "\n".join(found)
