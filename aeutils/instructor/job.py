"""The contract for grading ONE submission: a :class:`Job` in, a :class:`Result` out.

The batch (:mod:`.grade`, or a Dask task of :mod:`.cluster`) builds a Job with :func:`job_for`
and runs it with :func:`run_in_process`: a ``python -m aeutils.instructor.grader JOB.json``
process (:mod:`.grader`) that writes ``result.json`` beside it. Both travel as JSON; a Result's
JSON is also what the batch stores under ``.grading/results/`` and writes into ``grades.json``,
so :meth:`Result.to_dict` keeps the keys those files have always had.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .launcher import KernelLimits, die_with_parent
from .sandbox import isolation_summary

#: The folder that holds the ``aeutils`` package: on each grader process's PYTHONPATH, so that a batch
#: started from a checkout grades with that checkout's code, installed or not.
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class Setup:
    """What every job of a batch shares on the machine that grades it."""

    #: folder with ``gradebook.db`` (the template gradebook, hidden tests included), ``release/``
    #: and ``extras/`` (:mod:`.template`)
    template: str
    #: the course whose ``nbgrader_config.py`` the grader process loads
    course_root: str
    #: root-only folder under which the sandboxes' private folders are made
    sandbox_base: str
    #: folder under which each job gets its workspace (root-only: the kernel cannot see it)
    work: str
    #: paths the sandbox hides from the kernel, and the ones it shows again (:func:`.sandbox.sandbox_views`)
    hide: tuple[str, ...]
    expose: tuple[str, ...]
    #: BLAS/OpenMP threads of each kernel
    threads: int
    #: whether kernels run in a sandbox, and which one ("bwrap", "unshare"; None: not isolated)
    isolate: bool
    tool: str | None
    #: the kernel's resource limits (:func:`.config.sandbox_limits`)
    limits: KernelLimits
    #: seconds the whole grading process may take before it is killed
    timeout_s: int
    #: AEUTILS_DEVICE of the kernels ("cpu" or "cuda"; "auto" only before a Dask worker resolves it)
    device: str = "cpu"
    #: AEUTILS_GRADING_BATCH of the kernels (:func:`.launcher.batch_label`)
    batch: str = ""


@dataclass(frozen=True)
class Job:
    """Everything one grading process needs to grade one submission (see :class:`Setup` for the
    fields it shares with its batch)."""

    student: str
    assignment: str
    #: folder with the student's notebooks (and ``timestamp.txt`` when nbgrader collected it)
    submission: str
    #: the files' hash + the solutions' hash + the device: a stored result with the same hash
    #: is not graded again
    submission_hash: str
    template: str
    #: this job's own folder: the throw-away course, ``job.json``, ``result.json``, logs
    workspace: str
    course_root: str
    sandbox_base: str
    isolate: bool
    tool: str | None
    hide: tuple[str, ...]
    expose: tuple[str, ...]
    threads: int
    limits: KernelLimits
    timeout_s: int
    device: str = "cpu"
    batch: str = ""
    #: the sandbox slot (the kernel's uid is BASE_UID + slot); set when a slot is taken
    slot: int = 0

    @property
    def release(self) -> Path:
        """The released notebooks of the assignment, in the template."""
        return Path(self.template) / "release" / self.assignment

    @property
    def isolation(self) -> str:
        """The report's line on how the kernel is protected."""
        return isolation_summary(self.isolate, self.tool)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "hide": list(self.hide), "expose": list(self.expose)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        return cls(**{**data, "hide": tuple(data["hide"]), "expose": tuple(data["expose"]),
                      "limits": KernelLimits(**data["limits"])})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Job:
        return cls.from_dict(json.loads(Path(path).read_text()))


def job_for(student: str, assignment: str, folder: str | os.PathLike[str], submission_hash: str,
            setup: Setup, name: str) -> Job:
    """The job of one submission (``folder``) graded with ``setup``, in workspace ``name``."""
    shared = {f.name: getattr(setup, f.name) for f in fields(Setup) if f.name != "work"}
    return Job(student=student, assignment=assignment, submission=str(folder),
               submission_hash=submission_hash, workspace=str(Path(setup.work) / name), **shared)


@dataclass(frozen=True)
class Result:
    """The outcome of grading one submission, as the grader process, the batch and the reports share it.

    It starts ``failed`` with no score; grading that succeeds fills in ``score``, ``status``,
    ``cells`` and ``manual_pending``. The optional fields are left out of :meth:`to_dict` while
    None, as they always were in the stored JSON.
    """

    student: str
    assignment: str
    submission_hash: str
    #: how the kernel was protected (:func:`.sandbox.isolation_summary`)
    isolation: str
    #: AEUTILS_DEVICE the kernel ran with
    device: str
    #: "graded", "needs review" (a person should look: see ``reason``) or "failed" (no score)
    status: str = "failed"
    #: points of the autograded tests; None unless graded (never a silent 0)
    score: float | None = None
    #: points the autograded tests are worth (:func:`max_score`); None for an unknown assignment
    max_score: float | None = None
    #: why it failed or needs review, and cells stopped at the time limit; "" when none
    reason: str = ""
    #: what the static checks (and the kernel's probes) noticed
    notes: tuple[str, ...] = ()
    #: per notebook (stem): ``{"grades": {grade_id: {"auto_score", "max_score", "cell_type",
    #: "needs_manual_grade"}}, "comments": {name: text}, "late_submission_penalty": x}``
    cells: Mapping[str, Any] = field(default_factory=dict)
    #: points of the cells a person still has to grade by hand
    manual_pending: float = 0.0
    #: seconds the grader process took (absent when none reported)
    duration_s: float | None = None
    #: when the student submitted (nbgrader's ``timestamp.txt``), for late penalties
    timestamp: str | None = None
    #: the Dask worker that graded it (``--scheduler`` only)
    grader: str | None = None

    _OPTIONAL = ("duration_s", "timestamp", "grader")

    def to_dict(self) -> dict[str, Any]:
        data = {**asdict(self), "notes": list(self.notes)}
        for name in self._OPTIONAL:
            if data[name] is None:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Read a result dict; keys this version does not know (an older batch's) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**{**values, "notes": tuple(values.get("notes", ()))})

    def to_json(self) -> str:
        """The JSON that is stored (``result.json``, ``.grading/results/``)."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text))


def failed(job: Job, reason: str) -> Result:
    """A job that produced no result of its own: failed with ``reason``, out of the release's points."""
    return Result(job.student, job.assignment, job.submission_hash, isolation=job.isolation,
                  device=job.device, reason=reason, max_score=max_score(job.release))


def autotest_cells(release_nb: Path) -> dict[str, float]:
    """grade_id -> points of the autograded test cells of a released notebook."""
    nb = json.loads(release_nb.read_text(encoding="utf-8"))
    tests = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
            tests[meta["grade_id"]] = float(meta.get("points", 0))
    return tests


def max_score(release: Path) -> float:
    """Points of the autograded tests of the released notebooks in ``release``."""
    return sum(sum(autotest_cells(nb).values()) for nb in sorted(release.glob("*.ipynb")))


# -- one job, one process -----------------------------------------------------------------------
class Processes:
    """The grading processes running now, so that an interrupted batch can kill them all."""

    def __init__(self) -> None:
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs[proc.pid] = proc

    def remove(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.pop(proc.pid, None)

    def kill_all(self) -> None:
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            kill(proc)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a grading process with its session (its kernel and what that started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=10)


def _grader_env() -> dict[str, str]:
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    python_path = os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PATH": path, "PYTHONPATH": python_path}


def run_in_process(job: Job, running: Processes) -> Result:
    """Grade ``job`` in a grader process with the job's time limit; a process that hangs is
    killed with its kernel, one that crashes or writes no result gives a failed Result."""
    ws = Path(job.workspace)
    ws.mkdir(parents=True)
    job.save(ws / "job.json")
    me = os.getpid()
    with (ws / "grader.log").open("wb") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aeutils.instructor.grader", str(ws / "job.json")],
            stdout=logf, stderr=subprocess.STDOUT, env=_grader_env(), start_new_session=True,
            preexec_fn=lambda: die_with_parent(me), cwd=str(ws),
        )
        running.add(proc)
        try:
            proc.wait(timeout=job.timeout_s)
        except subprocess.TimeoutExpired:
            kill(proc)
            return failed(job, f"stopped at the time limit for a whole submission ({job.timeout_s} s)")
        finally:
            running.remove(proc)
    result_file = ws / "result.json"
    if proc.returncode != 0 or not result_file.is_file():
        tail = (ws / "grader.log").read_text(errors="replace").strip().splitlines()
        last = tail[-1][:200] if tail else f"exit code {proc.returncode}"
        return failed(job, f"grading worker crashed: {last}")
    return Result.from_json(result_file.read_text())
