"""The real assignments (every folder of solutions/), each graded in ONE batch: the solution, the
untouched release and packed submissions holding every wrong answer of assignment_mutants.py and
every independent student answer of independent_answers.py (`aeutils grade --jobs 2 --device cpu`,
see mutants.py; the batch is real_class.py's, which the feedback and Gradescope tests read too).

From that one batch per assignment: the release equals the committed assignments/, the solution
scores full points and passes nbgrader's validation, the release scores zero and fails it, every
correct answer keeps full points, and every wrong one loses its part (with a message) and only
what it may touch. (`--device auto`, the default, is checked on the fixture corpus in
test_grading_corpus.py; a GPU grader is simulated in test_gpu_grader.py.)
"""

from __future__ import annotations

import re

import nbformat
import pytest
from assignment_mutants import MUTANTS
from conftest import REPO, tree_digest
from mutants import answer_cells, assert_enough_caught, check, check_solution_and_release, params
from real_class import CASES, IDS, WITH_MUTANTS

from aeutils.instructor.config import load_config

pytestmark = [pytest.mark.grading, pytest.mark.timeout(3600)]

CASE_PARAMS = [pytest.param(aid, *p.values, id=f"{aid}-{p.id}", marks=p.marks)
               for aid in IDS for p in params(CASES[aid])]


def _nb(folder, aid):
    return nbformat.read(str(folder / aid / f"{aid}.ipynb"), as_version=4)


def test_every_assignment_has_mutants():
    assert IDS, "no assignments: solutions/<id>/<id>.ipynb does not exist"
    assert sorted(MUTANTS) == IDS, "each assignment of solutions/ needs its list in MUTANTS"


@pytest.mark.parametrize("aid", IDS)
def test_every_answer_cell_has_wrong_answers(aid):
    assert_enough_caught(CASES[aid], answer_cells(aid), min_count=8)


@pytest.mark.parametrize("aid", IDS)
def test_enough_independent_answers(aid):
    """Issue 20: at least 15 wrong and 6 correct answers written from the release alone, at most
    10% of the wrong ones known survivors."""
    mine = [c for c in CASES[aid] if c.origin == "independent"]
    wrong, right = [c for c in mine if not c.correct], [c for c in mine if c.correct]
    assert len(wrong) >= 15 and len(right) >= 6, (len(wrong), len(right))
    assert sum(bool(c.survives) for c in wrong) <= 0.1 * len(wrong)


@pytest.mark.parametrize("aid", IDS)
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


def _solution_and_hidden_lines(source_nb):
    """Lines inside BEGIN/END SOLUTION and BEGIN/END HIDDEN TESTS blocks of the source."""
    solution, hidden, elsewhere = [], [], []
    for cell in source_nb.cells:
        text = cell.source
        for block in re.findall(r"BEGIN SOLUTION[^\n]*\n(.*?)\n[^\n]*END SOLUTION", text, re.S):
            solution += [ln.strip() for ln in block.splitlines()]
        for block in re.findall(r"BEGIN HIDDEN TESTS[^\n]*\n(.*?)\n[^\n]*END HIDDEN TESTS", text, re.S):
            hidden += [ln.strip() for ln in block.splitlines()]
        outside = re.sub(r"BEGIN (SOLUTION|HIDDEN TESTS).*?END (SOLUTION|HIDDEN TESTS)", "", text,
                         flags=re.S)
        elsewhere.append(outside)
    # lines long enough to be specific, and not also written outside those blocks (the text may
    # quote a line of the solution, e.g. ae1's `scaler.scale(loss).backward()`)
    outside_text = "\n".join(elsewhere)
    pick = lambda lines: sorted({ln for ln in lines if len(ln) >= 20 and ln not in outside_text})  # noqa: E731
    return pick(solution), pick(hidden)


@pytest.mark.parametrize("aid", IDS)
def test_solution_full_points_and_release_zero(real_class, aid):
    check_solution_and_release(real_class(aid))


@pytest.mark.parametrize("aid", IDS)
def test_release_equals_committed_assignments(real_class, aid):
    course = real_class(aid)["course"]
    made = tree_digest(course / "assignments" / aid)
    committed = tree_digest(REPO / "assignments" / aid)
    assert made == committed, (
        f"assignments/{aid} is not what `aeutils release {aid}` makes from solutions/{aid}: "
        "run `make release` and commit the result")


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


@pytest.mark.parametrize("aid", IDS)
def test_source_passes_and_release_fails_validation(real_class, aid):
    course = real_class(aid)["course"]
    config = load_config(course)
    done = course / "autograded"
    good = _validate_replayed(config, course / "solutions" / aid / f"{aid}.ipynb",
                              _nb(done / "solution", aid))
    assert not good.get("failed") and not good.get("changed"), good
    bad = _validate_replayed(config, REPO / "assignments" / aid / f"{aid}.ipynb",
                             _nb(done / "release", aid))
    assert bad.get("failed"), f"the released {aid} passes validation without any answer"


@pytest.mark.skipif(not WITH_MUTANTS, reason="AEUTILS_GRADE_MUTANTS=0: solution and release only")
@pytest.mark.parametrize("aid, case", CASE_PARAMS)
def test_answer_is_graded_as_it_deserves(real_class, aid, case):
    check(real_class(aid), case)
