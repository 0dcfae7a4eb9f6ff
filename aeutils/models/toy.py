"""Elhage et al.'s (2022) toy model of superposition: a tied bottleneck autoencoder with a ReLU.

``h = W x`` squeezes ``n_features`` inputs into ``hidden`` numbers, and ``x_hat = ReLU(W^T h + b)``
reads them back out with the same matrix. Trained on *sparse* inputs (each feature present only
now and then), it packs more features than it has dimensions into ``h``, each along its own column
of ``W``: superposition. On dense inputs the interference is paid on every input, and it keeps
fewer features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aeutils.models.base import CourseModel
from aeutils.validate import flat_features, require_float


class SuperpositionToyModel(CourseModel):
    """``encode(x: (batch, n_features)) -> h: (batch, hidden)``, ``h = x W^T`` with
    ``W: (hidden, n_features)``; ``decode(h) -> ReLU(h W + b): (batch, n_features)``.

    ``loss(x)``: the importance-weighted squared error ``mean over the batch of
    sum_i importance_i (x_i - x_hat_i)^2`` (Elhage et al.'s loss; uniform importance by default).
    Column ``i`` of ``W`` is where feature ``i`` lives in the hidden space (:meth:`feature_directions`);
    its norm says how strongly the model represents that feature (about 1: fully; about 0: dropped).
    """

    recommended_fit = {"batch_size": 1024, "epochs": 20, "lr": 1e-2}

    def __init__(self, n_features: int = 128, hidden: int = 32,
                 importance: torch.Tensor | None = None):
        super().__init__()
        self.set_shapes(n_features, hidden)
        if hidden >= n_features:
            raise ValueError(f"hidden={hidden} must be smaller than n_features={n_features}: "
                             "superposition needs fewer dimensions than features")
        self.weight = nn.Parameter(nn.init.xavier_normal_(torch.empty(hidden, n_features)))
        self.bias = nn.Parameter(torch.zeros(n_features))
        if importance is None:
            importance = torch.ones(n_features)
        require_float(importance, "importance")
        if importance.shape != (n_features,) or bool((importance < 0).any()):
            raise ValueError(f"importance must be ({n_features},) and >= 0, got "
                             f"{tuple(importance.shape)}")
        self.register_buffer("importance", importance.clone())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return flat_features(x, self.input_shape, "x") @ self.weight.T

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        if h.ndim != 2 or h.shape[1] != self.code_size:
            raise ValueError(f"h must have shape (batch, {self.code_size}), got {tuple(h.shape)}")
        return F.relu(h @ self.weight + self.bias)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        x_hat = self(x).x_hat
        return ((x_hat - x) ** 2 * self.importance).sum(dim=1).mean()

    @torch.no_grad()
    def feature_directions(self) -> torch.Tensor:
        """``(n_features, hidden)``: row ``i`` is column ``i`` of ``W``, feature ``i``'s direction
        in the hidden space (not normalised: its norm is how strongly it is represented)."""
        return self.weight.detach().T.clone()
