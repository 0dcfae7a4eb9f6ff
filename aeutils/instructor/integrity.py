"""Integrity of one submission, checked before it runs: can it be graded, was it tampered with?

Nothing here runs student code. A *fatal* finding means the submission cannot be graded (it is
reported ``failed`` with that reason); *notes* send an otherwise graded submission to
``needs review`` (nbgrader restores the original test cells anyway, so the score is still right;
a person should look at why they were changed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

#: Code a plain solution never needs, but that changes how tests run or reads what it must not.
SUSPICIOUS = [
    (r"input_transformers|ast_transformers|InputTransformer", "changes how IPython reads cells"),
    (r"\bevents\s*\.\s*register|register_magic|set_custom_exc|\bget_ipython\b",
     "reaches into IPython"),
    (r"\bsys\s*\.\s*(modules|settrace|setprofile|meta_path|path_hooks)|\bsettrace\b",
     "changes the import system or tracing"),
    (r"\b__builtins__\b|\bimport\s+builtins\b|\bbuiltins\s*\.", "changes Python's builtins"),
    (r"\bgrading\s*\.\s*\w+\s*=|\bcheck_\w+\s*=(?!=)|\bdef\s+check_\w+|\bGradingError\s*=",
     "rebinds a grading helper"),
    (r"__(eq|ne|lt|le|gt|ge|bool|float|int|index|abs|sub|array\w*|torch_function)__",
     "defines comparison/conversion methods that tests could call"),
    (r"\b(setattr|delattr)\s*\(\s*(aeutils|np|numpy|torch|math)\b|\b(np|numpy|torch|math)\s*\.\s*\w+\s*=(?!=)",
     "monkeypatches a library"),
    (r"\bimportlib\b|\bctypes\b|\bgc\s*\.\s*get_referr", "uses low-level introspection"),
    (r"gradebook|\.\./|/solutions\b|/submitted\b|/autograded\b", "reaches outside its folder"),
    (r"\bsocket\b|urllib|requests\.|http\.client|\bsubprocess\b|os\s*\.\s*(system|popen|fork|exec)",
     "uses the network or starts programs"),
    (r"^\s*[!%]", "uses a shell escape or magic"),
]


@dataclass
class Inspection:
    """Result of :func:`inspect_submission`."""

    fatal: str | None = None
    notes: list[str] = field(default_factory=list)
    notebooks: dict[str, Path] = field(default_factory=dict)  # expected name -> submitted file


def _nbgrader(cell: Any) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _src(cell: Any) -> str:
    s = cell.get("source", "")
    return ("".join(s) if isinstance(s, list) else str(s)).rstrip()


def read_notebook(path: Path) -> tuple[Any | None, str | None]:
    """Parse a notebook file; return ``(notebook, None)`` or ``(None, one-line reason)``."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, f"{path.name} is not UTF-8 text: it is not a notebook file"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        return None, f"{path.name} is not valid notebook JSON ({err.msg} at line {err.lineno})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, f"{path.name} is JSON but not a notebook (no list of cells)"
    try:
        nb = nbformat.reads(raw, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several types
        first = str(err).strip().splitlines()[0][:150] if str(err).strip() else type(err).__name__
        return None, f"{path.name} is not a valid notebook ({first})"
    return nb, None


def compare_locked_cells(released: Any, submitted: Any, nb_name: str) -> list[str]:
    """What a student changed in the locked and test cells of one notebook (empty: nothing)."""
    notes: list[str] = []
    by_id: dict[str, list[Any]] = {}
    for cell in submitted.cells:
        gid = _nbgrader(cell).get("grade_id")
        if gid:
            by_id.setdefault(str(gid), []).append(cell)
    release_ids = set()
    for cell in released.cells:
        meta = _nbgrader(cell)
        gid = meta.get("grade_id")
        if not gid:
            continue
        release_ids.add(gid)
        guarded = meta.get("locked") or (meta.get("grade") and not meta.get("solution"))
        found = by_id.get(gid, [])
        if len(found) > 1:
            notes.append(f"{nb_name}: cell {gid} appears {len(found)} times")
        if not guarded and not meta.get("grade"):
            continue
        if not found:
            if guarded:
                notes.append(f"{nb_name}: locked cell {gid} was deleted")
            continue
        sub = found[0]
        smeta = _nbgrader(sub)
        if meta.get("grade") and smeta.get("points") != meta.get("points"):
            notes.append(
                f"{nb_name}: points of {gid} changed from {meta.get('points')} to {smeta.get('points')}"
            )
        if not guarded:
            continue
        if sub.get("cell_type") != cell.get("cell_type"):
            notes.append(f"{nb_name}: locked cell {gid} changed type to {sub.get('cell_type')}")
        if _src(sub) != _src(cell):
            notes.append(f"{nb_name}: locked cell {gid} was edited")
        if meta.get("locked") and not smeta.get("locked"):
            notes.append(f"{nb_name}: cell {gid} was unlocked")
        if bool(smeta.get("grade")) != bool(meta.get("grade")) or bool(
            smeta.get("solution")
        ) != bool(meta.get("solution")):
            notes.append(f"{nb_name}: nbgrader role of cell {gid} was changed")
    for gid, cells in by_id.items():
        if gid not in release_ids and any(_nbgrader(c).get("grade") for c in cells):
            notes.append(f"{nb_name}: graded cell {gid} is not in the release")
    return notes


def scan_code(submitted: Any, released: Any, nb_name: str) -> list[str]:
    """Suspicious code in the cells a student wrote (locked cells are restored anyway)."""
    locked_sources = {_src(c) for c in released.cells}
    notes = []
    for index, cell in enumerate(submitted.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = _nbgrader(cell)
        src = _src(cell)
        if not src or src in locked_sources:
            continue
        where = meta.get("grade_id") or f"#{index + 1}"
        for pattern, why in SUSPICIOUS:
            m = re.search(pattern, src, flags=re.MULTILINE)
            if m:
                snippet = m.group(0).strip()[:40]
                notes.append(f"{nb_name}: cell {where} {why} ({snippet!r})")
    return notes


def inspect_submission(folder: Path, release_folder: Path) -> Inspection:
    """Check that every released notebook is present and readable, and look for tampering."""
    result = Inspection()
    if not folder.is_dir():
        result.fatal = f"no submission folder {folder.name}/"
        return result
    expected = sorted(p.name for p in release_folder.glob("*.ipynb"))
    present = sorted(p.name for p in folder.glob("*.ipynb"))
    for name in expected:
        path = folder / name
        if not path.is_file():
            others = [p for p in present if p not in expected]
            hint = f"; found {', '.join(others)} instead (renamed?)" if others else ""
            result.fatal = f"{name} is missing{hint}"
            return result
        nb, why = read_notebook(path)
        if why:
            result.fatal = why
            return result
        released = nbformat.read(str(release_folder / name), as_version=4)
        result.notes += compare_locked_cells(released, nb, name)
        result.notes += scan_code(nb, released, name)
        result.notebooks[name] = path
    return result


def sanitize(submitted: Any, released: Any) -> Any:
    """A copy of ``submitted`` that nbgrader can grade despite re-pointed or duplicated ids.

    For each grade id used by several cells, the cell whose text matches the release keeps its
    nbgrader metadata (else the first one); the others become plain cells. Graded cells unknown to
    the release also become plain cells. nbgrader then restores the missing locked cells itself.
    (Every such change is already reported by :func:`compare_locked_cells`.)
    """
    import copy

    nb = copy.deepcopy(submitted)
    release_src = {_nbgrader(c).get("grade_id"): _src(c) for c in released.cells
                   if _nbgrader(c).get("grade_id")}
    by_id: dict[str, list[Any]] = {}
    for cell in nb.cells:
        gid = _nbgrader(cell).get("grade_id")
        if gid:
            by_id.setdefault(str(gid), []).append(cell)
    for gid, cells in by_id.items():
        if gid not in release_src:
            keep = None
        else:
            keep = next((c for c in cells if _src(c) == release_src[gid]), cells[0])
        for cell in cells:
            if cell is not keep:
                cell.metadata.pop("nbgrader", None)
    return nb
