"""aeutils.sae_eval: the field's measurements of sparse autoencoders, on inputs whose answers are
known by construction, and Gao et al.'s normalised losses."""

from __future__ import annotations

import math

import pytest
import torch

import aeutils
from aeutils import data, english, losses, models, noise, sae_eval, train


def test_fraction_of_variance_unexplained_is_zero_for_a_copy_and_one_for_the_mean():
    x = torch.randn(200, 6, generator=torch.Generator().manual_seed(0))
    assert sae_eval.fraction_of_variance_unexplained(x.clone(), x) == 0.0
    mean = x.mean(0, keepdim=True).expand_as(x)
    assert sae_eval.fraction_of_variance_unexplained(mean, x) == pytest.approx(1.0)
    assert sae_eval.fraction_of_variance_unexplained(x + 2.0, x) > 1.0   # worse than the mean
    half = x.mean(0) + 0.5 * (x - x.mean(0))                             # half the deviation left
    assert sae_eval.fraction_of_variance_unexplained(half, x) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="same shape"):
        sae_eval.fraction_of_variance_unexplained(x[:, :5], x)
    with pytest.raises(ValueError, match="at least 2 rows"):
        sae_eval.fraction_of_variance_unexplained(x[:1], x[:1])


def test_l0_and_firing_rates_count_what_fires():
    codes = torch.tensor([[0.0, 1.0, 2.0, 0.0], [0.0, 0.0, 3.0, 0.0], [0.0, 0.5, 1.0, 0.0]])
    assert sae_eval.mean_l0(codes) == pytest.approx(5 / 3)
    assert sae_eval.firing_rates(codes).tolist() == pytest.approx([0.0, 2 / 3, 1.0, 0.0])
    with pytest.raises(ValueError, match="n_latents"):
        sae_eval.firing_rates(codes[0])


def test_latent_activity_counts_dead_and_dense_latents_after_every_epoch():
    x = torch.rand(500, 4, generator=torch.Generator().manual_seed(0))
    aeutils.seed_everything(0)
    sae = models.SparseAutoencoder(4, 16, sparsity="topk", k=2)
    activity = sae_eval.LatentActivity(x, dense_rate=0.3)
    train.fit(sae, x, epochs=3, batch_size=100, quiet=True, device="cpu", callback=activity)
    rates = sae_eval.firing_rates(sae_eval.encode_all(sae, x))
    assert len(activity.dead) == len(activity.dense) == 3
    assert activity.dead[-1] == int((rates == 0).sum()) and activity.dense[-1] == int((rates > 0.3).sum())
    assert torch.equal(activity.rates, rates)
    assert sae.training is False                      # the callback left eval mode as fit does
    with pytest.raises(ValueError, match="dense_rate"):
        sae_eval.LatentActivity(x, dense_rate=1.5)


def test_interpolate_at_reads_a_frontier_in_log_l0_and_refuses_to_extrapolate():
    assert sae_eval.interpolate_at(4.0, [2.0, 8.0], [0.4, 0.2]) == pytest.approx(0.3)  # midway in log
    assert sae_eval.interpolate_at(8.0, [8.0, 2.0], [0.2, 0.4]) == pytest.approx(0.2)  # any order
    with pytest.raises(ValueError, match="outside the measured range"):
        sae_eval.interpolate_at(16.0, [2.0, 8.0], [0.4, 0.2])


def test_loss_recovered_is_one_for_the_clean_model_and_zero_for_the_ablation():
    assert sae_eval.loss_recovered(3.0, 3.0, 5.0) == 1.0
    assert sae_eval.loss_recovered(3.0, 5.0, 5.0) == 0.0
    assert sae_eval.loss_recovered(3.0, 3.5, 5.0) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="must exceed the clean loss"):
        sae_eval.loss_recovered(3.0, 3.5, 2.0)


@pytest.fixture(scope="module")
def tiny_masked_model():
    """A small masked-token model and a masked batch (untrained: only the plumbing is tested)."""
    vocab = 30
    model = models.MaskedTokenDenoiser(vocab, max_len=12, dim=16, heads=2, layers=1,
                                       generator=torch.Generator().manual_seed(0)).eval()
    tokens = torch.randint(4, vocab, (20, 12), generator=torch.Generator().manual_seed(1))
    masked = noise.bert_mask(tokens, 2, vocab, 0.3, torch.Generator().manual_seed(2), 4,
                             mask_prob=1.0, random_prob=0.0)
    return model, masked


def test_masked_loss_with_no_replacement_is_the_models_masked_token_loss(tiny_masked_model):
    model, masked = tiny_masked_model
    with torch.no_grad():
        expected = float(losses.masked_token_loss(model(masked.tokens).x_hat, masked.targets, masked.mask))
    assert sae_eval.masked_loss_with(model, masked) == pytest.approx(expected, rel=1e-5)
    assert sae_eval.masked_loss_with(model, masked, lambda h: h) == pytest.approx(expected, rel=1e-5)
    # the head reads h alone: with h = 0 every position gets the head's bias, one distribution
    zero = sae_eval.masked_loss_with(model, masked, torch.zeros_like)
    bias_only = float(torch.nn.functional.cross_entropy(
        model.head.bias.detach().expand(int(masked.mask.sum()), -1), masked.targets[masked.mask]))
    assert zero == pytest.approx(bias_only, rel=1e-5)
    with pytest.raises(ValueError, match="shape"):
        sae_eval.masked_loss_with(model, masked, lambda h: h[:, :3])


def test_promoted_tokens_are_the_words_a_direction_raises_through_the_head():
    head = torch.zeros(6, 3)
    head[4] = torch.tensor([1.0, 0.0, 0.0])          # word 4 reads dimension 0
    head[5] = torch.tensor([0.0, 1.0, 0.0])          # word 5 reads dimension 1
    head[1] = torch.tensor([5.0, 5.0, 0.0])          # a special token that would win: excluded
    dictionary = torch.tensor([[1.0, 0.0], [0.2, 1.0], [0.0, 0.0]])   # (d=3, 2 latents)
    promoted = sae_eval.promoted_tokens(head, dictionary, k=2, exclude=4)
    assert promoted.tolist() == [[4, 5], [5, 4]]
    with pytest.raises(ValueError, match="head_weight"):
        sae_eval.promoted_tokens(head, dictionary.T)


def test_promotion_agreement_and_word_purity_on_made_up_codes():
    # 4 rows at [MASK]s with hidden words 7, 7, 8, 9; latent 0 fires on the 7s, latent 1 on one row
    codes = torch.tensor([[2.0, 0.0], [1.0, 0.0], [0.5, 0.0], [0.0, 1.0]])
    targets = torch.tensor([7, 7, 8, 9])
    promoted = torch.tensor([[7, 5], [3, 4]])
    agreement = sae_eval.promotion_agreement(codes, targets, promoted, n=2)
    assert agreement[0] == 1.0 and math.isnan(float(agreement[1]))   # latent 1 fires on 1 row < 2
    purity = sae_eval.word_purity(codes, targets, n=3)
    assert purity[0] == pytest.approx(2 / 3) and purity[1] == 0.0
    with pytest.raises(ValueError, match="targets"):
        sae_eval.promotion_agreement(codes, targets[:3], promoted)


def test_masked_contexts_show_the_hidden_word_at_a_mask():
    tok = data.Tokenizer(["a", "b", "c", "d"])
    tokens = torch.tensor([[4, tok.MASK, 6, 7]])
    masked = noise.MaskedTokens(tokens, torch.tensor([[4, 5, 6, 7]]),
                                torch.tensor([[False, True, False, False]]))
    activations = torch.tensor([0.0, 2.0, 0.5, 0.0])
    shown = sae_eval.masked_contexts(activations, masked, tok, n=3, width=1)
    assert shown == [(2.0, "a <[MASK:b]> c"), (0.5, "[MASK:b] <c> d")]
    with pytest.raises(ValueError, match="one per token"):
        sae_eval.masked_contexts(activations[:3], masked, tok)


def test_normalized_mse_is_the_batch_fvu_and_scale_free():
    x = torch.randn(64, 5, generator=torch.Generator().manual_seed(0))
    x_hat = x + 0.1 * torch.randn(64, 5, generator=torch.Generator().manual_seed(1))
    value = float(losses.normalized_mse(x_hat, x))
    assert value == pytest.approx(sae_eval.fraction_of_variance_unexplained(x_hat, x), rel=1e-5)
    assert float(losses.normalized_mse(10 * x_hat, 10 * x)) == pytest.approx(value, rel=1e-5)


def test_normalized_auxk_loss_keeps_its_strength_as_the_residual_shrinks():
    g = torch.Generator().manual_seed(0)
    pre = torch.randn(32, 8, generator=g)
    dictionary = torch.nn.functional.normalize(torch.randn(4, 8, generator=g), dim=0)
    dead = torch.tensor([True, True, True, False, False, False, False, False])
    residual = torch.randn(32, 4, generator=g)
    # a residual and a dead-latent reconstruction 100 times smaller, as late in training
    plain = [float(losses.aux_topk_loss(s * pre, s * residual, dictionary, dead, 2)) for s in (1.0, 0.01)]
    normed = [float(losses.aux_topk_loss_normalized(s * pre, s * residual, dictionary, dead, 2))
              for s in (1.0, 0.01)]
    assert plain[1] == pytest.approx(1e-4 * plain[0], rel=1e-3)     # the plain one fades ...
    assert normed[1] == pytest.approx(normed[0], rel=1e-3)          # ... the normalised one does not
    none_dead = torch.zeros(8, dtype=torch.bool)
    assert float(losses.aux_topk_loss_normalized(pre, residual, dictionary, none_dead, 2)) == 0.0


def test_normalize_loss_is_for_top_k_only_and_off_by_default():
    assert models.SparseAutoencoder(4, 8, sparsity="topk", k=2).normalize_loss is False
    with pytest.raises(ValueError, match="needs sparsity='topk'"):
        models.SparseAutoencoder(4, 8, sparsity="l1", normalize_loss=True)
    sae = models.SparseAutoencoder(4, 8, sparsity="topk", k=2, aux_k=2, normalize_loss=True)
    x = torch.rand(16, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = float(losses.normalized_mse(sae(x).x_hat, x))   # nothing is dead yet: aux = 0
    assert float(sae.loss(x).detach()) == pytest.approx(expected, rel=1e-5)


def test_remember_caches_a_model_under_its_own_seed(tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_CACHE", str(tmp_path))
    prose = english.ProseData(data.Tokenizer(["a", "b"]), torch.randint(4, 6, (8, 32)),
                              torch.randint(4, 6, (2, 32)))
    model = english.masked_model(prose, seed=3)
    english.remember(model, prose, seed=3)
    assert [p.name for p in tmp_path.glob("masked_model_*.pt")] == [
        f"masked_model_{english._cache_key(prose, 3)}.pt"]
    assert english._cache_key(prose, 3) != english._cache_key(prose)  # never lecture 05's entry
