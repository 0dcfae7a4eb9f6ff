"""Input checks shared by the library: fail early with a message that says what to do."""

from __future__ import annotations

from collections.abc import Sequence

import torch


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
    if x.numel() == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
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
