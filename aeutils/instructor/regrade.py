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
from typing import Any

from traitlets.config import Config

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


def keep_manual_work(config: Config, result: dict[str, Any]) -> bool:
    """For a failed result: flag and keep the previous grading if it has manual work.

    Returns True when kept (``result['reason']`` then says so), False when there was none.
    """
    from nbgrader.api import Gradebook

    student, aid = result["student"], result["assignment"]
    with Gradebook(config.CourseDirectory.db_url) as gb:
        if not has_manual_work(gb, aid, student):
            return False
        for nb in gb.find_submission(aid, student).notebooks:
            nb.flagged = True
        gb.db.commit()
    if KEPT_NOTE not in result["reason"]:
        result["reason"] = f"{result['reason']}; {KEPT_NOTE}" if result["reason"] else KEPT_NOTE
    return True


def keep_failed_output(root: Path, result: dict[str, Any], workspace: Path | None) -> None:
    """Put what the failed run left under ``.grading/failed/``; ``autograded/`` stays as it was."""
    keep = root / ".grading" / "failed" / result["student"] / result["assignment"]
    if keep.exists():
        shutil.rmtree(keep)
    if workspace is not None:
        src = workspace / "course" / "autograded" / result["student"] / result["assignment"]
        if src.is_dir():
            shutil.copytree(src, keep)

