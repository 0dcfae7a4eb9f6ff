"""Grade ONE submission in a throw-away course (``python -m aeutils.instructor.grader JOB.json``).

The job and its result are :class:`.job.Job` and :class:`.job.Result`; :func:`run_job` grades.

The grading batch (:mod:`.grade`) starts one grader process per submission (a Dask worker does
the same on a cluster: :mod:`.cluster`). A grader process never touches the course's gradebook: it builds ``<workspace>/course/`` with a copy of the batch's
template gradebook, the assignment's non-notebook files and the student's notebooks, runs
nbgrader's autograde there with sandboxed kernels (:mod:`.sandbox`), and writes a result JSON
that the batch merges. The workspace lives under a root-only folder the kernel cannot see.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
from traitlets.config import Config

from . import nbgrader_calls
from .config import limits, load_config
from .integrity import Inspection, inspect_submission, sanitize
from .job import Job, Result, autotest_cells, max_score
from .sandbox import SandboxExecute, SandboxSpec

# Log lines of nbgrader/nbclient that explain why a notebook could not be autograded.
_FAILURE_PATTERNS = [
    (r"Kernel died|DeadKernelError|kernel.*(died|dead)", "the kernel died while running the notebook"),
    (r"Timeout waiting for IOPub|Timeout waiting for execute reply|CellTimeoutError|timed? ?out",
     "a cell did not stop after its time limit"),
    (r"Kernel didn't respond|UnresponsiveKernelError|failed to start", "the kernel did not start or respond"),
]


def _reason_from_log(log: str, error: str | None) -> str:
    for pattern, reason in _FAILURE_PATTERNS:
        if re.search(pattern, log, flags=re.IGNORECASE):
            return reason
    lines = [ln.strip() for ln in log.splitlines() if "[ERROR]" in ln and ln.strip()]
    if lines:
        return lines[0].replace("[ERROR]", "").strip()[:200]
    return (error or "nbgrader could not autograde it").strip().splitlines()[-1][:200]


def _timeouts(nb_path: Path) -> list[str]:
    """Names of cells that hit the per-cell timeout (nbgrader records CellTimeoutError)."""
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except Exception:
        return []
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError":
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"#{i + 1}"
                out.append(str(gid))
    return out


def autograde_config(base: Config, course: Path, spec_file: Path, probe_file: Path) -> Config:
    """The course config, pointed at the throw-away course, executing in the sandbox; the probe's
    findings are appended to ``probe_file``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    cfg = copy.deepcopy(base)
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.db_url = "sqlite:///" + str(course / "gradebook.db")
    cfg.Autograde.create_student = True
    cfg.Autograde.autograde_preprocessors = [
        SandboxExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
        AssignLatePenalties, CheckCellMetadata,
    ]
    cfg.SandboxKernelManager.spec_file = str(spec_file)
    cfg.SandboxExecute.max_output_chars = limits(base).max_output_chars
    cfg.SandboxExecute.probe_file = str(probe_file)
    return cfg


def run_job(job: Job) -> Result:
    """Grade the submission of ``job`` in a throw-away course under its workspace."""
    started = time.monotonic()
    start = Result(job.student, job.assignment, job.submission_hash, isolation=job.isolation,
                   device=job.device, max_score=max_score(job.release))
    inspection = inspect_submission(Path(job.submission), job.release)
    if inspection.fatal:
        result = replace(start, reason=inspection.fatal)
    else:
        course = build_course(job, inspection)
        out, log = autograde(job, course, write_spec(job))
        result = read_scores(job, replace(start, notes=tuple(inspection.notes)), course, out, log)
    return replace(result, duration_s=round(time.monotonic() - started, 2))


def build_course(job: Job, inspection: Inspection) -> Path:
    """The throw-away course: template gradebook, release extras, this student's notebooks only."""
    template, aid = Path(job.template), job.assignment
    course = Path(job.workspace) / "course"
    (course / "solutions" / aid).mkdir(parents=True)
    shutil.copyfile(template / "gradebook.db", course / "gradebook.db")
    shutil.copytree(template / "extras" / aid, course / "solutions" / aid, dirs_exist_ok=True)
    sub_dir = course / "submitted" / job.student / aid
    sub_dir.mkdir(parents=True)
    for name, path in inspection.notebooks.items():
        released = nbformat.read(str(job.release / name), as_version=4)
        submitted = nbformat.read(str(path), as_version=4)
        nbformat.write(sanitize(submitted, released), str(sub_dir / name))
    stamp = Path(job.submission) / "timestamp.txt"
    if stamp.is_file():
        shutil.copyfile(stamp, sub_dir / "timestamp.txt")
    return course


def write_spec(job: Job) -> Path:
    """Write the sandbox's settings for the kernels of ``job`` (:mod:`.launcher`); return the file."""
    spec = SandboxSpec(
        sandbox_base=job.sandbox_base, slot=job.slot, isolate=job.isolate, hide=list(job.hide),
        expose=list(job.expose), threads=job.threads,
        extra_files=str(Path(job.template) / "extras" / job.assignment), device=job.device,
        tool=job.tool or "unshare", batch=job.batch, limits=job.limits,
    )
    spec_file = Path(job.workspace) / "spec.json"
    spec.save(spec_file)
    return spec_file


def autograde(job: Job, course: Path, spec_file: Path) -> tuple[dict[str, Any], str]:
    """nbgrader's autograde of the submission in ``course``: its answer and its log."""
    cfg = autograde_config(load_config(job.course_root), course, spec_file,
                           Path(job.workspace) / "probe.jsonl")
    out, printed = nbgrader_calls.autograde(cfg, job.assignment, job.student)
    log = str(out.get("log", ""))
    (Path(job.workspace) / "autograde.log").write_text(log + "\n" + printed)
    return out, log


def read_scores(job: Job, start: Result, course: Path, out: dict[str, Any], log: str) -> Result:
    """The result of an autograde run: scores from the throw-away gradebook, status, reason."""
    graded = nbgrader_calls.read_grades("sqlite:///" + str(course / "gradebook.db"),
                                        job.assignment, job.student)
    stamp = Path(job.submission) / "timestamp.txt"
    if stamp.is_file():  # merged into the course gradebook: nbgrader's export shows it
        start = replace(start, timestamp=stamp.read_text().strip())
    start = replace(start, cells=graded)
    tests = {nb.name: autotest_cells(nb) for nb in sorted(job.release.glob("*.ipynb"))}
    scores, pending = _test_scores(tests, graded)
    if not out.get("success") or any(s is None for s in scores):
        return replace(start, reason=_reason_from_log(log, out.get("error")))
    autograded = course / "autograded" / job.student / job.assignment
    timeouts = [g for nb in sorted(autograded.glob("*.ipynb")) for g in _timeouts(nb)]
    notes = [*start.notes, *_probes(Path(job.workspace) / "probe.jsonl")]
    remarks = [f"cell {g} was stopped at the time limit" for g in timeouts]
    return replace(start, score=float(sum(scores)), notes=tuple(notes), manual_pending=pending,
                   status="needs review" if notes else "graded",
                   reason="; ".join(notes + remarks))


def _test_scores(tests: dict[str, dict[str, float]],
                 graded: dict[str, Any]) -> tuple[list[float | None], float]:
    """Auto scores of the test cells (None: not graded) and the points awaiting manual grading."""
    scores, pending = [], 0.0
    for nb_name, test_points in tests.items():
        cells = graded.get(Path(nb_name).stem, {}).get("grades", {})
        scores += [cells.get(gid, {}).get("auto_score") for gid in test_points]
        pending += sum(c["max_score"] for g, c in cells.items()
                       if g not in test_points and c["needs_manual_grade"])
    return scores, pending


def _probes(probe_file: Path) -> list[str]:
    """What the kernel's probes reported (:mod:`.probe`), one note each."""
    if not probe_file.is_file():
        return []
    records = [json.loads(line) for line in probe_file.read_text().splitlines()]
    return [f"{rec['notebook']}: {rec['probe']}" for rec in records if rec.get("probe")]


def main(argv: list[str] | None = None) -> int:
    """Entry point: read the job file, grade, write ``<workspace>/result.json`` atomically."""
    args = sys.argv[1:] if argv is None else argv
    job = Job.load(args[0])
    result = run_job(job)
    tmp = Path(job.workspace) / "result.json.tmp"
    tmp.write_text(result.to_json())
    tmp.replace(Path(job.workspace) / "result.json")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # don't wait for jupyter/zmq threads: everything is written


if __name__ == "__main__":
    sys.exit(main())
