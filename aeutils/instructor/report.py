"""Grade reports: a CSV for the spreadsheet and a JSON report with every detail."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .job import Result

STATUSES = ("graded", "needs review", "failed")
COLUMNS = ["student", "assignment", "score", "max_score", "status", "reason", "manual_pending"]


def _num(x: Any) -> str:
    if x is None:
        return ""  # never a plain 0 for a submission that could not be graded
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def write_csv(results: list[Result], path: Path) -> None:
    """One row per submission; ``score`` is empty unless the submission was graded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in results:
            score = r.score if r.status != "failed" else None
            w.writerow([
                r.student, r.assignment, _num(score), _num(r.max_score), r.status,
                " ".join(str(r.reason).split()), _num(r.manual_pending or 0),
            ])
    tmp.replace(path)


def summary(results: list[Result]) -> dict[str, int]:
    """How many submissions ended in each status."""
    counts = Counter(r.status for r in results)
    return {s: counts.get(s, 0) for s in STATUSES}


def write_json(results: list[Result], path: Path, extra: dict[str, Any]) -> None:
    """The full report: summary, how grading ran, and every result with per-cell scores."""
    data = {"summary": summary(results), **extra, "results": [r.to_dict() for r in results]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a grades CSV (used by tests and scripts)."""
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
