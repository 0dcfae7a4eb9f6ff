"""The autoencoder recipe: input -> encoder -> hidden state h -> decoder -> the same input.

Every course model follows one interface, written down twice: :class:`AutoencoderModel` (a
``typing.Protocol``, so any object with these members passes ``isinstance``, a student's model
included) and :class:`CourseModel`, the base class the library's models share, which computes the
shapes one way and gives ``forward`` for free. Shapes, for images:

- ``input_shape``: the shape of one input, e.g. ``(1, 28, 28)``; ``input_dim = prod(input_shape)``;
- ``encode(x: (batch, *input_shape) or (batch, input_dim)) -> h: (batch, code_size)``;
- ``decode(h: (batch, code_size)) -> x_hat: (batch, *input_shape)``;
- ``forward(x) -> AEOutput(h, x_hat)`` with ``x_hat`` in ``x``'s shape. A model may return a
  longer NamedTuple whose first two fields are ``h`` and ``x_hat`` (``VAEOutput`` adds ``mu``,
  ``logvar``, ``logits``), so ``out.h``, ``out.x_hat``, ``out[0]`` and ``out[1]`` work for all;
- ``loss(x) -> ()``: the training objective, a scalar ``aeutils.train.fit`` minimizes;
- ``recommended_fit`` (optional): the ``fit`` settings the model trains well with (``{}``: fit's
  defaults suit it).

The masked-token model reads token ids instead: ``x: (batch, length)`` int64 with ``length <=
input_shape[0]``, ``h: (batch, length, code_size)``, ``x_hat``: logits ``(batch, length, vocab)``.
In eval mode ``encode``, ``decode`` and ``forward`` are deterministic for every model; ``loss`` may
still draw noise (a denoising or masked-token loss corrupts its input; the VAE's ELBO samples).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

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


@runtime_checkable
class AutoencoderModel(Protocol):
    """The interface every course model follows (see the module's docstring for the shapes).

    ``recommended_fit`` is optional and so not part of the check: ``fit`` reads it if present.
    """

    input_shape: tuple[int, ...]
    input_dim: int
    code_size: int

    def encode(self, x: torch.Tensor) -> torch.Tensor: ...

    def decode(self, h: torch.Tensor) -> torch.Tensor: ...

    def forward(self, x: torch.Tensor) -> AEOutput: ...

    def loss(self, x: torch.Tensor) -> torch.Tensor: ...


class CourseModel(nn.Module):
    """Base class of every course model: the shapes, computed one way, and ``forward``.

    A subclass calls :meth:`set_shapes` in its ``__init__`` (or defines ``input_shape`` and
    ``code_size`` as properties, as a wrapper does) and implements ``encode``, ``decode`` and
    ``loss``; ``input_dim`` always follows from ``input_shape``. ``recommended_fit`` names the
    training recipe ``aeutils.train.fit`` uses when the caller does not choose one (see
    ``aeutils.train.resolve_recipe``); empty means fit's defaults suit the model.
    """

    recommended_fit: ClassVar[Mapping[str, Any]] = {}

    def set_shapes(self, input_shape: int | tuple[int, ...], code_size: int) -> None:
        self.input_shape = as_shape(input_shape)
        self.code_size = check_code_size(code_size)

    @property
    def input_dim(self) -> int:
        """The number of values in one input: ``prod(input_shape)``."""
        return math.prod(self.input_shape)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define encode(x) -> h")

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define decode(h) -> x_hat")

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define loss(x) -> scalar")

    def forward(self, x: torch.Tensor) -> AEOutput:
        h = self.encode(x)
        return AEOutput(h, self.decode(h))


class Autoencoder(CourseModel):
    """Base class for image autoencoders.

    Subclasses implement ``encode_flat(x: (batch, D)) -> h`` and ``decode_flat(h) -> (batch, D)``.
    Inputs may be ``(batch, *input_shape)`` or flattened ``(batch, D)``; ``decode`` returns
    ``(batch, *input_shape)`` and ``forward`` returns the reconstruction in the input's shape.
    """

    def __init__(self, input_shape: int | tuple[int, ...], code_size: int):
        super().__init__()
        self.set_shapes(input_shape, code_size)

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
