"""ae1_bottleneck: every plausible wrong answer loses its part, and only its part (real grading)."""

from __future__ import annotations

import pytest
from mutants import (
    Mutant,
    answer_cells,
    assert_enough_caught,
    check,
    check_solution_and_release,
    grade_class,
    params,
)

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1800)]
AID = "ae1_bottleneck"

MUTANTS = [
    Mutant("pca_wrong_axis", "pca-error",
           (("mean = x.mean(dim=0, keepdim=True)", "mean = x.mean(dim=1, keepdim=True)"),),
           {"test-pca-error"}, kind="wrong axis"),
    Mutant("angles_descending", "principal-angles",
           (("torch.sort(angles).values", "torch.sort(angles, descending=True).values"),),
           {"test-principal-angles"}, kind="wrong order"),
    Mutant("decoder_sign", "linear-ae", (("return self.decoder(h)", "return -self.decoder(h)"),),
           {"test-linear-ae"}, kind="sign flipped"),
    Mutant("one_epoch", "train-linear", (("epochs=10", "epochs=1"),), {"test-train-linear"},
           kind="too few epochs"),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(AID, MUTANTS, tmp_path_factory.mktemp(AID))


def test_solution_full_points_and_release_zero(graded):
    print(f"{AID}: {graded['students']} submissions graded in {graded['duration']:.0f} s")
    check_solution_and_release(graded)


@pytest.mark.parametrize("mutant", params(MUTANTS))
def test_mutant_loses_only_its_part(graded, mutant):
    check(graded, mutant)


def test_enough_mutants_are_caught():
    assert_enough_caught(MUTANTS, answer_cells(AID), min_count=3)
