"""Helpers of tools/device_check.sh: the model solution as a student would hand it in, the grading
verdict from a grades.csv, the per-case CPU/GPU ratio of two `make bench` results (tools/bench.py
--out). The checks print lines and exit 1 on a failed check.

    python tools/device_report.py solution RELEASE_IPYNB SOURCE_IPYNB OUT_IPYNB
    python tools/device_report.py grades GRADES_CSV
    python tools/device_report.py bench CPU_BENCH_JSON GPU_BENCH_JSON
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Verdict:
    """One graded submission against what it must score."""

    student: str  # "solution" (must get every point) or "release" (must get none)
    assignment: str
    score: float
    max_score: float
    status: str

    @property
    def ok(self) -> bool:
        if self.status != "graded":
            return False
        wanted = self.max_score if self.student == "solution" else 0.0
        return math.isclose(self.score, wanted) and self.max_score > 0


def grading_verdicts(grades_csv: Path) -> list[Verdict]:
    with open(grades_csv, newline="", encoding="utf-8") as f:
        return [Verdict(r["student"], r["assignment"], float(r["score"] or "nan"),
                        float(r["max_score"] or "nan"), r["status"]) for r in csv.DictReader(f)]


def grading_lines(verdicts: list[Verdict]) -> list[str]:
    return [f"{'ok  ' if v.ok else 'FAIL'} {v.assignment:16s} {v.student:8s} {v.score:g} of "
            f"{v.max_score:g} ({v.status}; wanted {'all' if v.student == 'solution' else 'none'})"
            for v in sorted(verdicts, key=lambda v: (v.assignment, v.student))]


def bench_ratios(cpu: dict, gpu: dict) -> list[tuple[str, float, float, float]]:
    """(case, CPU wall s, GPU wall s, CPU/GPU) of the course recipe, per case both runs have.
    Wall seconds: a GPU run's CPU seconds do not count the GPU's work."""
    gpu_cases = {rec["case"]: rec for rec in gpu["cases"]}
    rows = []
    for rec in cpu["cases"]:
        other = gpu_cases.get(rec["case"])
        if other is None:
            continue
        c, g = rec["course"]["wall_s"], other["course"]["wall_s"]
        rows.append((rec["case"], c, g, c / g if g > 0 else math.nan))
    return rows


def solution_submission(release: dict, source: dict) -> dict:
    """The student release with each answer cell holding the source's solution (its markers
    removed): what a student who wrote the model answers submits. The source notebook itself
    would be `needs review`: its locked test cells hold the hidden tests."""
    answers = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in source["cells"]}
    cells = []
    for cell in release["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            text = "".join(answers[meta["grade_id"]]["source"])
            cell = {**cell, "source": re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", text,
                                             flags=re.MULTILINE)}
        cells.append(cell)
    return {**release, "cells": cells}


def main(argv: list[str]) -> int:
    if argv[:1] == ["solution"] and len(argv) == 4:
        release, source = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[1:3])
        Path(argv[3]).write_text(json.dumps(solution_submission(release, source), indent=1),
                                 encoding="utf-8")
        return 0
    if argv[:1] == ["grades"] and len(argv) == 2:
        verdicts = grading_verdicts(Path(argv[1]))
        print("\n".join(grading_lines(verdicts)))
        return 0 if verdicts and all(v.ok for v in verdicts) else 1
    if argv[:1] == ["bench"] and len(argv) == 3:
        cpu, gpu = (json.loads(Path(p).read_text()) for p in argv[1:])
        rows = bench_ratios(cpu, gpu)
        print(f"course recipes, wall seconds: {cpu['device']} vs {gpu['device']}")
        for case, c, g, ratio in rows:
            print(f"  {case:14s} {c:7.2f} s vs {g:7.2f} s: {ratio:5.1f}x")
        return 0 if rows else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
