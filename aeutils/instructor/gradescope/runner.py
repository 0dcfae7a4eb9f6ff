"""Grade ONE Gradescope submission: ``python -m aeutils.instructor.gradescope.runner --root R``.

``run_autograder`` (written by :mod:`.bundle`) calls this in Gradescope's container, where
``R`` (default ``/autograder``) holds ``source/`` (the unzipped autograder), ``submission/`` (the
student's files) and ``results/``. It is a thin layer over ``aeutils grade``:

1. copy ``source/course`` into a private folder and put the student's notebook into a
   one-student ``submitted/`` folder there (the one notebook of a submission is graded even when
   the student renamed it; several notebooks must keep their names);
2. grade it with :class:`~aeutils.instructor.grade.Batch`, exactly as ``aeutils grade`` does:
   the same template, worker, hidden tests, limits and sandbox (bwrap where the container allows
   it, else unshare, else none: the instructor's ``stdout`` says which);
3. turn the graded notebook into :mod:`.results` (one Gradescope test per autograded part) and
   write ``results/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import CourseError, load_config
from ..hidden import HiddenTests, load_hidden
from ..job import Result
from ..parts import GradedPart, graded_parts
from ..template import cache_entry, prepare_template
from .bundle import MANIFEST, Manifest
from .results import GradescopeResults, failed_results, graded_results

ROOT_ENV = "AEUTILS_AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
STUDENT = "gradescope"  # the submission's id inside the private course
NO_HIDDEN = HiddenTests(cells={}, visible=frozenset())  # before grading: parts' names and points


def find_notebooks(submission: Path, expected: list[str]) -> tuple[dict[str, Path], str]:
    """(expected name -> the student's file, a note or a problem) for a submission folder.

    A file with the expected name counts (the shallowest one); a submission of ONE notebook for
    an assignment of one notebook counts whatever its name (Gradescope uploads keep the name the
    student's computer gave it, "ae1_bottleneck (1).ipynb"). The second value is "" when all is
    well, a note when a file was renamed, and the problem when something is missing.
    """
    found_all = sorted((p for p in submission.rglob("*.ipynb")
                        if ".ipynb_checkpoints" not in p.parts and not p.name.startswith(".")),
                       key=lambda p: (len(p.parts), str(p)))
    found: dict[str, Path] = {}
    for name in expected:
        same = [p for p in found_all if p.name == name]
        if same:
            found[name] = same[0]
    missing = [n for n in expected if n not in found]
    if not missing:
        return found, ""
    if len(expected) == 1 and len(found_all) == 1:
        found[expected[0]] = found_all[0]
        return found, f"your notebook {found_all[0].name} was graded as {expected[0]}"
    names = ", ".join(p.name for p in found_all) or "none"
    return {}, (f"expected a notebook named {' and '.join(missing)} in your submission, found "
                f"these notebooks: {names}. Upload your notebook under that name")


def release_parts(course: Path, manifest: Manifest) -> list[GradedPart]:
    """The parts of the released notebooks (names and points, for a submission that could not
    be graded)."""
    parts: list[GradedPart] = []
    for name in manifest.notebooks:
        nb = json.loads((course / "assignments" / manifest.assignment / name).read_text())
        parts += graded_parts(nb, Path(name).stem, NO_HIDDEN, scores={}, comments={})
    return parts


def submission_parts(course: Path, manifest: Manifest, hidden: HiddenTests,
                     result: Result) -> list[GradedPart]:
    """The parts of the graded notebooks, with the points that grading gave them."""
    parts: list[GradedPart] = []
    folder = course / "autograded" / STUDENT / manifest.assignment
    for name in manifest.notebooks:
        stem = Path(name).stem
        nb = json.loads((folder / name).read_text(encoding="utf-8"))
        grades = result.cells.get(stem, {}).get("grades", {})
        scores = {gid: (None if g["needs_manual_grade"] else g["auto_score"])
                  for gid, g in grades.items()}
        parts += graded_parts(nb, stem, hidden, scores=scores, comments={})
    return parts


def run(root: Path, device: str = "auto", log: Any = None) -> GradescopeResults:
    """Grade the submission in ``root/submission``; write and return ``root/results/results.json``."""
    from ..grade import Batch

    log = log or (lambda msg: print(msg, flush=True))
    started = time.monotonic()
    source = root / "source" / "course"
    manifest = Manifest.load(source / MANIFEST)
    if os.geteuid() == 0:  # the hidden tests: out of reach of the sandbox's user
        os.chmod(root / "source", 0o700)
    work = Path(tempfile.mkdtemp(prefix="aeutils-gradescope-"))
    try:
        course = work / "course"
        shutil.copytree(source, course)
        config = load_config(course)
        extra: dict[str, Any] = {"assignment": manifest.assignment}
        found, note = find_notebooks(root / "submission", manifest.notebooks)
        if not found:
            res = failed_results(release_parts(course, manifest), note,
                                 execution_time=time.monotonic() - started, extra=extra)
            log(f"not graded: {note}")
        else:
            folder = work / "submitted" / STUDENT / manifest.assignment
            folder.mkdir(parents=True)
            for name, path in found.items():
                shutil.copyfile(path, folder / name)
            res = _grade(Batch, work, course, config, manifest, device, extra, started, log)
            if note:
                res = replace(res, output=f"Note: {note}.\n" + res.output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res.write(root / "results" / "results.json")
    return res


def _grade(batch_cls: Any, work: Path, course: Path, config: Any, manifest: Manifest,
           device: str, extra: dict[str, Any], started: float, log: Any) -> GradescopeResults:
    batch = batch_cls(work / "submitted", assignment=manifest.assignment, jobs=1, force=True,
                      out=work / "grades.csv", config=config, device=device, log=log)
    try:
        # One nbgrader generate serves both the batch's template (cached in the course) and the
        # course's gradebook, which would otherwise be generated a second time by the batch.
        prepare_template(config, manifest.assignment)
        shutil.copyfile(cache_entry(config, [manifest.assignment]) / "gradebook.db",
                        course / "gradebook.db")
        [result] = batch.run()
    except CourseError as err:  # the autograder could not run at all: not the student's doing
        log(f"aeutils could not grade: {err}")
        return failed_results(release_parts(course, manifest),
                              "the autograder could not run (a problem of the autograder, not "
                              "of your work; the course staff has been told)",
                              execution_time=time.monotonic() - started,
                              extra={**extra, "error": str(err)})
    extra = {**extra, "status": result.status, "isolation": result.isolation,
             "device": result.device}
    log(f"{result.status}: {result.score} / {result.max_score}"
        + (f" - {result.reason}" if result.reason else ""))
    log(f"kernel: {result.isolation}; device {result.device}")
    elapsed = time.monotonic() - started
    if result.status == "failed":
        return failed_results(release_parts(course, manifest), result.reason,
                              execution_time=elapsed, extra=extra)
    # the course's gradebook now holds the assignment with its hidden tests (grading put it there)
    hidden = load_hidden(config.CourseDirectory.db_url, manifest.assignment,
                         course / "assignments" / manifest.assignment)
    parts = submission_parts(course, manifest, hidden, result)
    return graded_results(parts, review=result.status == "needs review",
                          execution_time=elapsed, extra=extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aeutils.instructor.gradescope.runner",
                                     description="Grade one Gradescope submission.")
    parser.add_argument("--root", type=Path,
                        default=Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT),
                        help=f"Gradescope's autograder folder (default ${ROOT_ENV} or "
                             f"{DEFAULT_ROOT})")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    args = parser.parse_args(argv)
    res = run(args.root, device=args.device)
    print(f"wrote {args.root / 'results' / 'results.json'}: {res.score:g} points")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
