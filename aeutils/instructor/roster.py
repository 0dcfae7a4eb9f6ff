"""``aeutils roster students.csv``: the class list into the gradebook.

Every student on the roster gets a gradebook row, so a student who never submits still appears in
nbgrader's formgrader and export, and as "missing" in the LMS CSV (:mod:`.lms`). The CSV has a
header with at least ``id`` (the student's JupyterHub user name, which nbgrader's exchange uses)
and optionally ``first_name``, ``last_name``, ``email`` and ``lms_user_id`` - the columns of
``nbgrader db student import``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from traitlets.config import Config

from .config import CourseError

FIELDS = ("first_name", "last_name", "email", "lms_user_id")


def read_roster(path: Path) -> list[dict[str, str]]:
    """Rows of the roster CSV (``id`` required, unique, no blanks); raises CourseError."""
    if not path.is_file():
        raise CourseError(f"roster {path} does not exist: expected a CSV file with a header "
                          "line `id,first_name,last_name,email` (only id is required)")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "id" not in reader.fieldnames:
            raise CourseError(f"roster {path} has no `id` column (header: "
                              f"{','.join(reader.fieldnames or []) or 'empty'}): the first line "
                              "must name the columns, e.g. id,first_name,last_name,email")
        rows = []
        for n, row in enumerate(reader, start=2):
            sid = (row.get("id") or "").strip()
            if not sid:
                raise CourseError(f"roster {path}, line {n}: empty id (every student needs the "
                                  "JupyterHub user name they log in with)")
            rows.append({"id": sid, **{k: (row.get(k) or "").strip() for k in FIELDS
                                       if k in reader.fieldnames}})
    ids = [r["id"] for r in rows]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise CourseError(f"roster {path}: student id(s) listed twice: {', '.join(twice)}")
    return rows


def import_roster(path: Path, config: Config) -> list[str]:
    """Create or update a gradebook student for every roster row; return the ids, in order."""
    from nbgrader.api import Gradebook

    rows = read_roster(Path(path))
    with Gradebook(config.CourseDirectory.db_url) as gb:
        for row in rows:
            extra = {k: v for k, v in row.items() if k != "id" and v}
            gb.update_or_create_student(row["id"], **extra)
    return [r["id"] for r in rows]
