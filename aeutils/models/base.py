"""The autoencoder recipe: input -> encoder -> hidden state h -> decoder -> the same input."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from aeutils import losses
from aeutils.validate import flat_features


class AEOutput(NamedTuple):
    """What an autoencoder's ``forward`` returns: the code and the reconstruction."""

    h: torch.Tensor  # (batch, code_size)
    x_hat: torch.Tensor  # same shape as the input


def as_shape(input_shape: int | tuple[int, ...]) -> tuple[int, ...]:
    """Normalize ``784`` or ``(1, 28, 28)`` to a tuple of positive ints."""
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(int(s) for s in input_shape)
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(f"input_shape must be positive sizes like (1, 28, 28), got {input_shape!r}")
    return shape


def check_code_size(code_size: int) -> int:
    if not isinstance(code_size, int) or code_size <= 0:
        raise ValueError(f"code_size must be a positive int, got {code_size!r}")
    return code_size


class Autoencoder(nn.Module):
    """Base class for image autoencoders.

    Subclasses implement ``encode_flat(x: (batch, D)) -> h`` and ``decode_flat(h) -> (batch, D)``.
    Inputs may be ``(batch, *input_shape)`` or flattened ``(batch, D)``; ``decode`` returns
    ``(batch, *input_shape)`` and ``forward`` returns the reconstruction in the input's shape.
    """

    def __init__(self, input_shape: int | tuple[int, ...], code_size: int):
        super().__init__()
        self.input_shape = as_shape(input_shape)
        self.input_dim = math.prod(self.input_shape)
        self.code_size = check_code_size(code_size)

    def encode_flat(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decode_flat(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, *input_shape) or (batch, D) float -> h: (batch, code_size)."""
        return self.encode_flat(flat_features(x, self.input_shape, "x"))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """h: (batch, code_size) -> x_hat: (batch, *input_shape)."""
        if h.ndim != 2 or h.shape[1] != self.code_size:
            raise ValueError(
                f"h must have shape (batch, {self.code_size}), got {tuple(h.shape)}")
        return self.decode_flat(h).reshape(len(h), *self.input_shape)

    def forward(self, x: torch.Tensor) -> AEOutput:
        h = self.encode(x)
        return AEOutput(h, self.decode(h).reshape(x.shape))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """The training objective: mean squared reconstruction error."""
        return losses.mse(self(x).x_hat, x)


def mlp(sizes: list[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)
