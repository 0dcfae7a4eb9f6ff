"""The class loop through nbgrader's exchange, without a hub: what docs/hub.md tells instructors.

release_assignment -> students fetch, work, submit (one on time, one late, one never) ->
collect -> roster -> aeutils grade -> manual grades -> aeutils export -> feedback released ->
students fetch it. The hub end-to-end test (tests/hub/) does the same through JupyterHub.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import grading_corpus as corpus
import nbformat
import pytest
from conftest import aeutils_cli

pytestmark = [pytest.mark.grading, pytest.mark.timeout(600)]

BIN = Path(sys.executable).parent
COURSE_ID = "autoencoders"


def _run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _student(home: Path, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` as the student whose home is ``home``.

    Without a hub everything runs as one OS user here, so ``--student`` names the student (on a
    hub nbgrader takes the user's own login name; tests/hub/ runs as real users).
    """
    env = {**os.environ, "USER": home.name, "LOGNAME": home.name, "HOME": str(home),
           "PATH": f"{BIN}:{os.environ['PATH']}"}
    return _run([str(BIN / "nbgrader"), *args, f"--course={COURSE_ID}",
                 f"--Exchange.root={exchange}", f"--student={home.name}"], home, env)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _work(home: Path, add: str, mean: str) -> None:
    path = home / corpus.ASSIGNMENT / corpus.NB
    nb = nbformat.read(str(path), as_version=4)
    corpus._cell(nb, "add").source = add
    corpus._cell(nb, "mean_of").source = mean
    corpus._cell(nb, "written").source = f"My answer, by {home.name}."
    nbformat.write(nb, str(path))


def _readable_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*"))
                     if p.is_file())


def test_class_loop_through_the_exchange(tmp_path, fixture_course):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o777)  # nbgrader's exchange is world-writable (docs/hub.md)
    os.environ["AEUTILS_EXCHANGE_ROOT"] = str(exchange)  # for aeutils_cli and the nbgrader calls
    try:
        _loop(tmp_path, fixture_course, exchange)
    finally:
        del os.environ["AEUTILS_EXCHANGE_ROOT"]


def _loop(tmp_path: Path, fixture_course: Path, exchange: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(fixture_course, course)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    _run([str(BIN / "nbgrader"), "release_assignment", corpus.ASSIGNMENT], course, env)

    homes = {s: tmp_path / "home" / s for s in ("alice", "carol", "dan")}
    for home in homes.values():
        home.mkdir(parents=True)
        _student(home, exchange, "fetch_assignment", corpus.ASSIGNMENT)
        assert (home / corpus.ASSIGNMENT / corpus.NB).is_file()
    _work(homes["alice"], corpus.ADD_OK, corpus.MEAN_OK)
    _student(homes["alice"], exchange, "submit", corpus.ASSIGNMENT)
    time.sleep(1.5)
    due = _now()  # alice before the due date, carol after it; dan never submits
    time.sleep(1.5)
    _work(homes["carol"], corpus.ADD_OK, corpus.MEAN_WRONG)
    _student(homes["carol"], exchange, "submit", corpus.ASSIGNMENT)

    _run([str(BIN / "nbgrader"), "db", "assignment", "add", corpus.ASSIGNMENT,
          f"--duedate={due}"], course, env)
    _run([str(BIN / "nbgrader"), "collect", corpus.ASSIGNMENT], course, env)
    roster = tmp_path / "students.csv"
    roster.write_text("id,first_name,last_name,email\nalice,Alice,A,a@x.org\n"
                      "carol,Carol,C,c@x.org\ndan,Dan,D,d@x.org\n")
    out = aeutils_cli("--course", str(course), "roster", str(roster)).stdout
    assert "3 student(s)" in out
    aeutils_cli("--course", str(course), "grade", str(course / "submitted"))
    grades = (course / "grades.csv").read_text()
    assert "alice,fx_basics,5,5,graded" in grades and "carol,fx_basics,2,5,graded" in grades

    db = "sqlite:///" + str(course / "gradebook.db")
    from nbgrader.api import Gradebook

    with Gradebook(db) as gb:
        assert gb.find_submission(corpus.ASSIGNMENT, "alice").total_seconds_late == 0
        assert gb.find_submission(corpus.ASSIGNMENT, "carol").total_seconds_late > 0
    lms = _export(course)
    assert lms["alice"] == "needs grading" and lms["dan"] == "missing"  # written answers open

    with Gradebook(db) as gb:  # the grader, in formgrader
        for student, points in (("alice", 1.0), ("carol", 0.5)):
            g = gb.find_grade("written", "fx_basics", corpus.ASSIGNMENT, student)
            g.manual_score = points
            g.needs_manual_grade = False  # what formgrader's grade handler does
        gb.db.commit()
    lms = _export(course)
    assert lms == {"alice": "6", "carol": "2.3", "dan": "missing"}  # 2 + 0.5, 10% of 2 off
    with (course / "grades-nbgrader.csv").open() as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["carol"]["late_submission_penalty"]) == pytest.approx(0.2)
    assert float(rows["carol"]["raw_score"]) == 2.5 and float(rows["alice"]["score"]) == 6

    aeutils_cli("--course", str(course), "feedback", corpus.ASSIGNMENT)
    out = aeutils_cli("--course", str(course), "release-feedback", corpus.ASSIGNMENT).stdout
    assert "released to 2 student(s): alice, carol" in out
    for name, home in homes.items():
        _student(home, exchange, "fetch_feedback", corpus.ASSIGNMENT)
        got = sorted((home / corpus.ASSIGNMENT / "feedback").glob("*/*.html"))
        if name == "dan":
            assert got == []
            continue
        assert len(got) == 1, got
        text = got[0].read_text()
        assert f"My answer, by {name}." in text  # their own work, nobody else's
        assert not any(f"My answer, by {o}." in text for o in homes if o != name)
    # nothing a student can read holds a hidden test: their folders and the exchange
    for folder in (*homes.values(), exchange):
        text = _readable_text(folder)
        for marker in corpus.HIDDEN_MARKERS:
            assert marker not in text, (folder, marker)


def _export(course: Path) -> dict[str, str]:
    aeutils_cli("--course", str(course), "export")
    with (course / "grades-lms.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["student_id", "last_name", "first_name", "email", "fx_basics (6)"]
    return {r["student_id"]: r["fx_basics (6)"] for r in rows}
