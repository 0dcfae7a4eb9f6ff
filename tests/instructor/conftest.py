"""Shared fixtures of the grading-pipeline tests: a fixture course, a class of submissions."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURE_COURSE = REPO / "tests" / "fixtures" / "grading" / "course"
sys.path.insert(0, str(HERE))

import grading_corpus as corpus  # noqa: E402


def aeutils_cli(*args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``python -m aeutils ARGS`` the way an instructor would; return the finished process."""
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    proc = subprocess.run([sys.executable, "-m", "aeutils", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"aeutils {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr[-4000:]}")
    return proc


def tree_digest(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file below ``folder``."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def released_course(dest: Path) -> Path:
    """A copy of the fixture course with its assignment released (as an instructor would)."""
    shutil.copytree(FIXTURE_COURSE, dest, ignore=shutil.ignore_patterns(
        "gradebook.db", "assignments", ".grading", "__pycache__"))
    aeutils_cli("--course", str(dest), "release")
    return dest


def context(course: Path, submissions: Path, port: int = 0) -> dict:
    rel = nbformat.read(str(course / "assignments" / corpus.ASSIGNMENT / corpus.NB), as_version=4)
    return {
        "release_nb": rel, "course": course, "submissions": submissions, "port": port,
        "solution_nb": course / "solutions" / corpus.ASSIGNMENT / corpus.NB,
        "classmate_nb": submissions / "alice_solution" / corpus.ASSIGNMENT / corpus.NB,
    }


def sandbox_processes(course: Path | None = None) -> list[str]:
    """Processes still running as a sandbox uid (61000+), or with a grading kernel's environment
    (AEUTILS_GRADING=1, as the kernel and whatever it starts get even when grading is NOT
    isolated): there must be none after grading.

    With ``course``, only what that course's batch left: the other pytest-xdist worker may be
    grading another course right now, under other slots' uids (or, later, the same ones). A
    process counts when its environment carries the course's batch label, or when it runs as a
    sandbox uid without another batch's label (one that emptied its environment counts: only
    this course's corpus is hostile).
    """
    from aeutils.instructor.launcher import BASE_UID, batch_label
    from aeutils.instructor.lock import MAX_SLOTS

    mine = batch_label(course).encode() if course is not None else None
    out = subprocess.run(["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        uid, pid = (int(f) for f in line.split()[:2])
        if pid == os.getpid():
            continue
        env = _environment(pid)
        grading = b"AEUTILS_GRADING=1" in env
        if mine is not None:
            label = next((v.partition(b"=")[2] for v in env if v.startswith(b"AEUTILS_GRADING_BATCH=")),
                         None)
            if label not in (None, b"", mine):
                continue  # another course's batch
        if BASE_UID <= uid < BASE_UID + MAX_SLOTS or grading:
            found.append(line)
    return found


def _environment(pid: int) -> list[bytes]:
    """The ``NAME=value`` entries of a process's environment; [] when gone or not readable (another
    user's process is readable only by root)."""
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def corpus_cases() -> list:
    """The cases graded here: without the sandbox, those that rely on it are left out."""
    from aeutils.instructor.sandbox import sandbox_tool

    isolated = sandbox_tool() is not None
    return [c for c in corpus.CASES if isolated or not c.needs_isolation]


@pytest.fixture(scope="session")
def fixture_course(tmp_path_factory) -> Path:
    """A released copy of the fixture course (read-only use: copy it to grade)."""
    return released_course(tmp_path_factory.mktemp("released") / "course")


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory, fixture_course):
    """The whole corpus of submissions graded in ONE batch with two jobs."""
    root = tmp_path_factory.mktemp("corpus")
    course = root / "course"
    shutil.copytree(fixture_course, course)
    subs = root / "submitted"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    ctx = context(course, subs, listener.getsockname()[1])
    corpus.build_class(corpus_cases(), subs, ctx)
    before = tree_digest(subs)
    course_before = tree_digest(course)
    t0 = time.monotonic()
    proc = aeutils_cli("--course", str(course), "grade", str(subs), "--jobs", "2",
                       "--out", str(course / "grades.csv"), check=False)
    duration = time.monotonic() - t0
    listener.close()
    return {
        "proc": proc, "course": course, "subs": subs, "duration": duration,
        "before": before, "course_before": course_before,
        "report": corpus.read_report(course / "grades.json") if proc.returncode == 0 else None,
    }


@pytest.fixture(scope="session")
def real_class(request, tmp_path_factory):
    """aid -> that real assignment's graded class (real_class.py), graded the first time a test of
    this process asks for it.

    When the feedback tests run in this session, `aeutils feedback ID` starts in the background as
    soon as a class is graded, while the next class grades: its result is ``graded["feedback"]``,
    a future of the finished process (one core converts the notebooks to HTML, one by one)."""
    from real_class import grade_real_class

    done: dict[str, dict] = {}
    wants_feedback = any(item.path.name == "test_feedback_real.py" for item in request.session.items)
    background = ThreadPoolExecutor(max_workers=1)
    request.addfinalizer(lambda: background.shutdown(wait=True, cancel_futures=True))

    def graded(aid: str) -> dict:
        if aid not in done:
            done[aid] = grade_real_class(aid, tmp_path_factory.mktemp(f"real-class-{aid}"))
            if wants_feedback:
                done[aid]["feedback"] = background.submit(
                    aeutils_cli, "--course", str(done[aid]["course"]), "feedback", aid)
        return done[aid]

    return graded
