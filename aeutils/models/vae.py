"""A variational autoencoder: the hidden state is pushed to agree with a N(0, I) prior."""

from __future__ import annotations

from typing import NamedTuple

import torch

from aeutils import losses, rng
from aeutils.models.base import CourseModel, mlp
from aeutils.validate import flat_features


class VAEOutput(NamedTuple):
    """``AEOutput``'s two fields first (``h``, ``x_hat``), then the posterior and the logits."""

    h: torch.Tensor  # (batch, latent) a reparameterized sample z
    x_hat: torch.Tensor  # pixel probabilities, shape of the input
    mu: torch.Tensor  # (batch, latent)
    logvar: torch.Tensor  # (batch, latent)
    logits: torch.Tensor  # decoder scores, shape of the input


class VAE(CourseModel):
    """Encoder ``x -> (mu, logvar)``, sample ``z = mu + sigma * eps``, Bernoulli decoder ``z -> x``.

    ``loss(x) = -elbo(x).mean()`` in nats per image. ``encode(x)`` returns ``mu`` (the
    deterministic code for downstream use); ``decode(z)`` returns pixel probabilities.
    ``forward`` samples ``z`` in training mode and uses ``z = mu`` in eval mode, so reconstructions
    and errors of a trained VAE are deterministic like every other course model; ``elbo`` always
    samples (it is an expectation over ``q(z|x)``).
    """

    def __init__(self, input_shape: int | tuple[int, ...] = (1, 28, 28), latent_size: int = 2,
                 hidden: tuple[int, ...] = (256,)):
        super().__init__()
        self.set_shapes(input_shape, latent_size)
        self.latent_size = self.code_size
        hidden = tuple(hidden)
        self.encoder = mlp([self.input_dim, *hidden, 2 * latent_size])
        self.decoder = mlp([latent_size, *reversed(hidden), self.input_dim])

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (batch, *input_shape) -> mu, logvar: (batch, latent_size)."""
        stats = self.encoder(flat_features(x, self.input_shape, "x"))
        mu, logvar = stats.chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``: the sample is a differentiable
        function of ``mu`` and ``logvar``, so gradients reach the encoder."""
        eps = rng.randn(mu.shape, generator, mu.device, mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_size:
            raise ValueError(f"z must have shape (batch, {self.latent_size}), got {tuple(z.shape)}")
        return self.decoder(z).reshape(len(z), *self.input_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor, sample: bool | None = None,
                generator: torch.Generator | None = None) -> VAEOutput:
        """x: (batch, *input_shape). ``sample``: draw ``z ~ q(z|x)`` (default: only in training
        mode) or use ``z = mu``."""
        mu, logvar = self.posterior(x)
        if sample is None:
            sample = self.training
        z = self.reparameterize(mu, logvar, generator) if sample else mu
        logits = self.decode_logits(z).reshape(x.shape)
        return VAEOutput(z, torch.sigmoid(logits), mu, logvar, logits)

    def elbo(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One-sample ELBO estimate per image, in nats: ``(batch,)`` (samples in any mode)."""
        out = self(x, sample=True, generator=generator)
        return losses.elbo(out.logits, x, out.mu, out.logvar)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return -self.elbo(x).mean()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` codes drawn from the prior: ``(n, *input_shape)`` probabilities."""
        device = next(self.parameters()).device
        z = rng.randn((n, self.latent_size), generator, device)
        return self.decode(z)
