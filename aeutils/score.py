"""Denoising is score estimation: a known 2-D density, its score, and what a denoiser learns.

Tweedie's formula (Robbins 1956; Miyasawa 1961), the bridge of Vincent (2011) and Alain & Bengio
(2014): for ``x~ = x + sigma * eps`` with ``eps ~ N(0, I)``, the best denoiser in squared error is

    r*(x~) = E[x | x~] = x~ + sigma^2 * grad log p_sigma(x~),

where ``p_sigma`` is the density of the *noisy* data (the clean density blurred by the noise). So
a denoiser's residual ``r(x~) - x~``, divided by ``sigma^2``, estimates the score
``grad log p_sigma``. Diffusion models learn such denoisers at many noise levels and follow the
scores from pure noise back to data (:func:`annealed_langevin`).

- :class:`GaussianMixture`: an isotropic Gaussian mixture, whose noisy version and exact score are
  known in closed form (the reference to compare a learned denoiser with).
- :func:`optimal_denoiser`, :func:`residual_score`, :func:`score_error`: the Tweedie denoiser, the
  score a denoiser implies, and how far an estimated score is from the true one.
- :func:`annealed_langevin`: sampling with scores at decreasing noise levels, and
  :meth:`GaussianMixture.mode_shares` to check what a sampler produced.
- :func:`field_figure` and :func:`samples_figure`: vector fields as arrows, point sets as dots, over
  the density.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

Score = Callable[[torch.Tensor], torch.Tensor]  # points (n, d) -> scores (n, d)


@dataclass(frozen=True)
class GaussianMixture:
    """``sum_k weights[k] * N(means[k], stds[k]^2 I)`` in ``d`` dimensions.

    means: ``(K, d)``; stds: ``(K,)`` positive; weights: ``(K,)`` positive, summing to 1. Stored
    as float64 so that densities and scores are exact to float32 precision.
    """

    means: torch.Tensor
    stds: torch.Tensor
    weights: torch.Tensor

    def __post_init__(self) -> None:
        means = torch.as_tensor(self.means, dtype=torch.float64)
        stds = torch.as_tensor(self.stds, dtype=torch.float64)
        weights = torch.as_tensor(self.weights, dtype=torch.float64)
        if means.ndim != 2 or stds.shape != (len(means),) or weights.shape != (len(means),):
            raise ValueError(f"need means (K, d), stds (K,) and weights (K,), got "
                             f"{tuple(means.shape)}, {tuple(stds.shape)}, {tuple(weights.shape)}")
        if bool((stds <= 0).any()) or bool((weights <= 0).any()):
            raise ValueError("stds and weights must be positive")
        if abs(float(weights.sum()) - 1) > 1e-6:
            raise ValueError(f"weights must sum to 1, they sum to {float(weights.sum()):.6g}")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "stds", stds)
        object.__setattr__(self, "weights", weights)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` points ``(n, d)`` float32 on the CPU."""
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        return (self.means[component] + self.stds[component, None] * eps).float()

    def noisy(self, sigma: float) -> GaussianMixture:
        """The density of ``x + sigma * eps``: every component's variance grows by ``sigma^2``."""
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        return GaussianMixture(self.means, torch.sqrt(self.stds**2 + sigma**2), self.weights)

    def _log_parts(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, K)``: log of each weighted component density at ``x: (n, d)``."""
        x = _points(x, self.dim)
        dist2 = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)
        var = self.stds**2
        return (torch.log(self.weights) - 0.5 * self.dim * torch.log(2 * math.pi * var)
                - 0.5 * dist2 / var)

    def log_density(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x)``: ``(n, d) -> (n,)`` float64."""
        return torch.logsumexp(self._log_parts(x), dim=1)

    def responsibilities(self, x: torch.Tensor) -> torch.Tensor:
        """``P(component k | x)``: ``(n, d) -> (n, K)`` float64, rows summing to 1."""
        return torch.softmax(self._log_parts(x), dim=1)

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the nearest component mean: ``(n, d) -> (n,)`` int64."""
        return torch.cdist(_points(x, self.dim), self.means).argmin(1)

    def near_share(self, x: torch.Tensor, radius: float = 2.0) -> float:
        """Share of points within ``radius`` of their nearest component's std from its mean.

        For points drawn from the mixture itself (components far apart, ``d = 2``) this is
        ``1 - exp(-radius^2 / 2)``, 0.865 at the default."""
        x = _points(x, self.dim)
        nearest = self.nearest(x)
        distance = (x - self.means[nearest]).norm(dim=1)
        return float((distance < radius * self.stds[nearest]).double().mean())

    def mode_shares(self, x: torch.Tensor) -> torch.Tensor:
        """Share of the points nearest to each component: ``(n, d) -> (K,)`` float64; compare it
        with ``weights`` (e.g. :func:`total_variation`)."""
        counts = torch.bincount(self.nearest(x), minlength=len(self.means)).double()
        return counts / counts.sum()

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """``grad_x log p(x)``: ``(n, d) -> (n, d)`` float64, exact:
        ``sum_k P(k | x) (means[k] - x) / stds[k]^2``."""
        x = _points(x, self.dim)
        pull = (self.means[None] - x[:, None, :]) / (self.stds**2)[None, :, None]
        return (self.responsibilities(x)[:, :, None] * pull).sum(1)


def _points(x: torch.Tensor, dim: int) -> torch.Tensor:
    x = torch.as_tensor(x).detach().to("cpu", torch.float64)
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"need points of shape (n, {dim}), got {tuple(x.shape)}")
    return x


def optimal_denoiser(clean: GaussianMixture, sigma: float, noisy: torch.Tensor) -> torch.Tensor:
    """Tweedie's formula, ``E[x | x~] = x~ + sigma^2 * grad log p_sigma(x~)``: the denoiser with
    the least expected squared error for data from ``clean`` and noise of std ``sigma``.
    ``noisy: (n, d) -> (n, d)`` float64."""
    return _points(noisy, clean.dim) + sigma**2 * clean.noisy(sigma).score(noisy)


def residual_score(denoised: torch.Tensor, noisy: torch.Tensor, sigma: float) -> torch.Tensor:
    """The score a denoiser implies, ``(r(x~) - x~) / sigma^2``: ``(n, d), (n, d) -> (n, d)``."""
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    if denoised.shape != noisy.shape:
        raise ValueError(f"denoised {tuple(denoised.shape)} and noisy {tuple(noisy.shape)} differ")
    return (denoised.detach().cpu().double() - noisy.detach().cpu().double()) / sigma**2


@dataclass(frozen=True)
class ScoreError:
    """How far an estimated score field is from the true one, over a set of points.

    cosine: mean cosine of the angle between the two vectors (1 = same directions everywhere);
    relative: ``sum |s_hat - s|^2 / sum |s|^2`` (0 = exact; 1 = as far off as predicting 0).
    """

    cosine: float
    relative: float


def score_error(estimate: torch.Tensor, truth: torch.Tensor) -> ScoreError:
    """Compare two score fields sampled at the same points: ``(n, d), (n, d)``."""
    estimate, truth = torch.as_tensor(estimate).double(), torch.as_tensor(truth).double()
    if estimate.shape != truth.shape or estimate.ndim != 2:
        raise ValueError(f"need two (n, d) fields of one shape, got {tuple(estimate.shape)} and "
                         f"{tuple(truth.shape)}")
    cosine = torch.nn.functional.cosine_similarity(estimate, truth, dim=1, eps=1e-12).mean()
    relative = ((estimate - truth) ** 2).sum() / (truth**2).sum()
    return ScoreError(float(cosine), float(relative))


def total_variation(p: torch.Tensor, q: torch.Tensor) -> float:
    """Total-variation distance ``0.5 * sum |p - q|`` between two discrete distributions ``(K,)``:
    0 for equal ones, 1 for disjoint ones."""
    p, q = torch.as_tensor(p, dtype=torch.float64), torch.as_tensor(q, dtype=torch.float64)
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"need two (K,) distributions, got {tuple(p.shape)} and {tuple(q.shape)}")
    return float(0.5 * (p - q).abs().sum())


def annealed_langevin(scores: Sequence[Score], sigmas: Sequence[float], start: torch.Tensor,
                      steps: int = 50, step_size: float = 0.1,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Annealed Langevin dynamics (Song & Ermon, 2019): from ``start: (n, d)`` (broad noise),
    follow ``scores[i]`` (the score at noise level ``sigmas[i]``, largest first) for ``steps``
    steps each, ``x += a/2 * score(x) + sqrt(a) * z`` with ``a = step_size * sigmas[i]^2``.
    Returns the final points ``(n, d)`` float32."""
    if len(scores) != len(sigmas) or not len(scores):
        raise ValueError("need one score per noise level, at least one")
    if list(sigmas) != sorted(sigmas, reverse=True):
        raise ValueError(f"noise levels must decrease, got {list(sigmas)}")
    x = start.detach().cpu().double().clone()
    for score, sigma in zip(scores, sigmas):
        a = step_size * sigma**2
        for _ in range(steps):
            z = torch.randn(x.shape, generator=generator, dtype=torch.float64)
            x = x + 0.5 * a * score(x.float()).double().cpu() + math.sqrt(a) * z
    return x.float()


def _panels(names: list[str], density: GaussianMixture, extent: float, width: float,
            title: str | None) -> tuple[Figure, list]:
    """A row of square panels over ``[-extent, extent]^2``, each shaded with ``density``'s log
    density (clipped 8 nats below its peak) and titled with its name."""
    if density.dim != 2:
        raise ValueError(f"these figures draw 2-D densities, got {density.dim}-D")
    fig = Figure(figsize=(width * len(names), width), layout="constrained")
    axes = list(fig.subplots(1, len(names), squeeze=False)[0])
    fine = torch.linspace(-extent, extent, 121)
    fx, fy = torch.meshgrid(fine, fine, indexing="xy")
    shade = density.log_density(torch.stack([fx.flatten(), fy.flatten()], 1)).reshape(fx.shape)
    shade = np.maximum(shade.numpy(), float(shade.max()) - 8)
    for ax, name in zip(axes, names):
        ax.imshow(shade, origin="lower", cmap="Greys", extent=(-extent, extent, -extent, extent))
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_title(name, fontsize=10)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    return fig, axes


def field_figure(fields: dict[str, Callable[[torch.Tensor], torch.Tensor]], density: GaussianMixture,
                 extent: float, n: int = 17, title: str | None = None) -> Figure:
    """Arrows of each vector field ``{name: points (m, 2) -> vectors (m, 2)}`` on an ``n x n``
    grid over ``[-extent, extent]^2``, drawn over ``density``'s log density (shaded), at one
    common scale (the same length means the same size in every panel)."""
    fig, axes = _panels(list(fields), density, extent, 3.6, title)
    coarse = torch.linspace(-extent, extent, n)
    gx, gy = torch.meshgrid(coarse, coarse, indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], 1)
    vectors = [torch.as_tensor(field(grid)).detach().cpu().double().numpy()
               for field in fields.values()]
    # one scale for every panel, so that arrow lengths compare: most arrows span one grid step
    longest = max(float(np.quantile(np.linalg.norm(v, axis=1), 0.9)) for v in vectors)
    step = 2 * extent / (n - 1)
    for ax, v in zip(axes, vectors):
        ax.quiver(grid[:, 0].numpy(), grid[:, 1].numpy(), v[:, 0], v[:, 1], color="tab:red",
                  angles="xy", scale_units="xy", scale=max(longest, 1e-12) / step, width=0.006)
    return fig


def samples_figure(sets: dict[str, torch.Tensor], density: GaussianMixture, extent: float,
                   title: str | None = None) -> Figure:
    """Each point set ``{name: (n, 2)}`` as dots, side by side, over ``density``'s log density."""
    fig, axes = _panels(list(sets), density, extent, 3.2, title)
    for ax, points in zip(axes, sets.values()):
        p = _points(points, 2).numpy()
        ax.scatter(p[:, 0], p[:, 1], s=2, color="tab:blue", alpha=0.5)
    return fig
