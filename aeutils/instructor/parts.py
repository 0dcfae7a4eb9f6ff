"""Every graded part of one graded notebook, with its points and why it lost any.

A *part* is one graded cell: an autograded test cell, or a written answer (or task) that a person
grades. Feedback (:mod:`.feedback`) and the Gradescope autograder (:mod:`.gradescope`) both show a
student each part with its points and, where it lost points, the failed check's message: what was
expected and what to look at (``aeutils.grading`` writes such messages), never a test's source.
A message that repeats a secret hidden line (:mod:`.hidden`) is replaced by a short note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .hidden import ANSI, HiddenTests, contains_secret, own_lines

AUTOGRADED, WRITTEN = "autograded", "written"
MAX_MESSAGE = 1500  # characters of a message kept (a check's message is a sentence or two)
HIDDEN_NOTE = "a hidden test failed (its details are not shown)"
NOT_ANSWERED = ("not answered yet: the code this part tests still raises NotImplementedError "
                "(replace `raise NotImplementedError()` with your answer)")


@dataclass(frozen=True)
class GradedPart:
    """One graded cell of a submission, as a student may see it.

    ``score`` is None for a written answer nobody has graded yet; ``message`` says why an
    autograded part lost points (empty when it kept them all); ``comment`` is a grader's comment.
    """

    notebook: str  # notebook name without ".ipynb"
    grade_id: str
    kind: str  # AUTOGRADED or WRITTEN
    max_score: float
    score: float | None
    hidden: bool = False  # an autograded part whose cell holds hidden tests
    message: str = ""
    comment: str = ""

    @property
    def lost_points(self) -> bool:
        return self.score is not None and self.score < self.max_score


def kind_of(cell: Any) -> str | None:
    """AUTOGRADED (test cell), WRITTEN (manually graded answer or task) or None (not graded)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("task") or (meta.get("grade") and meta.get("solution")):
        return WRITTEN
    if meta.get("grade") and cell.get("cell_type") == "code":
        return AUTOGRADED
    return None


def failure_message(cell: Any, secret: list[str]) -> str:
    """What a test cell's first error says (``Name: message``), without secret hidden lines."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return "this part's tests did not pass (they gave no message)"
    ename = str(errors[0].get("ename", "Error"))
    evalue = ANSI.sub("", str(errors[0].get("evalue", ""))).strip()
    if contains_secret(evalue, secret):
        return HIDDEN_NOTE
    if ename == "NotImplementedError":
        return NOT_ANSWERED
    text = f"{ename}: {evalue}" if evalue else f"{ename} (no message)"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " [...]"


def graded_parts(nb: Any, notebook: str, hidden: HiddenTests,
                 scores: Mapping[str, float | None] | None = None,
                 comments: Mapping[str, str] | None = None) -> list[GradedPart]:
    """The graded parts of an executed (autograded) notebook, in notebook order.

    ``scores`` maps grade_id to points (None: not graded yet); without it the points come from
    the cells' metadata, where nbgrader's ``GetGrades`` puts them for feedback (``score``,
    ``comment``). ``comments`` likewise maps grade_id to a grader's comment.
    """
    tests = hidden.in_notebook(notebook)
    secret = hidden.secret(own=own_lines(nb, tests))
    parts = []
    for cell in nb.get("cells", []):
        kind = kind_of(cell)
        if kind is None:
            continue
        meta = cell["metadata"]["nbgrader"]
        gid = meta["grade_id"]
        score = scores.get(gid) if scores is not None else meta.get("score")
        score = None if score is None else float(score)
        comment = (comments or {}).get(gid) if comments is not None else meta.get("comment")
        part = GradedPart(notebook=notebook, grade_id=gid, kind=kind,
                          max_score=float(meta.get("points") or 0), score=score,
                          hidden=gid in tests, comment=str(comment or "").strip())
        if kind == AUTOGRADED and part.lost_points:
            part = replace(part, message=failure_message(cell, secret))
        parts.append(part)
    return parts
