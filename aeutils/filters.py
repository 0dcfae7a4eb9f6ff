"""Measurements on learned filters and dictionary atoms (the rows of a weight matrix).

Pictures of filters are easy to over-read; these numbers back what a filter mosaic seems to show.
"""

from __future__ import annotations

import numpy as np
import torch


def energy_concentration(weights: torch.Tensor | np.ndarray, top: int = 8) -> np.ndarray:
    """How localized each filter is: the share of its energy in its ``top`` strongest pixels.

    weights: ``(units, D)`` or ``(units, 1, H, W)``, one filter (or dictionary atom) per row.
    Returns ``(units,)`` floats in ``[top / D, 1]``: 1 means all the energy (sum of squared
    weights) sits in ``top`` pixels, a localized blob or edge; ``top / D`` means it is spread
    evenly over the whole patch, like a global Fourier-style PCA component. Random Gaussian filters
    land in between. Rows with no energy at all raise ``ValueError``.
    """
    w = weights.detach().cpu().numpy() if isinstance(weights, torch.Tensor) else np.asarray(weights)
    w = np.asarray(w, dtype=np.float64)
    if w.ndim < 2 or len(w) == 0:
        raise ValueError(f"weights must have shape (units, D) or (units, 1, H, W), got {w.shape}")
    energy = w.reshape(len(w), -1) ** 2
    if not 1 <= top <= energy.shape[1]:
        raise ValueError(f"top must be between 1 and the filter size {energy.shape[1]}, got {top}")
    total = energy.sum(axis=1)
    if np.any(total <= 0) or not np.all(np.isfinite(total)):
        raise ValueError("every filter needs some finite, non-zero energy (a row is all zeros)")
    strongest = -np.partition(-energy, top - 1, axis=1)[:, :top]
    return strongest.sum(axis=1) / total



def subspace_energy(weights: torch.Tensor | np.ndarray, basis: torch.Tensor | np.ndarray) -> np.ndarray:
    """The share of each filter's energy that lies in the span of ``basis``.

    weights: ``(units, D)`` or ``(units, 1, H, W)``; basis: ``(k, D)`` with orthonormal rows, e.g.
    the top ``k`` principal components of the data (``metrics.pca(x, k).components``).
    Returns ``(units,)`` floats in [0, 1]: near 1 means the filter is built from directions in which
    real data varies; a random filter scores about ``k / D``. Rows with no energy raise
    ``ValueError``, as does a basis whose rows are not orthonormal.
    """
    w = weights.detach().cpu().numpy() if isinstance(weights, torch.Tensor) else np.asarray(weights)
    b = basis.detach().cpu().numpy() if isinstance(basis, torch.Tensor) else np.asarray(basis)
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if w.ndim < 2 or len(w) == 0:
        raise ValueError(f"weights must have shape (units, D) or (units, 1, H, W), got {w.shape}")
    w = w.reshape(len(w), -1)
    if b.ndim != 2 or b.shape[1] != w.shape[1]:
        raise ValueError(f"basis must have shape (k, {w.shape[1]}), got {b.shape}")
    if not np.allclose(b @ b.T, np.eye(len(b)), atol=1e-5):
        raise ValueError("basis rows must be orthonormal (e.g. PCA components)")
    total = (w**2).sum(axis=1)
    if np.any(total <= 0) or not np.all(np.isfinite(total)):
        raise ValueError("every filter needs some finite, non-zero energy (a row is all zeros)")
    return ((w @ b.T) ** 2).sum(axis=1) / total
