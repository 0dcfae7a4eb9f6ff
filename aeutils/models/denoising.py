"""Denoising autoencoder: reconstruct the clean input from a corrupted one."""

from __future__ import annotations

import torch

from aeutils import losses, noise
from aeutils.models.base import AEOutput, Autoencoder, CourseModel


class DenoisingAutoencoder(CourseModel):
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

    # The wrapped model's shapes, read through (input_dim follows from input_shape, as for all).
    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.model.input_shape

    @property
    def code_size(self) -> int:
        return self.model.code_size

    @property
    def recommended_fit(self) -> dict:
        """The wrapped model's recipe. For a linear model that is full-batch L-BFGS, fresh noise
        at every evaluation notwithstanding: on the digits (8-D code, Gaussian 0.3, unclipped) it
        denoised to 1.5x the Wiener filter's error where fit's mini-batch Adam left 2.6x."""
        return dict(getattr(self.model, "recommended_fit", None) or {})

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
