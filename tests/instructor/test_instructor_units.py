"""Unit tests (no kernel, no nbgrader run) of the grading pipeline's pure functions."""

from __future__ import annotations

import re

import nbformat
import pytest

from aeutils.instructor.feedback import split_hidden
from aeutils.instructor.grader import _reason_from_log
from aeutils.instructor.integrity import compare_locked_cells, sanitize, scan_code


def _cell(source: str, gid: str | None = None, *, cell_type: str = "code", grade: bool = False,
          solution: bool = False, locked: bool = False, points: float | None = None):
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if gid:
        meta = {"grade_id": gid, "grade": grade, "solution": solution, "locked": locked}
        if points is not None:
            meta["points"] = points
        cell.metadata["nbgrader"] = meta
    return cell


def _release():
    """intro (locked), answer cell ``add`` (solution), test ``test_add`` (2 points, locked)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("import math", "intro", locked=True),
        _cell("def add(a, b):\n    raise NotImplementedError()", "add", solution=True),
        _cell("assert add(1, 2) == 3", "test_add", grade=True, locked=True, points=2),
    ]
    return nb


def _submission(answer: str = "def add(a, b):\n    return a + b"):
    nb = _release()
    nb.cells[1].source = answer
    return nb


# -- compare_locked_cells ---------------------------------------------------------------------
def test_an_answered_notebook_has_no_tampering_notes():
    assert compare_locked_cells(_release(), _submission(), "hw.ipynb") == []


def test_each_kind_of_tampering_is_named():
    sub = _submission()
    sub.cells[2].source = "pass"  # edited test
    sub.cells[2].metadata["nbgrader"]["points"] = 100
    sub.cells[0].metadata["nbgrader"]["locked"] = False  # unlocked intro
    notes = compare_locked_cells(_release(), sub, "hw.ipynb")
    assert "hw.ipynb: locked cell test_add was edited" in notes
    assert "hw.ipynb: points of test_add changed from 2 to 100" in notes
    assert "hw.ipynb: cell intro was unlocked" in notes


def test_deleted_duplicated_and_foreign_graded_cells():
    sub = _submission()
    sub.cells = [sub.cells[0], sub.cells[1], sub.cells[1].copy(),
                 _cell("assert True", "test_extra", grade=True, points=5)]
    notes = compare_locked_cells(_release(), sub, "hw.ipynb")
    assert "hw.ipynb: locked cell test_add was deleted" in notes
    assert "hw.ipynb: cell add appears 2 times" in notes
    assert "hw.ipynb: graded cell test_extra is not in the release" in notes


def test_a_changed_role_is_reported():
    sub = _submission()
    sub.cells[2].metadata["nbgrader"]["solution"] = True  # the test cell made an answer cell
    notes = compare_locked_cells(_release(), sub, "hw.ipynb")
    assert any("nbgrader role of cell test_add was changed" in n for n in notes), notes


# -- scan_code --------------------------------------------------------------------------------
def test_scan_finds_suspicious_code_in_student_cells_only():
    release = _release()
    release.cells[0].source = "import subprocess"  # locked cells are restored: never flagged
    sub = _submission("import socket\ndef add(a, b):\n    return a + b")
    sub.cells[0].source = "import subprocess"
    notes = scan_code(sub, release, "hw.ipynb")
    assert notes == ["hw.ipynb: cell add uses the network or starts programs ('socket')"]


def test_scan_leaves_a_plain_answer_alone_and_names_unnamed_cells_by_position():
    assert scan_code(_submission(), _release(), "hw.ipynb") == []
    sub = _submission()
    sub.cells.append(_cell("get_ipython().events.register('pre_run_cell', print)"))
    notes = scan_code(sub, _release(), "hw.ipynb")
    assert notes and all(n.startswith("hw.ipynb: cell #4 ") for n in notes)
    assert any("reaches into IPython" in n for n in notes)


# -- sanitize ---------------------------------------------------------------------------------
def test_sanitize_keeps_the_cell_that_matches_the_release_and_drops_impostors():
    sub = _submission()
    impostor = _cell("pass", "test_add", grade=True, locked=True, points=2)
    sub.cells.insert(2, impostor)  # a duplicate id before the real test cell
    sub.cells.append(_cell("assert True", "test_extra", grade=True, points=5))
    clean = sanitize(sub, _release())
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in clean.cells]
    assert ids == ["intro", "add", None, "test_add", None]
    assert clean.cells[3].source == "assert add(1, 2) == 3"
    assert sub.cells[2].metadata["nbgrader"]["grade_id"] == "test_add"  # the input is untouched


# -- split_hidden -----------------------------------------------------------------------------
def test_split_hidden_separates_hidden_blocks():
    source = ("assert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\nassert add(5, 5) == 10\n\n"
              "### END HIDDEN TESTS\nprint('visible')")
    shown, hidden = split_hidden(source)
    assert shown == "assert add(1, 2) == 3\nprint('visible')"
    assert hidden == ["assert add(5, 5) == 10"]
    assert split_hidden("assert True") == ("assert True", [])


# -- the reason a notebook could not be autograded ----------------------------------------------
def test_reason_from_log_names_the_cause():
    assert _reason_from_log("... DeadKernelError: Kernel died", None) == (
        "the kernel died while running the notebook")
    assert _reason_from_log("nbclient CellTimeoutError: cell timed out", None) == (
        "a cell did not stop after its time limit")
    assert _reason_from_log("UnresponsiveKernelError", None) == (
        "the kernel did not start or respond")
    log = "[INFO] fine\n[ERROR] There was an error processing hw.ipynb\n[ERROR] second"
    assert _reason_from_log(log, None) == "There was an error processing hw.ipynb"
    assert _reason_from_log("", "Traceback\nValueError: bad") == "ValueError: bad"
    assert _reason_from_log("", None) == "nbgrader could not autograde it"


def test_the_probe_sees_a_grading_helper_changed_in_the_package_or_its_modules():
    """Test cells call the package's names (``grading.check_close``), which come from its modules
    (``aeutils.grading.checks``): a change in either place is a finding, run in a fresh process
    as a student's kernel would have it."""
    import subprocess
    import sys

    script = """
import aeutils.grading as grading, aeutils.grading.checks as checks
from aeutils.instructor import probe
print(probe.report())
grading.check_close = lambda *a, **k: None
print(probe.report())
checks._refuse = lambda *a: None
print(probe.report())
"""
    clean, rebound, private = subprocess.run([sys.executable, "-c", script], capture_output=True,
                                             text=True, check=True).stdout.splitlines()
    assert clean == "[]"
    assert "aeutils.grading.check_close was replaced or modified" in rebound
    assert "aeutils.grading._refuse was replaced or modified" in private


@pytest.mark.parametrize("days_late, percent", [
    (0, None), (0.01, 10), (1.0, 10), (1.01, 20), (2.5, 30), (3.0, 30), (4.2, 35), (30, 35)])
def test_late_penalty_per_started_day_up_to_its_cap(days_late, percent):
    """nbgrader's late plugin as configured here: 10% per started day, at most 35% of the score
    (one second past a day is a second day; the cap holds however late)."""
    from aeutils.instructor.late import PercentPerDayLate

    plugin = PercentPerDayLate(percent_per_day=10.0, max_percent=35.0)
    penalty = plugin.late_submission_penalty("s", 20.0, days_late * 86400)
    assert penalty == (None if percent is None else pytest.approx(20.0 * percent / 100))


@pytest.mark.parametrize("text, says", [
    (None, "does not exist"), ("name\nAda\n", "no `id` column"), ("id,name\n,Ada\n", "line 2: empty id"),
    ("id\nada\nbob\nada\n", "listed twice: ada")])
def test_a_bad_roster_says_what_is_wrong_and_where(tmp_path, text, says):
    from aeutils.instructor.config import CourseError
    from aeutils.instructor.roster import read_roster

    path = tmp_path / "students.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(CourseError, match=re.escape(says)):
        read_roster(path)


def test_export_says_why_it_has_nothing_to_export(fixture_course, tmp_path, capsys):
    """`aeutils export` on a folder that is no course, on a released course with no students
    yet, and to an --out that is a file: each an error that says what to do, and no CSV; with
    the class list in, every student is a row and their ungraded work says 'missing'."""
    import shutil

    from aeutils.cli import main

    def export(course, *more) -> tuple[int, str]:
        code = main(["--course", str(course), "export", *more])
        return code, capsys.readouterr().err

    not_a_course = tmp_path / "elsewhere"
    shutil.copytree(fixture_course, not_a_course, ignore=shutil.ignore_patterns("gradebook.db"))
    code, err = export(not_a_course)
    assert code == 2 and "no gradebook in" in err and "--course" in err, err
    assert not (not_a_course / "gradebook.db").exists()  # reading made no empty gradebook
    course = tmp_path / "course"
    shutil.copytree(fixture_course, course)
    code, err = export(course)
    assert code == 2 and "lists no students" in err and "aeutils roster" in err, err
    code, err = export(course, "--out", str(course / "nbgrader_config.py"))
    assert code == 2 and "is a file" in err, err
    assert not list(course.glob("grades-*.csv"))
    (tmp_path / "students.csv").write_text("id,first_name\nada,Ada\nbob,Bob\n")
    assert main(["--course", str(course), "roster", str(tmp_path / "students.csv")]) == 0
    assert export(course)[0] == 0
    rows = (course / "grades-lms.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["ada", "bob"]
    assert all(r.endswith(",missing") for r in rows[1:]), rows
