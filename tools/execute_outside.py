"""Execute notebooks headless with an installed ``aeutils`` (never the repository's copy) and check
what a learner would see: no error, every figure cell drew, the explorers left a widget view.

    python tools/execute_outside.py NOTEBOOK.ipynb [...]

Used by ``make test-colab`` (tools/colab_stack_check.sh) with the Colab-pinned virtual environment,
on copies of the notebooks in a folder outside the repository. Exits 1 on the first problem.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass
class Executed:
    """One executed notebook: its wall seconds, images and widget views shown, errors raised."""

    name: str
    seconds: float
    images: int
    widget_views: int
    errors: list[str]


def installed_aeutils() -> Path:
    """The folder of the aeutils this interpreter imports: an installed package's (in
    site-packages), never a source tree's (an editable install or the current folder)."""
    import aeutils

    where = Path(aeutils.__file__).resolve().parent
    if "site-packages" not in where.parts:
        raise SystemExit(f"aeutils is imported from {where}, not from an installed package: run "
                         "this with the test environment's python, from a folder outside the "
                         "repository")
    return where


def execute(path: Path, timeout: int = 600) -> Executed:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True, allow_errors=True)
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    errors = [f"{out.get('ename')}: {out.get('evalue')}" for out in outputs
              if out.get("output_type") == "error"]
    images = sum("image/png" in out.get("data", {}) for out in outputs)
    views = sum(WIDGET_VIEW in out.get("data", {}) for out in outputs)
    return Executed(path.name, seconds, images, views, errors)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    import aeutils

    print(f"aeutils {aeutils.__version__} from {installed_aeutils()}", flush=True)
    failed = False
    for name in argv:
        result = execute(Path(name).resolve())
        print(f"{result.name}: {result.seconds:.1f} s, {result.images} images, "
              f"{result.widget_views} widget views, {len(result.errors)} errors", flush=True)
        for error in result.errors:
            print(f"  ERROR {error}", flush=True)
        lecture = re.match(r"\d\d_", result.name) is not None
        if lecture and not (result.images and result.widget_views):
            print("  ERROR a lecture must show figures and its explorers' widget views", flush=True)
            failed = True
        failed |= bool(result.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
