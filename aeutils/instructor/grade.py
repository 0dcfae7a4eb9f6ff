"""``aeutils grade``: autograde a folder of submissions, unattended, and report every outcome.

Flow of one batch:

1. find ``<SUBMISSIONS>/<student>/<assignment>/`` folders (nbgrader's ``submitted`` layout);
2. build a *template* in a root-only temporary folder: nbgrader's generate_assignment from
   ``solutions/`` into a fresh gradebook (the student kernels never see it), or a copy of the one
   an earlier batch or ``aeutils release`` left in ``.grading/templates/`` (:mod:`.template`);
3. grade each submission (a :class:`~.job.Job`, built by :func:`~.job.job_for`) in its own grader
   process and throw-away course (:mod:`.grader`, :func:`~.job.run_in_process`), at most
   ``--jobs`` at a time, each with a wall-clock limit; a grader that hangs is killed with its
   kernel (with ``--scheduler``, the same grader processes run as Dask tasks on a cluster: :mod:`.cluster`);
4. this process alone stores each result (``.grading/results/``), merges it into the course's
   ``gradebook.db`` and copies the autograded notebook to ``autograded/`` (for formgrader and
   feedback);
5. write the CSV and JSON reports for all submissions of the batch.

A result is only stored once complete, so an interrupted batch resumes where it stopped:
submissions already graded with the same files and the same solutions are skipped unless ``force``.
"""

from __future__ import annotations

import copy
import os
import queue
import shutil
import sys
import tempfile
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

from traitlets.config import Config

from . import nbgrader_calls, report
from .config import (
    CourseError,
    assignment_ids,
    course_root,
    limits,
    load_config,
    sandbox_limits,
    source_dir,
)
from .job import Job, Processes, Result, Setup, job_for, run_in_process
from .kernel_device import resolve_kernel_device
from .launcher import SandboxSpec, batch_label
from .nbgrader_calls import generate
from .regrade import keep_failed_output as _keep_failed_output
from .regrade import keep_manual_work, kept_reason
from .sandbox import isolation_summary, sandbox_tool, sandbox_views
from .template import build_template, folder_hash

STATE_DIR = ".grading"


def find_submissions(submissions: Path, assignment: str | None) -> list[tuple[str, str, Path]]:
    """(student, assignment, folder) for every submission, sorted; unknown names kept (they fail)."""
    if not submissions.is_dir():
        raise CourseError(
            f"submissions folder {submissions} does not exist: expected a folder with "
            "<student>/<assignment>/<notebook>.ipynb inside (nbgrader's submitted/ layout)"
        )
    found = []
    for student in sorted(p for p in submissions.iterdir() if p.is_dir()):
        if student.name.startswith("."):
            continue
        if assignment:
            found.append((student.name, assignment, student / assignment))
            continue
        for folder in sorted(p for p in student.iterdir() if p.is_dir()):
            if not folder.name.startswith("."):
                found.append((student.name, folder.name, folder))
    return found


def ensure_in_gradebook(config: Config, assignment: str, scratch: Path) -> None:
    """Make sure the course gradebook knows ``assignment`` (without touching assignments/)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(config.CourseDirectory.db_url) as gb:
        try:
            if gb.find_assignment(assignment).notebooks:  # `nbgrader db assignment add` has none
                return
        except MissingEntry:
            pass
    cfg = copy.deepcopy(config)
    cfg.CourseDirectory.release_directory = str(scratch / "main-release")
    generate(cfg, assignment)  # nbgrader's output is captured there


def merge(config: Config, result: Result, workspace: Path | None) -> Result:
    """Store a grader's result in the course: gradebook rows and the autograded notebook.

    Failed submissions are removed from the gradebook, so that nbgrader's own export cannot
    turn them into a silent zero. Returns the result as stored: a failed regrade that keeps a
    grader's work says so in its reason (:mod:`.regrade`).
    """
    root = course_root(config)
    student, aid = result.student, result.assignment
    failed = result.status == "failed"
    if failed and aid in assignment_ids(config) and keep_manual_work(config, result):
        _keep_failed_output(root, result, workspace)
        return replace(result, reason=kept_reason(result.reason))
    # nbgrader's autograded/ holds graded work only (feedback and formgrader read it); what a
    # failed submission left behind is kept under .grading/failed/ for the instructor to inspect
    dest = root / "autograded" / student / aid
    keep = root / STATE_DIR / "failed" / student / aid
    for folder in (dest, keep):
        if folder.exists():
            shutil.rmtree(folder)
    if workspace is not None:
        src = workspace / "course" / "autograded" / student / aid
        if src.is_dir():
            shutil.copytree(src, keep if failed else dest)
    nbgrader_calls.write_grades(config.CourseDirectory.db_url, result,
                                known=aid in assignment_ids(config))
    return result


class Batch:
    """One ``aeutils grade`` run (see the module docstring)."""

    def __init__(
        self,
        submissions: Path,
        *,
        assignment: str | None = None,
        jobs: int = 1,
        out: Path | None = None,
        force: bool = False,
        config: Config | None = None,
        log: Any = None,
        device: str = "auto",
        scheduler: str | None = None,
    ) -> None:
        if scheduler and type(self)._grade is Batch._grade:
            raise CourseError("this Batch grades on this machine: for the Dask cluster at "
                              f"{scheduler}, use aeutils.instructor.cluster.ClusterBatch")
        self.scheduler = scheduler  # a Dask scheduler address: grade there (see .cluster)
        self.config = config or load_config()
        self.root = course_root(self.config)
        self.submissions = Path(submissions).resolve()
        self.assignment = assignment
        self.jobs = max(1, int(jobs))
        self.out = Path(out or self.root / "grades.csv")
        self.force = force
        self.limits = limits(self.config)
        self.state = self.root / STATE_DIR / "results"
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.tool = sandbox_tool()  # "bwrap", "unshare" or None (not isolated)
        self.isolate = self.tool is not None
        # "cpu" or "cuda": AEUTILS_DEVICE of the kernels. On a cluster each worker resolves the
        # choice itself (the GPUs are there, not here).
        self.device = device if scheduler else resolve_kernel_device(device)
        self._running = Processes()
        self._slots: list[int] = []  # the machine-wide sandbox slots this batch holds

    # -- helpers ----------------------------------------------------------------------------
    def _result_path(self, student: str, aid: str) -> Path:
        return self.state / aid / f"{student}.json"

    def _store(self, result: Result) -> None:
        path = self._result_path(result.student, result.assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(result.to_json())
        tmp.replace(path)

    def _run_grader(self, job: Job, slots: queue.Queue[int]) -> Result:
        """Run ``job`` in a grader process, in a sandbox slot of this batch."""
        slot = slots.get()
        try:
            return run_in_process(replace(job, slot=slot), self._running)
        finally:
            slots.put(slot)

    def _finish(self, res: Result, workspace: Path | None,
                results: dict[tuple[str, str], Result], done: int, total: int) -> None:
        """Merge one result into the course, store it (resume) and log a line (main process)."""
        res = merge(self.config, res, workspace)  # idempotent: safe to redo on resume
        self._store(res)
        results[(res.student, res.assignment)] = res
        score = "" if res.score is None else f" {res.score:g}/{res.max_score:g}"
        why = f" - {res.reason}" if res.reason else ""
        self.log(f"[{done}/{total}] {res.student}/{res.assignment}: {res.status}{score}{why}")

    def _preflight(self, base: Path, sandbox_base: Path) -> None:
        """Check tools, permissions and one sandboxed kernel (:mod:`.preflight`) before grading."""
        from .preflight import preflight

        hide, expose = sandbox_views([str(self.root), str(self.submissions), str(base)])
        slot = (self._slots or [0])[0]
        spec = SandboxSpec(sandbox_base=str(sandbox_base), isolate=self.isolate, hide=hide,
                           expose=expose, slot=slot, device=self.device,
                           tool=self.tool or "unshare", batch=batch_label(self.root),
                           limits=sandbox_limits(self.limits))
        preflight(spec, base / "preflight", hidden=hide, expose=expose)

    def _setup(self, tpl: Path, base: Path, sandbox_base: Path) -> Setup:
        """How every submission of this batch is graded on this machine."""
        hide, expose = sandbox_views([str(self.root), str(self.submissions), str(base)])
        return Setup(
            template=str(tpl), course_root=str(self.root), sandbox_base=str(sandbox_base),
            work=str(base / "work"), hide=tuple(hide), expose=tuple(expose),
            threads=max(1, (os.cpu_count() or 1) // self.jobs), isolate=self.isolate,
            tool=self.tool, limits=sandbox_limits(self.limits),
            timeout_s=self.limits.submission_timeout, device=self.device,
            batch=batch_label(self.root),
        )

    # -- the batch --------------------------------------------------------------------------
    def run(self) -> list[Result]:
        """Grade everything; return the results of every submission in the batch, sorted.

        Holds the course's batch lock (a second batch on the same course refuses, naming this
        one) and machine-wide sandbox slots (:mod:`.lock`); library warnings stay off the
        terminal (:func:`.lock.quiet_library_warnings`).
        """
        from .lock import claim_slots, course_lock, quiet_library_warnings

        with course_lock(self.root), claim_slots(self.jobs) as self._slots, \
                quiet_library_warnings():
            return self._run_locked()

    def _run_locked(self) -> list[Result]:
        known = assignment_ids(self.config)
        subs = self._find(known)
        if not self.isolate and not self.scheduler:  # on a cluster, the workers say (.cluster)
            self.log("WARNING: " + isolation_summary(False))
        base = Path(tempfile.mkdtemp(prefix="aeutils-grade-"))  # mode 0700: root only
        sandbox_base = Path(tempfile.mkdtemp(prefix="aeg-"))
        os.chmod(sandbox_base, 0o711)
        try:
            results, todo = self._plan(subs, known)
            if todo:
                self._grade_todo(todo, len(results), base, sandbox_base, results)
            for key, res in sorted(results.items()):
                if key[1] in known and not self._result_path(*key).is_file():
                    self._store(res)
        finally:
            if not os.environ.get("AEUTILS_KEEP_WORKSPACE"):
                shutil.rmtree(base, ignore_errors=True)
            shutil.rmtree(sandbox_base, ignore_errors=True)
        ordered = [results[k] for k in sorted(results)]
        self._write_reports(ordered)
        return ordered

    def _find(self, known: list[str]) -> list[tuple[str, str, Path]]:
        """The batch's submissions; a CourseError when there are none, or the assignment is unknown."""
        if self.assignment and self.assignment not in known:
            raise CourseError(
                f"unknown assignment {self.assignment!r}: expected one of "
                f"{', '.join(known) or '(none: solutions/ is empty)'}"
            )
        subs = find_submissions(self.submissions, self.assignment)
        if not subs:
            raise CourseError(
                f"no submissions in {self.submissions}: expected "
                "<student>/<assignment>/<notebook>.ipynb folders"
            )
        return subs

    def _plan(self, subs: list[tuple[str, str, Path]], known: list[str],
              ) -> tuple[dict[tuple[str, str], Result], list[tuple[str, str, Path, str]]]:
        """Results known without grading (unknown assignments; graded before, unless ``force``)
        and the (student, assignment, folder, submission hash) of the rest."""
        sol_hash = {aid: folder_hash(source_dir(self.config) / aid)
                    for aid in sorted({aid for _, aid, _ in subs if aid in known})}
        results: dict[tuple[str, str], Result] = {}
        todo = []
        for student, aid, folder in subs:
            # the device is part of it: a batch on another device regrades
            sub_hash = folder_hash(folder) + "/" + sol_hash.get(aid, "") + "/" + self.device
            if aid not in known:
                results[(student, aid)] = Result(
                    student, aid, sub_hash, device=self.device,
                    isolation=isolation_summary(self.isolate, self.tool),
                    reason=f"unknown assignment folder {aid}/ (expected one of {', '.join(known)})")
                continue
            previous = self._result_path(student, aid)
            if not self.force and previous.is_file():
                old = Result.from_json(previous.read_text())
                if old.submission_hash == sub_hash:
                    results[(student, aid)] = old
                    continue
            todo.append((student, aid, folder, sub_hash))
        return results, todo

    def _grade_todo(self, todo: list[tuple[str, str, Path, str]], skipped: int, base: Path,
                    sandbox_base: Path, results: dict[tuple[str, str], Result]) -> None:
        """Steps 2 and 3 for the submissions in ``todo``: check, build the template, grade."""
        how = (f"on the Dask cluster at {self.scheduler}" if self.scheduler
               else f"with {self.jobs} job(s)")
        self.log(f"grading {len(todo)} submission(s) {how}"
                 + (f"; {skipped} already graded (use --force to regrade)" if skipped else ""))
        self._preflight(base, sandbox_base)  # stops here, scoring nothing, if broken
        assignments = sorted({t[1] for t in todo})
        tpl = build_template(self.config, assignments, base)
        for aid in assignments:
            ensure_in_gradebook(self.config, aid, base)
        setup = self._setup(tpl, base, sandbox_base)
        self._grade([job_for(student, aid, folder, sub_hash, setup, f"{n:05d}")
                     for n, (student, aid, folder, sub_hash) in enumerate(todo)], results)

    def _write_reports(self, ordered: list[Result]) -> None:
        report.write_csv(ordered, self.out)
        report.write_json(ordered, self.out.with_suffix(".json"), {
            "isolation": isolation_summary(self.isolate, self.tool),
            "device": self.device,
            "limits": {k: getattr(self.limits, k) for k in self.limits.trait_names()
                       if self.limits.traits()[k].metadata.get("config")},
        })

    def _grade(self, jobs: list[Job], results: dict[tuple[str, str], Result]) -> None:
        """Step 3 on this machine: at most ``jobs`` grader processes at a time."""
        slots: queue.Queue[int] = queue.Queue()
        for i in self._slots or range(self.jobs):
            slots.put(i)
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        done_count = 0
        try:
            futures = {pool.submit(self._run_grader, job, slots): job for job in jobs}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=lambda f: (futures[f].student, futures[f].assignment)):
                    done_count += 1
                    self._finish(fut.result(), Path(futures[fut].workspace), results, done_count,
                                 len(jobs))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            self._running.kill_all()
            raise
        pool.shutdown(wait=True)
