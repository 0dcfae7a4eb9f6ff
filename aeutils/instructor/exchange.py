"""Feedback back to students through nbgrader's exchange (``aeutils release-feedback``).

``aeutils feedback`` writes ``feedback/<student>/<id>/<notebook>.html`` without hidden tests.
nbgrader's ``release_feedback`` publishes each file under a hash of the student's submission
secret, so that only that student's ``nbgrader fetch_feedback`` (or the Assignments tab) finds it;
it reads ``submission_secret.txt`` and ``timestamp.txt`` beside the HTML. The grading sandbox
copies only notebooks, so this module copies those two files from the collected ``submitted/``
folder, checks the feedback once more for hidden tests (:func:`.feedback.leaks`), and calls
nbgrader's release.
"""

from __future__ import annotations

import contextlib
import io
import shutil

from traitlets.config import Config

from .config import CourseError, course_root, make_api
from .feedback import assignment_hidden, leaks, student_secret

SUBMISSION_FILES = ("submission_secret.txt", "timestamp.txt")


def release_feedback(config: Config, assignment: str) -> list[str]:
    """Release the feedback of ``assignment`` to the exchange; return the students it went to."""
    root = course_root(config)
    if not config.CourseDirectory.get("course_id"):
        raise CourseError("no course_id configured: set c.CourseDirectory.course_id in "
                          "nbgrader_config.py (students' exchange folders are per course)")
    submitted = root / config.CourseDirectory.get("submitted_directory", "submitted")
    hidden = assignment_hidden(config, assignment)
    students, problems = [], []
    for folder in sorted((root / "feedback").glob(f"*/{assignment}")):
        student = folder.parent.name
        html = sorted(folder.glob("*.html"))
        if not html:
            continue
        graded = root / "autograded" / student / assignment
        if any(leaks(p, student_secret(hidden, graded / f"{p.stem}.ipynb")) for p in html):
            problems.append(f"{folder}: contains hidden test code; not released "
                            "(regenerate it with `aeutils feedback`)")
            continue
        src = submitted / student / assignment
        if not (src / "submission_secret.txt").is_file():
            problems.append(f"{student}: no {src / 'submission_secret.txt'} (only submissions "
                            "collected with `nbgrader collect` from the exchange can get "
                            "feedback through it)")
            continue
        for name in SUBMISSION_FILES:
            shutil.copyfile(src / name, folder / name)
        students.append(student)
    api = make_api(config)
    for student in students:  # one by one: a student left out above cannot stop the others
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            res = api.release_feedback(assignment, student)
        if not res.get("success"):
            raise CourseError(f"nbgrader release_feedback failed for {student}: "
                              f"{str(res.get('error') or res)[-500:]}")
    if problems:
        raise CourseError("feedback not released for:\n" + "\n".join(problems)
                          + (f"\n(released to {', '.join(students)})" if students else ""))
    if not students:
        raise CourseError(f"no feedback for {assignment!r} in {root / 'feedback'}: run "
                          f"`aeutils feedback {assignment}` first")
    return students
