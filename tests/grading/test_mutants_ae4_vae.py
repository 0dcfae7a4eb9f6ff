"""ae4_vae: every plausible wrong answer loses its part, and only its part (real grading)."""

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
AID = "ae4_vae"
IMPORT_LOSSES = "from aeutils import losses\n\n\n"
TRAINING = frozenset({"test-train-vae"})  # Part 5c trains with the student's Parts 1-3

MUTANTS = [
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
