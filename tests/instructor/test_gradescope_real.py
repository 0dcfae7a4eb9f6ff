"""`aeutils gradescope ID` on the four real assignments: its run_autograder, run in a
Gradescope-shaped folder (autograder/source, submission, results) under a temporary root, gives
every autograded part the points `aeutils grade` gave it, for the solution, the release and the
submissions that hold three wrong answers per assignment (real_class.py: the class that
test_real_assignments.py grades, read here and by the feedback tests).

Each run grades one notebook (~20 CPU s); two run at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import aeutils_cli
from mutants import part_scores
from real_class import IDS, secret_for, shown_students, shows_line

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1800)]


def unzip_like_gradescope(zip_path: Path, dest: Path) -> None:
    """Extract with the files' modes (Gradescope's image build keeps run_autograder executable)."""
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = dest / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)


def run_autograder(zip_path: Path, files: dict[str, Path], base: Path) -> dict:
    """Grade a submission the way Gradescope would: unzip into ``base/autograder/source``, put
    ``files`` (name in the submission -> file) into ``submission/``, run
    ``source/run_autograder`` from ``base/autograder``; return results.json (plus ``_stdout``,
    what only instructors see, and ``_seconds``)."""
    root = base / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    unzip_like_gradescope(zip_path, root / "source")
    script = root / "source" / "run_autograder"
    assert script.stat().st_mode & stat.S_IXUSR, "run_autograder is not executable"
    for name, path in files.items():
        shutil.copyfile(path, root / "submission" / name)
    env = {**os.environ, "AEUTILS_AUTOGRADER_ROOT": str(root),
           "AEUTILS_AUTOGRADER_PYTHON": sys.executable}
    t0 = time.monotonic()
    proc = subprocess.run([str(script)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    out = json.loads((root / "results" / "results.json").read_text())
    out["_stdout"], out["_seconds"] = proc.stdout + proc.stderr, time.monotonic() - t0
    return out


@pytest.mark.parametrize("aid", IDS)
def test_gradescope_points_equal_aeutils_grade_part_by_part(real_class, aid, tmp_path):
    graded = real_class(aid)
    subs = graded["course"].parent / "submitted"
    zip_path = tmp_path / f"{aid}-autograder.zip"
    aeutils_cli("--course", str(graded["course"]), "gradescope", aid, "--out", str(zip_path))
    students = shown_students(aid, graded)
    # the release goes in under another name: a lone notebook is graded whatever its name
    names = {s: (f"{aid} (1).ipynb" if s == "release" else f"{aid}.ipynb") for s in students}
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(students, pool.map(
            lambda s: run_autograder(zip_path, {names[s]: subs / s / aid / f"{aid}.ipynb"},
                                     tmp_path / s), students)))
    hidden_parts = set()
    for student in students:
        res, expected = runs[student], part_scores(graded["results"][student])
        got = {t["extra_data"]["grade_id"]: (t["score"], t["max_score"]) for t in res["tests"]}
        assert got == expected, f"{student}: Gradescope {got} != aeutils grade {expected}"
        assert res["score"] == sum(s for s, _ in expected.values())
        assert res["extra_data"]["isolation"].startswith("isolated") or os.geteuid() != 0
        for t in res["tests"]:
            assert t["visibility"] == ("after_published" if t["extra_data"]["hidden_tests"]
                                       else "visible")
            if t["extra_data"]["hidden_tests"]:
                hidden_parts.add(t["name"])
            if t["score"] < t["max_score"]:
                assert t["output"] and t["output"] != "All checks passed.", (student, t)
        assert "graded by hand" in res["output"] and res["extra_data"]["written"]
        text = "\n".join([res["output"], *(t["output"] for t in res["tests"])])
        secret = secret_for(aid, subs / student / aid / f"{aid}.ipynb")
        assert not [s for s in secret if shows_line(text, s)], f"{student}: hidden code shown"
        print(f"{aid}/{student}: {res['score']:g} points, {res['_seconds']:.0f} s wall; lost: "
              + "; ".join(f"{t['name']}: {t['output'][:80]}" for t in res["tests"]
                          if t["score"] < t["max_score"]))
    assert hidden_parts, f"{aid}: no part with hidden tests marked after_published"
    assert "graded as" in runs["release"]["output"]
