"""models.SuperpositionToyModel: Elhage et al.'s tied ReLU autoencoder, and what it learns."""

from __future__ import annotations

import pytest
import torch

import aeutils
from aeutils import models, superposition, train


def test_the_toy_model_computes_relu_of_w_transpose_w_x_plus_b():
    model = models.SuperpositionToyModel(n_features=6, hidden=2)
    x = torch.rand(5, 6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        h, x_hat = model(x)
    w, b = model.weight.detach(), model.bias.detach()
    assert torch.allclose(h, x @ w.T) and torch.allclose(x_hat, torch.relu(x @ w.T @ w + b))
    assert torch.equal(model.feature_directions(), w.T)
    importance = torch.tensor([1.0, 0, 0, 0, 0, 2.0])
    weighted = models.SuperpositionToyModel(6, 2, importance=importance)
    weighted.load_state_dict(model.state_dict() | {"importance": importance})
    expected = (((x_hat - x) ** 2) * importance).sum(1).mean()
    assert float(weighted.loss(x).detach()) == pytest.approx(float(expected), rel=1e-6)


def test_the_toy_model_rejects_what_cannot_superpose():
    with pytest.raises(ValueError, match="must be smaller"):
        models.SuperpositionToyModel(n_features=4, hidden=4)
    with pytest.raises(ValueError, match="importance"):
        models.SuperpositionToyModel(6, 2, importance=torch.ones(5))
    with pytest.raises(ValueError, match="shape"):
        models.SuperpositionToyModel(6, 2).encode(torch.rand(3, 5))


def test_sparse_features_are_superposed_dense_ones_are_not():
    """Elhage et al.'s result at small scale: 24 sparse features fit in 6 dimensions, dense ones
    do not (a linear code would keep at most 6 directions' worth)."""
    kept = {}
    for active in (1.0, 12.0):
        coefficients = superposition.toy_activations(
            4000, n_features=24, dim=6, active=active, generator=torch.Generator().manual_seed(0)).coefficients
        aeutils.seed_everything(0)
        model = models.SuperpositionToyModel(n_features=24, hidden=6)
        train.fit(model, coefficients, quiet=True, device="cpu")
        kept[active] = int((model.feature_directions().norm(dim=1) > 0.5).sum())
    assert kept[1.0] > 2 * 6 and kept[12.0] < kept[1.0]
