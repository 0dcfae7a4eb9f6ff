"""Sparse autoencoders: an overcomplete code kept sparse by a penalty or an activation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aeutils import losses, validate
from aeutils.models.base import Autoencoder

SPARSITIES = ("l1", "kl", "topk", "lifetime", "none")


class SparseAutoencoder(Autoencoder):
    """One hidden layer, usually wider than the input, made sparse in one of four ways.

    - ``"l1"``: ReLU code, loss ``MSE + weight * l1_sparsity(h)``;
    - ``"kl"``: sigmoid code, loss ``MSE + weight * kl_sparsity(h, rho)``;
    - ``"topk"``: ReLU then keep each sample's ``k`` largest units (no penalty needed);
    - ``"lifetime"``: ReLU then, during training, keep each unit's top ``fraction`` of the batch
      (winner-take-all over the batch). A single image has no batch to compete in, so at evaluation
      each unit fires only above its running threshold: the average smallest winning activation
      seen in training (as batch top-k autoencoders do);
    - ``"none"``: a plain overcomplete ReLU autoencoder, for comparison.

    The decoder is linear, ``x_hat = W h + b``, so its columns are a dictionary of "atoms" that the
    code mixes. With ``unit_norm_decoder`` (default) each column has norm 1, so the penalty cannot be
    dodged by shrinking ``h`` and growing ``W``.

    Dead latents (Gao et al., 2024, "Scaling and evaluating sparse autoencoders"): in training mode
    the model counts, per latent, the samples seen since it last fired (``samples_since_active``);
    a latent silent for ``dead_after`` samples is *dead* (:meth:`dead_latents`). Two fixes:

    - ``tied_init`` (default): the encoder starts as the transpose of the decoder, so every latent
      starts out reading the direction it writes. ``tied_init=False`` draws the decoder
      independently (the plain baseline);
    - ``aux_k`` (top-k only): an auxiliary loss in which the ``aux_k`` most active *dead* latents
      must reconstruct what the live ones missed, ``e = x - x_hat``; it is added with weight
      ``aux_weight`` (Gao et al. use 1/32) and gives dead latents a gradient again.

    ``normalize_loss`` (default off) scores both terms as Gao et al.'s released code does: the
    reconstruction as the batch's fraction of variance unexplained (``losses.normalized_mse``), the
    auxiliary error relative to the residual's own variance (``losses.aux_topk_loss_normalized``).
    Off, both are plain mean squared errors, so the auxiliary term fades as the residual shrinks.
    """

    def __init__(self, input_shape: int | tuple[int, ...], code_size: int, sparsity: str = "l1",
                 weight: float = 1e-3, k: int | None = None, fraction: float = 0.05,
                 rho: float = 0.05, unit_norm_decoder: bool = True, aux_k: int | None = None,
                 aux_weight: float = 1 / 32, dead_after: int = 10_000, tied_init: bool = True,
                 normalize_loss: bool = False):
        super().__init__(input_shape, code_size)
        if sparsity not in SPARSITIES:
            raise ValueError(f"sparsity must be one of {SPARSITIES}, got {sparsity!r}")
        if sparsity == "topk" and (k is None or not 1 <= k <= code_size):
            raise ValueError(f"top-k sparsity needs 1 <= k <= code_size={code_size}, got k={k!r}")
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        self.sparsity, self.weight, self.k = sparsity, weight, k
        self.fraction, self.rho = fraction, rho
        self.unit_norm_decoder = unit_norm_decoder
        if aux_k is not None:
            if sparsity != "topk":
                raise ValueError("aux_k (the auxiliary loss on dead latents) needs sparsity='topk'")
            if not isinstance(aux_k, int) or not 1 <= aux_k <= code_size:
                raise ValueError(f"aux_k must be an int in 1..code_size={code_size}, got {aux_k!r}")
        if aux_weight < 0 or dead_after < 1:
            raise ValueError(f"need aux_weight >= 0 and dead_after >= 1, got {aux_weight}, "
                             f"{dead_after}")
        self.aux_k, self.aux_weight, self.dead_after = aux_k, aux_weight, dead_after
        if normalize_loss and sparsity != "topk":
            raise ValueError("normalize_loss (Gao et al.'s normalised losses) needs sparsity='topk'")
        self.normalize_loss = normalize_loss
        self.encoder = nn.Linear(self.input_dim, code_size)
        if tied_init:
            decoder = self.encoder.weight.detach().t().clone()
        else:
            decoder = nn.Linear(code_size, self.input_dim).weight.detach().clone()
        self.decoder_weight = nn.Parameter(decoder)
        self.decoder_bias = nn.Parameter(torch.zeros(self.input_dim))
        self.register_buffer("threshold", torch.zeros(code_size))  # lifetime sparsity at eval
        self.register_buffer("samples_since_active", torch.zeros(code_size, dtype=torch.int64))

    def pre_activation(self, x_flat: torch.Tensor) -> torch.Tensor:
        return self.encoder(x_flat)

    def encode_flat(self, x: torch.Tensor) -> torch.Tensor:
        h = self._code(self.pre_activation(x))
        if self.training:
            self._track_activity(h)
        return h

    @torch.no_grad()
    def _track_activity(self, h: torch.Tensor) -> None:
        # no boolean indexing: no host sync per batch on a GPU, and it runs on meta tensors too
        silent = (h <= 0).all(dim=0)
        self.samples_since_active.add_(len(h)).mul_(silent)

    def dead_latents(self) -> torch.Tensor:
        """``(code_size,)`` bool: latents that did not fire in the last ``dead_after`` training
        samples (counted only in training mode)."""
        return self.samples_since_active >= self.dead_after

    def _code(self, a: torch.Tensor) -> torch.Tensor:
        if self.sparsity == "kl":
            return torch.sigmoid(a)
        h = F.relu(a)
        if self.sparsity == "topk":
            return losses.topk(h, self.k)
        if self.sparsity == "lifetime":
            if not self.training:
                return h * (h > self.threshold)
            sparse = losses.lifetime_topk(h, self.fraction)
            with torch.no_grad():  # each unit's smallest winning activation, averaged over batches
                smallest = torch.where(sparse > 0, sparse, torch.inf).min(dim=0).values
                seen = torch.isfinite(smallest)
                self.threshold[seen] = 0.9 * self.threshold[seen] + 0.1 * smallest[seen]
            return sparse
        return h

    def dictionary(self) -> torch.Tensor:
        """Decoder columns ``(D, code_size)``, normalized when ``unit_norm_decoder``."""
        w = self.decoder_weight
        return w / w.norm(dim=0, keepdim=True).clamp_min(1e-8) if self.unit_norm_decoder else w

    def decode_flat(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(h, self.dictionary(), self.decoder_bias)

    def penalty(self, h: torch.Tensor) -> torch.Tensor:
        """The sparsity term added to the reconstruction loss (0 for top-k and lifetime)."""
        if self.sparsity == "l1":
            return self.weight * losses.l1_sparsity(h)
        if self.sparsity == "kl":
            return self.weight * losses.kl_sparsity(h, self.rho)
        return h.new_zeros(())

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        if self.aux_k is None:
            h, x_hat = self(x)
            if self.sparsity == "kl":  # sigmoid codes: in [0, 1] by construction, nothing to read
                h = validate.with_range(h, (0.0, 1.0))
            if self.normalize_loss:
                return losses.normalized_mse(x_hat.reshape(len(x), -1), x.reshape(len(x), -1))
            return losses.mse(x_hat, x) + self.penalty(h)
        x_flat = x.reshape(len(x), -1)
        a = self.pre_activation(x_flat)
        h = self._code(a)
        if self.training:
            self._track_activity(h)
        x_hat = self.decode_flat(h)
        if self.normalize_loss:
            reconstruction = losses.normalized_mse(x_hat, x_flat)
            auxiliary = losses.aux_topk_loss_normalized
        else:
            reconstruction, auxiliary = losses.mse(x_hat, x_flat), losses.aux_topk_loss
        if self.aux_weight == 0:
            return reconstruction
        dead = self.dead_latents()
        return reconstruction + self.aux_weight * auxiliary(
            a, x_flat - x_hat.detach(), self.dictionary(), dead, self.aux_k)
