"""Denoising autoencoder: reconstruct the clean input from a corrupted one."""

from __future__ import annotations

import torch
from torch import nn

from aeutils import losses, noise
from aeutils.models.base import AEOutput, Autoencoder


class DenoisingAutoencoder(nn.Module):
    """Wraps any autoencoder ``model`` with a noise function used during training.

    ``loss(x)`` corrupts ``x`` with ``noise.corrupt(x, kind, level)`` and scores the reconstruction
    against the *clean* ``x``: to undo the noise the model must learn what real images look like.
    ``encode``/``decode``/``forward`` pass straight to ``model`` (no noise at use time), so
    ``forward(noisy)`` denoises.

    ``clip=True`` (the default) clips Gaussian-noised inputs back to [0, 1], like a camera would;
    ``clip=False`` trains on purely additive noise ``x + N(0, level^2)``, the setting of the
    denoising-autoencoder papers, for which a linear model's optimum is the Wiener filter
    (:func:`aeutils.wiener.wiener_filter`).
    """

    def __init__(self, model: Autoencoder, kind: str = "gaussian", level: float = 0.3,
                 generator: torch.Generator | None = None, clip: bool = True):
        super().__init__()
        if kind not in noise.NOISES:
            raise ValueError(f"unknown noise {kind!r}; choose one of {sorted(noise.NOISES)}")
        self.model, self.kind, self.level, self.generator = model, kind, level, generator
        self.clip = bool(clip)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.model.input_shape

    @property
    def code_size(self) -> int:
        return self.model.code_size

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, ...) in [0, 1] -> a corrupted copy, same shape."""
        return noise.corrupt(x, self.kind, self.level, self.generator, clip=self.clip)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.model.decode(h)

    def forward(self, x: torch.Tensor) -> AEOutput:
        return self.model(x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return losses.mse(self.model(self.corrupt(x)).x_hat, x)
