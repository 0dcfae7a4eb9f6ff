"""Input validation shared by the library: fail early with a message that says what to do.

Checks of dtype and shape cost nothing. Checks of *values* (images in [0, 1], token ids below the
vocabulary size, activations in [0, 1]) read a number back from the device: on a GPU each is a
host synchronisation. ``train.fit`` therefore validates once per call, not once per step (see
:func:`trusting`): the whole training set's value range is read once up front, the first step
runs every check, and the later steps reuse what was read. Outside ``fit`` every public call
checks its inputs itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

import torch


class TrustedData:
    """What ``fit`` knows about its training data while it trains (see :func:`trusting`).

    bounds: ``(min, max)`` of the whole training set, read from the device once (``None`` for
    dtypes without an order, e.g. bool). batch: the mini-batch of it being trained on now (set by
    ``fit`` before each step). active: False during the first step, whose checks all run.
    """

    def __init__(self, x: torch.Tensor) -> None:
        self.bounds: tuple[float, float] | None = None
        if x.numel() and x.dtype != torch.bool and not x.is_complex():
            lo, hi = torch.aminmax(x.detach())
            self.bounds = tuple(float(v) for v in torch.stack([lo, hi]).tolist())  # one sync
        self.batch: torch.Tensor | None = None
        self.active = False


_TRUSTED: ContextVar[TrustedData | None] = ContextVar("aeutils_trusted_data", default=None)


@contextlib.contextmanager
def trusting(x: torch.Tensor) -> Iterator[TrustedData]:
    """Validate once per ``fit``: ``with trusting(x) as data: ... data.batch = xb ...``.

    Reads ``x``'s value range once. While ``data.active`` is True, a value check of the current
    ``data.batch`` uses that range (no host sync), and value checks of other tensors (codes,
    masks, corrupted copies of the batch) are skipped: the first step, run with ``active`` still
    False, has checked them with the same model. Per thread (a ``ContextVar``).
    """
    data = TrustedData(x)
    token = _TRUSTED.set(data)
    try:
        yield data
    finally:
        _TRUSTED.reset(token)


@contextlib.contextmanager
def checking_all() -> Iterator[None]:
    """Every check runs in this block, even inside ``fit`` (e.g. for the held-out data)."""
    token = _TRUSTED.set(None)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def value_range(x: torch.Tensor) -> tuple[float, float] | None:
    """``(min, max)`` of ``x`` for a value check, or ``None`` when the check is not needed.

    Outside ``fit`` (or in its first step) this reads both from the device (one host sync). Inside
    ``fit`` it returns the training set's range for the batch being trained on, and ``None`` for
    any other tensor, without touching the device.
    """
    trusted = _TRUSTED.get()
    if trusted is not None and trusted.active:
        return trusted.bounds if x is trusted.batch else None
    if x.numel() == 0:
        return None
    lo, hi = torch.aminmax(x.detach())
    low, high = torch.stack([lo, hi]).tolist()
    return float(low), float(high)


def checking_values() -> bool:
    """False inside ``fit`` after its first step: value checks of derived tensors are skipped."""
    trusted = _TRUSTED.get()
    return trusted is None or not trusted.active


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def require_tensor(x: object, name: str = "x") -> torch.Tensor:
    """Raise TypeError unless ``x`` is a torch.Tensor."""
    if not isinstance(x, torch.Tensor):
        hint = " (convert with torch.as_tensor(x, dtype=torch.float32))" if hasattr(x, "shape") else ""
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}{hint}")
    return x


def require_float(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """Raise TypeError unless ``x`` is a floating-point tensor."""
    require_tensor(x, name)
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (e.g. float32 in [0, 1]), got dtype {x.dtype}; "
            f"convert with {name}.float() (and divide by 255 if it holds 0..255 pixel values)."
        )
    return x


def require_integer(x: torch.Tensor, name: str = "tokens") -> torch.Tensor:
    """Raise TypeError unless ``x`` is an integer (token id) tensor."""
    require_tensor(x, name)
    if x.is_floating_point() or x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"{name} must hold integer token ids (dtype int64), got dtype {x.dtype}")
    return x


def require_ndim(x: torch.Tensor, ndims: Sequence[int], name: str, expected: str) -> torch.Tensor:
    """Raise ValueError unless ``x.ndim`` is one of ``ndims``; ``expected`` describes the shape."""
    if x.ndim not in ndims:
        raise ValueError(f"{name} must have shape {expected}, got shape {_shape(x)}")
    return x


def require_unit_range(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """Raise ValueError unless every value of ``x`` lies in [0, 1] (images as intensities)."""
    known = value_range(x)
    if known is None:
        return x
    lo, hi = known
    if lo < 0.0 or hi > 1.0 or lo != lo or hi != hi:
        raise ValueError(
            f"{name} must hold values in [0, 1], got min {lo:.4g} and max {hi:.4g}; "
            "scale images to [0, 1] first (for 0..255 pixels divide by 255)."
        )
    return x


def require_same_shape(a: torch.Tensor, b: torch.Tensor, names: tuple[str, str]) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {_shape(a)} and {_shape(b)}"
        )


def flat_features(x: torch.Tensor, input_shape: tuple[int, ...], name: str = "x") -> torch.Tensor:
    """View ``x`` of shape ``(batch, *input_shape)`` or ``(batch, prod(input_shape))`` as 2-D.

    Raises ValueError naming the expected shape for anything else.
    """
    require_float(x, name)
    dim = 1
    for s in input_shape:
        dim *= s
    if tuple(x.shape[1:]) == tuple(input_shape) or (x.ndim == 2 and x.shape[1] == dim):
        return x.reshape(x.shape[0], dim)
    want = "(batch, " + ", ".join(str(s) for s in input_shape) + ")"
    if len(input_shape) > 1:
        want += f" or (batch, {dim})"
    hint = ("a single image needs a batch dimension: use x.unsqueeze(0)"
            if x.ndim == len(input_shape) else f"flatten images with {name}.flatten(1)"
            if x[0].numel() == dim else "check the model's input_shape")
    raise ValueError(f"{name} must have shape {want}, got shape {_shape(x)}; {hint}.")
