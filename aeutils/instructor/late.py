"""Late submissions: a stated, configurable penalty through nbgrader's own plugin hook.

nbgrader compares each submission's ``timestamp.txt`` (written by ``nbgrader submit``, kept by
``collect``) with the assignment's due date in the gradebook and, for a late one, asks the
:class:`~nbgrader.plugins.LateSubmissionPlugin` configured as
``c.AssignLatePenalties.plugin_class`` for a penalty in points. This course's plugin takes
``percent_per_day`` of the notebook's autograded points for every started day late, at most
``max_percent``. Set the due date with nbgrader::

    nbgrader db assignment add ae1_bottleneck --duedate "2026-12-08 17:00:00 UTC"

nbgrader computes the penalty when it autogrades, so it applies to the autograded points (points
given later by hand in formgrader are not reduced); nbgrader's export and the LMS CSV then show
``score = raw_score - late_submission_penalty``.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class PercentPerDayLate(LateSubmissionPlugin):
    """``percent_per_day`` of the score per started day late (default 10%), capped."""

    percent_per_day = Float(10.0, help="Percent of the score taken per started day late.").tag(
        config=True)
    max_percent = Float(100.0, help="Largest total penalty, percent of the score.").tag(
        config=True)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float | None:
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / 86400)
        return score * min(self.max_percent, self.percent_per_day * days) / 100.0


def copy_due_dates(course_db: str, template_db: str, assignments: list[str]) -> None:
    """Give the grading template's gradebook the course's due dates (workers compute lateness)."""
    import os

    from nbgrader.api import Gradebook, MissingEntry

    path = course_db.removeprefix("sqlite:///")
    if course_db.startswith("sqlite:///") and not os.path.isfile(path):
        return  # no course gradebook yet, so no due dates
    due = {}
    with Gradebook(course_db) as gb:
        for aid in assignments:
            try:
                due[aid] = gb.find_assignment(aid).duedate
            except MissingEntry:
                pass
    with Gradebook(template_db) as gb:
        for aid, when in due.items():
            if when is not None:
                gb.update_or_create_assignment(aid, duedate=when)
