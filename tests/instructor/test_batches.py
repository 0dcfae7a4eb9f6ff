"""Several batches on one machine: two courses at once both right, one course never twice.

Also the instructor's terminal: one progress line per submission, a summary, no library warnings.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import grading_corpus as corpus
import pytest
from conftest import context

from aeutils.instructor.config import CourseError
from aeutils.instructor.lock import CourseBusyError, claim_slots, course_lock

pytestmark = [pytest.mark.grading, pytest.mark.timeout(600)]

CLASS_A = {"alice_solution": 5.0, "carol_partial": 2.0, "abe_slow": 5.0}
CLASS_B = {"bob_untouched": 0.0, "dave_raises": 2.0, "yuri_reads_classmate": 3.0}
#: A right answer that takes 16 s (two cells of 8 s: the course's cell limit is 15 s): course A's
#: batch certainly still holds its lock when the second batch on course A starts (without it, a
#: fast batch could finish before the second one's Python has even started, and the refusal would
#: not be tested).
_NAP = "import time\ntime.sleep(8)"
SLOW = corpus.Case("abe_slow", corpus.nb_case(corpus._answers(
    corpus.ADD_OK, corpus.MEAN_OK, before_add=_NAP, before_mean=_NAP)), "graded", 5)


def _popen(course: Path, subs: Path) -> subprocess.Popen:
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    return subprocess.Popen([sys.executable, "-m", "aeutils", "--course", str(course), "grade",
                             str(subs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _class(root: Path, fixture_course: Path, name: str, students: dict) -> tuple[Path, Path]:
    course = root / name
    shutil.copytree(fixture_course, course)
    subs = root / f"{name}-submitted"
    corpus.build_class([c for c in [*corpus.CASES, SLOW] if c.student in students], subs,
                       context(course, subs))
    return course, subs


def _scores(course: Path) -> dict[str, float | None]:
    with (course / "grades.csv").open() as fh:
        return {r["student"]: float(r["score"]) if r["score"] else None for r in csv.DictReader(fh)}


def test_two_courses_at_once_and_one_course_refuses_a_second_batch(tmp_path, fixture_course):
    course_a, subs_a = _class(tmp_path, fixture_course, "course_a", CLASS_A)
    course_b, subs_b = _class(tmp_path, fixture_course, "course_b", CLASS_B)
    a = _popen(course_a, subs_a)
    lock = course_a / ".grading" / "batch.lock"
    deadline = time.monotonic() + 120
    while not (lock.is_file() and lock.read_text()) and time.monotonic() < deadline:
        assert a.poll() is None, a.communicate()
        time.sleep(0.2)
    b = _popen(course_b, subs_b)
    t0 = time.monotonic()
    second = _popen(course_a, subs_a)
    out, err = second.communicate(timeout=120)
    if second.returncode != 2:  # say what the first batch was doing meanwhile
        first = ("still running" if a.poll() is None
                 else f"exited {a.returncode}:\n{a.communicate()[1]}")
        raise AssertionError(f"a second batch on course_a was not refused ({out + err}); "
                             f"the first batch was {first}")
    assert time.monotonic() - t0 < 60
    assert f"being graded by aeutils grade batch pid {a.pid}" in err, err
    assert "wait until that batch has finished" in err
    out_a, err_a = a.communicate(timeout=500)
    out_b, err_b = b.communicate(timeout=500)
    assert a.returncode == 0 and b.returncode == 0, err_a + err_b
    assert _scores(course_a) == CLASS_A
    assert _scores(course_b) == CLASS_B
    # each gradebook holds its own class only
    from nbgrader.api import Gradebook

    for course, students in ((course_a, CLASS_A), (course_b, CLASS_B)):
        with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
            assert sorted(s.id for s in gb.students) == sorted(students)
            for student, score in students.items():
                assert gb.find_submission(corpus.ASSIGNMENT, student).code_score == score
    assert not lock.read_text()  # released, holder cleared
    # the terminal: one progress line per submission, a summary, no library noise
    for out, err, students in ((out_a, err_a, CLASS_A), (out_b, err_b, CLASS_B)):
        progress = [ln for ln in err.splitlines() if re.match(r"\[\d+/\d+\] ", ln)]
        assert len(progress) == len(students), err
        assert "Warning" not in err and "WARNING" not in err.replace(
            "WARNING: NOT isolated", ""), err
        assert re.search(rf"^{len(students)} submission\(s\): ", out, re.M), out
        assert len(err.splitlines()) <= len(students) + 2, err  # the start line (and not isolated)


def test_course_lock_refuses_a_second_holder_and_frees_on_exit(tmp_path):
    with course_lock(tmp_path):
        info = json.loads((tmp_path / ".grading" / "batch.lock").read_text())
        assert info["pid"] == os.getpid()
        with pytest.raises(CourseBusyError, match=rf"pid {os.getpid()} "):
            with course_lock(tmp_path):
                pass
    with course_lock(tmp_path):  # free again
        pass
    # a holder that dies without cleaning up leaves no stale lock (the OS drops flock locks)
    code = ("import sys, os; sys.path.insert(0, sys.argv[2]); "
            "from aeutils.instructor.lock import course_lock; from pathlib import Path; "
            "c = course_lock(Path(sys.argv[1])); c.__enter__(); os._exit(0)")
    import aeutils

    subprocess.run([sys.executable, "-c", code, str(tmp_path),
                    str(Path(aeutils.__file__).parent.parent)], check=True)
    with course_lock(tmp_path):
        pass


def test_sandbox_slots_are_not_shared_between_batches():
    with claim_slots(2) as first, claim_slots(3) as second:
        assert len(first) == 2 and len(second) == 3
        assert not set(first) & set(second)
    with claim_slots(2) as again:
        assert again == first  # released
    with pytest.raises(CourseError, match="sandbox slots"):
        with claim_slots(10_000):
            pass


def test_a_cluster_task_takes_a_slot_no_local_batch_holds():
    from aeutils.instructor.cluster import machine_slot

    with claim_slots(3) as local, machine_slot() as task, machine_slot() as other_task:
        assert task not in local and other_task not in local and task != other_task
    with machine_slot() as task:
        assert task == min(local)  # released, and one set of lock files for both
