"""Grade ONE submission in a throw-away course (``python -m aeutils.instructor.worker JOB.json``).

The grading batch (:mod:`.grade`) starts one worker process per submission. A worker never
touches the course's gradebook: it builds ``<workspace>/course/`` with a copy of the batch's
template gradebook, the assignment's non-notebook files and the student's notebooks, runs
nbgrader's autograde there with sandboxed kernels (:mod:`.sandbox`), and writes a result JSON
that the batch merges. The workspace lives under a root-only folder the kernel cannot see.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from traitlets.config import Config

from .config import limits, load_config, make_api
from .integrity import inspect_submission, sanitize
from .report import new_result
from .sandbox import SandboxExecute, SandboxSpec, isolation_summary

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


def autograde_config(base: Config, course: Path, spec_file: Path) -> Config:
    """The course config, pointed at the throw-away course, executing in the sandbox."""
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
    return cfg


def grades_from_gradebook(db_url: str, assignment: str, student: str) -> dict[str, Any]:
    """Per notebook and cell: auto score, max score, whether it is a test cell, manual pending."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, Any] = {}
    with Gradebook(db_url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return out
        for nb in sub.notebooks:
            cells = {}
            for g in nb.grades:
                cells[g.name] = {
                    "auto_score": g.auto_score,
                    "max_score": float(g.max_score),
                    "cell_type": g.cell_type,
                    "needs_manual_grade": bool(g.needs_manual_grade),
                }
            comments = {c.name: c.auto_comment for c in nb.comments}
            out[nb.name] = {"grades": cells, "comments": comments,
                            "late_submission_penalty": nb.late_submission_penalty}
    return out


def autotest_cells(release_nb: Path) -> dict[str, float]:
    """grade_id -> points of the autograded test cells of a released notebook."""
    nb = json.loads(release_nb.read_text(encoding="utf-8"))
    tests = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
            tests[meta["grade_id"]] = float(meta.get("points", 0))
    return tests


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Grade the submission described by ``job`` (see :mod:`.grade`); return the result dict."""
    started = time.monotonic()
    student, assignment = job["student"], job["assignment"]
    template = Path(job["template"])
    release = template / "release" / assignment
    ws = Path(job["workspace"])
    result = new_result(student, assignment, job["submission_hash"],
                        isolation=isolation_summary(job["isolate"], job.get("sandbox")),
                        device=job.get("device", "cpu"))
    tests = {nb.name: autotest_cells(nb) for nb in sorted(release.glob("*.ipynb"))}
    result["max_score"] = sum(sum(t.values()) for t in tests.values())

    inspection = inspect_submission(Path(job["submission"]), release)
    if inspection.fatal:
        result["reason"] = inspection.fatal
        result["duration_s"] = round(time.monotonic() - started, 2)
        return result
    result["notes"] = list(inspection.notes)

    # the throw-away course: template gradebook, release extras, this student's notebooks only
    course = ws / "course"
    (course / "solutions" / assignment).mkdir(parents=True)
    shutil.copyfile(template / "gradebook.db", course / "gradebook.db")
    extras = template / "extras" / assignment
    shutil.copytree(extras, course / "solutions" / assignment, dirs_exist_ok=True)
    sub_dir = course / "submitted" / student / assignment
    sub_dir.mkdir(parents=True)
    for name, path in inspection.notebooks.items():
        released = nbformat.read(str(release / name), as_version=4)
        submitted = nbformat.read(str(path), as_version=4)
        nbformat.write(sanitize(submitted, released), str(sub_dir / name))
    stamp = Path(job["submission"]) / "timestamp.txt"
    if stamp.is_file():
        shutil.copyfile(stamp, sub_dir / "timestamp.txt")

    spec = SandboxSpec(
        sandbox_base=job["sandbox_base"], slot=job["slot"], isolate=job["isolate"],
        hide=job["hide"], expose=job["expose"], threads=job["threads"], extra_files=str(extras),
        device=job.get("device", "cpu"), tool=job.get("sandbox") or "unshare",
        batch=job.get("batch", ""), **job["limits"],
    )
    spec_file = ws / "spec.json"
    spec.save(spec_file)
    probe_file = ws / "probe.jsonl"
    os.environ["AEUTILS_PROBE_FILE"] = str(probe_file)


    cfg = autograde_config(load_config(job["course_root"]), course, spec_file)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        api = make_api(cfg)
        out = api.autograde(assignment, student, force=True, create=True)
    log = str(out.get("log", ""))
    (ws / "autograde.log").write_text(log + "\n" + buf.getvalue())

    graded = grades_from_gradebook(cfg.CourseDirectory.db_url, assignment, student)
    if stamp.is_file():  # merged into the course gradebook: nbgrader's export shows it
        result["timestamp"] = stamp.read_text().strip()
    result["cells"] = graded
    scores = []
    for nb_name, test_points in tests.items():
        cells = graded.get(Path(nb_name).stem, {}).get("grades", {})
        for gid in test_points:
            scores.append(cells.get(gid, {}).get("auto_score"))
        result["manual_pending"] += sum(
            c["max_score"] for g, c in cells.items() if g not in test_points
            and c["needs_manual_grade"]
        )
    autograded = course / "autograded" / student / assignment
    if not out.get("success") or any(s is None for s in scores):
        result["reason"] = _reason_from_log(log, out.get("error"))
        result["manual_pending"] = 0.0
        result["duration_s"] = round(time.monotonic() - started, 2)
        return result

    result["score"] = float(sum(scores))
    timeouts = [g for nb in sorted(autograded.glob("*.ipynb")) for g in _timeouts(nb)]
    probes = []
    if probe_file.is_file():
        for line in probe_file.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("probe"):
                probes.append(f"{rec['notebook']}: {rec['probe']}")
    result["notes"] += probes
    remarks = [f"cell {g} was stopped at the time limit" for g in timeouts]
    if result["notes"]:
        result["status"] = "needs review"
        result["reason"] = "; ".join(result["notes"] + remarks)
    else:
        result["status"] = "graded"
        result["reason"] = "; ".join(remarks)
    result["duration_s"] = round(time.monotonic() - started, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point: read the job file, grade, write ``<workspace>/result.json`` atomically."""
    args = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(args[0]).read_text())
    ws = Path(job["workspace"])
    result = run(job)
    tmp = ws / "result.json.tmp"
    tmp.write_text(json.dumps(result, indent=1, sort_keys=True))
    tmp.replace(ws / "result.json")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # don't wait for jupyter/zmq threads: everything is written


if __name__ == "__main__":
    sys.exit(main())
