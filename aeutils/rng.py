"""Random numbers drawn with an optional ``torch.Generator`` and delivered on any device.

A generator lives on one device: a CPU generator cannot fill a CUDA tensor, and a CUDA generator
cannot fill a CPU one. These helpers draw on the generator's own device (or, without a generator,
straight on the target device) and then move the numbers where they are wanted, so a seeded
corruption gives the same numbers whichever device the data is on. Everything in the library that
takes a ``generator=`` draws through here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

Shape = Sequence[int] | torch.Size


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed``."""
    return torch.Generator(device=device).manual_seed(seed)


def draw_device(generator: torch.Generator | None, device: torch.device | str) -> torch.device:
    """Where to draw: the generator's device if there is one, else ``device`` itself."""
    return generator.device if generator is not None else torch.device(device)


def rand(shape: Shape, generator: torch.Generator | None = None,
         device: torch.device | str = "cpu", dtype: torch.dtype | None = None) -> torch.Tensor:
    """``U[0, 1)`` numbers of ``shape`` on ``device`` (dtype: torch's default float)."""
    where = draw_device(generator, device)
    return torch.rand(tuple(shape), generator=generator, device=where).to(device, dtype)


def randn(shape: Shape, generator: torch.Generator | None = None,
          device: torch.device | str = "cpu", dtype: torch.dtype | None = None) -> torch.Tensor:
    """``N(0, 1)`` numbers of ``shape`` on ``device`` (dtype: torch's default float)."""
    where = draw_device(generator, device)
    return torch.randn(tuple(shape), generator=generator, device=where).to(device, dtype)


def randint(low: int, high: int, shape: Shape, generator: torch.Generator | None = None,
            device: torch.device | str = "cpu") -> torch.Tensor:
    """Integers uniform in ``low .. high - 1`` of ``shape``, int64, on ``device``."""
    where = draw_device(generator, device)
    return torch.randint(low, high, tuple(shape), generator=generator, device=where).to(device)


def randperm(n: int, generator: torch.Generator | None = None,
             device: torch.device | str = "cpu") -> torch.Tensor:
    """A random permutation of ``0 .. n - 1`` (int64) on ``device``."""
    where = draw_device(generator, device)
    return torch.randperm(n, generator=generator, device=where).to(device)
