"""Checks that assignment test cells call: tolerant, helpful, and not fooled by student objects.

Every check first turns the student's value into plain data *by value*: a Python ``float``, a
fresh ``numpy`` array, a ``tuple`` of ints. Only exact built-in types are accepted (``int``,
``float``, ``bool``, numpy scalars and arrays, ``torch.Tensor``/``Parameter``, lists and tuples of
those); a subclass or any other object is refused without calling its ``__eq__``, ``__bool__``,
``__float__`` or ``__array__``. The comparison then runs on that trusted copy.

A failed check raises :class:`GradingError` (an ``AssertionError``) whose message says what was
expected, what was found and what to try.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import GradingError
from .trials import GpuTrial, gpu_trial, on_gpu, run_on_device, without

__all__ = [
    "GpuTrial",
    "GradingError",
    "Rerun",
    "as_number",
    "as_array",
    "check_close",
    "check_distribution",
    "check_equal",
    "check_shape",
    "check_dtype",
    "check_tensor",
    "check_held_out_untouched",
    "check_true",
    "gpu_trial",
    "on_gpu",
    "rerun_cell",
    "run_on_device",
    "without",
]




_PY_NUMBERS = (int, float, bool)
_NP_SCALARS = frozenset(
    t for t in set(np.sctypeDict.values()) if issubclass(t, (np.number, np.bool_))
)


def _torch_types() -> tuple[type, ...]:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of the course
        return ()
    from .trials import SimulatedGPUTensor

    return (torch.Tensor, torch.nn.Parameter, SimulatedGPUTensor)


def _describe(x: Any) -> str:
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _refuse(x: Any, name: str, wanted: str) -> GradingError:
    return GradingError(
        f"{name} should be {wanted}, but it is a {_describe(x)}. "
        "Return the plain value itself (not a subclass or a wrapper object)."
    )


def as_array(x: Any, name: str = "value") -> np.ndarray:
    """Copy ``x`` into a fresh numpy array by value; refuse anything but trusted exact types.

    Accepts ``int``/``float``/``bool``, numpy scalars, ``numpy.ndarray``, ``torch.Tensor`` (any
    device, gradients detached) and (nested) ``list``/``tuple`` of those.
    """
    t = type(x)
    if t in _PY_NUMBERS:
        return np.array(x)
    if t in _NP_SCALARS:
        return np.array(x.item() if t is not np.longdouble else float(x))
    if t is np.ndarray:
        if x.dtype.kind not in "biuf":
            raise GradingError(
                f"{name} should hold numbers, but its dtype is {x.dtype}. "
                "Return an array of ints or floats."
            )
        return np.array(x, copy=True)
    if t in _torch_types():
        import torch

        from .trials import SimulatedGPUTensor

        if t is SimulatedGPUTensor:  # a (simulated) GPU tensor: its values are on the CPU
            if type(x.elem) is not torch.Tensor:
                raise _refuse(x.elem, name, "a torch.Tensor")
            x = x.elem
        data = torch.Tensor.detach(x)
        return np.array(data.to("cpu").numpy(), copy=True)
    if t in (list, tuple):
        parts = [as_array(e, f"{name}[{i}]") for i, e in enumerate(x)]
        try:
            return np.array(parts)
        except ValueError as err:
            raise GradingError(
                f"{name} is a {t.__name__} whose items have different shapes ({err}). "
                "Return a rectangular array."
            ) from None
    raise _refuse(x, name, "a number, a numpy array or a torch.Tensor")


def as_number(x: Any, name: str = "value") -> float:
    """Return ``x`` as a plain Python float, by value; a one-element tensor/array is accepted."""
    arr = as_array(x, name)
    if arr.size != 1:
        raise GradingError(
            f"{name} should be a single number, but it has shape {tuple(arr.shape)}. "
            "Return one number (e.g. `.item()` of a one-element tensor, or a reduction like `.mean()`)."
        )
    return float(arr.reshape(()))


def _shape_of(x: Any, name: str) -> tuple[int, ...]:
    t = type(x)
    if t is np.ndarray or t in _torch_types():
        return tuple(int(d) for d in x.shape)
    return tuple(as_array(x, name).shape)


def check_shape(x: Any, shape: Sequence[int | None], name: str = "value") -> None:
    """Check the shape of an array/tensor; ``None`` in ``shape`` matches any size."""
    got = _shape_of(x, name)
    want = tuple(shape)
    ok = len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want))
    if not ok:
        shown = "(" + ", ".join("any" if w is None else str(w) for w in want) + ")"
        raise GradingError(
            f"{name} should have shape {shown}, but it has shape {got}. "
            "Check which dimension is the batch and which are the features, and any reshape/transpose."
        )


def check_dtype(x: Any, dtype: Any, name: str = "value") -> None:
    """Check the dtype of a tensor (``torch.float32``) or array (``numpy.float32`` or a string)."""
    t = type(x)
    if t in _torch_types():
        got = x.dtype
        ok = got == dtype if not isinstance(dtype, str) else str(got) in (dtype, f"torch.{dtype}")
    elif t is np.ndarray:
        got = x.dtype
        ok = got == np.dtype(dtype)
    else:
        raise _refuse(x, name, "a torch.Tensor or numpy array")
    if not ok:
        raise GradingError(
            f"{name} should have dtype {dtype}, but it has dtype {got}. "
            "Convert it (e.g. `.float()` for torch, `.astype(np.float32)` for numpy) or build it "
            "with the right dtype."
        )


def check_tensor(
    x: Any,
    *,
    shape: Sequence[int | None] | None = None,
    dtype: Any = None,
    finite: bool = True,
    name: str = "value",
) -> None:
    """Check that ``x`` is a real ``torch.Tensor`` with the given shape/dtype and finite values."""
    if type(x) not in _torch_types():
        raise _refuse(x, name, "a torch.Tensor")
    if shape is not None:
        check_shape(x, shape, name)
    if dtype is not None:
        check_dtype(x, dtype, name)
    if finite:
        arr = as_array(x, name)
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            bad = int((~np.isfinite(arr)).sum())
            raise GradingError(
                f"{name} should contain only finite numbers, but {bad} entries are NaN or inf. "
                "Look for a division by zero, a log of 0, or a learning rate that is too large."
            )


def check_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str = "value",
) -> None:
    """Check ``|actual - expected| <= atol + rtol * |expected|`` elementwise, on trusted copies."""
    a = as_array(actual, name)
    e = as_array(expected, f"expected {name}")
    if a.shape != e.shape and not (a.size == 1 and e.size == 1):
        raise GradingError(
            f"{name} should have shape {tuple(e.shape)}, but it has shape {tuple(a.shape)}. "
            "Check the reductions (sum/mean) and the dimensions you kept."
        )
    a = a.astype(np.float64).reshape(e.shape)
    e = e.astype(np.float64)
    if not np.isfinite(a).all():
        raise GradingError(
            f"{name} contains NaN or inf; expected finite values close to {_short(e)}. "
            "Look for a division by zero or a log of 0."
        )
    diff = np.abs(a - e)
    tol = atol + rtol * np.abs(e)
    if not bool(np.all(diff <= tol)):
        worst = int(np.argmax(diff - tol))
        raise GradingError(
            f"{name} is not close enough to the expected value: expected {_short(e)}, got {_short(a)} "
            f"(largest difference {float(diff.reshape(-1)[worst]):.3g}, allowed "
            f"{float(tol.reshape(-1)[worst]):.3g}: atol={atol:g}, rtol={rtol:g}). "
            "Re-read the formula in the exercise and check the sign, scaling and reduction."
        )


def check_equal(actual: Any, expected: Any, name: str = "value") -> None:
    """Exact equality for ints, bools, strings and tuples/lists of them (exact types only)."""
    plain = (int, bool, str)

    def _plain(v: Any, path: str) -> Any:
        t = type(v)
        if t in plain:
            return v
        if t in _NP_SCALARS and np.issubdtype(t, np.integer):
            return int(v.item())
        if t in (list, tuple):
            return tuple(_plain(e, f"{path}[{i}]") for i, e in enumerate(v))
        raise _refuse(v, path, "an int, a bool, a string or a tuple/list of them")

    a = _plain(actual, name)
    e = _plain(expected, f"expected {name}")
    if type(a) is not type(e) or a != e:
        raise GradingError(f"{name} should be {e!r}, but it is {a!r}.")


def check_true(condition: Any, message: str) -> None:
    """Check a condition that must be a real ``bool`` (or numpy bool); ``message`` says what to do."""
    t = type(condition)
    if t is np.bool_:
        condition = bool(condition.item())
    elif t is not bool:
        raise _refuse(condition, "the condition", "True or False")
    if condition is not True:
        raise GradingError(message)


def _short(a: np.ndarray) -> str:
    if a.size == 1:
        v = float(a.reshape(()))
        return f"{v:.6g}" if math.isfinite(v) else str(v)
    flat = np.array2string(a.reshape(-1)[:6], precision=4, separator=", ")
    return f"array of shape {tuple(a.shape)} starting {flat}"


#: a correct sampler fails :func:`check_distribution` with this probability (whatever its seed)
FALSE_ALARM = 1e-6


def check_distribution(sample: Any, dist: str, *, name: str = "the sample", **params: float) -> None:
    """Check that ``sample`` was drawn from ``dist`` (a Kolmogorov-Smirnov test).

    ``dist`` is ``"normal"`` (``mean``, ``std``) or ``"uniform"`` (``low``, ``high``). The test
    fails a correct sampler with probability :data:`FALSE_ALARM` whatever its random numbers,
    and has the power to tell, with 10,000 or more values, uniform noise from Gaussian noise of
    the same standard deviation (KS distance 0.04 against a critical 0.02).
    """
    from scipy import stats

    values = as_array(sample, name).astype(np.float64).reshape(-1)
    if values.size < 100 or not np.isfinite(values).all():
        raise GradingError(f"{name} should be at least 100 finite numbers, got {values.size} "
                           f"({int((~np.isfinite(values)).sum())} not finite).")
    if dist == "normal":
        frozen, what = stats.norm(params["mean"], params["std"]), (
            f"normal with mean {params['mean']:g} and standard deviation {params['std']:g}")
    elif dist == "uniform":
        frozen, what = stats.uniform(params["low"], params["high"] - params["low"]), (
            f"uniform on [{params['low']:g}, {params['high']:g})")
    else:
        raise ValueError(f"check_distribution: unknown distribution {dist!r}")
    result = stats.kstest(values, frozen.cdf)
    if result.pvalue < FALSE_ALARM:
        raise GradingError(
            f"{name} does not look {what}: its empirical distribution is {result.statistic:.3f} away "
            f"from it (Kolmogorov-Smirnov, p = {result.pvalue:.1e}; mean {values.mean():.4g}, "
            f"standard deviation {values.std():.4g}). Check which random function you use "
            "(torch.randn is normal, torch.rand uniform) and how you scale and shift it.")


@dataclass
class Rerun:
    """What :func:`rerun_cell` saw: the names the cell bound, and how it got there."""

    source: str
    values: dict[str, Any]  # every name the re-run (re)bound, as it left it
    error: BaseException | None  # what the re-run raised, if anything
    calls: dict[str, list[dict[str, Any]]]  # each spied function's calls: bound arguments
    clocks: dict[str, list[float]] = field(default_factory=dict)  # readings the cell took

    def rate_matches(self, reported: float, amount: float, rtol: float = 1e-6) -> bool:
        """Whether ``reported`` is ``amount`` divided by the time between two clock readings
        the cell took (of the same clock: ``time.perf_counter``, ``time.time``, ...)."""
        for readings in self.clocks.values():
            for i, start in enumerate(readings):
                for end in readings[i + 1:]:
                    if end > start and abs(amount / (end - start) - reported) <= rtol * abs(reported):
                        return True
        return False


_CLOCKS = ("perf_counter", "time", "monotonic", "process_time")


def _from_notebook() -> bool:
    path = sys._getframe(2).f_code.co_filename
    return path.startswith("<") or "ipykernel" in path


def rerun_cell(assigns: str, *, replace: dict[str, Any] | None = None,
               spy: Sequence[str] = (), block: Sequence[str] = (),
               task: str = "this part") -> Rerun:
    """Run the notebook cell that last assigned ``assigns`` once more, and report what it did.

    Hidden tests use it to check what a training cell does with its data: run it again with the
    held-out data replaced (``replace={"x_test": poisoned}``) and look at the model it trains, or
    with the library's loop switched off (``block=("aeutils.train.fit",)``). The functions named
    in ``spy`` are recorded with their bound arguments, and every clock reading the cell takes
    (``time.perf_counter()`` and friends) is kept, so that a reported rate can be recomputed.

    The notebook's names are restored afterwards; objects the cell changes in place stay
    changed, so call this last in a test cell. Its prints are swallowed.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise GradingError("rerun_cell needs to run inside a notebook.")
    ns = shell.user_ns
    pattern = re.compile(rf"^[ \t]*{re.escape(assigns)}[ \t]*(?::[^=\n]*)?=(?!=)", re.M)
    history = list(ns.get("_ih", []))[:-1]  # the last one is the test cell running now
    sources = [src for src in history if pattern.search(src)]
    if not sources:
        raise GradingError(f"no cell of your notebook assigns `{assigns}` at its top level: "
                           f"{task} needs it (assign it in the cell that computes it).")
    source = sources[-1]
    saved = dict(ns)
    calls: dict[str, list[dict[str, Any]]] = {name: [] for name in spy}
    clocks: dict[str, list[float]] = {name: [] for name in _CLOCKS}
    error: BaseException | None = None
    with contextlib.ExitStack() as stack:
        for name, value in (replace or {}).items():
            ns[name] = value
        for name in spy:
            if callable(ns.get(name)):
                ns[name] = _spied(ns[name], calls[name])
        for name in _CLOCKS:
            original = getattr(time, name)
            stack.enter_context(_patched_everywhere(time, name, _read(original, clocks[name]), ns))
        if block:
            stack.enter_context(without(*block, task=task))
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
        try:
            exec(compile(source, "<your cell, run again by the grader>", "exec"), ns)  # noqa: S102
        except Exception as err:  # the test decides what an error means
            error = err
    values = {k: v for k, v in ns.items() if k not in saved or saved[k] is not v}
    for name in [k for k in ns if k not in saved]:
        del ns[name]
    ns.update(saved)
    return Rerun(source, values, error, calls, {k: v for k, v in clocks.items() if v})


def _spied(fn: Callable[..., Any], log: list[dict[str, Any]]) -> Callable[..., Any]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None

    def spy(*args: Any, **kwargs: Any) -> Any:
        bound: dict[str, Any] = {"args": args, **kwargs}
        if signature is not None:
            with contextlib.suppress(TypeError):
                b = signature.bind(*args, **kwargs)
                b.apply_defaults()
                bound = dict(b.arguments)
        log.append(bound)
        return fn(*args, **kwargs)

    spy.__wrapped__ = fn  # type: ignore[attr-defined]
    return spy


def _read(clock: Callable[[], float], readings: list[float]) -> Callable[[], float]:
    def reading() -> float:
        value = clock()
        if _from_notebook():
            readings.append(value)
        return value

    return reading


@contextlib.contextmanager
def _patched_everywhere(module: Any, name: str, value: Any, ns: dict[str, Any]):
    """``module.name`` and every notebook name bound to it (``from time import perf_counter``)."""
    original = getattr(module, name)
    aliases = [k for k, v in ns.items() if v is original]
    setattr(module, name, value)
    for k in aliases:
        ns[k] = value
    try:
        yield
    finally:
        setattr(module, name, original)
        for k in aliases:
            ns[k] = original


def check_held_out_untouched(model_name: str, held_out: Sequence[str], *, train_on: str,
                             replace: dict[str, Any] | None = None, spy: Sequence[str] = (),
                             block: Sequence[str] = (), task: str = "this part") -> Rerun:
    """Run the cell that last assigned ``model_name`` once more with the notebook's held-out
    tensors (the names in ``held_out``) replaced by NaN; fail if the model it trains then has a
    weight that is not finite: the training touched the held-out data.

    ``replace`` swaps other names for the re-run (a smaller training set, to be quick), ``spy`` and
    ``block`` are :func:`rerun_cell`'s; a :class:`GradingError` the re-run raised (a blocked
    library loop) fails the check with its message. Returns the re-run for further checks.
    """
    import torch
    from IPython import get_ipython

    ns = get_ipython().user_ns
    poisoned = {name: torch.full_like(ns[name], float("nan")) for name in held_out}
    rerun = rerun_cell(model_name, replace={**(replace or {}), **poisoned}, spy=spy, block=block,
                       task=task)
    if isinstance(rerun.error, GradingError):
        raise rerun.error
    again = rerun.values.get(model_name)
    check_true(isinstance(again, torch.nn.Module),
               f"Running your training cell again did not make a new {model_name} "
               f"({rerun.error!r}): train it in the cell that assigns it.")
    check_true(all(bool(torch.isfinite(p).all()) for p in again.parameters()),
               f"With the held-out data ({', '.join(held_out)}) replaced by NaN, your training cell "
               f"trained a model with NaN weights: the training touched the held-out data. Train on "
               f"{train_on} only, and use the held-out data only to measure.")
    return rerun
