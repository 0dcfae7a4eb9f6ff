"""Parallel grading equals sequential grading; regrading is deterministic; Ctrl-C resumes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import grading_corpus as corpus
import pytest
from conftest import aeutils_cli, context, sandbox_processes, tree_digest

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1200)]

SUBSET = ["alice_solution", "bob_untouched", "carol_partial", "dave_raises", "erin_invalid_json"]


@pytest.fixture(scope="module")
def small_class(tmp_path_factory, fixture_course):
    root = tmp_path_factory.mktemp("parallel")
    subs = root / "submitted"
    ctx = context(fixture_course, subs)
    corpus.build_class([c for c in corpus.CASES if c.student in SUBSET], subs, ctx)
    return root, subs


def _course(root, fixture_course, name):
    course = root / name
    shutil.copytree(fixture_course, course)
    return course


@pytest.fixture(scope="module")
def one_job(small_class, fixture_course):
    """The reference: the small class graded with one job, uninterrupted (course, csv, seconds)."""
    root, subs = small_class
    course = _course(root, fixture_course, "c_seq")
    t0 = time.monotonic()
    aeutils_cli("--course", str(course), "grade", str(subs), "--jobs", "1",
                "--out", str(root / "one.csv"))
    return course, (root / "one.csv").read_text(), time.monotonic() - t0


def test_two_jobs_equal_one_job_and_regrade_is_identical(small_class, one_job):
    root, subs = small_class
    before = tree_digest(subs)
    course, one, one_seconds = one_job
    t1 = time.monotonic()
    aeutils_cli("--course", str(course), "grade", str(subs), "--jobs", "2", "--force",
                "--out", str(root / "two.csv"))
    t2 = time.monotonic()
    print(f"\n{len(SUBSET)} submissions: 1 job {one_seconds:.0f} s, 2 jobs {t2 - t1:.0f} s")
    assert one == (root / "two.csv").read_text()
    assert "alice_solution,fx_basics,5,5,graded" in one
    assert "bob_untouched,fx_basics,0,5,graded" in one
    assert tree_digest(subs) == before


def test_interrupted_batch_resumes(small_class, fixture_course, one_job):
    root, subs = small_class
    course = _course(root, fixture_course, "c_resume")
    results = course / ".grading" / "results" / corpus.ASSIGNMENT
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aeutils", "--course", str(course), "grade", str(subs),
         "--out", str(root / "resume.csv")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # as from an instructor's terminal: a suite started in the background of a
        # non-interactive shell passes SIGINT down ignored, and then Ctrl-C could not work
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 600
    # wait until at least one submission that needs a kernel is graded, then press Ctrl-C
    while time.monotonic() < deadline and proc.poll() is None:
        if results.is_dir() and any(results.glob("*.json")):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "resume" in err
    done = sorted(p.stem for p in results.glob("*.json"))
    assert 0 < len(done) < len(SUBSET)
    assert sandbox_processes(course) == []
    # the rerun grades only what is left and ends with the same grades as an uninterrupted run
    again = aeutils_cli("--course", str(course), "grade", str(subs),
                        "--out", str(root / "resume.csv"))
    assert f"{len(done)} already graded" in again.stderr
    assert (root / "resume.csv").read_text() == one_job[1]
    assert len((root / "resume.csv").read_text().splitlines()) == len(SUBSET) + 1
