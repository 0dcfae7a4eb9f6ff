"""The lecture notebooks: committed clean, executed once each headless (as `make course` does), and
checked for errors, run time, figures and widget explorers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aeutils import course

LECTURES = course.lecture_paths()
BUILD = Path(__file__).resolve().parent.parent / "build" / "lectures"
PER_LECTURE_SECONDS = 120
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXPECTED = ["00_recipe", "01_bottleneck", "02_control", "03_sparse", "04_denoising", "05_bert",
            "06_vae", "07_summary", "08_sae_today"]
timings: dict[str, float] = {}


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


def _figure_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "code"
            and re.search(r"\b(viz|widgets)\.", c.source)]


def _mime_types(cell) -> set[str]:
    return {m for out in cell.get("outputs", []) for m in out.get("data", {})}


@pytest.mark.notebook
@pytest.mark.timeout(PER_LECTURE_SECONDS * 3)
@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_runs_headless_with_figures_and_widgets(path: Path):
    notebook, seconds = course.execute_notebook(path, timeout=PER_LECTURE_SECONDS)
    timings[path.stem] = seconds
    course.write_outputs(notebook, BUILD, path.stem)
    print(f"{path.name}: {seconds:.1f} s")
    errors = [out for c in notebook.cells if c.cell_type == "code" for out in c.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors
    assert seconds < PER_LECTURE_SECONDS, f"{path.name} took {seconds:.0f} s"
    figure_cells = _figure_cells(notebook)
    assert figure_cells, f"{path.name} shows no figure"
    for cell in figure_cells:
        assert "image/png" in _mime_types(cell), f"no image from cell:\n{cell.source[:300]}"
    widget_cells = [c for c in notebook.cells if WIDGET_VIEW in _mime_types(c)]
    assert widget_cells, f"{path.name} has no interactive widget"
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for cell in widget_cells:
        for out in cell.outputs:
            model_id = out.get("data", {}).get(WIDGET_VIEW, {}).get("model_id")
            if model_id:
                assert model_id in state.get("state", {}), "widget state was not saved"


def test_the_whole_set_runs_within_ten_minutes():
    if len(timings) < len(LECTURES):
        pytest.skip("run with the lecture execution tests to time the whole set")
    assert sum(timings.values()) < 600, timings
