"""The real assignments (every folder of solutions/): release, validation, and grading.

Each real notebook takes up to about a minute, so they run as few times as possible: one release
into a scratch course and ONE grade batch of a fake class {solution, untouched release} for all
assignments together; nbgrader's Validator then judges the source and the release from the
outputs of that batch (see ``_validate_replayed``).
"""

from __future__ import annotations

import re
import shutil

import grading_corpus as corpus
import nbformat
import pytest
from conftest import REPO, aeutils_cli, tree_digest

from aeutils.instructor.config import load_config

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1800)]

IDS = sorted(p.name for p in (REPO / "solutions").glob("*")
             if p.is_dir() and (p / f"{p.name}.ipynb").is_file())
NO_ASSIGNMENTS = "no assignments yet: solutions/<id>/<id>.ipynb does not exist"
params = pytest.mark.parametrize(
    "aid", IDS or [pytest.param("none", marks=pytest.mark.skip(reason=NO_ASSIGNMENTS))])


def _nb(folder, aid):
    return nbformat.read(str(folder / aid / f"{aid}.ipynb"), as_version=4)


@pytest.fixture(scope="module")
def real_course(tmp_path_factory):
    """A scratch course with the repository's solutions/, released by `aeutils release`."""
    course = tmp_path_factory.mktemp("real") / "course"
    course.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "solutions", course / "solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    aeutils_cli("--course", str(course), "release")
    return course


@pytest.fixture(scope="module")
def real_grades(real_course):
    """ONE grade batch: per assignment, the solution and the untouched release."""
    subs = real_course.parent / "submitted"
    for aid in IDS:
        rel, src = _nb(real_course / "assignments", aid), _nb(real_course / "solutions", aid)
        for student, nb in (("solution", corpus.solution_notebook(rel, src)), ("release", rel)):
            (subs / student / aid).mkdir(parents=True)
            nbformat.write(nb, str(subs / student / aid / f"{aid}.ipynb"))
    out = real_course / "grades.csv"
    aeutils_cli("--course", str(real_course), "grade", str(subs), "--jobs", "2", "--out", str(out))
    return {(r["student"], r["assignment"]): r
            for r in corpus.read_report(out.with_suffix(".json"))["results"]}


def _solution_and_hidden_lines(source_nb):
    """Lines inside BEGIN/END SOLUTION and BEGIN/END HIDDEN TESTS blocks of the source."""
    solution, hidden, elsewhere = [], [], set()
    for cell in source_nb.cells:
        text = cell.source
        for block in re.findall(r"BEGIN SOLUTION[^\n]*\n(.*?)\n[^\n]*END SOLUTION", text, re.S):
            solution += [ln.strip() for ln in block.splitlines()]
        for block in re.findall(r"BEGIN HIDDEN TESTS[^\n]*\n(.*?)\n[^\n]*END HIDDEN TESTS", text, re.S):
            hidden += [ln.strip() for ln in block.splitlines()]
        outside = re.sub(r"BEGIN (SOLUTION|HIDDEN TESTS).*?END (SOLUTION|HIDDEN TESTS)", "", text,
                         flags=re.S)
        elsewhere |= {ln.strip() for ln in outside.splitlines()}
    # lines long enough to be specific, and not also written outside those blocks
    pick = lambda lines: sorted({ln for ln in lines if len(ln) >= 20 and ln not in elsewhere})  # noqa: E731
    return pick(solution), pick(hidden)


@params
def test_release_equals_committed_assignments(real_course, aid):
    made = tree_digest(real_course / "assignments" / aid)
    committed = tree_digest(REPO / "assignments" / aid)
    assert made == committed, (
        f"assignments/{aid} is not what `aeutils release {aid}` makes from solutions/{aid}: "
        "run `make release` and commit the result")


@params
def test_release_contains_no_solution_or_hidden_test(aid):
    src = _nb(REPO / "solutions", aid)
    text = (REPO / "assignments" / aid / f"{aid}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                   "BEGIN MARK SCHEME"):
        assert marker not in text
    solution, hidden = _solution_and_hidden_lines(src)
    assert solution, "the source should contain solution code"
    for line in solution + hidden:
        assert line not in text, f"released {aid} contains: {line}"


def _validate_replayed(config, notebook, executed):
    """nbgrader's Validator verdict on ``notebook``, with the outputs of an executed copy.

    The Validator normally executes the notebook itself; here its Execute step is replaced by
    copying each graded cell's outputs from ``executed`` (the autograded notebook of the grade
    batch), so the real notebooks run once for both the score and the validation tests. The
    verdict (failed / changed / passed cells) is still the Validator's own logic.
    """
    from nbconvert.preprocessors import Preprocessor
    from nbgrader.preprocessors import CheckCellMetadata
    from nbgrader.validator import Validator

    ran = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in executed.cells}

    class ReplayOutputs(Preprocessor):
        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == "code":
                done = ran.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
                cell.outputs = list(done.outputs) if done is not None else []
            return cell, resources

    validator = Validator(config=config)
    validator.preprocessors = [CheckCellMetadata, ReplayOutputs]
    return validator.validate(str(notebook))


@params
def test_source_passes_and_release_fails_validation(real_course, real_grades, aid):
    config = load_config(real_course)
    done = real_course / "autograded"
    good = _validate_replayed(config, real_course / "solutions" / aid / f"{aid}.ipynb",
                              _nb(done / "solution", aid))
    assert not good.get("failed") and not good.get("changed"), good
    bad = _validate_replayed(config, REPO / "assignments" / aid / f"{aid}.ipynb",
                             _nb(done / "release", aid))
    assert bad.get("failed"), f"the released {aid} passes validation without any answer"


@params
def test_solution_scores_full_points(real_grades, aid):
    res = real_grades[("solution", aid)]
    assert res["status"] == "graded", res["reason"]
    assert res["max_score"] > 0 and res["score"] == res["max_score"], res["reason"]


@params
def test_untouched_release_scores_zero(real_grades, aid):
    res = real_grades[("release", aid)]
    assert res["status"] == "graded", res["reason"]
    assert res["score"] == 0


def test_default_device_is_auto_and_recorded(real_grades):
    """`aeutils grade` without --device grades on the GPU when there is one, else the CPU."""
    import torch

    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert {r["device"] for r in real_grades.values()} == {want}
