"""Insert or update the Colab first cell of every lecture and assignment source (idempotent).

    python tools/colab_cell.py            # rewrite the notebooks whose cell is missing or stale
    python tools/colab_cell.py --check    # exit 1 naming the notebooks that need it (no writes)
    python tools/colab_cell.py --print [--install REQUIREMENT] [--no-widgets]   # show the cell

The cell is the first code cell (the notebook's title cell stays first). Anywhere but Colab it does
nothing. On Colab it installs ``aeutils`` from the ONE source configured in book/launch.toml
without its dependencies (pip would otherwise replace Colab's torch, which is older than the 2.13
floor, with a multi-GB download), then installs only the requirements Colab lacks, held to Colab's
own torch, numpy and ipywidgets by a constraints file, and turns on Colab's widget manager in
notebooks that show explorers. It is a plain code cell, never an nbgrader cell: after running this
tool, `aeutils release` carries it into assignments/ unchanged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "book"))
import launch  # noqa: E402  (book/launch.py: the settings the website reads too)

CELL_ID = "colab-setup"
MARKER = "# Colab setup (tools/colab_cell.py)"
#: Colab's own packages the course must never replace there (PITFALLS: d2l-en #2638, #2659)
KEEP = ("torch", "numpy", "ipywidgets")
WIDGETS = re.compile(r"\bwidgets\.\w+\(")


def notebooks(root: Path = REPO) -> list[Path]:
    """Every lecture and every assignment source (``solutions/<id>/<id>.ipynb``)."""
    lectures = sorted((root / "lectures").glob("[0-9][0-9]_*.ipynb"))
    sources = sorted(p for p in (root / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name)
    return lectures + sources


def core_requirements(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """pyproject's core dependencies but torch (which the cell leaves to Colab)."""
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    return [d for d in deps if not re.match(r"torch\b", d)]


def torch_floor(pyproject: Path = REPO / "pyproject.toml") -> str:
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    return re.search(r"torch\s*>=\s*([\d.]+)", next(d for d in deps if d.startswith("torch")))[1]


def render(install: str, widgets: bool, requirements: list[str], floor: str) -> str:
    """The cell's source. ``install``: the pip requirement for aeutils; ``widgets``: the notebook
    shows explorers (Colab's custom widget manager is turned on)."""
    wanted = " ".join(f'"{r}"' for r in requirements)
    lines = [
        MARKER,
        "# On Colab only (nothing happens anywhere else): install the course's library, aeutils,",
        "# leaving Colab's own torch, numpy and ipywidgets as they are.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    from importlib.metadata import version",
        "",
        '    with open("/tmp/colab-keep.txt", "w") as keep:',
        f'        keep.writelines(f"{{name}}=={{version(name)}}\\n" for name in {_tuple(KEEP)})',
        f'    %pip install --quiet --no-deps "{install}"',
        f"    %pip install --quiet -c /tmp/colab-keep.txt {wanted}",
        f'    if tuple(map(int, version("torch").split(".")[:2])) < {tuple(map(int, floor.split(".")[:2]))!r}:',
        f'        print(f"Colab\'s torch {{version(\'torch\')}} is older than {floor}, the oldest this course "',
        '              "is tested on: if a cell fails, quote this line when you report it.")',
    ]
    if widgets:
        lines += [
            "    from google.colab import output",
            "",
            "    output.enable_custom_widget_manager()  # the explorers' sliders",
        ]
    return "\n".join(lines)


def _tuple(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(f'"{n}"' for n in names) + ")"


def _source_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _is_colab_cell(cell: dict) -> bool:
    return cell.get("id") == CELL_ID or _source_text(cell).startswith(MARKER)


def shows_explorers(notebook: dict) -> bool:
    return any(WIDGETS.search(_source_text(c)) for c in notebook["cells"]
               if c["cell_type"] == "code" and not _is_colab_cell(c))


def updated(notebook: dict, cell_source: str) -> dict:
    """``notebook`` with exactly one Colab cell, holding ``cell_source``, before its first code
    cell (an existing one is replaced where it is and any duplicate dropped)."""
    lines = cell_source.splitlines(keepends=True)
    cell = {"cell_type": "code", "execution_count": None, "id": CELL_ID, "metadata": {},
            "outputs": [], "source": lines}
    cells = [c for c in notebook["cells"] if not _is_colab_cell(c)]
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(first_code, cell)
    return {**notebook, "cells": cells}


def expected_cell(notebook: dict, settings: launch.Launch) -> str:
    return render(settings.install, shows_explorers(notebook), core_requirements(), torch_floor())


def dumps(notebook: dict) -> str:
    """The notebooks' committed form: one-space JSON, key order kept, a final newline."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def sync(path: Path, settings: launch.Launch, write: bool) -> bool:
    """Bring the cell of ``path`` up to date; True if it was missing or stale."""
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    new = dumps(updated(notebook, expected_cell(notebook, settings)))
    if new == text:
        return False
    if write:
        path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    parser.add_argument("--print", action="store_true", help="print the cell and exit")
    parser.add_argument("--install", help="with --print: install this instead of launch.toml's")
    parser.add_argument("--no-widgets", action="store_true", help="with --print: no explorers")
    args = parser.parse_args(argv)
    settings = launch.load()
    if args.print:
        print(render(args.install or settings.install, not args.no_widgets, core_requirements(),
                     torch_floor()))
        return 0
    stale = [p for p in notebooks() if sync(p, settings, write=not args.check)]
    for path in stale:
        print(f"{'stale' if args.check else 'updated'}: {path.relative_to(REPO)}")
    if args.check and stale:
        print("run `python tools/colab_cell.py`, then `aeutils release`", file=sys.stderr)
        return 1
    if not stale:
        print(f"all {len(notebooks())} notebooks have the current Colab cell")
    return 0


if __name__ == "__main__":
    sys.exit(main())
