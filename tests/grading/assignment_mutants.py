"""The plausible wrong answers ("mutants") of every real assignment, graded by
tests/grading/test_real_assignments.py (one `aeutils grade --jobs 2 --device cpu` batch per
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
dead_units_wrong_axis (ae2-dead-any-zero), no_resampling (ae2-trainsae-no-fix-copied).

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
           {"test-fit-amp"}, kind="amp ignored"),
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
    Mutant("resample_index_on_cpu", "dead-units",
           (("units = dead.nonzero().flatten()", "units = torch.arange(len(dead))[dead.cpu()]"),),
           {"test-dead-units"}, kind="wrong device"),
    Mutant("too_few_epochs", "train-sae",
           (("def train_sae(model, x, epochs=8,", "def train_sae(model, x, epochs=2,"),
            ("history = train_sae(model, x_patches, resample=True)",
             "history = train_sae(model, x_patches, resample=True)\nhistory = history + history[-1:] * 6")),
           {"test-train-sae"}, kind="too few epochs"),
]

# ---- ae3_denoising ----
# Part 8 trains with the student's Part 1 noise, so a broken `gaussian_noise` may also cost Part 8's loop test (`loses_any`).
_LOOP = frozenset({"test-train-denoiser"})

AE3_DENOISING = [
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
           {"test-train-denoising"}, kind="training-set metric"),
]

# ---- ae4_vae ----
TRAINING = frozenset({"test-train-vae"})  # Part 5c trains with the student's Parts 1-3

AE4_VAE = [
    Mutant("reparameterize_missing_half", "reparameterize",
           (("torch.exp(0.5 * logvar)", "torch.exp(logvar)"),),
           {"test-reparameterize"}, kind="missing factor", loses_any=TRAINING),
    Mutant("reparameterize_eps_on_cpu", "reparameterize",
           (("eps = normal_like(mu, generator)", "eps = torch.randn(mu.shape, generator=generator)"),),
           {"test-reparameterize"}, kind="wrong device"),
    Mutant("kl_missing_half", "gaussian-kl", (("return 0.5 * (mu.pow(2)", "return (mu.pow(2)"),),
           {"test-gaussian-kl"}, kind="missing factor", loses_any=TRAINING),
    Mutant("kl_sign_flipped", "gaussian-kl", (("- 1.0 - logvar)", "- 1.0 + logvar)"),),
           {"test-gaussian-kl"}, kind="sign flipped", loses_any=TRAINING),
    Mutant("kl_handoff", "gaussian-kl",
           (("def gaussian_kl(mu, logvar):", IMPORT_LOSSES + "def gaussian_kl(mu, logvar):"),
            ("return 0.5 * (mu.pow(2)", "return losses.gaussian_kl(mu, logvar)\n    0.5 * (mu.pow(2)")),
           {"test-gaussian-kl"}, kind="hand-off"),
    Mutant("elbo_mean_for_sum", "elbo", ((".sum(dim=1) - gaussian_kl", ".mean(dim=1) - gaussian_kl"),),
           {"test-elbo"}, kind="mean for sum", loses_any=TRAINING),
    Mutant("elbo_handoff", "elbo",
           (("def elbo(logits, x, mu, logvar):", IMPORT_LOSSES + "def elbo(logits, x, mu, logvar):"),
            ("    log_lik = -F.binary", "    return losses.elbo(logits, x, mu, logvar)\n    log_lik = -F.binary")),
           {"test-elbo"}, kind="hand-off"),
    Mutant("baseline_eps_constant", "baseline", ((".clamp(eps, 1 - eps)", ".clamp(0.05, 0.95)"),),
           {"test-baseline"}, kind="wrong constant"),
    Mutant("baseline_on_cpu", "baseline",
           (("xt = x_test.reshape(len(x_test), -1)", "xt = x_test.reshape(len(x_test), -1).cpu()"),),
           {"test-baseline"}, kind="wrong device"),
    Mutant("posterior_halves_swapped", "vae-model",
           (("mu, logvar = self.encoder(x).chunk(2, dim=1)", "logvar, mu = self.encoder(x).chunk(2, dim=1)"),),
           {"test-vae-model"}, kind="wrong order"),
    Mutant("iw_missing_log_K", "iw-bound", (("dim=0) - math.log(K)", "dim=0)"),),
           {"test-iw-bound"}, kind="missing factor"),
    Mutant("iw_mean_of_log_weights", "iw-bound",
           (("torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(K)",
             "(log_px_z + log_pz - log_qz).mean(dim=0)"),),
           {"test-iw-bound"}, kind="mean for log-mean-exp"),
    Mutant("iw_eps_on_cpu", "iw-bound",
           (("eps = normal_like(mu.expand(K, *mu.shape), generator)",
             "eps = torch.randn((K, *mu.shape), generator=generator)"),),
           {"test-iw-bound"}, kind="wrong device"),
    Mutant("item_per_batch", "train-vae",
           (("history[epoch] += loss.detach() * len(xb) / n", "history[epoch] += loss.item() * len(xb) / n"),),
           {"test-train-vae"}, kind="host sync per batch"),
    Mutant("no_autocast", "train-vae",
           (("dtype=dtype):", "dtype=dtype, enabled=False):"),),
           {"test-train-vae"}, kind="mixed precision left out"),
    Mutant("elbo_on_training_set", "train-vae",
           (("logits, mu, logvar = model(x_test_dev)\n        estimates.append(elbo(logits, x_test_dev,",
             "logits, mu, logvar = model(x_train_dev)\n        estimates.append(elbo(logits, x_train_dev,"),),
           {"test-train-vae"}, kind="training-set metric"),
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
