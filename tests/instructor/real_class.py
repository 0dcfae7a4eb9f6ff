"""Each real assignment's class, graded ONCE per test process and read by three test files
(test_real_assignments.py, test_feedback_real.py, test_gradescope_real.py): the solution, the
untouched release and packed submissions holding every wrong answer of assignment_mutants.py and
every independent answer of independent_answers.py, in one `aeutils grade --jobs 2 --device cpu`
batch per assignment (mutants.grade_class).

The three files run in the same pytest-xdist group ("grading", tests/xdist_groups.py), so the
`real_class` fixture (tests/instructor/conftest.py) grades each class once: before, the feedback and
Gradescope tests graded a second, five-student class of their own.
"""

from __future__ import annotations

import keyword
import os
import re
from pathlib import Path
from typing import Any

import nbformat
from assignment_mutants import MUTANTS
from conftest import REPO
from independent_answers import ANSWERS
from mutants import Case, cases_of, grade_class, pack

#: AEUTILS_GRADE_MUTANTS=0 grades only the solution and the release (`make test-portable`: the
#: thresholds again with other CPU kernels; the answers' tests then skip)
WITH_MUTANTS = os.environ.get("AEUTILS_GRADE_MUTANTS", "1") != "0"

IDS = sorted(p.name for p in (REPO / "solutions").glob("*")
             if p.is_dir() and (p / f"{p.name}.ipynb").is_file())
CASES: dict[str, list[Case]] = {aid: cases_of(aid, MUTANTS.get(aid, []), ANSWERS) for aid in IDS}

#: Three wrong answers per assignment whose submissions the feedback and Gradescope tests read,
#: each in a different part; at least one fails a test cell with hidden tests and one a visible
#: check, so both kinds of message are read.
WRONG = {
    "ae1_bottleneck": ("decoder_sign", "angles_handoff", "fit_no_autocast"),
    "ae2_sparse": ("sparse_loss_unweighted", "resample_scale_constant", "too_few_epochs"),
    "ae3_denoising": ("sp_pepper_third", "bert_rate_020", "loss_sum_not_mean"),
    "ae4_vae": ("elbo_handoff", "iw_mean_of_log_weights", "too_few_epochs"),
}


def grade_real_class(aid: str, root: Path) -> dict[str, Any]:
    """grade_class's result for ``aid``'s class, graded in ``root``."""
    subs = pack(CASES[aid]) if WITH_MUTANTS else []
    graded = grade_class(aid, subs, root)
    print(f"\n{aid}: {len(CASES[aid]) if WITH_MUTANTS else 0} answers in {len(subs)} submissions "
          f"(+ solution, release) graded in {graded['duration']:.0f} s (wall)")
    return graded


def shown_students(aid: str, graded: dict[str, Any]) -> list[str]:
    """The solution, the release and the submissions holding WRONG[aid]'s answers."""
    names = {c.name for c in CASES[aid]}
    missing = [name for name in WRONG[aid] if name not in names]
    assert not missing, (f"real_class.WRONG names {missing} for {aid}, which assignment_mutants.py "
                         f"no longer has (it has {sorted(m.name for m in MUTANTS[aid])}): pick "
                         "others, each in a different part")
    return ["solution", "release", *sorted({graded["where"][name] for name in WRONG[aid]})]


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
    line or inside one (8+ characters, not only keywords): what no feedback or result of theirs
    may contain."""
    shown = source_lines(REPO / "assignments" / aid / f"{aid}.ipynb") | source_lines(submitted)
    text = "\n".join(shown)
    return sorted({h for h in hidden_lines(aid) if len(h) >= 8 and h not in shown and _names_something(h)
                   and not (h in text and re.search(r"(?<!\w)" + re.escape(h) + r"(?!\w)", text))})


def _names_something(line: str) -> bool:
    """Not only Python keywords (``finally:`` stands in every traceback through library code)."""
    return any(not keyword.iskeyword(w) for w in re.findall(r"[A-Za-z_]\w*", line))


def shows_line(text: str, line: str) -> bool:
    """``line`` stands in ``text`` as code: a whole line, or (20+ characters) inside one, not as
    the start or end of a longer name (``= s * r`` is not shown by a student's ``= s * residual``)."""
    if line not in text:  # the plain search first: most lines are absent (a regex over a whole
        return False      # feedback page took 1.6 s per file)
    if len(line) >= 20:
        return re.search(r"(?<!\w)" + re.escape(line) + r"(?!\w)", text) is not None
    return any(t.strip() == line for t in text.splitlines())
