"""nbgrader's own commands and the gradebook I/O of grading, called in one place each (a bottom
module: it imports only .config).

``release``, the grading template and the grading batch all generate an assignment through
:func:`generate`; the grader process runs :func:`autograde` and reads its throw-away gradebook with
:func:`read_grades`; the batch writes each result into the course gradebook with
:func:`write_grades`.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets.config import Config

from .config import CourseError, make_api

if TYPE_CHECKING:
    from .job import Result


def generate(config: Config, assignment: str) -> Path:
    """Run nbgrader generate_assignment for one assignment with ``config``; return its folder."""

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        api = make_api(config)
        api.log.setLevel(logging.ERROR)
        api.log.propagate = False
        result = api.generate_assignment(assignment, force=True)
    if not result.get("success"):
        reasons = [ln.strip() for ln in str(result.get("log", "")).splitlines() if "Error:" in ln]
        raise CourseError(
            f"nbgrader could not generate {assignment!r} from {config.CourseDirectory.root}: "
            f"{reasons[-1] if reasons else 'see the log below'}\n"
            "Fix the source notebook (open it in JupyterLab and use Validate), then release again."
            + ("" if reasons else "\n" + str(result.get("log", "")))
        )
    return Path(config.CourseDirectory.root) / config.CourseDirectory.release_directory / assignment


def autograde(config: Config, assignment: str, student: str) -> tuple[dict[str, Any], str]:
    """nbgrader's autograde of one student's submission with ``config``: its answer, and what it
    printed."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        api = make_api(config)
        out = api.autograde(assignment, student, force=True, create=True)
    return out, buf.getvalue()


def read_grades(db_url: str, assignment: str, student: str) -> dict[str, Any]:
    """Per notebook and cell: auto score, max score, whether it is a test cell, manual pending."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, Any] = {}
    with Gradebook(db_url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return out
        for nb in sub.notebooks:
            cells = {}
            for g in nb.grades:
                cells[g.name] = {
                    "auto_score": g.auto_score,
                    "max_score": float(g.max_score),
                    "cell_type": g.cell_type,
                    "needs_manual_grade": bool(g.needs_manual_grade),
                }
            comments = {c.name: c.auto_comment for c in nb.comments}
            out[nb.name] = {"grades": cells, "comments": comments,
                            "late_submission_penalty": nb.late_submission_penalty}
    return out


def write_grades(db_url: str, result: Result, known: bool) -> None:
    """The result's rows in the course gradebook at ``db_url`` (none for a failed one, or for an
    assignment the course does not ``known``)."""
    from nbgrader.api import Gradebook, MissingEntry

    student, aid = result.student, result.assignment
    with Gradebook(db_url) as gb:
        if result.status == "failed" or not known:
            with contextlib.suppress(MissingEntry):
                gb.remove_submission(aid, student)
            return
        gb.update_or_create_student(student)
        when = result.timestamp  # the submission's time (late penalties), when known
        sub = gb.update_or_create_submission(aid, student, **({"timestamp": when} if when else {}))
        for nb in sub.notebooks:
            data = result.cells.get(nb.name)
            if not data:
                continue
            for g in nb.grades:
                src_grade = data["grades"].get(g.name)
                if src_grade is not None:
                    g.auto_score = src_grade["auto_score"]
                    if g.manual_score is None:  # a grader's score stands (see regrade.py)
                        g.needs_manual_grade = src_grade["needs_manual_grade"]
            for c in nb.comments:
                c.auto_comment = data["comments"].get(c.name)
            nb.flagged = result.status == "needs review"
            nb.late_submission_penalty = data.get("late_submission_penalty")
        gb.db.commit()
