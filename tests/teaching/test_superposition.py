"""The toy model of superposition and the checks a sparse autoencoder's dictionary is held to."""

from __future__ import annotations

import pytest
import torch

from aeutils import superposition


def test_toy_activations_are_sparse_mixes_of_unit_features():
    g = torch.Generator().manual_seed(0)
    toy = superposition.toy_activations(4000, n_features=64, dim=16, active=2, generator=g)
    assert toy.x.shape == (4000, 16) and toy.features.shape == (64, 16)
    assert torch.allclose(toy.features.norm(dim=1), torch.ones(64), atol=1e-5)
    assert torch.allclose(toy.x, toy.coefficients @ toy.features, atol=1e-5)
    present = toy.coefficients > 0
    assert abs(float(present.sum(1).float().mean()) - 2.0) < 0.1
    assert float(toy.coefficients[present].min()) >= 0.5 and float(toy.coefficients.max()) <= 1.5
    again = superposition.toy_activations(10, features=toy.features, generator=g)
    assert torch.equal(again.features, toy.features)


def test_toy_activations_reject_bad_settings():
    with pytest.raises(ValueError, match="active"):
        superposition.toy_activations(10, n_features=8, dim=4, active=9)
    with pytest.raises(ValueError, match="n_features"):
        superposition.random_features(0, 4)


def test_best_cosines_is_one_for_the_true_features_and_lower_for_random_atoms():
    features = superposition.random_features(32, 8, torch.Generator().manual_seed(0))
    # the true features as atoms, scaled and shuffled: all recovered exactly
    atoms = (3.0 * features[torch.randperm(32)]).T
    assert torch.allclose(superposition.best_cosines(atoms, features), torch.ones(32), atol=1e-5)
    random_atoms = superposition.random_features(32, 8, torch.Generator().manual_seed(1)).T
    assert float(superposition.best_cosines(random_atoms, features).mean()) < 0.9
    with pytest.raises(ValueError, match="dim, n_latents"):
        superposition.best_cosines(atoms.T[:, :5], features)


def test_reconstruction_scale_measures_shrinkage():
    x = torch.randn(100, 8)
    assert superposition.reconstruction_scale(x, x) == pytest.approx(1.0)
    assert superposition.reconstruction_scale(0.6 * x, x) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="same shape"):
        superposition.reconstruction_scale(x[:, :4], x)
