"""Dead latents of top-k sparse autoencoders and the fixes of Gao et al. (2024): tracking, the
auxiliary top-k loss, the encoder initialised as the decoder's transpose; the feature explorer."""

from __future__ import annotations

import pytest
import torch

from aeutils import losses, models, widgets


def test_aux_topk_loss_uses_only_the_largest_dead_latents():
    pre = torch.tensor([[3.0, 2.0, 1.0, -1.0]])
    dictionary = torch.eye(4)
    dead = torch.tensor([False, True, True, True])
    residual = torch.tensor([[0.0, 2.0, 0.0, 0.0]])
    # dead latents 1, 2, 3; the top 1 of them is latent 1 (2.0), which rebuilds the residual
    assert float(losses.aux_topk_loss(pre, residual, dictionary, dead, k=1)) == pytest.approx(0.0)
    # with k=2 latent 2 (1.0) fires too and adds an error of 1 in one of 4 coordinates
    assert float(losses.aux_topk_loss(pre, residual, dictionary, dead, k=2)) == pytest.approx(0.25)
    none_dead = torch.zeros(4, dtype=torch.bool)
    assert float(losses.aux_topk_loss(pre, residual, dictionary, none_dead, k=2)) == 0.0
    with pytest.raises(ValueError, match="bool mask"):
        losses.aux_topk_loss(pre, residual, dictionary, dead.float(), k=1)


def test_aux_loss_gives_dead_latents_a_gradient_and_live_ones_none():
    pre = torch.tensor([[3.0, 2.0, 1.0, 0.5]], requires_grad=True)
    dead = torch.tensor([False, False, True, True])
    losses.aux_topk_loss(pre, torch.full((1, 4), 2.0), torch.eye(4), dead, k=2).backward()
    assert pre.grad[0, :2].abs().sum() == 0 and (pre.grad[0, 2:] != 0).all()


def test_dead_latents_are_tracked_in_training_mode_only():
    sae = models.SparseAutoencoder(4, 6, sparsity="topk", k=1, dead_after=10)
    with torch.no_grad():
        sae.encoder.weight.copy_(torch.eye(6, 4))
        sae.encoder.bias.zero_()
    x = torch.tensor([[1.0, 0, 0, 0]]).repeat(8, 1)      # only latent 0 ever wins
    sae.train()
    sae.encode(x)
    assert sae.samples_since_active.tolist() == [0, 8, 8, 8, 8, 8]
    assert not sae.dead_latents().any()
    sae.encode(x)
    assert sae.dead_latents().tolist() == [False, True, True, True, True, True]
    sae.eval()
    sae.encode(torch.eye(4))                             # evaluation does not count
    assert sae.samples_since_active.tolist() == [0, 16, 16, 16, 16, 16]


def test_tied_init_starts_the_encoder_as_the_decoders_transpose():
    tied = models.SparseAutoencoder(5, 7, sparsity="topk", k=2)
    assert torch.equal(tied.decoder_weight, tied.encoder.weight.T)
    torch.manual_seed(0)
    untied = models.SparseAutoencoder(5, 7, sparsity="topk", k=2, tied_init=False)
    assert untied.decoder_weight.shape == (5, 7)
    assert not torch.allclose(untied.decoder_weight, untied.encoder.weight.T)


def test_aux_k_adds_the_auxiliary_term_only_when_latents_are_dead():
    torch.manual_seed(0)
    x = torch.randn(32, 8)
    sae = models.SparseAutoencoder(8, 16, sparsity="topk", k=2, aux_k=4, dead_after=1_000_000)
    sae.train()
    with torch.no_grad():
        h, x_hat = sae(x)
        assert float(sae.loss(x)) == pytest.approx(float(losses.mse(x_hat, x)), rel=1e-5)
        sae.samples_since_active.fill_(2_000_000)          # every latent silent for long enough
        sae.eval()
        plain = float(losses.mse(sae(x).x_hat, x))
        assert float(sae.loss(x)) > plain


def test_aux_k_needs_topk_and_a_valid_size():
    with pytest.raises(ValueError, match="sparsity='topk'"):
        models.SparseAutoencoder(8, 16, sparsity="l1", aux_k=4)
    with pytest.raises(ValueError, match="aux_k"):
        models.SparseAutoencoder(8, 16, sparsity="topk", k=2, aux_k=17)


def test_feature_explorer_renders_a_static_figure_for_each_latent():
    contexts = {3: [(1.5, "the [class] body"), (1.2, "a [class] object")], 9: [(0.7, "[if] x")]}
    explorer = widgets.feature_explorer(contexts, {3: "class"})
    bundle = explorer._repr_mimebundle_()
    assert "image/png" in bundle and "latent 3" in bundle["text/plain"]
    first = explorer.png
    explorer.controls["latent"].value = 9
    assert explorer.png != first and "latent 9" in explorer.text
    with pytest.raises(ValueError, match="empty"):
        widgets.feature_explorer({})
