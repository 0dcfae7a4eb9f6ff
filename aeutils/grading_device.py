"""Grading helpers that catch what a CPU-only grader cannot see, and hand-offs to the library.

:func:`run_on_device` runs a student's function three ways:

(a) every tensor argument moved to the ``meta`` device (modules too, as copies). A meta tensor has
    a shape, a dtype and a device but no values, so a function that creates a tensor on the CPU
    (``torch.zeros(h.shape)``, a missing ``device=``, a ``.cpu()`` in the middle) either raises a
    device mismatch or returns a tensor that is not on ``meta``: both fail with a
    :class:`GradingError` that says what to do. On a CPU-only machine this is the only way to see
    such a mistake: the CPU compared with the CPU always agrees.
(b) the real arguments, with ``meta`` as the *default* device (``with torch.device("meta"):``): a
    factory call without ``device=`` now makes a meta tensor, which cannot mix with the real ones
    (it raises, or the result comes back on ``meta``).
(c) a normal call, whose result is returned for the value checks.

Mixed precision: torch has no autocast for ``meta``, so during (a) ``torch.autocast`` with
``device_type="meta"`` (the usual ``torch.autocast(x.device.type, ...)``) is a no-op; everywhere else
it is torch's own.

Generators: a ``torch.Generator`` argument is passed to (a) and (b) as a *copy* with the same
state (random draws on ``meta`` accept a CPU generator), so the normal call (c) sees the
generator untouched and two equally seeded calls still agree.

Functions that need values (``.item()``, ``if x.sum() > 0``, boolean-mask selection ``x[m]``) cannot
run on meta tensors; for them step (a) is inconclusive and skipped, unless ``strict=True`` is
passed, which then fails with a message asking for value-free tensor code (``torch.where``).
Step (b) still applies. Every argument is copied for (a) and (b), so in-place changes made there
never reach the real call.

:func:`without` disables library references (``"aeutils.noise.gaussian"``) while a hidden test
runs the student's function, so a hand-off to the reference loses that part with a clear message.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .grading_errors import GradingError

_DEVICE_WORDS = ("device", "meta")
_NEEDS_VALUES = (
    "cannot be called on meta", "data-dependent", "register_meta", "meta tensors",
    "is not implemented for meta", "could not run", "no values",
)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _copy_arg(value: Any, to_meta: bool) -> Any:
    """A copy of one argument for a trial call: tensors/modules (maybe on meta), generators."""
    import torch

    if isinstance(value, torch.Generator):
        twin = torch.Generator(device=value.device)
        twin.set_state(value.get_state())
        return twin
    if isinstance(value, torch.Tensor):
        data = value.detach()
        data = data.to("meta") if to_meta else data.clone()
        return data.requires_grad_(value.requires_grad) if data.is_floating_point() else data
    if isinstance(value, torch.nn.Module):
        twin = copy.deepcopy(value)
        return twin.to("meta") if to_meta else twin
    if type(value) in (list, tuple):
        return type(value)(_copy_arg(v, to_meta) for v in value)
    if type(value) is dict:
        return {k: _copy_arg(v, to_meta) for k, v in value.items()}
    return value


def _tensors(value: Any, path: str = "the result") -> Iterator[tuple[str, Any]]:
    """(where, tensor) for every tensor in a result: tensors, tuples/lists/dicts, a module."""
    import torch

    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, torch.nn.Module):
        for pname, p in [*value.named_parameters(), *value.named_buffers()]:
            yield f"{path}.{pname}", p
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _tensors(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _tensors(v, f"{path}[{k!r}]")


@contextlib.contextmanager
def _meta_autocast() -> Iterator[None]:
    """Make ``torch.autocast(device_type="meta", ...)`` a no-op while the block runs."""
    import torch

    original = torch.amp.autocast_mode.autocast

    class MetaAwareAutocast(original):  # type: ignore[misc, valid-type]
        def __init__(self, device_type: str, *args: Any, **kwargs: Any) -> None:
            self._skip = str(device_type) == "meta"
            if not self._skip:
                super().__init__(device_type, *args, **kwargs)

        def __enter__(self) -> Any:
            return None if self._skip else super().__enter__()

        def __exit__(self, *exc: Any) -> Any:
            return None if self._skip else super().__exit__(*exc)

        def __call__(self, func: Any) -> Any:
            return func if self._skip else super().__call__(func)

    spaces = [torch, torch.amp, torch.amp.autocast_mode, sys.modules.get("__main__")]
    patched = []
    for space in [s for s in spaces if s is not None]:
        for k, v in list(vars(space).items()):
            if v is original:
                patched.append((space, k))
                setattr(space, k, MetaAwareAutocast)
    try:
        yield
    finally:
        for space, k in patched:
            setattr(space, k, original)


def _is_device_error(err: BaseException) -> bool:
    text = str(err).lower()
    if any(w in text for w in _NEEDS_VALUES):
        return False
    return isinstance(err, (RuntimeError, ValueError, TypeError)) and any(
        w in text for w in _DEVICE_WORDS)


def _real_device(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    import torch

    for _, t in _tensors(list(args) + list(kwargs.values()), "argument"):
        return t.device
    return torch.device("cpu")


def run_on_device(fn: Callable[..., Any], *args: Any, strict: bool = False, **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` under the strict device checks above; return its real result.

    Raises :class:`GradingError` when ``fn`` creates or moves a tensor to the wrong device. Any
    other error of the normal call propagates unchanged (the test cell shows it).
    """
    import torch

    name = _name(fn)
    hint = ("create new tensors on the input's device: pass device=x.device, or use "
            "torch.zeros_like(x) / torch.rand_like(x) / x.new_zeros(...), and never move a "
            "tensor with .cpu() or .to('cpu') inside the function")

    # (a) meta arguments: every tensor the function makes itself must follow them onto meta
    meta_args = _copy_arg(args, True)
    meta_kwargs = _copy_arg(kwargs, True)
    try:
        with _meta_autocast():
            out = fn(*meta_args, **meta_kwargs)
    except GradingError:
        raise
    except Exception as err:
        if _is_device_error(err):
            moved = "copy out of meta" in str(err).lower() or "numpy" in str(err).lower()
            what = ("A tensor was moved off its device (.cpu(), .to('cpu'), .numpy())" if moved
                    else "A tensor was created on the CPU")
            raise GradingError(
                f"{name} mixes devices: with its inputs on another device it raised "
                f"{type(err).__name__}: {str(err).splitlines()[0][:160]}. {what}: {hint}."
            ) from None
        if strict:
            raise GradingError(
                f"{name} could not be checked for device mistakes: it needs tensor values "
                f"({type(err).__name__}: {str(err).splitlines()[0][:120]}). Write it with tensor "
                "operations only (torch.where instead of x[mask] selection, no .item() or "
                "`if` on a tensor).") from None
    else:
        for where, t in _tensors(out):
            if t.device.type != "meta":
                raise GradingError(
                    f"{name} returned {where} on {t.device.type} when its inputs were on another "
                    f"device: a tensor was created on the CPU (or moved there): {hint}.")

    # (b) real arguments, meta as the default device: a factory without device= makes meta
    with torch.device("meta"):
        try:
            out = fn(*_copy_arg(args, False), **_copy_arg(kwargs, False))
        except GradingError:
            raise
        except Exception as err:
            if _is_device_error(err) or "meta" in str(err).lower():
                raise GradingError(
                    f"{name} creates a tensor without saying where: it failed when the default "
                    f"device was changed ({type(err).__name__}: {str(err).splitlines()[0][:160]})."
                    f" {hint[0].upper() + hint[1:]}.") from None
            out = None  # not a device problem: the normal call below shows the error
    real = _real_device(args, kwargs)
    for where, t in _tensors(out):
        if t.device != real and t.device.type == "meta":
            raise GradingError(
                f"{name} returned {where} on the default device instead of its inputs' device "
                f"({real}): a tensor was created without device=. {hint[0].upper() + hint[1:]}.")

    # (c) the normal call, for the value checks
    return fn(*args, **kwargs)


def _resolve(path: str) -> tuple[Any, str, Any]:
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ValueError(f"without({path!r}): expected a dotted path like 'aeutils.noise.gaussian'")
    module = importlib.import_module(module_name)
    if not hasattr(module, attr):
        raise ValueError(f"without({path!r}): {module_name} has no attribute {attr!r}")
    return module, attr, getattr(module, attr)


@contextlib.contextmanager
def without(*paths: str, task: str = "this function") -> Iterator[None]:
    """Disable library references while the block runs; restore them afterwards.

    ``with grading.without("aeutils.noise.gaussian", task="gaussian_noise"): gaussian_noise(x, 0.3)``
    Each path is replaced, in its module and wherever the same object is bound in ``__main__``
    (the notebook) or another ``aeutils`` module (``from aeutils.noise import gaussian``), by a
    function that raises :class:`GradingError` saying that the exercise asks for it to be written
    by hand. Calling the reference from inside the student's function then fails that check.
    """
    patched: list[tuple[Any, str, Any]] = []
    try:
        for path in paths:
            module, attr, original = _resolve(path)

            def blocked(*_args: Any, _path: str = path, **_kwargs: Any) -> Any:
                raise GradingError(
                    f"this part asks you to write {task} yourself; calling {_path} earns no "
                    "points here. Write it with torch operations (the library stays fine "
                    "everywhere else).")

            spaces = [module] + [m for n, m in list(sys.modules.items())
                                 if m is not None and (n == "__main__" or n.startswith("aeutils"))]
            for space in spaces:
                names = [k for k, v in list(vars(space).items()) if v is original]
                for k in names:
                    patched.append((space, k, original))
                    setattr(space, k, blocked)
        yield
    finally:
        for space, k, original in reversed(patched):
            setattr(space, k, original)
