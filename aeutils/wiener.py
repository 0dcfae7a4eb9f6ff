"""The Wiener filter: the best *linear* denoiser for additive Gaussian noise, in closed form.

For clean data with mean ``m`` and covariance ``S`` and noisy input ``x~ = x + N(0, sigma^2 I)``,
the linear map with the least expected squared error is ``x_hat = m + W (x~ - m)`` with
``W = S (S + sigma^2 I)^-1``. Its expected error per pixel is
``sigma^2 tr(S (S + sigma^2 I)^-1) / D``. A linear denoising autoencoder trained on unclipped
Gaussian noise (``DenoisingAutoencoder(..., clip=False)``) should reach it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from aeutils.validate import require_float


@dataclass
class WienerFilter:
    """``mean: (D,)``, ``matrix: (D, D)`` (the ``W`` above), ``sigma`` and ``expected_mse``."""

    mean: torch.Tensor
    matrix: torch.Tensor
    sigma: float
    expected_mse: float  # per pixel, under the covariance the filter was built from

    def apply(self, noisy: torch.Tensor) -> torch.Tensor:
        """noisy: (batch, ...) -> denoised, same shape (float32, on noisy's device)."""
        flat = noisy.reshape(len(noisy), -1).double()
        mean, matrix = self.mean.to(flat.device), self.matrix.to(flat.device)
        if flat.shape[1] != len(mean):
            raise ValueError(f"noisy has {flat.shape[1]} features per sample, the filter {len(mean)}")
        return (mean + (flat - mean) @ matrix.T).to(noisy.dtype).reshape(noisy.shape)


def wiener_filter(clean: torch.Tensor, sigma: float) -> WienerFilter:
    """Fit the Wiener filter to clean data ``(n, ...)`` for additive noise of std ``sigma`` > 0."""
    require_float(clean)
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0 for a Wiener filter, got {sigma}")
    flat = clean.reshape(len(clean), -1).double().cpu()
    if len(flat) < 2:
        raise ValueError("need at least 2 clean samples to estimate a covariance")
    mean = flat.mean(0)
    cov = torch.cov(flat.T, correction=0)
    eigenvalues, eigenvectors = torch.linalg.eigh(cov)
    eigenvalues = eigenvalues.clamp_min(0.0)
    shrink = eigenvalues / (eigenvalues + sigma**2)
    matrix = (eigenvectors * shrink) @ eigenvectors.T
    expected = float(sigma**2 * shrink.sum() / flat.shape[1])
    return WienerFilter(mean, matrix, float(sigma), expected)
