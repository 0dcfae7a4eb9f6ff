"""The plausible wrong answers ("mutants") of every real assignment, graded by
tests/instructor/test_real_assignments.py (one `aeutils grade --jobs 2 --device cpu` batch per
assignment, packed with the independent answers). See mutants.py for what a Mutant is and how it
is checked.

These were written beside the hidden tests. Where an independent answer (independent_answers.py,
written from the release alone) makes the same mistake, the mutant was removed to keep CI's
batches short (issue 20): ae1 pca_wrong_axis (ae1-pca-row-mean), pca_sum_for_mean
(ae1-pca-per-sample-sum), pca_handoff, fit_unweighted_batch_mean (ae1-fit-mean-of-batch-means),
fit_losses_on_cpu (ae1-fit-history-on-cpu), fit_item_per_batch, linear_train_set_metric
(ae1-train-linear-train-error), linear_too_few_epochs, mlp_one_epoch; ae2 l1_mean_for_sum
(ae2-l1-mean-everything), l1_handoff, subgradient_missing_1_over_B (ae2-subgrad-no-batch),
subgradient_via_cpu (ae2-subgrad-cpu-zeros), kl_wrong_axis (ae2-kl-mean-over-units), kl_handoff,
topk_zeros_on_cpu, topk_handoff, atoms_normalized_on_wrong_axis (ae2-sae-row-norm),
dead_units_wrong_axis (ae2-dead-any-zero), no_resampling (ae2-trainsae-no-fix-copied); ae3 gauss_no_clip
(ae3-gauss-no-clip), gauss_on_cpu (ae3-gauss-cpu-noise), gauss_handoff, sp_in_place, mask_keeps_fraction,
loss_all_positions (ae3-mloss-all-positions), loss_handoff, conv_sigmoid_output (ae3-conv-sigmoid),
loop_target_noisy (ae3-denoiser-noisy-target), loop_fixed_noise (ae3-denoiser-fixed-noise),
dae_one_epoch, dae_train_set_metric (ae3-denoising-training-images); ae4 reparameterize_missing_half
(ae4-reparam-sigma-exp-logvar), reparameterize_eps_on_cpu, kl_missing_half (ae4-kl-no-half),
kl_sign_flipped (ae4-kl-sign-logvar), kl_handoff, elbo_mean_for_sum (ae4-elbo-mean-pixels),
posterior_halves_swapped (ae4-vae-logvar-first), iw_missing_log_K (ae4-iw-no-log-k), iw_eps_on_cpu,
item_per_batch, elbo_on_training_set (ae4-train-elbo-on-training). (In ae3 and ae4 a wrong answer of
a training part cannot share a submission with another part that training runs: each one saved there
is a notebook run less.)

Add a mutant by adding an entry to its assignment's list; a new assignment needs its own list in
MUTANTS (a test checks every assignment of solutions/ has one).
"""

from __future__ import annotations

from mutants import Mutant

# ---- ae1_bottleneck ----
# On this CPU-only grader the device mutants are caught by `grading.run_on_device` (meta
# tensors), the hand-offs by `grading.without`.
_SHUFFLE = ("    for epoch in range(epochs):\n"
            "        order = torch.randperm(n, generator=generator, device=where).to(device)\n")

AE1_BOTTLENECK = [
    Mutant("decoder_sign", "linear-ae", (("return self.decoder(h)", "return -self.decoder(h)"),),
           {"test-linear-ae"}, kind="sign flipped"),
    Mutant("angles_handoff", "principal-angles",
           (("    qa, _ = torch.linalg.qr(A.detach().cpu().double())\n",
             "    return torch.as_tensor(aeutils.metrics.principal_angles(A, B))\n"),),
           {"test-principal-angles"}, kind="hand-off"),
    Mutant("fit_shuffle_once", "fit-loop",
           ((_SHUFFLE, "    order = torch.randperm(n, generator=generator, device=where).to(device)\n"
                       "    for epoch in range(epochs):\n"),),
           {"test-fit-loop"}, kind="shuffled once, not every epoch"),
    Mutant("fit_no_autocast", "fit-loop",
           (("dtype=amp_dtype(device), enabled=amp)", "dtype=amp_dtype(device), enabled=False)"),),
           {"test-fit-amp"}, kind="amp ignored",
           loses_any=frozenset({"test-fit-loop"})),  # the loop's GPU check runs float16 too
    Mutant("amp_float16_everywhere", "fit-loop",
           (('return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16',
             "return torch.float16"),),
           {"test-fit-amp"}, kind="wrong constant", loses_any=frozenset({"test-mlp-ae"})),
    Mutant("mlp_code_on_cpu", "mlp-ae",
           (("        h = self.encode(x)\n", "        h = self.encode(x) + torch.zeros(16)\n"),),
           {"test-mlp-ae"}, kind="wrong device"),
]

# ---- ae2_sparse ----
IMPORT_LOSSES = "from aeutils import losses\n\n\n"

AE2_SPARSE = [
    Mutant("sparse_loss_unweighted", "train-sparse",
           (("F.mse_loss(x_hat, xb) + weight * l1_penalty(h)", "F.mse_loss(x_hat, xb) + l1_penalty(h)"),),
           {"test-train-sparse"}, kind="missing factor"),
    Mutant("resample_scale_constant", "dead-units",
           (("model.encoder.weight[units] = s * r", "model.encoder.weight[units] = 0.2 * r"),),
           {"test-dead-units"}, kind="wrong constant", loses_any=frozenset({"test-train-sae"})),
    Mutant("too_few_epochs", "train-sae",
           (("def train_sae(model, x, epochs=8,", "def train_sae(model, x, epochs=2,"),
            ("history = train_sae(model, x_patches, resample=True)",
             "history = train_sae(model, x_patches, resample=True)\nhistory = history + history[-1:] * 6")),
           {"test-train-sae"}, kind="too few epochs"),
]

# ---- ae3_denoising ----
AE3_DENOISING = [
    Mutant("sp_pepper_third", "salt-pepper",
           (("noisy[u < amount / 2] = 0.0", "noisy[u < amount / 3] = 0.0"),),
           {"test-salt-pepper"}, kind="wrong constant"),
    Mutant("bert_rate_020", "bert-mask", (("rate=0.15, generator=None", "rate=0.2, generator=None"),),
           {"test-bert-rates"}, kind="0.2 for 0.15"),
    Mutant("bert_mask_id_on_cpu", "bert-mask",
           (("torch.full_like(tokens, mask_id)", "torch.full(tokens.shape, mask_id)"),),
           {"test-bert-mechanics"}, kind="wrong device"),
    Mutant("loss_sum_not_mean", "masked-loss",
           (("return (per_position * mask).sum() / mask.sum()", "return (per_position * mask).sum()"),),
           {"test-masked-loss"}, kind="missing factor (1/N)"),
]

# ---- ae4_vae ----
AE4_VAE = [
    Mutant("elbo_handoff", "elbo",
           (("def elbo(logits, x, mu, logvar):", IMPORT_LOSSES + "def elbo(logits, x, mu, logvar):"),
            ("    log_lik = -F.binary", "    return losses.elbo(logits, x, mu, logvar)\n    log_lik = -F.binary")),
           {"test-elbo"}, kind="hand-off"),
    Mutant("baseline_eps_constant", "baseline", ((".clamp(eps, 1 - eps)", ".clamp(0.05, 0.95)"),),
           {"test-baseline"}, kind="wrong constant"),
    Mutant("baseline_on_cpu", "baseline",
           (("xt = x_test.reshape(len(x_test), -1)", "xt = x_test.reshape(len(x_test), -1).cpu()"),),
           {"test-baseline"}, kind="wrong device"),
    Mutant("iw_mean_of_log_weights", "iw-bound",
           (("torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(K)",
             "(log_px_z + log_pz - log_qz).mean(dim=0)"),),
           {"test-iw-bound"}, kind="mean for log-mean-exp"),
    Mutant("no_autocast", "train-vae",
           (("dtype=dtype):", "dtype=dtype, enabled=False):"),),
           {"test-train-vae"}, kind="mixed precision left out"),
    Mutant("too_few_epochs", "train-vae",
           (("history = train_vae(model, x_train_dev)", "history = train_vae(model, x_train_dev, epochs=4)\n"
             "history = torch.cat([history, history[-1:].repeat(36)])"),),
           {"test-train-vae"}, kind="too few epochs"),
]

MUTANTS: dict[str, list[Mutant]] = {
    "ae1_bottleneck": AE1_BOTTLENECK,
    "ae2_sparse": AE2_SPARSE,
    "ae3_denoising": AE3_DENOISING,
    "ae4_vae": AE4_VAE,
}
