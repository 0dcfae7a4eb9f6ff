"""A toy model of superposition: many sparse features squeezed into few dimensions.

Activations of real networks are thought to hold more features than they have dimensions, each
feature a direction and each input using only a few of them (Elhage et al., 2022, "Toy models of
superposition"). This module builds such activations with *known* features, so that a sparse
autoencoder's dictionary can be checked against the truth:

``x = c @ F``, with ``F: (n_features, dim)`` unit feature directions and ``c: (n, n_features)``
sparse, non-negative coefficients.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from aeutils import rng
from aeutils.validate import require_float, require_ndim


class ToyActivations(NamedTuple):
    """What :func:`toy_activations` returns."""

    x: torch.Tensor  # (n, dim) the activations a sparse autoencoder sees
    features: torch.Tensor  # (n_features, dim) unit-norm true feature directions
    coefficients: torch.Tensor  # (n, n_features) >= 0, mostly zero


def random_features(n_features: int, dim: int, generator: torch.Generator | None = None
                    ) -> torch.Tensor:
    """``n_features`` random unit directions in ``dim`` dimensions: ``(n_features, dim)``."""
    if n_features < 1 or dim < 1:
        raise ValueError(f"need n_features >= 1 and dim >= 1, got {n_features}, {dim}")
    return F.normalize(rng.randn((n_features, dim), generator), dim=1)


def toy_activations(n: int, n_features: int = 128, dim: int = 32, active: float = 4.0,
                    generator: torch.Generator | None = None,
                    features: torch.Tensor | None = None) -> ToyActivations:
    """``n`` activation vectors, each a sparse non-negative mix of known feature directions.

    Each feature is present in a sample independently with probability ``active / n_features``
    (so ``active`` features per sample on average), with a magnitude uniform in [0.5, 1.5].
    Pass ``features`` to draw more samples of the same features (e.g. a held-out set).
    """
    if not 0 < active <= n_features:
        raise ValueError(f"active must be in (0, n_features={n_features}], got {active}")
    if features is None:
        features = random_features(n_features, dim, generator)
    require_ndim(features, (2,), "features", "(n_features, dim)")
    n_features = len(features)
    where = features.device
    present = rng.rand((n, n_features), generator, where) < active / n_features
    magnitude = 0.5 + rng.rand((n, n_features), generator, where)
    coefficients = present * magnitude
    return ToyActivations(coefficients @ features, features, coefficients)


def best_cosines(dictionary: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """For each true feature, its highest cosine similarity with any dictionary atom.

    dictionary: (dim, n_latents), atoms as columns (``SparseAutoencoder.dictionary()``);
    features: (n_features, dim). Returns ``(n_features,)`` in [-1, 1]; 1 means recovered exactly.
    """
    require_float(dictionary, "dictionary")
    require_float(features, "features")
    if dictionary.shape[0] != features.shape[1]:
        raise ValueError(f"dictionary has atoms of size {dictionary.shape[0]} but the features "
                         f"have size {features.shape[1]}: pass dictionary as (dim, n_latents)")
    atoms = F.normalize(dictionary.detach().to(features.device), dim=0)
    return (F.normalize(features, dim=1) @ atoms).max(dim=1).values


def reconstruction_scale(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    """The least-squares factor ``s`` in ``x_hat ~ s * x``: ``<x_hat, x> / <x, x>``.

    1 means reconstructions have the right size on average; below 1 means they are *shrunk*
    (what an L1 penalty does to every active code). x_hat, x: same shape.
    """
    require_float(x_hat, "x_hat")
    require_float(x, "x")
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat and x must have the same shape, got {tuple(x_hat.shape)} and "
                         f"{tuple(x.shape)}")
    return float((x_hat * x).sum() / (x * x).sum())
