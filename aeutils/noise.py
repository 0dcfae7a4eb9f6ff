"""Corruption functions for denoising autoencoders and BERT-style masking.

All take an optional ``torch.Generator`` (on any device) so a corruption can be repeated exactly;
they never modify their input. Images are ``(batch, ...)`` float tensors in [0, 1].
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from aeutils.validate import require_float, require_integer, require_unit_range


def _uniform(shape: torch.Size, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    # Draw on the generator's own device (a CPU generator cannot fill a CUDA tensor), then move.
    where = generator.device if generator is not None else like.device
    return torch.rand(shape, generator=generator, device=where).to(like.device)


def _normal(shape: torch.Size, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    where = generator.device if generator is not None else like.device
    return torch.randn(shape, generator=generator, device=where).to(like.device, like.dtype)


def _rate(value: float, name: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1], got {value}")
    return float(value)


def gaussian(x: torch.Tensor, std: float, generator: torch.Generator | None = None,
             clip: bool = True) -> torch.Tensor:
    """Add ``N(0, std^2)`` noise to every pixel, clipped back to [0, 1] unless ``clip=False``."""
    require_float(x)
    require_unit_range(x)
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    noisy = x + std * _normal(x.shape, x, generator)
    return noisy.clamp(0.0, 1.0) if clip else noisy


def salt_and_pepper(x: torch.Tensor, amount: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Set a fraction ``amount`` of pixels to 0 or 1 (half each, on average)."""
    require_float(x)
    require_unit_range(x)
    amount = _rate(amount, "amount")
    u = _uniform(x.shape, x, generator)
    noisy = x.clone()
    noisy[u < amount / 2] = 0.0
    noisy[(u >= amount / 2) & (u < amount)] = 1.0
    return noisy


def masking(x: torch.Tensor, fraction: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero a random ``fraction`` of pixels (masking noise, Vincent et al. 2008)."""
    require_float(x)
    require_unit_range(x)
    fraction = _rate(fraction, "fraction")
    keep = _uniform(x.shape, x, generator) >= fraction
    return x * keep


NOISES = {"gaussian": gaussian, "salt_and_pepper": salt_and_pepper, "masking": masking}


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None,
            clip: bool = True) -> torch.Tensor:
    """Apply the noise called ``kind`` ("gaussian", "salt_and_pepper", "masking") at ``level``.

    ``clip=False`` keeps Gaussian noise additive (values may leave [0, 1]); the other two noises
    only ever write 0 or 1, so they are in [0, 1] either way.
    """
    if kind not in NOISES:
        raise ValueError(f"unknown noise {kind!r}; choose one of {sorted(NOISES)}")
    if kind == "gaussian":
        return gaussian(x, level, generator=generator, clip=clip)
    return NOISES[kind](x, level, generator=generator)


class MaskedTokens(NamedTuple):
    """What :func:`bert_mask` returns; all ``(batch, length)``."""

    tokens: torch.Tensor  # the corrupted input the model sees (int64)
    targets: torch.Tensor  # the original tokens (int64)
    mask: torch.Tensor  # bool, True where the model is scored


def bert_mask(tokens: torch.Tensor, mask_id: int, vocab_size: int, rate: float = 0.15,
              generator: torch.Generator | None = None, num_special: int = 0,
              mask_prob: float = 0.8, random_prob: float = 0.1) -> MaskedTokens:
    """BERT's corruption: select ``rate`` of the positions; of those, 80% become ``[MASK]``,
    10% a random token, 10% stay unchanged. Only selected positions are scored.

    tokens: (batch, length) int64. Ids below ``num_special`` (padding and the like) are never
    selected, and random replacements are drawn from ``num_special .. vocab_size - 1``.
    Why 80/10/10: if selected tokens were always ``[MASK]``, the model would learn nothing useful
    for real text, where no ``[MASK]`` appears; random and unchanged tokens make it model every
    position.
    """
    require_integer(tokens, "tokens")
    rate = _rate(rate, "rate")
    if mask_prob < 0 or random_prob < 0 or mask_prob + random_prob > 1:
        raise ValueError("mask_prob and random_prob must be >= 0 and add up to at most 1")
    if not 0 <= mask_id < vocab_size or num_special >= vocab_size:
        raise ValueError(f"mask_id {mask_id} and num_special {num_special} must be below "
                         f"vocab_size {vocab_size}")
    u_select = _uniform(tokens.shape, tokens, generator)
    u_action = _uniform(tokens.shape, tokens, generator)
    mask = (u_select < rate) & (tokens >= num_special)
    where = generator.device if generator is not None else tokens.device
    random_tokens = torch.randint(num_special, vocab_size, tokens.shape, generator=generator,
                                  device=where).to(tokens.device)
    corrupted = tokens.clone()
    to_mask = mask & (u_action < mask_prob)
    to_random = mask & (u_action >= mask_prob) & (u_action < mask_prob + random_prob)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return MaskedTokens(corrupted, tokens.clone(), mask)
