"""Pre-flight of ``aeutils grade``: a broken set-up stops the batch at once, with its fix.

Each case runs the real command with an interpreter set up the broken way (a small venv without
pip whose ``.pth`` line adds this environment's site-packages, so nothing is reinstalled) and
checks: non-zero exit within 60 s, a message naming the problem and the fix, and nothing scored.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import grading_corpus as corpus
import pytest
from conftest import REPO

from aeutils.instructor.sandbox import sandbox_tool

pytestmark = pytest.mark.grading

SITE = sysconfig.get_paths()["purelib"]
ISOLATED = pytest.mark.skipif(
    sandbox_tool() is None, reason="needs root with unshare and setpriv: the sandbox user is what "
    "cannot read the environment, and only root can switch to it")


def _side_venv(where: Path, site_dir: str) -> Path:
    """A venv at ``where`` whose packages are this environment's, reached through ``site_dir``."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    purelib = subprocess.run(
        [str(where / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
         "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "course.pth").write_text(f"import site; site.addsitedir({site_dir!r})\n")
    return where / "bin" / "python"


def _course_and_class(fixture_course: Path, tmp: Path) -> tuple[Path, Path]:
    course = tmp / "course"
    shutil.copytree(fixture_course, course)
    sub = tmp / "submitted" / "alice" / corpus.ASSIGNMENT
    sub.mkdir(parents=True)
    shutil.copy(course / "assignments" / corpus.ASSIGNMENT / corpus.NB, sub / corpus.NB)
    return course, tmp / "submitted"


def _grade(python: Path, course: Path, subs: Path, path: str) -> tuple[subprocess.CompletedProcess,
                                                                       float]:
    # The hand-written sandbox: these set-ups break it (its kernel's uid must reach the files).
    # bwrap runs as root and mounts the environment wherever it is (docs/sandbox.md).
    env = {**os.environ, "PATH": path, "AEUTILS_SANDBOX": "unshare"}
    t0 = time.monotonic()
    proc = subprocess.run([str(python), "-m", "aeutils", "--course", str(course), "grade",
                           str(subs)], capture_output=True, text=True, timeout=120, env=env)
    return proc, time.monotonic() - t0


def _assert_nothing_scored(course: Path) -> None:
    assert not (course / "grades.csv").exists()
    assert not (course / ".grading" / "results").exists()
    assert not (course / "autograded").exists()
    if (course / "gradebook.db").exists():
        from nbgrader.api import Gradebook, SubmittedAssignment

        with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
            assert gb.db.query(SubmittedAssignment).count() == 0
            assert not gb.students


def _blocking(path: Path) -> Path:
    """The first folder above ``path`` that other users cannot enter."""
    return next(f for f in reversed(path.parents) if not f.stat().st_mode & 0o001)


def _venv_path() -> str:
    return os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin"


@pytest.fixture
def home_700():
    """A mode-700 folder in root's home, like the measured case (not hidden by the sandbox)."""
    folder = Path(tempfile.mkdtemp(prefix="aeutils-preflight-", dir=Path.home()))
    os.chmod(folder, 0o700)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def readable_dir():
    """A folder every user can enter (in build/, outside /tmp which the sandbox hides)."""
    (REPO / "build").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="preflight-", dir=REPO / "build"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@ISOLATED
def test_a_environment_under_a_mode_700_folder(fixture_course, tmp_path, home_700):
    python = _side_venv(home_700 / "venv", SITE)
    course, subs = _course_and_class(fixture_course, tmp_path)
    proc, took = _grade(python, course, subs, _venv_path())
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert took < 60, took
    err = proc.stderr
    assert "pre-flight check failed, nothing was graded" in err, err
    # the slot (uid 61000 + k) is whichever one is free: other batches of the suite hold some
    assert re.search(r"a test kernel in the grading sandbox \(running as uid 610\d\d,", err), err
    assert "No module named ipykernel_launcher" in err.split("aeutils grade: error:")[1], err
    folder = _blocking(home_700 / "venv")
    line = next(ln for ln in err.splitlines() if f"{folder} (mode drwx------) cannot be" in ln)
    assert f"cannot reach {home_700 / 'venv'}" in line and f"chmod o+x {folder}" in line, err
    _assert_nothing_scored(course)


@ISOLATED
def test_b_packages_the_sandbox_user_cannot_import(fixture_course, tmp_path, home_700,
                                                   readable_dir):
    # the interpreter is readable; its packages sit behind a mode-700 folder (like a
    # `pip install --user` into root's home)
    hidden_site = home_700 / "lib" / "site-packages"
    hidden_site.parent.mkdir()
    hidden_site.symlink_to(SITE)
    python = _side_venv(readable_dir / "venv", str(hidden_site))
    course, subs = _course_and_class(fixture_course, tmp_path)
    proc, took = _grade(python, course, subs, _venv_path())
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert took < 60, took
    err = proc.stderr
    # the slot (uid 61000 + k) is whichever one is free: other batches of the suite hold some
    assert re.search(r"a test kernel in the grading sandbox \(running as uid 610\d\d,", err), err
    folder = _blocking(hidden_site)
    line = next(ln for ln in err.splitlines() if f"{folder} (mode drwx------) cannot be" in ln)
    assert str(hidden_site) in line and f"chmod o+x {folder}" in line, err
    assert f"cannot reach {readable_dir}" not in err, err  # the interpreter itself is fine
    _assert_nothing_scored(course)


def test_c_alembic_missing_from_path(fixture_course, tmp_path, readable_dir):
    assert shutil.which("alembic", path="/usr/bin:/bin") is None, "the system has its own alembic"
    python = _side_venv(readable_dir / "venv", SITE)
    course, subs = _course_and_class(fixture_course, tmp_path)
    proc, took = _grade(python, course, subs, "/usr/bin:/bin")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert took < 60, took
    err = proc.stderr
    assert "`alembic` is not on PATH" in err, err
    assert f"export PATH={os.path.dirname(sys.executable)}:$PATH" in err, err
    assert "Fix the source notebook" not in err  # the old, misleading message
    _assert_nothing_scored(course)


@ISOLATED
def test_kernel_check_catches_what_the_file_checks_miss(tmp_path):
    """The test kernel itself: fine as the batch sets it up, dead when site-packages is hidden."""
    from aeutils.instructor.launcher import BASE_UID, KernelLimits, SandboxSpec
    from aeutils.instructor.lock import claim_slots
    from aeutils.instructor.preflight import check_kernel
    from aeutils.instructor.sandbox import sandbox_views

    base = Path(tempfile.mkdtemp(prefix="aeg-"))
    os.chmod(base, 0o711)
    # a slot of its own, as a batch claims one: another worker of the suite may be grading
    with claim_slots(1) as (slot,):
        try:
            hide, expose = sandbox_views([str(base)])  # what a batch hides and exposes
            good = SandboxSpec(sandbox_base=str(base), hide=hide, expose=expose,
                               limits=KernelLimits(memory_mb=2048), slot=slot)

            async def from_a_running_loop() -> list[str]:  # as in a notebook
                return check_kernel(good, tmp_path / "ok")

            try:  # in the whole suite, Playwright's sync API has left a loop running in this thread
                asyncio.get_running_loop()
                assert check_kernel(good, tmp_path / "ok") == []
            except RuntimeError:
                assert asyncio.run(from_a_running_loop()) == []
            bad = SandboxSpec(sandbox_base=str(base), hide=[SITE],
                              limits=KernelLimits(memory_mb=2048), slot=slot)
            t0 = time.monotonic()
            problems = check_kernel(bad, tmp_path / "bad")
            assert time.monotonic() - t0 < 45
            assert len(problems) == 1 and "test kernel in the grading sandbox" in problems[0]
            assert f"uid {BASE_UID + slot}" in problems[0] and "chmod -R o+rX" in problems[0]
            # The kernel's own words, when they were captured: once in a loaded CI run under bwrap the
            # log was still empty when the death was seen (the problem and its fix were reported).
            # Under bwrap only exposed folders exist, so where the environment lives in a folder
            # the sandbox replaces (a clone under /tmp) the interpreter itself is missing.
            words = ("No module named", "failed to execute")
            assert "(it said: " not in problems[0] or any(w in problems[0] for w in words), \
                problems[0]
        finally:
            shutil.rmtree(base, ignore_errors=True)
