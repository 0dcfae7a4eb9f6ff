"""``aeutils export``: nbgrader's grade export plus a CSV shaped for an LMS gradebook import.

1. ``nbgrader export`` (its CSV plugin, through the API) writes one row per student and
   assignment with ``raw_score`` (autograded + manual points), ``late_submission_penalty`` and
   ``score``. It writes 0 for work that was never submitted.
2. From those rows and the gradebook, the LMS CSV has one row per student on the roster and one
   column per assignment: the score (after the late penalty) when the submission is fully graded,
   and otherwise a word, never a silent 0: ``missing`` (nothing submitted), ``failed`` (could not
   be graded: see ``grades.csv``), ``needs grading`` (written answers not graded by hand yet).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

from traitlets.config import Config

from .config import CourseError, course_root

MISSING, FAILED, PENDING = "missing", "failed", "needs grading"


def nbgrader_export(config: Config, dest: Path) -> list[dict[str, str]]:
    """Run nbgrader's CSV export plugin into ``dest``; return its rows."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin(config=config)
    plugin.to = str(dest)
    with contextlib.redirect_stderr(io.StringIO()), Gradebook(config.CourseDirectory.db_url) as gb:
        plugin.export(gb)
    with dest.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _failed(root: Path, assignment: str, student: str) -> bool:
    path = root / ".grading" / "results" / assignment / f"{student}.json"
    if not path.is_file():
        return False
    return json.loads(path.read_text()).get("status") == "failed"


def lms_table(config: Config, rows: list[dict[str, str]]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the LMS CSV built from nbgrader's export rows and the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    root = course_root(config)
    with Gradebook(config.CourseDirectory.db_url) as gb:
        assignments = [a.name for a in gb.assignments]
        students = sorted(gb.students, key=lambda s: s.id)
        cell: dict[tuple[str, str], str] = {}
        for row in rows:
            sid, aid = row["student_id"], row["assignment"]
            try:
                sub = gb.find_submission(aid, sid)
            except MissingEntry:
                cell[sid, aid] = FAILED if _failed(root, aid, sid) else MISSING
                continue
            if sub.needs_manual_grade:
                cell[sid, aid] = PENDING
            else:
                cell[sid, aid] = f"{float(row['score']):g}"
        header = ["student_id", "last_name", "first_name", "email",
                  *(f"{a} ({gb.find_assignment(a).max_score:g})" for a in assignments)]
        table = [[s.id, s.last_name or "", s.first_name or "", s.email or "",
                  *(cell.get((s.id, a), MISSING) for a in assignments)] for s in students]
    return header, table


def check_exportable(config: Config) -> None:
    """Raise CourseError where an export would write nothing worth importing: no gradebook (the
    wrong course, or nothing released there yet: a SQLite gradebook is not created by reading
    it), or a gradebook without students (each student is a row: no roster, nothing graded)."""
    from nbgrader.api import Gradebook

    db_url = config.CourseDirectory.db_url
    root = course_root(config)
    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).is_file():
        raise CourseError(f"no gradebook in {root}: is this the course's folder (--course)? "
                          "`aeutils release` makes one, `aeutils grade` fills it")
    with Gradebook(db_url) as gb:
        if not gb.students:
            raise CourseError(f"the gradebook of {root} lists no students, so the export would "
                              "be empty: add the class list (`aeutils roster students.csv`) or "
                              "grade submissions first (`aeutils grade SUBMISSIONS_DIR`)")


def export(config: Config, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write ``grades-nbgrader.csv`` and ``grades-lms.csv`` (default: the course root)."""
    out_dir = Path(out_dir or course_root(config))
    if out_dir.exists() and not out_dir.is_dir():
        raise CourseError(f"--out {out_dir} is a file: give a folder to write the two CSVs in")
    check_exportable(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    full = out_dir / "grades-nbgrader.csv"
    header, table = lms_table(config, nbgrader_export(config, full))
    lms = out_dir / "grades-lms.csv"
    with lms.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(table)
    return full, lms
