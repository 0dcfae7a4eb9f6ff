"""ae2_sparse: every plausible wrong answer loses its part, and only its part (real grading)."""

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
AID = "ae2_sparse"
IMPORT_LOSSES = "from aeutils import losses\n\n\n"

MUTANTS = [
    Mutant("l1_mean_for_sum", "l1-penalty",
           (("h.abs().sum(dim=1).mean()", "h.abs().mean(dim=1).mean()"),),
           {"test-l1-penalty"}, kind="mean for sum", loses_any=frozenset({"test-train-sparse"})),
    Mutant("l1_handoff", "l1-penalty",
           (("def l1_penalty(h):", IMPORT_LOSSES + "def l1_penalty(h):"),
            ("return h.abs().sum(dim=1).mean()", "return losses.l1_sparsity(h)")),
           {"test-l1-penalty"}, kind="hand-off"),
    Mutant("subgradient_missing_1_over_B", "l1-subgradient",
           (("return torch.sign(h) / h.shape[0]", "return torch.sign(h)"),),
           {"test-l1-subgradient"}, kind="missing factor"),
    Mutant("subgradient_via_cpu", "l1-subgradient",
           (("return torch.sign(h) / h.shape[0]", "return torch.sign(h.cpu()) / h.shape[0]"),),
           {"test-l1-subgradient"}, kind="wrong device"),
    Mutant("kl_wrong_axis", "kl-penalty", (("h.mean(dim=0)", "h.mean(dim=1)"),),
           {"test-kl-penalty"}, kind="wrong axis"),
    Mutant("kl_handoff", "kl-penalty",
           (("def kl_penalty(h, rho=0.05):", IMPORT_LOSSES + "def kl_penalty(h, rho=0.05):"),
            ("    rho_hat = h.mean(dim=0)", "    return losses.kl_sparsity(h, rho)\n    rho_hat = h.mean(dim=0)")),
           {"test-kl-penalty"}, kind="hand-off"),
    Mutant("topk_zeros_on_cpu", "topk",
           (("torch.zeros_like(h).scatter", "torch.zeros(h.shape).scatter"),),
           {"test-topk"}, kind="wrong device",
           loses_any=frozenset({"test-sae-model", "test-dead-units"})),  # both run the model on meta
    Mutant("topk_handoff", "topk",
           (("def topk_activation(h, k):", IMPORT_LOSSES + "def topk_activation(h, k):"),
            ("    values, index = torch.topk", "    return losses.topk(h, k)\n    values, index = torch.topk")),
           {"test-topk"}, kind="hand-off", loses_any=frozenset({"test-sae-model"})),
    Mutant("sparse_loss_unweighted", "train-sparse",
           (("F.mse_loss(x_hat, xb) + weight * l1_penalty(h)", "F.mse_loss(x_hat, xb) + l1_penalty(h)"),),
           {"test-train-sparse"}, kind="missing factor"),
    Mutant("atoms_normalized_on_wrong_axis", "sae-model",
           (("w.norm(dim=0, keepdim=True)", "w.norm(dim=1, keepdim=True)"),),
           {"test-sae-model"}, kind="wrong axis", loses_any=frozenset({"test-train-sae"})),
    Mutant("dead_units_wrong_axis", "dead-units",
           (("(model.encode(x) != 0).sum(dim=0) == 0", "(model.encode(x) != 0).sum(dim=1) == 0"),),
           {"test-dead-units"}, kind="wrong axis", loses_any=frozenset({"test-train-sae"})),
    Mutant("resample_scale_constant", "dead-units",
           (("model.encoder.weight[units] = s * r", "model.encoder.weight[units] = 0.2 * r"),),
           {"test-dead-units"}, kind="wrong constant", loses_any=frozenset({"test-train-sae"})),
    Mutant("resample_index_on_cpu", "dead-units",
           (("units = dead.nonzero().flatten()", "units = torch.arange(len(dead))[dead.cpu()]"),),
           {"test-dead-units"}, kind="wrong device"),
    Mutant("no_resampling", "train-sae",
           (("history = train_sae(model, x_patches, resample=True)",
             "history = train_sae(model, x_patches, resample=False)"),),
           {"test-train-sae"}, kind="the fix left out"),
    Mutant("too_few_epochs", "train-sae",
           (("def train_sae(model, x, epochs=15,", "def train_sae(model, x, epochs=4,"),
            ("history = train_sae(model, x_patches, resample=True)",
             "history = train_sae(model, x_patches, resample=True)\nhistory = history + history[-1:] * 11")),
           {"test-train-sae"}, kind="too few epochs"),
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
    assert_enough_caught(MUTANTS, answer_cells(AID), min_count=8)
