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
from mutants import Submission, cases_of, grade_class

#: Three wrong answers per assignment, each in a different part; at least one fails a test cell
#: with hidden tests and one a visible check, so both kinds of message are read.
WRONG = {
    "ae1_bottleneck": ("decoder_sign", "angles_handoff", "fit_no_autocast"),
    "ae2_sparse": ("sparse_loss_unweighted", "resample_scale_constant", "too_few_epochs"),
    "ae3_denoising": ("sp_pepper_third", "bert_rate_020", "loss_sum_not_mean"),
    "ae4_vae": ("elbo_handoff", "iw_mean_of_log_weights", "too_few_epochs"),
}
IDS = sorted(WRONG)
_GRADED: dict[str, dict[str, Any]] = {}


def mutants_of(aid: str) -> list:
    by_name = {m.name: m for m in MUTANTS[aid]}
    missing = [name for name in WRONG[aid] if name not in by_name]
    assert not missing, (f"real_class.WRONG names {missing} for {aid}, which assignment_mutants.py "
                         f"no longer has (it has {sorted(by_name)}): pick others, each in a different part")
    return [by_name[name] for name in WRONG[aid]]


def graded_class(aid: str) -> dict[str, Any]:
    """grade_class's result for ``aid`` (graded the first time it is asked for in this process)."""
    if aid not in _GRADED:
        root = Path(tempfile.mkdtemp(prefix=f"real-class-{aid}-"))
        alone = [Submission(case.name, [case]) for case in cases_of(aid, mutants_of(aid), [])]
        _GRADED[aid] = grade_class(aid, alone, root)  # one student per wrong answer, named after it
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
    """Hidden lines that neither the release nor this student's submitted notebook shows, as a
    line or inside one (8+ characters): what no feedback or result of theirs may contain."""
    shown = source_lines(REPO / "assignments" / aid / f"{aid}.ipynb") | source_lines(submitted)
    text = "\n".join(shown)
    return sorted({h for h in hidden_lines(aid) if len(h) >= 8 and h not in shown
                   and not re.search(r"(?<!\w)" + re.escape(h) + r"(?!\w)", text)})


def shows_line(text: str, line: str) -> bool:
    """``line`` stands in ``text`` as code: a whole line, or (20+ characters) inside one."""
    if len(line) >= 20:
        return line in text
    return any(t.strip() == line for t in text.splitlines())
