"""`aeutils gradescope`: the zip's layout and scripts, submissions that cannot be graded, and the
results.json builders (cheap: the fixture course, and one graded run for an unreadable notebook).
The real assignments, graded: test_gradescope_real.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from conftest import aeutils_cli
from test_gradescope_real import run_autograder, unzip_like_gradescope

import aeutils
from aeutils.instructor.gradescope.bundle import VENV
from aeutils.instructor.gradescope.results import failed_results, graded_results
from aeutils.instructor.gradescope.runner import find_notebooks
from aeutils.instructor.hidden import found_secret
from aeutils.instructor.parts import AUTOGRADED, WRITTEN, GradedPart

pytestmark = pytest.mark.grading
AID, NB = "fx_basics", "fx_basics.ipynb"


@pytest.fixture(scope="module")
def fixture_zip(fixture_course, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "fx.zip"
    proc = aeutils_cli("--course", str(fixture_course), "gradescope", AID, "--out", str(out))
    assert str(out) in proc.stdout and "docs/gradescope.md" in proc.stdout
    return out


def test_the_zip_holds_what_gradescope_runs(fixture_zip, tmp_path):
    with zipfile.ZipFile(fixture_zip) as zf:
        names = zf.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        solution = zf.read(f"course/solutions/{AID}/{NB}").decode()
        release = zf.read(f"course/assignments/{AID}/{NB}").decode()
        manifest = json.loads(zf.read("course/gradescope.json"))
        setup, run = zf.read("setup.sh").decode(), zf.read("run_autograder").decode()
    assert names[:2] == ["setup.sh", "run_autograder"]  # at the root, not in a folder
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "BEGIN HIDDEN TESTS" in solution and "BEGIN HIDDEN TESTS" not in release
    assert manifest == {"assignment": AID, "notebooks": [NB], "aeutils_version": aeutils.__version__,
                        "torch_version": torch.__version__.split("+")[0]}
    assert "course/nbgrader_config.py" in names and "package/pyproject.toml" in names
    assert "package/aeutils/instructor/gradescope/runner.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith("course/solutions/") and AID not in n]
    # setup.sh installs what run_autograder runs: the CPU torch of this course, then the package
    assert f'"torch=={manifest["torch_version"]}" --index-url https://download.pytorch.org/whl/cpu' in setup
    assert f'"$PYTHON" -m venv {VENV}' in setup and '"$SOURCE/package"' in setup
    assert f"{VENV}/bin/python" in run and "aeutils.instructor.gradescope.runner" in run
    for script in (setup, run):
        syntax = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
        assert syntax.returncode == 0, syntax.stderr
    # the packaged course package builds (what setup.sh's pip install does, offline here)
    unzip_like_gradescope(fixture_zip, tmp_path / "src")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
                            "--no-build-isolation", "-q", "-w", str(tmp_path / "whl"),
                            str(tmp_path / "src" / "package")], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    wheel = next((tmp_path / "whl").glob("aeutils-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        assert "aeutils/instructor/gradescope/runner.py" in zf.namelist()


def test_cli_says_what_is_wrong(fixture_course, tmp_path):
    proc = aeutils_cli("--course", str(fixture_course), "gradescope", "nope", check=False)
    assert proc.returncode == 2 and "unknown assignment 'nope'" in proc.stderr
    bare = tmp_path / "course"
    shutil.copytree(fixture_course, bare, ignore=shutil.ignore_patterns("assignments"))
    proc = aeutils_cli("--course", str(bare), "gradescope", AID, check=False)
    assert proc.returncode == 2 and f"run `aeutils release {AID}` first" in proc.stderr


def test_submissions_that_cannot_be_graded_say_why(fixture_zip, fixture_course, tmp_path):
    good = fixture_course / "assignments" / AID / NB
    # two notebooks, neither with the assignment's name: not graded, and the student is told why
    res = run_autograder(fixture_zip, {"draft.ipynb": good, "final.ipynb": good}, tmp_path / "a")
    assert res["score"] == 0 and res["extra_data"]["status"] == "failed"
    assert "could NOT be graded" in res["output"] and "draft.ipynb, final.ipynb" in res["output"]
    assert res["tests"] and all(t["score"] == 0 and t["output"].startswith("Not graded: expected")
                                for t in res["tests"])
    # a notebook that is not JSON: aeutils grade fails it, and the student reads why
    broken = tmp_path / NB
    broken.write_text("{ this is not a notebook")
    res = run_autograder(fixture_zip, {NB: broken}, tmp_path / "b")
    assert res["extra_data"]["status"] == "failed" and res["score"] == 0
    assert "could NOT be graded" in res["output"] and res["extra_data"]["reason"] in res["output"]
    assert "failed" in res["_stdout"]  # the instructor's log says it too


def test_find_notebooks(tmp_path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    for rel in ("deep/er/a.ipynb", "deep/a.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    found, note = find_notebooks(tmp_path, ["a.ipynb"])
    assert found == {"a.ipynb": tmp_path / "deep" / "a.ipynb"} and note == ""  # the shallowest
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "a (1).ipynb").write_text("{}")
    found, note = find_notebooks(lone, ["a.ipynb"])
    assert found == {"a.ipynb": lone / "a (1).ipynb"} and "graded as a.ipynb" in note
    found, problem = find_notebooks(lone, ["a.ipynb", "b.ipynb"])  # two expected: names count
    assert found == {} and "a.ipynb and b.ipynb" in problem and "a (1).ipynb" in problem
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_notebooks(empty, ["a.ipynb"])[1].endswith("Upload your notebook under that name")


def test_results_json_from_parts():
    parts = [
        GradedPart("nb", "test-a", AUTOGRADED, 2.0, 2.0, hidden=False),
        GradedPart("nb", "test-b", AUTOGRADED, 3.0, 0.0, hidden=True,
                   message="GradingError: expected 5, got 4. Check the sum."),
        GradedPart("nb", "written-c", WRITTEN, 4.0, None),
    ]
    res = graded_results(parts, review=False, execution_time=12.4, extra={"x": 1}).to_json()
    assert [(t["name"], t["score"], t["max_score"], t["visibility"]) for t in res["tests"]] == [
        ("test-a", 2.0, 2.0, "visible"), ("test-b", 0.0, 3.0, "after_published")]
    assert res["tests"][1]["output"] == "GradingError: expected 5, got 4. Check the sum."
    assert res["score"] == 2.0 and res["execution_time"] == 12 and res["stdout_visibility"] == "hidden"
    assert "written-c (4 points)" in res["output"] and res["extra_data"]["written"] == [
        {"grade_id": "written-c", "max_score": 4.0}]
    review = graded_results(parts, review=True, execution_time=1, extra={}).to_json()
    assert "look at this submission" in review["output"]
    failed = failed_results(parts, "the kernel died", execution_time=1, extra={}).to_json()
    assert [t["output"] for t in failed["tests"]] == ["Not graded: the kernel died"] * 2
    assert failed["extra_data"]["status"] == "failed"


def test_secret_lines_are_found_as_code_not_inside_longer_names():
    secret = ["model.eval()", "assert torch.allclose(_h, _ref)"]
    assert found_secret("    model.eval()\n", secret) == ["model.eval()"]
    assert found_secret("mlp_model.eval()\nmodel.eval_all()", secret) == []
    assert found_secret("grading.model.eval()", secret) == ["model.eval()"]  # a qualified call
    assert found_secret(r"'x = 1\nmodel.eval()'", secret) == ["model.eval()"]  # a printed repr
    assert found_secret("\x1b[0;31massert torch.allclose(_h, _ref)\x1b[0m", secret) == [secret[1]]


def test_a_hidden_line_inside_a_line_the_student_sees_is_not_secret():
    from aeutils.instructor.hidden import HiddenTests

    hidden = ("generator=g, amp=True)", "check_close(_got, _want)", "model.eval()")
    tests = HiddenTests(cells={"nb/t": ("", hidden)}, visible=frozenset({"x = 1"}))
    # ae1's student writes `fit(..., generator=g, amp=True).tolist()` in their own cell
    own = {"history = fit(model, x,", "generator=g, amp=True).tolist()", "mlp_model.eval()"}
    assert tests.secret(own=own) == ["check_close(_got, _want)", "model.eval()"]
    assert tests.secret() == sorted(hidden)
