"""Small pure loss functions and sparsity activations.

Shapes: images ``x: (batch, ...)``; codes ``h: (batch, code_size)``; token logits
``(batch, length, vocab)``. Every loss returns a scalar tensor unless it says otherwise.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from aeutils.validate import (
    require_float,
    require_integer,
    require_ndim,
    require_same_shape,
    require_unit_range,
    value_range,
)


def mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error over every element (the per-pixel error PCA minimizes)."""
    require_float(x_hat, "x_hat")
    require_float(x, "x")
    require_same_shape(x_hat, x, ("x_hat", "x"))
    return F.mse_loss(x_hat, x)


def bce(x_hat: torch.Tensor, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
    """Binary cross-entropy per element, for targets ``x`` in [0, 1].

    ``x_hat`` are probabilities in [0, 1], or raw scores when ``logits=True`` (numerically safer).
    """
    require_float(x_hat, "x_hat")
    require_float(x, "x")
    require_same_shape(x_hat, x, ("x_hat", "x"))
    require_unit_range(x, "x (the BCE target)")
    if logits:
        return F.binary_cross_entropy_with_logits(x_hat, x)
    require_unit_range(x_hat, "x_hat (probabilities; pass logits=True for raw scores)")
    return F.binary_cross_entropy(x_hat, x)


def _codes(h: torch.Tensor) -> torch.Tensor:
    require_float(h, "h")
    return require_ndim(h, (2,), "h", "(batch, code_size)")


def l1_sparsity(h: torch.Tensor) -> torch.Tensor:
    """L1 penalty ``mean over the batch of sum_j |h_j|``.

    Its gradient is ``sign(h)``: a constant push towards 0 whatever the size of h, so small
    activations reach exactly zero (after a ReLU) while large, useful ones survive.
    """
    return _codes(h).abs().sum(dim=1).mean()


def kl_sparsity(h: torch.Tensor, rho: float = 0.05, eps: float = 1e-6) -> torch.Tensor:
    """KL sparsity: ``sum_j KL(rho || rho_hat_j)`` with ``rho_hat_j`` unit j's mean activation.

    ``h`` must be in [0, 1] (e.g. after a sigmoid). Pushes each unit to be active on about a
    fraction ``rho`` of the batch (Ng's sparse autoencoder notes).
    """
    _codes(h)
    if not 0.0 < rho < 1.0:
        raise ValueError(f"rho must be a target activation rate in (0, 1), got {rho}")
    known = value_range(h)  # a host sync, unless h carries its range (validate.with_range)
    if known is not None and (known[0] < 0.0 or known[1] > 1.0):
        raise ValueError("kl_sparsity needs activations in [0, 1]; apply a sigmoid to the code first")
    rho_hat = h.mean(dim=0).clamp(eps, 1 - eps)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def topk(h: torch.Tensor, k: int) -> torch.Tensor:
    """Keep each sample's ``k`` largest activations, zero the rest: ``(batch, d) -> (batch, d)``.

    Gradients flow only through the kept units. Exactly ``k`` entries per row survive (fewer
    non-zeros only if some kept values are themselves 0).
    """
    _codes(h)
    if not isinstance(k, int) or not 1 <= k <= h.shape[1]:
        raise ValueError(f"k must be an int between 1 and the code size {h.shape[1]}, got {k!r}")
    values, index = h.topk(k, dim=1)
    return torch.zeros_like(h).scatter(1, index, values)


def lifetime_topk(h: torch.Tensor, fraction: float) -> torch.Tensor:
    """Lifetime (winner-take-all) sparsity: each unit keeps its top ``fraction`` of the batch.

    For every unit (column) only its ``ceil(fraction * batch)`` largest activations across the
    batch survive (Makhzani & Frey, 2015), so every unit is active on a small share of the data.
    Units rarely die, but they can: a unit whose ReLU output is 0 on a whole batch keeps only zeros
    and gets no gradient. ``(batch, d) -> (batch, d)``.
    """
    _codes(h)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    k = max(1, int(-(-fraction * h.shape[0] // 1)))
    values, index = h.topk(k, dim=0)
    return torch.zeros_like(h).scatter(0, index, values)


def masked_token_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the masked positions only.

    logits: (batch, length, vocab); targets: (batch, length) int64 original tokens;
    mask: (batch, length) bool, True where the model must predict. Unmasked positions do not count:
    predicting a token the model could see is the trivial copy task.
    """
    require_float(logits, "logits")
    require_ndim(logits, (3,), "logits", "(batch, length, vocab)")
    require_integer(targets, "targets")
    if targets.shape != logits.shape[:2] or mask.shape != targets.shape:
        raise ValueError(
            f"targets and mask must have shape (batch, length) = {tuple(logits.shape[:2])}, "
            f"got {tuple(targets.shape)} and {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor, got {mask.dtype}")
    if not bool(mask.any()):  # a host sync, as is logits[mask] itself (its size is read)
        raise ValueError("mask selects no position: there is nothing to predict")
    return F.cross_entropy(logits[mask], targets[mask])


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` per sample, summed over latent dims: ``(batch,)``.

    Closed form: ``0.5 * sum(mu^2 + exp(logvar) - 1 - logvar)``.
    """
    require_float(mu, "mu")
    require_float(logvar, "logvar")
    require_same_shape(mu, logvar, ("mu", "logvar"))
    require_ndim(mu, (2,), "mu", "(batch, latent_size)")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``log p(x | logits)`` in nats for binary-valued images, summed per sample: ``(batch,)``."""
    require_float(logits, "logits")
    require_same_shape(logits, x, ("logits", "x"))
    per_pixel = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_pixel.reshape(len(x), -1).sum(dim=1)


def elbo(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Evidence lower bound per sample, in nats: ``E_q[log p(x|z)] - KL(q(z|x) || p(z))``.

    logits: (batch, ...) decoder scores for a Bernoulli likelihood; x: same shape, in [0, 1];
    mu, logvar: (batch, latent_size). One reparameterized sample estimates the expectation.
    Returns ``(batch,)``; maximize its mean (minimize ``-elbo(...).mean()``).
    """
    require_unit_range(x, "x")
    return bernoulli_log_likelihood(logits, x) - gaussian_kl(mu, logvar)


def aux_topk_loss(pre_activation: torch.Tensor, residual: torch.Tensor, dictionary: torch.Tensor,
                  dead: torch.Tensor, k: int) -> torch.Tensor:
    """The auxiliary loss on dead latents of a top-k sparse autoencoder (Gao et al., 2024).

    pre_activation: (batch, n_latents) encoder outputs before the ReLU; residual: (batch, D) what
    the live latents failed to reconstruct, ``x - x_hat`` (pass it detached); dictionary:
    (D, n_latents) decoder columns; dead: (n_latents,) bool; k: how many dead latents may fire
    per sample (1..n_latents). The ``k`` largest ReLU'd activations among the dead latents
    reconstruct the residual (no decoder bias); returns its mean squared error (0 when none is
    dead), so a dead latent gets a gradient that points it at what the others miss.
    """
    return mse(_dead_latent_reconstruction(pre_activation, residual, dead, dictionary, k),
               residual) * dead.any()


def _dead_latent_reconstruction(pre_activation: torch.Tensor, residual: torch.Tensor,
                                dead: torch.Tensor, dictionary: torch.Tensor, k: int) -> torch.Tensor:
    """What the ``k`` most active dead latents write: ``(batch, D)`` (see :func:`aux_topk_loss`)."""
    _codes(pre_activation)
    require_float(residual, "residual")
    if dead.dtype != torch.bool or dead.shape != pre_activation.shape[1:]:
        raise ValueError(f"dead must be a bool mask of shape ({pre_activation.shape[1]},), got "
                         f"{dead.dtype} {tuple(dead.shape)}")
    # live latents are zeroed, so when fewer than k are dead the extra picks are zeros; no count
    # of the dead is read back to the host (no sync per batch on a GPU)
    codes = F.relu(pre_activation).masked_fill(~dead, 0.0)
    return F.linear(topk(codes, k), dictionary)


def normalized_mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """MSE divided by the MSE of predicting the batch mean: ``x_hat, x: (batch, d)`` -> ``()``.

    The batch's fraction of variance unexplained, Gao et al.'s (2024) "normalized MSE": the same
    number whatever the scale of ``x`` (0 perfect, 1 no better than the mean). The denominator is
    clamped away from 0 for a batch without variance.
    """
    require_float(x_hat, "x_hat")
    require_float(x, "x")
    require_same_shape(x_hat, x, ("x_hat", "x"))
    require_ndim(x, (2,), "x", "(batch, d)")
    baseline = ((x - x.mean(dim=0, keepdim=True)) ** 2).mean()
    return F.mse_loss(x_hat, x) / baseline.clamp_min(torch.finfo(x.dtype).tiny)


def aux_topk_loss_normalized(pre_activation: torch.Tensor, residual: torch.Tensor,
                             dictionary: torch.Tensor, dead: torch.Tensor, k: int) -> torch.Tensor:
    """Gao et al.'s AuxK loss as their released training code computes it: :func:`aux_topk_loss`
    with the error normalised by the residual's own variance (:func:`normalized_mse`).

    Same arguments as :func:`aux_topk_loss`. Normalised, the auxiliary term keeps its strength as
    training shrinks the residual (unnormalised, it fades with it). 0 when no latent is dead.
    """
    return normalized_mse(_dead_latent_reconstruction(pre_activation, residual, dead, dictionary, k),
                          residual) * dead.any()
