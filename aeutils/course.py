"""Execute the lecture notebooks headless: ``aeutils course`` / ``make course``.

Each notebook runs top to bottom in a fresh kernel (widget state kept, so explorers stay visible),
and is written to ``<out>/<name>.ipynb`` and ``<out>/<name>.html`` with one progress line each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LECTURES = ROOT / "lectures"


def lecture_paths(folder: Path = LECTURES) -> list[Path]:
    """The lecture notebooks, in course order (``NN_topic.ipynb``)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(path: Path, timeout: int = 600, kernel_name: str = "python3"
                     ) -> tuple[nbformat.NotebookNode, float]:
    """Run ``path`` in a fresh kernel with its folder as working directory.

    Returns the executed notebook and the seconds it took. A cell error raises
    ``nbclient.exceptions.CellExecutionError`` naming the cell.
    """
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True)
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def write_outputs(notebook: nbformat.NotebookNode, out_dir: Path, stem: str) -> None:
    """Write the executed notebook and its HTML rendering to ``out_dir``."""
    from nbconvert import HTMLExporter

    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / f"{stem}.ipynb")
    body, _ = HTMLExporter().from_notebook_node(notebook)
    (out_dir / f"{stem}.html").write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aeutils course", description=__doc__)
    parser.add_argument("--out", default="build", help="output folder (default: build)")
    parser.add_argument("--lectures", default=str(LECTURES), help="folder of NN_topic.ipynb files")
    parser.add_argument("names", nargs="*", help="only these lectures (e.g. 01_bottleneck)")
    args = parser.parse_args(argv)
    paths = [p for p in lecture_paths(Path(args.lectures)) if not args.names or p.stem in args.names]
    if not paths:
        print(f"no lecture notebooks matched in {args.lectures}", file=sys.stderr)
        return 1
    out_dir = Path(args.out)
    failed = 0
    total = time.perf_counter()
    for i, path in enumerate(paths, 1):
        try:
            notebook, seconds = execute_notebook(path)
        except Exception as err:  # report and go on with the other lectures
            failed += 1
            print(f"[{i}/{len(paths)}] {path.name}: FAILED ({type(err).__name__}: "
                  f"{str(err).strip().splitlines()[-1] if str(err).strip() else ''})", flush=True)
            continue
        write_outputs(notebook, out_dir, path.stem)
        print(f"[{i}/{len(paths)}] {path.name}: ok in {seconds:.1f} s -> {out_dir / path.stem}.html",
              flush=True)
    print(f"{len(paths) - failed} of {len(paths)} lectures ran in "
          f"{time.perf_counter() - total:.0f} s; outputs in {out_dir}/", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
