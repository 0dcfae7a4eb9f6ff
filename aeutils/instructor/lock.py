"""Locks that let several grading batches share one machine.

* :func:`course_lock`: one batch per course at a time. A second ``aeutils grade`` on the same
  course **refuses at once** (it does not queue): its message names the batch that holds the lock
  (pid, user, start time, command), so a TA knows whom to ask or what to stop. Refusing was chosen
  over waiting because a queued batch would grade against a gradebook that the first one is
  still changing (its resume state would be stale), and an instructor who starts a batch expects
  to see it run. The lock is an ``fcntl`` lock on ``<course>/.grading/batch.lock``: the OS drops it
  when the holder dies, so a crashed batch never leaves a stale lock behind.
* :func:`claim_slots`: sandbox uids are machine-wide. Batches of *different* courses run at the
  same time, and each kernel slot ``k`` runs as uid ``61000 + k``; two batches both using slot 0
  would share one uid, and with it one process limit (a fork bomb in one course would starve the
  other). Each batch therefore claims free slots with one lock file per slot; a Dask worker's
  grading task claims its slot from the same files (:func:`aeutils.instructor.cluster.machine_slot`).
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .config import CourseError

LOCK_NAME = "batch.lock"
#: Sandbox slots available on one machine (uids 61000 .. 61000 + MAX_SLOTS - 1).
MAX_SLOTS = 100


class CourseBusyError(CourseError):
    """Another batch is grading this course."""


class SlotsBusyError(CourseError):
    """Fewer sandbox slots are free on this machine than a batch asked for."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another aeutils grade batch"
    return (f"aeutils grade batch pid {info.get('pid')} (user {info.get('user')}, started "
            f"{info.get('started')}, command: {info.get('command')})")


@contextlib.contextmanager
def course_lock(root: Path) -> Iterator[Path]:
    """Hold the course's batch lock for the ``with`` block, or raise :class:`CourseBusyError`."""
    state = root / ".grading"
    state.mkdir(parents=True, exist_ok=True)
    path = state / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CourseBusyError(
                f"this course ({root}) is being graded by {_holder(path)}. Two batches on one "
                "course would overwrite each other's gradebook rows, so this one stops: wait "
                "until that batch has finished (it prints a summary line), then run this "
                "command again; it skips what is already graded") from None
        info = {"pid": os.getpid(), "user": getpass.getuser(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                "command": " ".join(sys.argv)[:300]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


SLOT_DIR = "aeutils-grading-slots"


def _slot_dir() -> Path:
    """``/run/lock/aeutils-grading-slots`` (else under the temporary folder): a folder only this
    user may use, so nobody else can hold a slot's lock or plant a link in its place."""
    for base in (Path("/run/lock"), Path(tempfile.gettempdir())):
        if base.is_dir() and os.access(base, os.W_OK):
            folder = base / SLOT_DIR
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
            if folder.is_symlink() or info.st_uid != os.geteuid() or info.st_mode & 0o077:
                raise CourseError(f"{folder} must be a folder of uid {os.geteuid()} with mode 0700; "
                                  "remove it (no batch is using it) and grade again")
            return folder
    raise CourseError("no writable /run/lock or temporary folder for the sandbox slot locks")


@contextlib.contextmanager
def claim_slots(n: int) -> Iterator[list[int]]:
    """Claim ``n`` sandbox slots no other batch on this machine uses, for the ``with`` block."""
    held: list[tuple[int, int]] = []
    base = _slot_dir()
    try:
        for slot in range(MAX_SLOTS):
            if len(held) == n:
                break
            fd = os.open(base / f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            held.append((slot, fd))
        if len(held) < n:
            raise SlotsBusyError(
                f"only {len(held)} of the {MAX_SLOTS} sandbox slots of this machine are free, "
                f"{n} needed: other batches are running; use fewer --jobs or wait for them")
        yield [slot for slot, _ in held]
    finally:
        for _, fd in held:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


@contextlib.contextmanager
def quiet_library_warnings() -> Iterator[None]:
    """Keep nbgrader's and SQLAlchemy's warnings off the instructor's terminal.

    nbgrader's gradebook code triggers ``SAWarning: Object of type <SubmittedNotebook> not in
    session`` when it creates submissions; it is harmless and the instructor can do nothing
    about it. Everything a batch has to say goes through its own progress lines and reports.
    """
    import warnings

    with warnings.catch_warnings():
        try:
            from sqlalchemy.exc import SAWarning

            warnings.simplefilter("ignore", SAWarning)
        except ImportError:  # pragma: no cover - nbgrader depends on SQLAlchemy
            pass
        warnings.filterwarnings("ignore", module=r"nbgrader(\.|$)")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"traitlets|jupyter")
        yield
