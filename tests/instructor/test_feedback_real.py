"""`aeutils feedback` on the four real assignments: every graded student gets a file, none holds a
secret hidden line, each lists every graded part with its points and, where a part lost points,
the failed check's message; a secret line planted in a grader's comment is still caught.

The classes are graded once per process (real_class.py: the class test_real_assignments.py grades,
shared with test_gradescope_real.py): the solution, the release and every packed submission.
Before the fix, the last check deleted every file of every real assignment: a hidden line such as
``with torch.no_grad():`` also stands, visibly, in the release.
"""

from __future__ import annotations

import html
import re
import shutil

import nbformat
import pytest
from conftest import REPO, aeutils_cli
from real_class import IDS, hidden_lines, secret_for, shown_students, shows_line, source_lines

from aeutils.instructor.feedback import html_text
from aeutils.instructor.parts import HIDDEN_NOTE, NOT_ANSWERED

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1800)]


def _rows(path):
    """grade_id -> (points, what to look at) of the graded-parts table, in table order."""
    raw = path.read_text(encoding="utf-8")
    table = re.search(r'<table class="aeutils-parts">(.*?)</table>', raw, re.S)
    assert table, f"{path} has no table of graded parts"
    rows = re.findall(r'<tr class="aeutils-part" data-grade-id="([^"]+)"><td>.*?</td>'
                      r"<td>(.*?)</td><td>(.*?)</td></tr>", table.group(1), re.S)
    return {html.unescape(g): (html.unescape(p), html.unescape(w)) for g, p, w in rows}


def _graded_cells(aid):
    """grade_ids of the source notebook's graded cells, in order (tests and written answers)."""
    nb = nbformat.read(str(REPO / "solutions" / aid / f"{aid}.ipynb"), as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")]


def _expected_message(autograded, gid, secret):
    """What the failed test cell's error says, read from the autograded notebook."""
    cell = next(c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
    err = next(o for o in cell.outputs if o.output_type == "error")
    if err.ename == "NotImplementedError":
        return NOT_ANSWERED
    if any(s in err.evalue for s in secret):
        return HIDDEN_NOTE
    return f"{err.ename}: {err.evalue}".strip()


@pytest.mark.parametrize("aid", IDS)
def test_feedback_for_every_graded_student_without_secret_lines(real_class, aid):
    graded = real_class(aid)
    course, subs = graded["course"], graded["course"].parent / "submitted"
    proc = graded["feedback"].result()  # `aeutils feedback ID` exited 0: nothing removed
    files = sorted((course / "feedback").glob(f"*/{aid}/*.html"))
    students = sorted(s for s, r in graded["results"].items() if r["status"] != "failed")
    assert [f.parts[-3] for f in files] == students and len(students) == graded["students"]
    assert f"wrote {len(files)} feedback file(s)" in proc.stdout
    checked = 0
    for f in files:
        secret = secret_for(aid, subs / f.parts[-3] / aid / f"{aid}.ipynb")
        text, raw = html_text(f), f.read_text(encoding="utf-8")
        leaked = [s for s in secret if shows_line(text, s) or shows_line(raw, s)]
        assert not leaked, f"{f} shows hidden test code: {leaked[:3]}"
        checked += len(secret)
    # what the old check tripped over: hidden lines that the release also shows stay visible
    release = source_lines(REPO / "assignments" / aid / f"{aid}.ipynb")
    shared = [h for h in hidden_lines(aid) if h in release and len(h) >= 8]
    assert shared and any(shows_line(html_text(f), h) for f in files for h in shared)
    print(f"\n{aid}: {len(files)} feedback files, {checked} (file, secret line) pairs checked, "
          f"none shown; hidden lines also in the release, kept: {sorted(set(shared))}")


@pytest.mark.parametrize("aid", IDS)
def test_feedback_lists_every_part_and_why_points_were_lost(real_class, aid):
    graded = real_class(aid)
    course, subs = graded["course"], graded["course"].parent / "submitted"
    graded["feedback"].result()  # `aeutils feedback ID`, run once the class was graded
    order = _graded_cells(aid)
    for student, result in graded["results"].items():
        rows = _rows(course / "feedback" / student / aid / f"{aid}.html")
        assert list(rows) == order, f"{student}: parts listed {list(rows)}, expected {order}"
        cells = result["cells"][aid]["grades"]
        autograded = nbformat.read(str(course / "autograded" / student / aid / f"{aid}.ipynb"),
                                   as_version=4)
        secret = secret_for(aid, subs / student / aid / f"{aid}.ipynb")
        for gid, (points, what) in rows.items():
            g = cells[gid]
            if g["cell_type"] == "markdown":  # a written answer: nobody graded it yet
                assert points == f"not graded yet / {g['max_score']:g}" or student == "release"
                assert what.startswith("written answer")
                continue
            assert points == f"{g['auto_score']:g} / {g['max_score']:g}", (student, gid)
            if g["auto_score"] < g["max_score"]:
                assert what == _expected_message(autograded, gid, secret), (student, gid)
            else:
                assert what == "all checks passed"
    for name in shown_students(aid, graded)[2:]:  # each reads the message of the check it failed
        rows = _rows(course / "feedback" / name / aid / f"{aid}.html")
        lost = {g: w for g, (p, w) in rows.items() if p.startswith("0 /")}
        assert lost, f"{name}: no part lost points"
        for gid, what in lost.items():
            assert what and "gave no message" not in what and "(no message)" not in what, (name, gid)
            print(f"{aid}/{name} {gid}: {what[:160]}")


def test_a_planted_hidden_line_still_removes_the_file(real_class, tmp_path):
    """A grader pastes a hidden test line into a comment: that student's file is deleted, the
    instructor is told which file and line, every other student still gets theirs."""
    from nbgrader.api import Gradebook

    aid = IDS[0]
    graded = real_class(aid)
    course = tmp_path / "course"
    shutil.copytree(graded["course"], course, ignore=shutil.ignore_patterns("feedback"))
    student = shown_students(aid, graded)[2]
    secret = secret_for(aid, graded["course"].parent / "submitted" / student / aid / f"{aid}.ipynb")
    planted = max(secret, key=len)
    written = next(g for g in _graded_cells(aid) if g.startswith("written"))
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        gb.find_comment(written, aid, aid, student).manual_comment = f"Compare: {planted}"
        gb.db.commit()
    proc = aeutils_cli("--course", str(course), "feedback", aid, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    target = course / "feedback" / student / aid / f"{aid}.html"
    assert f"{target}: removed, it contained hidden test code" in proc.stderr
    assert not target.exists()
    others = sorted((course / "feedback").glob(f"*/{aid}/*.html"))
    assert [f.parts[-3] for f in others] == sorted(
        s for s, r in graded["results"].items() if s != student and r["status"] != "failed")
