"""Corruption functions for denoising autoencoders and BERT-style masking.

All take an optional ``torch.Generator`` (on any device; numbers are drawn through
:mod:`aeutils.rng`) so a corruption can be repeated exactly; they never modify their input. Images are ``(batch, ...)`` float tensors in [0, 1].
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from aeutils import rng
from aeutils.validate import require_float, require_integer, require_unit_range


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
    noisy = x + std * rng.randn(x.shape, generator, x.device, x.dtype)
    return noisy.clamp(0.0, 1.0) if clip else noisy


def salt_and_pepper(x: torch.Tensor, amount: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Set a fraction ``amount`` of pixels to 0 or 1 (half each, on average)."""
    require_float(x)
    require_unit_range(x)
    amount = _rate(amount, "amount")
    u = rng.rand(x.shape, generator, x.device)
    noisy = x.clone()
    noisy[u < amount / 2] = 0.0
    noisy[(u >= amount / 2) & (u < amount)] = 1.0
    return noisy


def mask_pixels(x: torch.Tensor, fraction: float,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero a random ``fraction`` of pixels (masking noise, Vincent et al. 2008).

    x: (batch, ...) in [0, 1] -> the same shape, each pixel set to 0 with probability ``fraction``.
    Not to be confused with :mod:`aeutils.masking`, which hides whole patches (and BERT's tokens).
    """
    require_float(x)
    require_unit_range(x)
    fraction = _rate(fraction, "fraction")
    keep = rng.rand(x.shape, generator, x.device) >= fraction
    return x * keep


NOISES = {"gaussian": gaussian, "salt_and_pepper": salt_and_pepper, "masking": mask_pixels}


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None,
            clip: bool = True) -> torch.Tensor:
    """Apply the noise called ``kind`` ("gaussian", "salt_and_pepper", "masking") at ``level``.

    ``clip=False`` keeps Gaussian noise additive (values may leave [0, 1]); the other two noises
    only ever write 0 or 1, so they are in [0, 1] either way.
    """
    if kind not in NOISES:
        raise ValueError(f"unknown noise {kind!r}; choose one of {sorted(NOISES)}")
    # Named calls, not NOISES[kind]: a name looked up at call time is one that grading.without
    # can switch off, so corrupt() is no back door to a function an exercise asks students to write.
    if kind == "gaussian":
        return gaussian(x, level, generator=generator, clip=clip)
    if kind == "salt_and_pepper":
        return salt_and_pepper(x, level, generator=generator)
    return mask_pixels(x, level, generator=generator)


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
    u_select = rng.rand(tokens.shape, generator, tokens.device)
    u_action = rng.rand(tokens.shape, generator, tokens.device)
    mask = (u_select < rate) & (tokens >= num_special)
    random_tokens = rng.randint(num_special, vocab_size, tokens.shape, generator, tokens.device)
    corrupted = tokens.clone()
    to_mask = mask & (u_action < mask_prob)
    to_random = mask & (u_action >= mask_prob) & (u_action < mask_prob + random_prob)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return MaskedTokens(corrupted, tokens.clone(), mask)
