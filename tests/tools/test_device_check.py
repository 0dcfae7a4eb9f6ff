"""tools/device_check.sh, the GPU check a maintainer runs where a GPU is lent: its CPU path
(`--device cpu --quick`: one assignment graded, one lecture timed, the same code as on a GPU),
and tools/device_report.py's verdicts and CPU/GPU ratios."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import tool_modules

ROOT = Path(__file__).resolve().parents[2]


report = tool_modules.load("tools/device_report.py", "device_report")


def test_grading_verdicts_want_full_points_for_solutions_and_none_for_releases(tmp_path):
    grades = tmp_path / "grades.csv"
    grades.write_text("student,assignment,score,max_score,status,reason,manual_pending\n"
                      "solution,ae1,20,20,graded,,4\nrelease,ae1,0,20,graded,,4\n"
                      "solution,ae2,19,20,graded,,0\nrelease,ae2,,20,failed,kernel died,0\n")
    verdicts = {(v.assignment, v.student): v.ok for v in report.grading_verdicts(grades)}
    assert verdicts == {("ae1", "solution"): True, ("ae1", "release"): True,
                        ("ae2", "solution"): False, ("ae2", "release"): False}
    assert report.main(["grades", str(grades)]) == 1


def test_bench_ratio_per_case_in_wall_seconds(tmp_path):
    def run(device, walls):
        return {"device": device, "cases": [{"case": c, "course": {"wall_s": w, "cpu_s": 9.0}}
                                            for c, w in walls.items()]}
    rows = report.bench_ratios(run("cpu", {"mlp": 8.0, "vae": 6.0, "bert": 4.0}),
                               run("cuda", {"mlp": 2.0, "vae": 3.0}))
    assert rows == [("mlp", 8.0, 2.0, 4.0), ("vae", 6.0, 3.0, 2.0)]
    cpu, gpu = tmp_path / "cpu.json", tmp_path / "gpu.json"
    cpu.write_text(json.dumps(run("cpu", {"mlp": 8.0})))
    gpu.write_text(json.dumps(run("cuda:0", {"mlp": 2.0})))
    assert report.main(["bench", str(cpu), str(gpu)]) == 0


@pytest.mark.grading
@pytest.mark.timeout(900)
def test_device_check_cpu_path_grades_times_and_writes_one_file(tmp_path):
    out = tmp_path / "device_check.txt"
    result = subprocess.run([str(ROOT / "tools" / "device_check.sh"), "--device", "cpu", "--quick",
                             "--out", str(out)], capture_output=True, text=True, timeout=880)
    text = out.read_text()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ok   ae1_bottleneck   release  0 of" in text and "ok   ae1_bottleneck   solution" in text
    assert "[1/1] 00_recipe.ipynb: ok in" in text and "every check passed" in text
    assert text.startswith("device check ") and "aeutils 0." in text
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run([str(ROOT / "tools" / "device_check.sh"), "--device", "tpu"], check=True,
                       capture_output=True)


def test_the_solution_submission_is_the_release_with_the_answers_written_in():
    release = {"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "a", "solution": True}},
         "source": "raise NotImplementedError()"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "t", "grade": True}},
         "source": "check(f)"}], "metadata": {}}
    source = {"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "a", "solution": True}},
         "source": ["def f():\n", "    ### BEGIN SOLUTION\n", "    return 1\n",
                    "    ### END SOLUTION\n"]},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "t", "grade": True}},
         "source": "check(f)\n### BEGIN HIDDEN TESTS\nhidden()\n### END HIDDEN TESTS"}]}
    out = report.solution_submission(release, source)
    assert out["cells"][0]["source"] == "def f():\n    return 1\n"
    assert out["cells"][1] == release["cells"][1], "test cells stay as released"
