"""What every executed lecture must show, whichever way it ran: headless (`course.execute_notebook`)
or through JupyterLab in the browser suite (the notebook the page saved).

Run time is judged by the kernel's CPU time (user + sys), not the wall clock: the lectures train on
one torch thread, so on an idle 2-core machine their wall time is about their CPU time, while a
wall clock also counts the time the kernel waited for a core that another test (or engineer) held.
A kernel that used more than one core is judged more strictly, never less. CPU time is not
immune to load either: with far more runnable processes than cores (measured here: a 1-minute load
average of 11-16 on 2 cores, other engineers' jobs) lecture 01 took 84-93 s of CPU against about
29 s on the idle machine, as caches are shared and evicted. So the limit is judged only while the
load average stays below OVERSUBSCRIBED times the core count; above it, the test says so in a
warning instead of failing on a number the machine made up (`make test` itself keeps the load
near 2 workers' worth: two pytest workers, a kernel or two each).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import nbformat

#: issue 12: every lecture runs in 60 s or less on 2 CPU cores
LECTURE_CPU_SECONDS = 60.0
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


#: load average / cores above which CPU times are not judged (see the module's docstring)
OVERSUBSCRIBED = 3.0
#: Beside a second busy pytest worker (`make test` runs two) a lecture's CPU time grows too:
#: measured on this 2-core VM, lecture 01 took 35 s of kernel CPU alone and 64 s in the suite,
#: next to a grading batch (shared caches and memory bandwidth). So in a parallel run the limit
#: is LECTURE_CPU_SECONDS times this; the 60 s claim itself is about an idle machine
#: (`make bench` prints each notebook's CPU time).
SHARED_MACHINE_FACTOR = 2.0


def cpu_limit() -> float:
    """LECTURE_CPU_SECONDS, or SHARED_MACHINE_FACTOR times it beside other pytest-xdist workers."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return LECTURE_CPU_SECONDS * (SHARED_MACHINE_FACTOR if workers > 1 else 1.0)


def load_per_core() -> float:
    return os.getloadavg()[0] / (os.cpu_count() or 1)


def cpu_problem(name: str, cpu_seconds: float, load: float) -> list[str]:
    """The CPU-time verdict; ``load``: the highest load per core seen during the run."""
    limit = cpu_limit()
    if cpu_seconds <= limit:
        return []
    message = (f"{name}: the kernel computed for {cpu_seconds:.0f} s of CPU time (limit "
               f"{limit:.0f} s: a lecture runs in about {LECTURE_CPU_SECONDS:.0f} s alone)")
    if load > OVERSUBSCRIBED:
        warnings.warn(f"{message}; NOT judged: the machine was oversubscribed (load average "
                      f"{load:.1f} per core), which inflates CPU times", stacklevel=2)
        return []
    return [message]


def process_cpu_seconds(pid: int) -> float:
    """User + sys CPU seconds of a live process and of its children it has waited for (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")
