"""Regrading after manual grading keeps the grader's scores (``--force`` and a failed regrade)."""

from __future__ import annotations

import shutil

import grading_corpus as corpus
import nbformat
import pytest
from conftest import aeutils_cli, context
from nbgrader.api import Gradebook, MissingEntry

pytestmark = [pytest.mark.grading, pytest.mark.timeout(600)]

STUDENTS = ["alice_solution", "carol_partial"]


def _grade_written(db: str, student: str, score: float) -> None:
    """What a grader does in formgrader: score the written answer, add a comment."""
    with Gradebook(db) as gb:
        g = gb.find_grade("written", "fx_basics", corpus.ASSIGNMENT, student)
        g.manual_score = score
        g.needs_manual_grade = False
        c = gb.find_comment("written", "fx_basics", corpus.ASSIGNMENT, student)
        c.manual_comment = "Good point about the bottleneck."
        gb.db.commit()


def _written(db: str, student: str):
    with Gradebook(db) as gb:
        g = gb.find_grade("written", "fx_basics", corpus.ASSIGNMENT, student)
        sub = gb.find_submission(corpus.ASSIGNMENT, student)
        return (g.manual_score, g.needs_manual_grade, sub.score,
                any(nb.flagged for nb in sub.notebooks))


def test_force_regrade_and_failed_regrade_keep_manual_scores(tmp_path, fixture_course):
    course = tmp_path / "course"
    shutil.copytree(fixture_course, course)
    subs = tmp_path / "submitted"
    corpus.build_class([c for c in corpus.CASES if c.student in STUDENTS], subs,
                       context(course, subs))
    for student in STUDENTS:  # both write an answer (an untouched one scores 0 automatically)
        path = subs / student / corpus.ASSIGNMENT / corpus.NB
        nb = nbformat.read(str(path), as_version=4)
        corpus._cell(nb, "written").source = "The bottleneck forces it to keep what matters."
        nbformat.write(nb, str(path))
    db = "sqlite:///" + str(course / "gradebook.db")
    aeutils_cli("--course", str(course), "grade", str(subs))
    assert _written(db, "carol_partial")[:2] == (None, True)  # waiting for a grader
    _grade_written(db, "carol_partial", 0.5)

    aeutils_cli("--course", str(course), "grade", str(subs), "--force")
    assert _written(db, "carol_partial") == (0.5, False, 2.5, False)
    assert _written(db, "alice_solution")[:2] == (None, True)  # not graded by hand: still open

    # both submissions now fail to grade: carol's manual work survives, alice's row goes
    for student in STUDENTS:
        (subs / student / corpus.ASSIGNMENT / corpus.NB).write_text("{ not json")
    proc = aeutils_cli("--course", str(course), "grade", str(subs))
    csv = (course / "grades.csv").read_text()
    assert "carol_partial,fx_basics,,5,failed" in csv, csv
    assert "keeps the previous grading with its manual scores" in csv
    assert _written(db, "carol_partial") == (0.5, False, 2.5, True)  # kept, flagged
    assert (course / "autograded" / "carol_partial" / corpus.ASSIGNMENT / corpus.NB).is_file()
    with Gradebook(db) as gb, pytest.raises(MissingEntry):
        gb.find_submission(corpus.ASSIGNMENT, "alice_solution")
    assert not (course / "autograded" / "alice_solution" / corpus.ASSIGNMENT).exists()
    assert "2 failed" in proc.stdout
