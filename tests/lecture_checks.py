"""What every executed lecture must show, whichever way it ran: headless (`course.execute_notebook`)
or through JupyterLab in the browser suite (the notebook the page saved). How long it may take is
judged in lecture_times.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BUILD = Path(__file__).resolve().parent.parent / "build" / "lectures"


def figure_cells(notebook: nbformat.NotebookNode) -> list:
    """Code cells that call ``viz.`` or ``widgets.``: each must show a figure."""
    return [c for c in notebook.cells if c.cell_type == "code"
            and re.search(r"\b(viz|widgets)\.", c.source)]


def mime_types(cell) -> set[str]:
    return {m for out in cell.get("outputs", []) for m in out.get("data", {})}


def problems(notebook: nbformat.NotebookNode, name: str) -> list[str]:
    """Everything wrong with an executed lecture: errors, figure cells without an image, no
    explorer, widget views whose state was not saved with the notebook."""
    found = []
    for i, cell in enumerate(notebook.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                found.append(f"{name}: cell {i} raised {out.get('ename')}: {out.get('evalue')}")
    cells = figure_cells(notebook)
    if not cells:
        found.append(f"{name} shows no figure")
    for cell in cells:
        if "image/png" not in mime_types(cell):
            found.append(f"{name}: no image from cell:\n{cell.source[:300]}")
    widget_cells = [c for c in notebook.cells if WIDGET_VIEW in mime_types(c)]
    if not widget_cells:
        found.append(f"{name} has no interactive widget")
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in widget_cells:
        for out in cell.outputs:
            model_id = out.get("data", {}).get(WIDGET_VIEW, {}).get("model_id")
            if model_id and model_id not in state:
                found.append(f"{name}: widget {model_id} is shown but its state was not saved")
    return found
