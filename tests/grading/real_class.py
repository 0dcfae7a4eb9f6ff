"""The four real assignments, each graded ONCE per test process for the feedback and Gradescope
tests (test_feedback_real.py, test_gradescope_real.py): the solution, the untouched release and
three plausible wrong answers of assignment_mutants.py (each losing a different part), graded in
one `aeutils grade --jobs 2 --device cpu` batch per assignment (mutants.grade_class).

Both test files run in the same pytest-xdist group ("grading", tests/xdist_groups.py), so the
cache below spares the second file a second batch: 20 graded runs in all, not 40.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from assignment_mutants import MUTANTS
from conftest import REPO
from mutants import grade_class

#: Three wrong answers per assignment, each in a different part; at least one fails a test cell
#: with hidden tests and one a visible check, so both kinds of message are read.
WRONG = {
    "ae1_bottleneck": ("pca_wrong_axis", "fit_no_autocast", "linear_too_few_epochs"),
    "ae2_sparse": ("l1_mean_for_sum", "kl_wrong_axis", "topk_handoff"),
    "ae3_denoising": ("gauss_no_clip", "mask_keeps_fraction", "loss_sum_not_mean"),
    "ae4_vae": ("kl_sign_flipped", "elbo_mean_for_sum", "iw_missing_log_K"),
}
IDS = sorted(WRONG)
_GRADED: dict[str, dict[str, Any]] = {}


def mutants_of(aid: str) -> list:
    by_name = {m.name: m for m in MUTANTS[aid]}
    return [by_name[name] for name in WRONG[aid]]


def graded_class(aid: str) -> dict[str, Any]:
    """grade_class's result for ``aid`` (graded the first time it is asked for in this process)."""
    if aid not in _GRADED:
        root = Path(tempfile.mkdtemp(prefix=f"real-class-{aid}-"))
        _GRADED[aid] = grade_class(aid, mutants_of(aid), root)
        print(f"\n{aid}: {_GRADED[aid]['students']} submissions graded in "
              f"{_GRADED[aid]['duration']:.0f} s (wall)")
    return _GRADED[aid]


def hidden_lines(aid: str) -> list[str]:
    """Hidden test lines of the source notebook, read with a regex of their own."""
    nb = nbformat.read(str(REPO / "solutions" / aid / f"{aid}.ipynb"), as_version=4)
    lines = []
    for cell in nb.cells:
        for block in re.findall(r"BEGIN HIDDEN TESTS[^\n]*\n(.*?)\n[^\n]*END HIDDEN TESTS",
                                cell.source, re.S):
            lines += [ln.strip() for ln in block.splitlines() if ln.strip()]
    assert lines, f"{aid} has no hidden tests"
    return lines


def source_lines(path: Path) -> set[str]:
    """Stripped lines of every cell of a notebook file."""
    nb = nbformat.read(str(path), as_version=4)
    return {ln.strip() for c in nb.cells for ln in c.source.splitlines() if ln.strip()}


def secret_for(aid: str, submitted: Path) -> list[str]:
    """Hidden lines that neither the release nor this student's submitted notebook shows
    (8+ characters): what no feedback or result of theirs may contain."""
    shown = source_lines(REPO / "assignments" / aid / f"{aid}.ipynb") | source_lines(submitted)
    return sorted({h for h in hidden_lines(aid) if len(h) >= 8 and h not in shown})


def shows_line(text: str, line: str) -> bool:
    """``line`` stands in ``text`` as code: a whole line, or (20+ characters) inside one."""
    if len(line) >= 20:
        return line in text
    return any(t.strip() == line for t in text.splitlines())
