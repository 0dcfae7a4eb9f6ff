"""ae3_denoising: every plausible wrong answer loses its part, and only its part (real grading).

One `aeutils grade --jobs 2 --device cpu` batch: the solution, the untouched release and each
mutant below as its own student. Part 8 trains with the student's Part 1 noise, so a broken
`gaussian_noise` may also cost Part 8's loop test (`loses_any`).
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
AID = "ae3_denoising"
_LOOP = frozenset({"test-train-denoiser"})

MUTANTS = [
    Mutant("gauss_no_clip", "gaussian", ((".clamp(0.0, 1.0)", ""),), {"test-gaussian"},
           kind="missing clip"),
    Mutant("gauss_on_cpu", "gaussian",
           (("std * normal_like(x, generator)", "std * torch.randn(x.shape, generator=generator)"),),
           {"test-gaussian"}, kind="wrong device", loses_any=_LOOP),
    Mutant("gauss_handoff", "gaussian",
           (("    return (x + std", "    return aeutils.noise.gaussian(x, std, generator=generator)\n"
                                    "    return (x + std"),),
           {"test-gaussian"}, kind="hand-off", loses_any=_LOOP),
    Mutant("sp_in_place", "salt-pepper", (("noisy = x.clone()", "noisy = x"),),
           {"test-salt-pepper"}, kind="in place"),
    Mutant("sp_pepper_third", "salt-pepper",
           (("noisy[u < amount / 2] = 0.0", "noisy[u < amount / 3] = 0.0"),),
           {"test-salt-pepper"}, kind="wrong constant"),
    Mutant("mask_keeps_fraction", "masking", ((">= fraction", ">= 1 - fraction"),),
           {"test-masking"}, kind="wrong constant"),
    Mutant("bert_rate_020", "bert-mask", (("rate=0.15, generator=None", "rate=0.2, generator=None"),),
           {"test-bert-rates"}, kind="0.2 for 0.15"),
    Mutant("bert_mask_id_on_cpu", "bert-mask",
           (("torch.full_like(tokens, mask_id)", "torch.full(tokens.shape, mask_id)"),),
           {"test-bert-mechanics"}, kind="wrong device"),
    Mutant("loss_all_positions", "masked-loss",
           (("return (per_position * mask).sum() / mask.sum()", "return per_position.mean()"),),
           {"test-masked-loss"}, kind="mean over every position"),
    Mutant("loss_sum_not_mean", "masked-loss",
           (("return (per_position * mask).sum() / mask.sum()", "return (per_position * mask).sum()"),),
           {"test-masked-loss"}, kind="missing factor (1/N)"),
    Mutant("loss_handoff", "masked-loss",
           (('    if not bool(mask.any()):\n',
             "    return aeutils.losses.masked_token_loss(logits, targets, mask)\n"
             "    if not bool(mask.any()):\n"),),
           {"test-masked-loss"}, kind="hand-off"),
    Mutant("conv_sigmoid_output", "conv-dae",
           (("nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1, output_padding=1))",
             "nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())"),),
           {"test-conv-dae"}, kind="architecture", loses_any=frozenset({"test-train-denoising"})),
    Mutant("loop_target_noisy", "train-denoiser",
           (("loss = ((x_hat - clean) ** 2).mean()", "loss = ((x_hat - noisy) ** 2).mean()"),),
           {"test-train-denoiser"}, kind="wrong target",
           loses_any=frozenset({"test-train-denoising"})),
    Mutant("loop_fixed_noise", "train-denoiser",
           (("    n = x_clean.shape[0]\n",
             "    n = x_clean.shape[0]\n    fixed = gaussian_noise(x_clean, std, generator)\n"),
            ("noisy = gaussian_noise(clean, std, generator)",
             "noisy = fixed[order[start:start + batch_size]]")),
           {"test-train-denoiser"}, kind="noise drawn once",
           loses_any=frozenset({"test-train-denoising"})),
    Mutant("dae_one_epoch", "train-denoising", (("epochs=8", "epochs=1"),),
           {"test-train-denoising"}, kind="too few epochs"),
    Mutant("dae_train_set_metric", "train-denoising",
           (("x_denoised = dae(x_test_noisy.to(device))",
             "x_denoised = dae(aeutils.noise.gaussian(xm_train[:1000], 0.4).to(device))"),
            ("psnr_denoised = aeutils.metrics.psnr(x_denoised, xm_test)",
             "psnr_denoised = aeutils.metrics.psnr(x_denoised, xm_train[:1000].to(device))")),
           {"test-train-denoising"}, kind="training-set metric",
           survives="8 epochs do not overfit: the PSNR on 1,000 noisy training images came out within "
                    "0.05 dB of the held-out one, inside the check's tolerance (atol=0.05 dB), so the "
                    "value cannot tell the two sets apart"),
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
