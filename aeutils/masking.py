"""Masking as the autoencoder's structure: masked tokens (BERT) and masked image patches (MAE).

Tokens: :func:`masked_token_accuracy` and :func:`frequency_baseline` score a masked-token model on
positions hidden by ``aeutils.noise.bert_mask``; :func:`top_guesses` lists its best candidates.

Patches: an image is cut into a grid of ``patch x patch`` squares; a random share of the squares is hidden
and a model must fill them in from the rest. Images are ``(batch, channels, H, W)`` float tensors
with ``H`` and ``W`` divisible by ``patch``. Every function takes an optional ``torch.Generator``
so a masking can be repeated exactly, and none modifies its input.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from aeutils import rng
from aeutils.noise import MaskedTokens
from aeutils.validate import require_float, require_integer, require_ndim


@torch.no_grad()
def top_guesses(model: torch.nn.Module, tokens: torch.Tensor, k: int = 1) -> torch.Tensor:
    """The ``k`` highest-scoring token ids at every position, best first.

    model: a ``MaskedTokenDenoiser`` (``forward(tokens)[1]`` are logits ``(batch, length, vocab)``);
    tokens: (batch, length) int64. Returns ``(batch, length, k)`` int64 on the tokens' device.
    """
    require_integer(tokens, "tokens")
    was_training = model.training
    model.eval()
    where = next(model.parameters()).device
    logits = model(tokens.to(where))[1]
    model.train(was_training)
    return logits.topk(k, dim=-1).indices.to(tokens.device)


def masked_token_accuracy(model: torch.nn.Module, masked: MaskedTokens, k: int = 1) -> float:
    """Share of the masked positions whose original token is among the model's top ``k`` guesses.

    masked: what ``noise.bert_mask`` returned (``tokens`` is what the model sees, ``targets`` the
    originals, ``mask`` the scored positions). Only masked positions count: predicting a token the
    model can see is the trivial copy task.
    """
    if not bool(masked.mask.any()):
        raise ValueError("the mask selects no position: there is nothing to score")
    guesses = top_guesses(model, masked.tokens, k)
    hits = (guesses == masked.targets.unsqueeze(-1)).any(-1)
    return float(hits[masked.mask].float().mean())


def frequency_baseline(train_tokens: torch.Tensor, masked: MaskedTokens,
                       num_special: int = 0) -> tuple[int, float]:
    """The no-context baseline: always guess the most frequent ordinary token of the training data.

    train_tokens: any shape of int64 ids; ids below ``num_special`` are not candidates.
    Returns ``(token_id, accuracy on the masked positions of masked)``.
    """
    require_integer(train_tokens, "train_tokens")
    counts = torch.bincount(train_tokens.flatten().cpu())
    counts[:num_special] = 0
    best = int(counts.argmax())
    if not bool(masked.mask.any()):
        raise ValueError("the mask selects no position: there is nothing to score")
    return best, float((masked.targets[masked.mask] == best).float().mean())


class MaskedPatches(NamedTuple):
    """What :func:`mask_patches` returns."""

    images: torch.Tensor  # (batch, C, H, W) the input with hidden patches set to ``fill``
    mask: torch.Tensor  # (batch, 1, H, W) bool, True on hidden pixels


def patch_grid(images: torch.Tensor, patch: int) -> tuple[int, int]:
    """The number of patch rows and columns of ``images: (batch, C, H, W)``."""
    require_ndim(images, (4,), "images", "(batch, channels, H, W)")
    if not isinstance(patch, int) or patch <= 0:
        raise ValueError(f"patch must be a positive int, got {patch!r}")
    height, width = images.shape[-2:]
    if height % patch or width % patch:
        raise ValueError(f"image size {height}x{width} is not divisible by patch={patch}")
    return height // patch, width // patch


def mask_patches(images: torch.Tensor, patch: int, fraction: float,
                 generator: torch.Generator | None = None, fill: float = 0.0) -> MaskedPatches:
    """Hide ``round(fraction * n_patches)`` randomly chosen patches of every image.

    images: (batch, C, H, W) float; patch: side of the square patches (must divide H and W);
    fraction: share of the patches hidden in each image, in [0, 1] (every image loses exactly the
    same number of patches, as in MAE); fill: the value hidden pixels get.
    Returns ``MaskedPatches(images, mask)`` with ``mask: (batch, 1, H, W)`` bool.
    """
    require_float(images, "images")
    rows, cols = patch_grid(images, patch)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    n_patches = rows * cols
    n_hidden = int(round(fraction * n_patches))
    scores = rng.rand((len(images), n_patches), generator, images.device)
    hidden = torch.zeros((len(images), n_patches), dtype=torch.bool, device=images.device)
    if n_hidden:
        hidden.scatter_(1, scores.argsort(dim=1)[:, :n_hidden], True)
    mask = hidden.reshape(len(images), 1, rows, cols)
    mask = mask.repeat_interleave(patch, dim=2).repeat_interleave(patch, dim=3)
    return MaskedPatches(images.masked_fill(mask, fill), mask)


def masked_mse(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the hidden pixels only (MAE's loss).

    x_hat, x: (batch, C, H, W); mask: (batch, 1, H, W) or (batch, C, H, W) bool. Returns a scalar;
    0 when nothing is hidden.
    """
    require_float(x_hat, "x_hat")
    require_float(x, "x")
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat and x must have the same shape, got {tuple(x_hat.shape)} "
                         f"and {tuple(x.shape)}")
    full = mask.expand_as(x)
    count = full.sum()
    if int(count) == 0:
        return x_hat.sum() * 0.0
    return ((x_hat - x) ** 2 * full).sum() / count


def fill_in(model: torch.nn.Module, masked: MaskedPatches) -> torch.Tensor:
    """Keep the visible pixels and take the hidden ones from ``model(masked.images)``.

    model: an autoencoder whose ``forward`` returns ``(h, x_hat)`` with ``x_hat`` shaped like its
    input (it runs on the model's device). Returns ``(batch, C, H, W)`` on the images' device.
    """
    where = next(model.parameters()).device
    x_hat = model(masked.images.to(where))[1].reshape(masked.images.shape).to(masked.images.device)
    return torch.where(masked.mask.expand_as(x_hat), x_hat, masked.images)


class PatchMaskingLoss:
    """A ``loss_fn(model, x)`` for ``aeutils.train.fit``: hide patches, score the hidden pixels.

    Each call draws a fresh masking from ``generator``, so every epoch sees new holes. With
    ``masked_only=False`` the visible pixels are scored too (a plain denoising loss).
    """

    def __init__(self, patch: int, fraction: float, generator: torch.Generator | None = None,
                 fill: float = 0.0, masked_only: bool = True):
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        self.patch, self.fraction, self.generator = patch, fraction, generator
        self.fill, self.masked_only = fill, masked_only

    def __call__(self, model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        masked = mask_patches(x, self.patch, self.fraction, self.generator, self.fill)
        x_hat = model(masked.images)[1].reshape(x.shape)
        if self.masked_only:
            return masked_mse(x_hat, x, masked.mask)
        return torch.mean((x_hat - x) ** 2)


@torch.no_grad()
def neighbour_count_guesses(train_blocks: torch.Tensor, tokens: torch.Tensor, vocab_size: int,
                            mask_id: int, num_special: int = 0, smoothing: float = 0.1
                            ) -> torch.Tensor:
    """A count-based guesser that sees a token's left and right neighbours.

    It counts word pairs in ``train_blocks: (n, length)`` and guesses, at every position of
    ``tokens: (batch, length)``, the ordinary token ``w`` that maximizes
    ``P(w | left neighbour) * P(right neighbour | w)`` (add-``smoothing`` estimates). A neighbour
    that is ``[MASK]`` or off the edge of the block tells it nothing and is left out.
    Returns ``(batch, length)`` int64 guesses (score them at the masked positions only).
    """
    require_integer(train_blocks, "train_blocks")
    require_integer(tokens, "tokens")
    require_ndim(tokens, (2,), "tokens", "(batch, length)")
    if smoothing <= 0:
        raise ValueError(f"smoothing must be > 0 (unseen pairs need a probability), got {smoothing}")
    pairs = torch.zeros(vocab_size, vocab_size)
    left, right = train_blocks[:, :-1].flatten().cpu(), train_blocks[:, 1:].flatten().cpu()
    pairs.index_put_((left, right), torch.ones(len(left)), accumulate=True)
    pairs += smoothing
    log_next = (pairs / pairs.sum(1, keepdim=True)).log()  # [a, b] = log P(next = b | a)
    cpu = tokens.cpu()
    batch, length = cpu.shape
    pad = torch.full((batch, 1), mask_id, dtype=cpu.dtype)
    before = torch.cat([pad, cpu[:, :-1]], 1).flatten()
    after = torch.cat([cpu[:, 1:], pad], 1).flatten()
    scores = torch.zeros(batch * length, vocab_size)
    seen_before, seen_after = before != mask_id, after != mask_id
    scores[seen_before] += log_next[before[seen_before]]
    scores[seen_after] += log_next[:, after[seen_after]].T
    scores[:, :num_special] = -torch.inf
    return scores.argmax(1).reshape(batch, length).to(tokens.device)
