"""Every bad and hostile submission of the corpus, graded in one batch through real nbgrader."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess

import grading_corpus as corpus
import nbformat
import pytest
from conftest import aeutils_cli, corpus_cases, sandbox_processes, tree_digest

from aeutils.instructor.sandbox import sandbox_tool

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1200)]

ISOLATED = sandbox_tool() is not None


def _result(run, student):
    assert run["report"] is not None, run["proc"].stderr[-3000:]
    found = [r for r in run["report"]["results"] if r["student"] == student]
    assert len(found) == 1, f"{student} missing from the report"
    return found[0]


def test_batch_finishes_and_reports_everyone(corpus_run):
    proc = corpus_run["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    students = {r["student"] for r in corpus_run["report"]["results"]}
    assert students == {c.student for c in corpus_cases()}
    assert len(corpus_cases()) >= 15
    print(f"\ncorpus of {len(corpus.CASES)} graded with 2 jobs in {corpus_run['duration']:.0f} s")


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda c: c.student)
def test_case_outcome(corpus_run, case):
    if case.needs_isolation and not ISOLATED:
        pytest.skip("needs root with unshare/setpriv for the sandbox")
    res = _result(corpus_run, case.student)
    assert res["status"] == case.status, res["reason"]
    assert res["score"] == case.score, res["reason"]
    for piece in (case.reason,) if isinstance(case.reason, str) else case.reason:
        assert piece.lower() in res["reason"].lower(), (piece, res["reason"])
    if res["status"] == "failed":
        assert res["reason"], "a failed submission needs a reason"
    if res["status"] != "failed":
        assert res["max_score"] == 5


def test_csv_never_turns_a_failure_into_zero(corpus_run):
    rows = list(csv.DictReader((corpus_run["course"] / "grades.csv").open()))
    assert {r["status"] for r in rows} == {"graded", "needs review", "failed"}
    for row in rows:
        if row["status"] == "failed":
            assert row["score"] == "" and row["reason"], row
        else:
            assert row["score"] != "", row
        assert "\n" not in row["reason"]


def test_originals_and_course_untouched(corpus_run):
    assert tree_digest(corpus_run["subs"]) == corpus_run["before"]
    course = corpus_run["course"]
    assert not (course / "evil.txt").exists()
    now = tree_digest(course / "solutions")
    assert now == {k[len("solutions/"):]: v for k, v in corpus_run["course_before"].items()
                   if k.startswith("solutions/")}


def test_no_process_survives_the_batch(corpus_run):
    assert sandbox_processes(corpus_run["course"]) == []


def test_a_surviving_grading_process_would_be_seen(tmp_path):
    """The check above is real with or without root: a process with a grading kernel's
    environment is found (isolated kernels also by their sandbox uid), and the check of one
    course sees its own batch's processes, not another course's."""
    from aeutils.instructor.launcher import batch_label

    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    started = {}
    for name, course in (("ours", ours), ("theirs", theirs)):
        env = {**os.environ, "AEUTILS_GRADING": "1", "AEUTILS_GRADING_BATCH": batch_label(course)}
        started[name] = subprocess.Popen(["sleep", "60"], env=env)
    pids = {name: str(proc.pid) for name, proc in started.items()}
    try:
        everywhere = {line.split()[1] for line in sandbox_processes()}
        assert {pids["ours"], pids["theirs"]} <= everywhere
        mine = {line.split()[1] for line in sandbox_processes(ours)}
        assert pids["ours"] in mine and pids["theirs"] not in mine
    finally:
        for proc in started.values():
            proc.kill()
            proc.wait()
    assert not set(pids.values()) & {line.split()[1] for line in sandbox_processes()}


def test_default_device_is_auto_and_recorded(corpus_run):
    """The corpus is graded without --device: the GPU when the machine has one, else the CPU,
    recorded for the batch and for every submission."""
    import torch

    want = "cuda" if torch.cuda.is_available() else "cpu"
    report = corpus_run["report"]
    assert report is not None, corpus_run["proc"].stderr[-3000:]
    assert report["device"] == want
    assert {r["device"] for r in report["results"]} == {want}


def test_output_flood_is_cut(corpus_run):
    nb = corpus_run["course"] / "autograded" / "oscar_output_flood" / corpus.ASSIGNMENT / corpus.NB
    assert nb.stat().st_size < 200_000, nb.stat().st_size
    text = nb.read_text()
    assert "flood 0" in text and "flood 199999" not in text


def test_main_gradebook_holds_graded_not_failed(corpus_run):
    from nbgrader.api import Gradebook

    course = corpus_run["course"]
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        subs = {s.student.id: s for s in gb.find_assignment(corpus.ASSIGNMENT).submissions}
        by_student = {r["student"]: r for r in corpus_run["report"]["results"]}
        for student, res in by_student.items():
            if res["status"] == "failed":
                assert student not in subs
            else:
                tests = [g for nb in subs[student].notebooks for g in nb.grades
                         if g.name.startswith("test_")]
                assert sum(g.auto_score for g in tests) == res["score"]
                flagged = any(nb.flagged for nb in subs[student].notebooks)
                assert flagged == (res["status"] == "needs review")


def _hidden_lines(course):
    """Hidden test lines, read straight from the source notebook (independent of the code)."""
    nb = nbformat.read(str(course / "solutions" / corpus.ASSIGNMENT / corpus.NB), as_version=4)
    lines = []
    for cell in nb.cells:
        for block in re.findall(r"BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            lines += [ln.strip() for ln in block.splitlines() if ln.strip()]
    assert lines and all(any(m in ln for ln in lines) for m in corpus.HIDDEN_MARKERS)
    return lines


def test_feedback_has_no_hidden_tests(corpus_run):
    course = corpus_run["course"]
    aeutils_cli("--course", str(course), "feedback", corpus.ASSIGNMENT)
    files = sorted((course / "feedback").rglob("*.html"))
    graded = {r["student"] for r in corpus_run["report"]["results"] if r["status"] != "failed"}
    assert {f.parts[-3] for f in files} == graded
    hidden = _hidden_lines(course)
    from aeutils.instructor.feedback import html_text

    for f in files:
        raw = f.read_text()
        text = html_text(f)
        for line in hidden:
            assert line not in text and line not in raw, f"{f}: {line}"
        for marker in corpus.HIDDEN_MARKERS:
            assert marker not in raw, f"{f}: {marker}"
    # the check above can fail: the visible test and the student's answer are in the feedback
    alice = html_text(course / "feedback" / "alice_solution" / corpus.ASSIGNMENT /
                      corpus.NB.replace(".ipynb", ".html"))
    assert 'check_close(add(2, 3), 5, name="add(2, 3)")' in alice
    # the student who captured the hidden test at run time gets its print removed
    zara = course / "autograded" / "zara_leaks_hidden" / corpus.ASSIGNMENT / corpus.NB
    assert corpus.HIDDEN_MARKERS[0] in zara.read_text(), "the leak attempt did capture the test"


def test_report_json_matches_csv(corpus_run):
    rows = {r["student"]: r for r in csv.DictReader((corpus_run["course"] / "grades.csv").open())}
    data = json.loads((corpus_run["course"] / "grades.json").read_text())
    assert data["summary"]["failed"] == sum(r["status"] == "failed" for r in rows.values())
    for res in data["results"]:
        assert rows[res["student"]]["status"] == res["status"]
