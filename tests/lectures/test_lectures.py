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
from pathlib import Path

import lecture_checks
import nbformat
import pytest

from aeutils import course

LECTURES = course.lecture_paths()
PER_LECTURE_TIMEOUT = 180  # wall seconds per cell before nbclient gives up: a hang, not a timing
EXPECTED = ["00_recipe", "01_bottleneck", "02_control", "03_sparse", "04_denoising", "05_bert",
            "06_vae", "07_summary", "08_sae_today", "09_sae_eval"]
#: the whole set must run within ten minutes; the per-lecture CPU limit implies it
WHOLE_SET_SECONDS = 600


def test_every_lecture_of_the_arc_exists():
    assert [p.stem for p in LECTURES] == EXPECTED


def test_the_whole_set_runs_within_ten_minutes():
    """Each lecture is held to LECTURE_CPU_SECONDS wherever it runs, so the set's limit holds."""
    assert len(LECTURES) * lecture_checks.LECTURE_CPU_SECONDS <= WHOLE_SET_SECONDS, (
        f"{len(LECTURES)} lectures of up to {lecture_checks.LECTURE_CPU_SECONDS:.0f} s may take "
        f"more than {WHOLE_SET_SECONDS} s together: lower the per-lecture limit")


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
def test_lecture_runs_headless_with_figures_and_widgets(path: Path):
    # The kernel is this process's child, reaped when nbclient shuts it down: its CPU time is the
    # growth of RUSAGE_CHILDREN (tests in one pytest process run one at a time).
    cpu_before, load = _children_cpu_seconds(), lecture_checks.load_per_core()
    notebook, seconds = course.execute_notebook(path, timeout=PER_LECTURE_TIMEOUT)
    cpu, load = _children_cpu_seconds() - cpu_before, max(load, lecture_checks.load_per_core())
    course.write_outputs(notebook, lecture_checks.BUILD, path.stem)
    print(f"{path.name}: {seconds:.1f} s wall, kernel {cpu:.1f} s CPU")
    assert cpu > 0, "the kernel's CPU time was not measured"
    found = lecture_checks.problems(notebook, path.name) + lecture_checks.cpu_problem(path.name, cpu, load)
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
    limit = lecture_checks.cpu_limit()
    assert lecture_checks.cpu_problem("x", limit - 1, load=0.5) == []
    assert lecture_checks.cpu_problem("x", limit + 1, load=0.5)
    with pytest.warns(UserWarning, match="NOT judged"):
        assert lecture_checks.cpu_problem("x", limit + 1,
                                          load=lecture_checks.OVERSUBSCRIBED + 1) == []


def test_cpu_limit_allows_for_a_second_worker_only(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "1")
    assert lecture_checks.cpu_limit() == lecture_checks.LECTURE_CPU_SECONDS
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert lecture_checks.cpu_limit() == (lecture_checks.LECTURE_CPU_SECONDS
                                          * lecture_checks.SHARED_MACHINE_FACTOR)
