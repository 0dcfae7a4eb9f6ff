"""Regrading after manual grading: a grader's work is never lost to the autograder.

Two rules, applied when :func:`.grade.merge` stores a result:

* a ``--force`` regrade updates the autograded points but leaves every cell that a grader has
  scored by hand (``manual_score`` set in formgrader) as graded: it is not flagged again;
* a regrade that **fails** (the kernel died, a time limit, ...) keeps the submission's previous
  gradebook rows (autograded and manual scores, its ``autograded/`` notebook for formgrader) when a
  grader has already worked on it, and flags it; the batch still reports it as ``failed``, with
  the reason and a note that the previous grading was kept. Without manual work a failed
  submission is removed, as before, so nbgrader's export cannot turn it into a silent 0.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets.config import Config

if TYPE_CHECKING:
    from .job import Result

KEPT_NOTE = ("the gradebook keeps the previous grading with its manual scores (flagged for "
             "review); fix the cause and regrade")


def has_manual_work(gb: Any, assignment: str, student: str) -> bool:
    """True when a grader scored or commented any cell of this submission by hand."""
    from nbgrader.api import MissingEntry

    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return False
    for nb in sub.notebooks:
        if any(g.manual_score is not None for g in nb.grades):
            return True
        if any((c.manual_comment or "").strip() for c in nb.comments):
            return True
    return False


def keep_manual_work(config: Config, result: Result) -> bool:
    """For a failed result: flag and keep the previous grading if it has manual work.

    Returns True when kept (the stored result's reason then says so: :func:`kept_reason`), False
    when there was none.
    """
    from nbgrader.api import Gradebook

    with Gradebook(config.CourseDirectory.db_url) as gb:
        if not has_manual_work(gb, result.assignment, result.student):
            return False
        for nb in gb.find_submission(result.assignment, result.student).notebooks:
            nb.flagged = True
        gb.db.commit()
    return True


def kept_reason(reason: str) -> str:
    """``reason`` of a failed regrade whose previous grading was kept, with a note that says so."""
    if KEPT_NOTE in reason:
        return reason
    return f"{reason}; {KEPT_NOTE}" if reason else KEPT_NOTE


def keep_failed_output(root: Path, result: Result, workspace: Path | None) -> None:
    """Put what the failed run left under ``.grading/failed/``; ``autograded/`` stays as it was."""
    keep = root / ".grading" / "failed" / result.student / result.assignment
    if keep.exists():
        shutil.rmtree(keep)
    if workspace is not None:
        src = workspace / "course" / "autograded" / result.student / result.assignment
        if src.is_dir():
            shutil.copytree(src, keep)

