"""The lecture notebooks: committed clean, and each executed ONCE per `make test`.

`make test` executes every lecture through JupyterLab in the browser suite
(tests/browser/test_browser_lectures.py), which makes every check of this file's headless test on
the notebook the page saved (`lecture_checks.problems`). The headless test here executes a lecture
(as `make course` does) whenever that browser test is not part of the same run: the browser suite
skipped (AEUTILS_SKIP_BROWSER=1) or deselected, or this file run on its own (`make test-lowest`
runs lecture 03 this way). So no lecture goes unexecuted and none runs twice.
"""

from __future__ import annotations

import json
import re
import resource
import time
from pathlib import Path

import lecture_checks
import lecture_times
import nbformat
import pytest

from aeutils import course

LECTURES = course.lecture_paths()
PER_LECTURE_TIMEOUT = 180  # wall seconds per cell before nbclient gives up: a hang, not a timing
EXPECTED = ["00_recipe", "01_bottleneck", "02_control", "03_sparse", "04_denoising", "05_bert",
            "06_vae", "07_summary", "08_sae_today", "09_sae_eval"]


def test_every_lecture_of_the_arc_exists():
    assert [p.stem for p in LECTURES] == EXPECTED


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_is_committed_clean_and_uses_the_library(path: Path):
    notebook = json.loads(path.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    for cell in code:
        assert not cell.get("outputs") and cell.get("execution_count") is None, \
            f"{path.name} is committed with outputs: strip them"
    source = "\n".join("".join(c["source"]) for c in code)
    text = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "import aeutils" in source or "from aeutils" in source
    assert "aeutils.device()" in source, "train on aeutils.device() so a GPU is used when present"
    assert "pyplot" not in source, "use aeutils.viz (figures, not pyplot state)"
    # Models belong in aeutils.models. The one exception is lecture 00, which builds a single
    # autoencoder from scratch on purpose (module and training loop) before the library takes over.
    classes = re.findall(r"class (\w+)\((?:nn\.)?Module\)", source)
    allowed = ["ScratchAutoencoder"] if path.stem == "00_recipe" else []
    assert classes == allowed, f"{path.name}: models belong in aeutils.models, found {classes}"
    assert re.search(r"try this", text, re.I), "each lecture ends with 'Try this' prompts"


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.notebook
@pytest.mark.timeout(PER_LECTURE_TIMEOUT * 3)
@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_runs_headless_with_figures_and_widgets(request, path: Path):
    # The kernel is this process's child, reaped when nbclient shuts it down: its CPU time is the
    # growth of RUSAGE_CHILDREN (tests in one pytest process run one at a time).
    cpu_before = _children_cpu_seconds()
    with lecture_times.MachineSpeed() as speed:
        notebook, seconds = course.execute_notebook(path, timeout=PER_LECTURE_TIMEOUT)
    cpu = _children_cpu_seconds() - cpu_before
    course.write_outputs(notebook, lecture_checks.BUILD, path.stem)
    assert cpu > 0, "the kernel's CPU time was not measured"
    timed = lecture_times.LectureTime(path.stem, cpu, speed.factor)
    timed.record(request.node)
    print(f"{path.name}: {seconds:.1f} s wall, kernel {cpu:.1f} s CPU, "
          f"{timed.reference_seconds:.1f} s on the reference machine")
    found = lecture_checks.problems(notebook, path.name) + timed.problems()
    assert not found, "\n".join(found)


def test_the_checks_of_an_executed_lecture_can_fail():
    """lecture_checks on made-up executed notebooks: each broken part is reported."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    view = {lecture_checks.WIDGET_VIEW: {"model_id": "m1"}, "text/plain": "explorer"}
    good = new_notebook(cells=[
        new_code_cell("viz.image_grid(x)", outputs=[new_output("display_data", {"image/png": "iVBO"})]),
        new_code_cell("widgets.latent_walk(m)", outputs=[
            new_output("display_data", {"image/png": "iVBO", **view})]),
    ], metadata={"widgets": {lecture_checks.WIDGET_STATE: {"state": {"m1": {}}}}})
    assert lecture_checks.problems(good, "good") == []
    broken = nbformat.from_dict(good)
    broken.cells[0].outputs = [new_output("error", ename="ValueError", evalue="bad", traceback=[])]
    broken.metadata = {}
    found = "\n".join(lecture_checks.problems(broken, "broken"))
    for what in ("raised ValueError", "no image from cell", "state was not saved"):
        assert what in found, found
    assert not lecture_times.LectureTime("x", 50.0, speed=1.0).problems()
    assert lecture_times.LectureTime("x", 70.0, speed=1.0).problems()
    # a busy or slow machine: 70 s of CPU at 0.8 of the reference speed is 56 s there
    assert not lecture_times.LectureTime("x", 70.0, speed=0.8).problems()
    # a fast machine is held to more: 55 s at 1.2 times the reference speed is 66 s there
    assert "66 s of the reference machine's" in "".join(
        lecture_times.LectureTime("x", 55.0, speed=1.2).problems())


def test_the_machine_speed_is_measured_by_the_yardstick(monkeypatch):
    """The speed is the reference over the median measure (one outlier does not move it), so
    a machine that runs the yardstick twice as long counts a lecture's CPU seconds as half."""
    measures = iter([0.087, 0.087, 5.0, 0.087, 0.087])
    monkeypatch.setattr(lecture_times, "YARDSTICK_REFERENCE_SECONDS", 0.0435)
    monkeypatch.setattr(lecture_times, "YARDSTICK_EVERY", 0.01)
    monkeypatch.setattr(lecture_times, "yardstick_seconds", lambda: next(measures, 0.087))
    with lecture_times.MachineSpeed() as speed:
        time.sleep(0.05)
    assert len(speed.measures) >= 3
    assert speed.factor == pytest.approx(0.5)
    assert lecture_times.LectureTime("x", 100.0, speed.factor).reference_seconds == pytest.approx(50)


def test_the_yardstick_runs_here_near_the_reference_machines_speed():
    """The real yardstick on this machine: at least a start and an end measure, and a speed
    within a factor 3 of the reference machine's (a yardstick that broke, or a reference that
    no longer matches it, is far outside)."""
    with lecture_times.MachineSpeed() as speed:
        time.sleep(0.1)
    assert len(speed.measures) >= 2
    assert 1 / 3 < speed.factor < 3, (
        f"the yardstick ran at {speed.factor:.2f} times the reference machine's speed: "
        "re-measure YARDSTICK_REFERENCE_SECONDS (python tests/lecture_times.py 04)")
