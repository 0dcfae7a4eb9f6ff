"""The grading contract (no kernel, no nbgrader run): Job and Result through JSON and back.

``tests/fixtures/grading/stored_results/`` holds results that the code before the Job/Result
classes stored under ``.grading/results/`` (one batch of the corpus): a batch that resumes reads
such files, so each must come back equal and be written again byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aeutils.instructor.job import Job, Result, Setup, failed, job_for, max_score
from aeutils.instructor.launcher import KernelLimits

STORED = Path(__file__).resolve().parents[1] / "fixtures" / "grading" / "stored_results"


@pytest.mark.parametrize("path", sorted(STORED.glob("*.json")), ids=lambda p: p.stem)
def test_a_stored_result_reads_back_and_writes_the_same_bytes(path):
    text = path.read_text()
    result = Result.from_json(text)
    assert result.to_dict() == json.loads(text)
    assert result.to_json() == text
    assert Result.from_json(result.to_json()) == result


def test_the_stored_results_cover_every_outcome():
    results = [Result.from_json(p.read_text()) for p in STORED.glob("*.json")]
    assert {r.status for r in results} == {"graded", "needs review", "failed"}
    assert any(r.duration_s is None for r in results), "a worker killed at the time limit"
    assert any(r.cells and r.status == "failed" for r in results), "autograde ran, then failed"


def test_optional_fields_appear_only_when_set():
    plain = Result("s", "a", "h", isolation="iso", device="cpu")
    assert set(plain.to_dict()) == {"student", "assignment", "status", "score", "max_score",
                                    "reason", "notes", "cells", "manual_pending",
                                    "submission_hash", "isolation", "device"}
    full = Result("s", "a", "h", isolation="iso", device="cpu", duration_s=1.5,
                  timestamp="2026-01-01 10:00:00", grader="tcp://w:1", notes=("n",))
    data = full.to_dict()
    assert (data["duration_s"], data["timestamp"], data["grader"], data["notes"]) == (
        1.5, "2026-01-01 10:00:00", "tcp://w:1", ["n"])
    assert Result.from_dict(data) == full


def test_an_older_results_unknown_key_is_ignored():
    data = Result("s", "a", "h", isolation="iso", device="cpu").to_dict()
    assert Result.from_dict({**data, "from_an_older_version": 1}).to_dict() == data


def _release(folder: Path, points: list[float]) -> Path:
    cells = [{"cell_type": "code", "metadata": {"nbgrader": {
        "grade": True, "solution": False, "grade_id": f"t{i}", "points": p}}, "source": ""}
        for i, p in enumerate(points)]
    cells.append({"cell_type": "code", "metadata": {"nbgrader": {
        "grade": True, "solution": True, "grade_id": "answer", "points": 9}}, "source": ""})
    release = folder / "release" / "hw"
    release.mkdir(parents=True)
    (release / "hw.ipynb").write_text(json.dumps({"cells": cells}))
    return release


def _setup(template: Path) -> Setup:
    return Setup(template=str(template), course_root="/course", sandbox_base="/sb", work="/w",
                 hide=("/course",), expose=("/env",), threads=2, isolate=True, tool="bwrap",
                 limits=KernelLimits(memory_mb=10), timeout_s=60, device="cpu", batch="b")


def test_a_job_goes_through_its_file_unchanged(tmp_path):
    job = job_for("ann", "hw", tmp_path / "ann" / "hw", "hash", _setup(tmp_path), "00003")
    assert (job.workspace, job.submission, job.slot) == ("/w/00003", str(tmp_path / "ann" / "hw"), 0)
    job.save(tmp_path / "job.json")
    assert Job.load(tmp_path / "job.json") == job


def test_max_score_counts_autograded_tests_only(tmp_path):
    release = _release(tmp_path, [2, 3.5])
    assert max_score(release) == 5.5


def test_a_job_without_a_result_fails_out_of_the_release_points(tmp_path):
    _release(tmp_path, [2, 3])
    job = job_for("ann", "hw", tmp_path, "hash", _setup(tmp_path), "0")
    res = failed(job, "why")
    assert (res.status, res.score, res.max_score, res.reason) == ("failed", None, 5.0, "why")
    assert res.isolation == job.isolation and "bubblewrap" in res.isolation
