"""Diagnostics for variational autoencoders, as the literature reports them.

- **active units** (Burda et al., 2016): a latent dimension ``u`` is active when its posterior mean
  moves with the input, ``Var_x(E_q[z_u | x]) > threshold`` (they use 0.01); an inactive one has
  collapsed onto the prior and carries nothing about ``x`` (:func:`active_units`);
- **rate and distortion** (Alemi et al., 2018): the ELBO's two terms, the KL to the prior (the
  rate, in nats) and the negative reconstruction log-likelihood (the distortion). Weighting the
  KL by ``beta`` (Higgins et al., 2017; :func:`beta_elbo_loss`) trades one for the other;
- an **importance-weighted estimate of log p(x)** (Burda et al., 2016): with ``K`` samples
  ``z_k ~ q(z|x)``, ``log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)`` is a lower bound on
  ``log p(x)`` that equals the ELBO at ``K = 1`` and tightens as ``K`` grows
  (:func:`importance_weighted_log_likelihood`).

Models are ``aeutils.models.VAE`` (Bernoulli decoder, Gaussian ``q(z|x)``, ``N(0, I)`` prior);
images ``x: (n, *input_shape)`` with values in {0, 1}. Results are in nats per image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from aeutils import losses, rng
from aeutils.models.vae import VAE
from aeutils.validate import require_unit_range


def beta_elbo_loss(beta: float) -> Callable[[VAE, torch.Tensor], torch.Tensor]:
    """A ``train.fit`` ``loss_fn``: ``-(reconstruction - beta * KL)`` averaged over the batch, with
    one sampled ``z`` per image (``beta = 1``: the VAE's own loss, ``-ELBO``)."""
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")

    def loss(model: VAE, x: torch.Tensor) -> torch.Tensor:
        out = model(x, sample=True)
        reconstruction = losses.bernoulli_log_likelihood(out.logits, x)
        return -(reconstruction - beta * losses.gaussian_kl(out.mu, out.logvar)).mean()

    return loss


def _batches(model: VAE, x: torch.Tensor, batch_size: int):
    where = next(model.parameters()).device
    for i in range(0, len(x), batch_size):
        yield x[i:i + batch_size].to(where)


@torch.no_grad()
def posterior_means(model: VAE, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``E_q[z | x]`` for every image: ``(n, latent_size)`` on the CPU."""
    return torch.cat([model.posterior(xb)[0].cpu() for xb in _batches(model, x, batch_size)])


@torch.no_grad()
def active_units(model: VAE, x: torch.Tensor, threshold: float = 0.01) -> int:
    """How many latent dimensions are active on ``x``: ``Var_x(E_q[z_u | x]) > threshold``."""
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    return int((posterior_means(model, x).var(dim=0) > threshold).sum())


@dataclass
class RateDistortion:
    """A VAE's ELBO split in its two terms, averaged over images, in nats.

    rate: ``E_x KL(q(z|x) || p(z))``; distortion: ``-E_x E_q log p(x|z)``; ``elbo = -(rate +
    distortion)``."""

    rate: float
    distortion: float

    @property
    def elbo(self) -> float:
        return -(self.rate + self.distortion)


@torch.no_grad()
def rate_distortion(model: VAE, x: torch.Tensor, samples: int = 5,
                    generator: torch.Generator | None = None,
                    batch_size: int = 1000) -> RateDistortion:
    """The rate (KL) and the distortion (negative reconstruction log-likelihood, averaged over
    ``samples`` draws of ``z ~ q(z|x)``) of ``model`` on ``x``."""
    require_unit_range(x, "x")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    was_training = model.training
    model.eval()
    rate = distortion = 0.0
    try:
        for xb in _batches(model, x, batch_size):
            mu, logvar = model.posterior(xb)
            rate += float(losses.gaussian_kl(mu, logvar).sum())
            for _ in range(samples):
                z = model.reparameterize(mu, logvar, generator)
                distortion -= float(losses.bernoulli_log_likelihood(
                    model.decode_logits(z).reshape(xb.shape), xb).sum()) / samples
    finally:
        model.train(was_training)
    return RateDistortion(rate / len(x), distortion / len(x))


def _gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``log N(z; mu, diag exp(logvar))`` summed over the last dimension."""
    return -0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)


@torch.no_grad()
def importance_weighted_log_likelihood(model: VAE, x: torch.Tensor, k: int = 100,
                                       generator: torch.Generator | None = None,
                                       batch_size: int = 100) -> torch.Tensor:
    """Burda et al.'s importance-weighted lower bound on ``log p(x)`` with ``k`` samples, per
    image: ``(n,)`` nats on the CPU.

    ``log (1/k) sum_j p(x|z_j) p(z_j) / q(z_j|x)`` with ``z_j ~ q(z|x)``, computed with
    ``logsumexp`` (the weights span hundreds of nats). ``k = 1`` is a one-sample ELBO; its
    expectation grows with ``k`` towards ``log p(x)``.
    """
    require_unit_range(x, "x")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    was_training = model.training
    model.eval()
    out = []
    try:
        for xb in _batches(model, x, batch_size):
            mu, logvar = model.posterior(xb)                                  # (b, L)
            eps = rng.randn((k, *mu.shape), generator, mu.device, mu.dtype)   # (k, b, L)
            z = mu + (0.5 * logvar).exp() * eps
            logits = model.decode_logits(z.reshape(-1, mu.shape[1]))         # (k * b, ...)
            targets = xb.unsqueeze(0).expand(k, *xb.shape).reshape(logits.shape)
            log_px_z = losses.bernoulli_log_likelihood(logits, targets).reshape(k, len(xb))
            log_pz = _gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z))
            log_qz = _gaussian_log_density(z, mu, logvar)
            log_w = log_px_z + log_pz - log_qz                                # (k, b)
            out.append((torch.logsumexp(log_w, dim=0) - math.log(k)).cpu())
    finally:
        model.train(was_training)
    return torch.cat(out)
