"""ae1_bottleneck: every plausible wrong answer loses its part, and only its part (real grading).

One `aeutils grade --jobs 2 --device cpu` batch: the solution, the untouched release and each
mutant below as its own student. On this CPU-only grader the device mutants are caught by
`grading.run_on_device` (meta tensors), the hand-offs by `grading.without`.
"""

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
_SHUFFLE = ("    for epoch in range(epochs):\n"
            "        order = torch.randperm(n, generator=generator, device=where).to(device)\n")

MUTANTS = [
    Mutant("decoder_sign", "linear-ae", (("return self.decoder(h)", "return -self.decoder(h)"),),
           {"test-linear-ae"}, kind="sign flipped"),
    Mutant("pca_wrong_axis", "pca-error",
           (("mean = x.mean(dim=0, keepdim=True)", "mean = x.mean(dim=1, keepdim=True)"),),
           {"test-pca-error"}, kind="wrong axis"),
    Mutant("pca_sum_for_mean", "pca-error",
           (("((recon - x) ** 2).mean()", "((recon - x) ** 2).sum(dim=1).mean()"),),
           {"test-pca-error"}, kind="mean for sum"),
    Mutant("pca_handoff", "pca-error",
           (("    x = x.detach().cpu().double()\n",
             "    return aeutils.metrics.pca(x, k).error\n"),),
           {"test-pca-error"}, kind="hand-off"),
    Mutant("angles_handoff", "principal-angles",
           (("    qa, _ = torch.linalg.qr(A.detach().cpu().double())\n",
             "    return torch.as_tensor(aeutils.metrics.principal_angles(A, B))\n"),),
           {"test-principal-angles"}, kind="hand-off"),
    Mutant("fit_shuffle_once", "fit-loop",
           ((_SHUFFLE, "    order = torch.randperm(n, generator=generator, device=where).to(device)\n"
                       "    for epoch in range(epochs):\n"),),
           {"test-fit-loop"}, kind="shuffled once, not every epoch"),
    Mutant("fit_unweighted_batch_mean", "fit-loop",
           (("totals[epoch] += loss.detach() * xb.shape[0]", "totals[epoch] += loss.detach()"),
            ("return totals / n", "return totals / ((n + batch_size - 1) // batch_size)")),
           {"test-fit-loop"}, kind="missing factor (batch size)"),
    Mutant("fit_losses_on_cpu", "fit-loop",
           (("totals = torch.zeros(epochs, device=device)", "totals = torch.zeros(epochs)"),),
           {"test-fit-loop"}, kind="wrong device"),
    Mutant("fit_item_per_batch", "fit-loop",
           (("totals[epoch] += loss.detach() * xb.shape[0]",
             "totals[epoch] += loss.item() * xb.shape[0]"),),
           {"test-fit-loop"}, kind="host sync per batch"),
    Mutant("fit_no_autocast", "fit-loop",
           (("dtype=amp_dtype(device), enabled=amp)", "dtype=amp_dtype(device), enabled=False)"),),
           {"test-fit-amp"}, kind="amp ignored"),
    Mutant("amp_float16_everywhere", "fit-loop",
           (('return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16',
             "return torch.float16"),),
           {"test-fit-amp"}, kind="wrong constant", loses_any=frozenset({"test-mlp-ae"})),
    Mutant("linear_train_set_metric", "train-linear",
           (("_xc = (x_test - mean).to(device)", "_xc = (x_train - mean).to(device)"),),
           {"test-train-linear"}, kind="training-set metric"),
    Mutant("linear_too_few_epochs", "train-linear", (("epochs=200", "epochs=5"),),
           {"test-train-linear"}, kind="too few epochs"),
    Mutant("mlp_one_epoch", "mlp-ae", (("_epochs = 10", "_epochs = 1"),), {"test-mlp-ae"},
           kind="too few epochs"),
    Mutant("mlp_code_on_cpu", "mlp-ae",
           (("        h = self.encode(x)\n", "        h = self.encode(x) + torch.zeros(16)\n"),),
           {"test-mlp-ae"}, kind="wrong device"),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(AID, MUTANTS, tmp_path_factory.mktemp(AID))


def test_solution_full_points_and_release_zero(graded):
    print(f"{AID}: {graded['students']} submissions graded in {graded['duration']:.0f} s (wall)")
    check_solution_and_release(graded)


@pytest.mark.parametrize("mutant", params(MUTANTS))
def test_mutant_loses_only_its_part(graded, mutant):
    check(graded, mutant)


def test_enough_mutants_are_caught():
    assert_enough_caught(MUTANTS, answer_cells(AID), min_count=8)
