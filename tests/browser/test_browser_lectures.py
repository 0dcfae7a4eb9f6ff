"""Every lecture, run the way a student runs it: JupyterLab, Run All, look at the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jlab import FIXTURE_DIR_NAME, REPO, run_notebook

# Seconds for Run All of one lecture (each computes for about 45 s on 2 free cores); raise it with
# AEUTILS_BROWSER_TIMEOUT on a slower or busier machine.
LECTURE_TIMEOUT = float(os.environ.get("AEUTILS_BROWSER_TIMEOUT", "180"))


def _lectures() -> list[str]:
    """Discovered at collection time: lectures are being written while this suite runs."""
    return sorted(p.name for p in (REPO / "lectures").glob("[0-9][0-9]_*.ipynb"))


NOTEBOOKS = [f"lectures/{name}" for name in _lectures()] + [
    f"{FIXTURE_DIR_NAME}/widgets_demo.ipynb"]


@pytest.mark.browser
@pytest.mark.timeout(LECTURE_TIMEOUT + 300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[Path(p).stem for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(lab, screenshots, path):
    report = run_notebook(lab, path, timeout=LECTURE_TIMEOUT)
    lab.screenshot(screenshots / f"{Path(path).stem}.png")
    moves = "; ".join(f"{m.control}: {m.before!r} -> {m.after!r}" for m in report.moves)
    print(f"{path}: {report.seconds:.1f} s (Run All {report.run_seconds:.1f} s), {report.images} images, {report.widgets} widget "
          f"views, {report.explorers} explorers; moves: {moves or 'none'}")
    assert not report.problems, f"{path}:\n  " + "\n  ".join(report.problems)
    assert len(report.moves) >= report.explorers
