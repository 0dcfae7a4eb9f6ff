"""The real assignments (every folder of solutions/), each graded in ONE batch: the solution, the
untouched release and packed submissions holding every wrong answer of assignment_mutants.py and
every independent student answer of independent_answers.py (`aeutils grade --jobs 2 --device cpu`,
see mutants.py).

From that one batch per assignment: the release equals the committed assignments/, the solution
scores full points and passes nbgrader's validation, the release scores zero and fails it, every
correct answer keeps full points, and every wrong one loses its part (with a message) and only
what it may touch. (`--device auto`, the default, is checked on the fixture corpus in
test_grading_corpus.py; a GPU grader is simulated in test_gpu_grader.py.)
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from assignment_mutants import MUTANTS
from conftest import REPO, tree_digest
from independent_answers import ANSWERS
from mutants import (
    answer_cells,
    assert_enough_caught,
    cases_of,
    check,
    check_solution_and_release,
    grade_class,
    pack,
    params,
)

from aeutils.instructor.config import load_config

pytestmark = [pytest.mark.grading, pytest.mark.timeout(3600)]

#: AEUTILS_GRADE_MUTANTS=0 grades only the solution and the release (`make test-portable`: the
#: thresholds again with other CPU kernels; the answers' tests then skip)
WITH_MUTANTS = os.environ.get("AEUTILS_GRADE_MUTANTS", "1") != "0"

IDS = sorted(p.name for p in (REPO / "solutions").glob("*")
             if p.is_dir() and (p / f"{p.name}.ipynb").is_file())
CASES = {aid: cases_of(aid, MUTANTS.get(aid, []), ANSWERS) for aid in IDS}
CASE_PARAMS = [pytest.param(aid, *p.values, id=f"{aid}-{p.id}", marks=p.marks)
               for aid in IDS for p in params(CASES[aid])]


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """aid -> its graded batch, graded the first time a test asks for it (one batch each)."""
    done: dict[str, dict] = {}

    def graded(aid: str) -> dict:
        if aid not in done:
            subs = pack(CASES[aid]) if WITH_MUTANTS else []
            done[aid] = grade_class(aid, subs, tmp_path_factory.mktemp(aid))
            print(f"\n{aid}: {len(CASES[aid]) if WITH_MUTANTS else 0} answers in {len(subs)} submissions "
                  f"(+ solution, release) graded in {done[aid]['duration']:.0f} s (wall)")
        return done[aid]

    return graded


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


@pytest.mark.parametrize("aid", IDS)
def test_solution_full_points_and_release_zero(batches, aid):
    check_solution_and_release(batches(aid))


@pytest.mark.parametrize("aid", IDS)
def test_release_equals_committed_assignments(batches, aid):
    course = batches(aid)["course"]
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
def test_source_passes_and_release_fails_validation(batches, aid):
    course = batches(aid)["course"]
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
def test_answer_is_graded_as_it_deserves(batches, aid, case):
    check(batches(aid), case)
