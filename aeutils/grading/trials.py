"""Grading helpers that catch what a CPU-only grader cannot see, and hand-offs to the library.

On a CPU-only grader every device check compares the CPU with the CPU, so a tensor made on the
CPU by mistake is invisible. The helpers here run a student's code on a **GPU**: the real one when
the grading machine has one, otherwise a *simulated* one (:class:`on_gpu`).

The simulated GPU is the CPU in disguise. Its tensors (:class:`SimulatedGPUTensor`) hold real
values on the CPU but say ``device='cuda:0'``, and every operation on them follows CUDA's rules:

- tensors of two devices in one operation raise, exactly as on a GPU (``Expected all tensors to be
  on the same device``), except where CUDA allows it: a 0-dimensional CPU tensor (a scalar such as
  ``torch.tensor(K)``), CPU indices into a GPU tensor, and copies (``.to(device)``, ``copy_``);
- a random draw on the GPU with a CPU ``torch.Generator`` raises (``Expected a 'cuda' device type
  for generator``), so ``torch.randperm(n, generator=g, device=x.device)`` fails as on a GPU,
  while ``torch.randperm(n, generator=g).to(x.device)`` (drawn where the generator is, then moved)
  works, as it does on a GPU;
- ``.numpy()`` of a GPU tensor raises; ``.cpu()``, ``.item()``, ``float(t)``, ``.tolist()``,
  ``print(t)`` and ``if t: ...`` work and are recorded as *host synchronisations* (on a GPU each
  makes the CPU wait for every queued kernel), and every copy from the host to the GPU is
  recorded with its size (:class:`Transfer`), so a test can count what a training loop does per
  step;
- ``torch.cuda.is_available()`` is True, ``torch.autocast("cuda", dtype=torch.float16)`` computes
  in float16 (with the CPU's autocast) and ``torch.amp.GradScaler("cuda")`` is enabled, so the
  float16 + gradient-scaling path of a training loop runs as it would on a GPU.

Because the values are real, code that needs them (``.item()``, boolean masks, ``if``) runs too:
nothing is inconclusive, unlike PyTorch's ``meta`` device (no values, and a CPU generator or a CPU
scalar constant are judged wrongly there) or ``FakeTensorMode`` (no values, generators unchecked).

:func:`run_on_device` runs a student's function once on the GPU (copies of its arguments moved
there, generators left on the CPU as a notebook passes them) and checks that it neither mixes
devices nor returns a tensor on the CPU; then it makes the normal call and returns its result.

:func:`without` disables library references (``"aeutils.noise.gaussian"``) while a hidden test
runs the student's function, so a hand-off to the reference loses that part with a clear message.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from .errors import GradingError

aten = torch.ops.aten
#: the device a simulated GPU's tensors report
SIMULATED = torch.device("cuda", 0)

_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
_GRADING_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_AEUTILS_DIR = os.path.dirname(_GRADING_DIR.rstrip(os.sep)) + os.sep
#: this package's files (aeutils/grading/): the trial's own frames, never the student's
_OURS = (_GRADING_DIR,)
#: torch's own bookkeeping: the optimizers' step counters, GradScaler's inf checks
_INTERNAL = tuple(_TORCH_DIR + d + os.sep for d in ("optim", "amp", "cuda"))
#: operations that accept CPU tensors beside GPU ones, as CUDA does
_MIXED_OK = frozenset({aten.index.Tensor, aten.index_put.default, aten.index_put_.default,
                       aten._index_put_impl_.default, aten._to_copy.default, aten.copy_.default})
_INDEXING = frozenset({aten.index.Tensor, aten.index_put.default, aten.index_put_.default,
                       aten._index_put_impl_.default})
#: operations that only look at a tensor's metadata or make a view (not a read of its values)
_NO_READ = frozenset({aten.detach.default, aten.alias.default, aten.view.default,
                      aten._unsafe_view.default, aten.t.default, aten.expand.default,
                      aten.slice.Tensor, aten.select.int, aten.unsqueeze.default,
                      aten.squeeze.dim, aten.permute.default, aten.transpose.int})
#: operations that return a Python value read from the device (a host synchronisation)
_READS = frozenset({aten._local_scalar_dense.default, aten.equal.default,
                    aten.is_nonzero.default})


# ---- what a GPU run records ---------------------------------------------------------------

@dataclass(frozen=True)
class Transfer:
    """One copy between the host and the GPU, and the code that asked for it.

    ``kind`` is ``"sync"`` (a value read on the host: ``.item()``, ``float(t)``, ``.cpu()``,
    ``.tolist()``, ``print(t)``, ``if t:``), ``"upload"`` (host -> GPU) or ``"host read"`` (an
    operation on the host that reads a tensor the record watches, see :meth:`GpuRecord.watch`).
    ``internal`` is True for torch's own bookkeeping (an optimizer's step counter, GradScaler's
    overflow check) and for the course library's, which are not the student's doing. ``watched``:
    it read a watched tensor (an upload of it counts too).
    """

    kind: str
    what: str
    nbytes: int
    file: str  # "your notebook" for a notebook cell, else the file's name
    line: int
    internal: bool
    watched: bool = False

    @property
    def where(self) -> str:
        return f"{self.what} in {self.file}, line {self.line}"


@dataclass
class GpuRecord:
    """What a block run under :class:`on_gpu` did: its host synchronisations and uploads."""

    device: torch.device
    simulated: bool
    transfers: list[Transfer] = field(default_factory=list)
    watched: set[int] = field(default_factory=set)  # storage addresses of watched host tensors

    def watch(self, *tensors: torch.Tensor) -> None:
        """Record every later read of these host tensors: an upload or any operation on the host
        (``x[idx]`` on the CPU, then ``.to(device)``, reads ``x`` once per batch)."""
        self.watched.update(t.untyped_storage().data_ptr() for t in tensors)

    @property
    def reads_of_watched(self) -> list[Transfer]:
        return [t for t in self.transfers if t.watched]

    @property
    def syncs(self) -> list[Transfer]:
        """The student's own host synchronisations (torch's and the library's left out)."""
        return [t for t in self.transfers if t.kind == "sync" and not t.internal]

    @property
    def uploads(self) -> list[Transfer]:
        """Every copy from the host to the GPU."""
        return [t for t in self.transfers if t.kind == "upload"]

    @property
    def uploaded_bytes(self) -> int:
        return sum(t.nbytes for t in self.uploads)

    def places(self, kind: str = "sync", limit: int = 4) -> str:
        """The first places that made a transfer of ``kind``, for a message."""
        chosen = {"sync": self.syncs, "upload": self.uploads, "read": self.reads_of_watched}[kind]
        places: list[str] = []
        for t in chosen:
            if t.where not in places:
                places.append(t.where)
        return "; ".join(places[:limit]) or "nowhere"


_ACTIVE: list[GpuRecord] = []
_QUIET = [0]  # > 0 while the simulation makes its own copies (not reads by the student's code)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    _QUIET[0] += 1
    try:
        yield
    finally:
        _QUIET[0] -= 1


def _caller() -> tuple[str, int, bool]:
    """(file, line) of the code that caused the current operation, and whether that is torch's or
    the course library's own bookkeeping rather than the student's."""
    frame = sys._getframe(2)
    internal = False
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_INTERNAL):
            internal = True
        if not path.startswith((_TORCH_DIR, *_OURS)) and not path.endswith("contextlib.py"):
            internal = internal or path.startswith(_AEUTILS_DIR)
            shown = ("your notebook" if "ipykernel" in path or path.startswith("<")
                     else os.path.basename(path))
            return shown, frame.f_lineno, internal
        frame = frame.f_back
    return "torch", 0, True


def _record(kind: str, what: str, nbytes: int, source: torch.Tensor | None = None) -> None:
    if not _ACTIVE:
        return
    file, line, internal = _caller()
    address = _address(source)
    for rec in _ACTIVE:
        rec.transfers.append(Transfer(kind, what, int(nbytes), file, line, internal,
                                      watched=address in rec.watched))


def _address(t: Any) -> int | None:
    if type(t) not in (torch.Tensor, torch.nn.Parameter) or t.device.type == "meta":
        return None
    return t.untyped_storage().data_ptr()


def _note_host_reads(func: Any, flat: list[Any]) -> None:
    """A host operation that reads a watched tensor (only while some record watches one)."""
    for a in flat:
        address = _address(a)
        if address is not None and any(address in rec.watched for rec in _ACTIVE):
            _record("host read", getattr(func, "__name__", str(func)), _nbytes(a), a)
            return


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


# ---- the simulated GPU ---------------------------------------------------------------------

class SimulatedGPUTensor(torch.Tensor):
    """A CPU tensor that says it is on ``cuda:0``; see the module's docstring."""

    elem: torch.Tensor

    @staticmethod
    def __new__(cls, elem: torch.Tensor, requires_grad: bool = False) -> SimulatedGPUTensor:
        if type(elem) is not torch.Tensor or elem.device.type != "cpu":
            raise TypeError(f"a simulated GPU tensor wraps a plain CPU tensor, not {type(elem)}")
        out = torch.Tensor._make_wrapper_subclass(
            cls, elem.size(), strides=elem.stride(), storage_offset=elem.storage_offset(),
            dtype=elem.dtype, layout=elem.layout, device=torch.device("cpu"),
            requires_grad=requires_grad)
        out.elem = elem
        return out

    # what Python code sees; torch's C++ side keeps the CPU (autograd needs a real device)
    device = property(lambda self: SIMULATED)  # type: ignore[assignment]
    is_cuda = property(lambda self: True)  # type: ignore[assignment]
    is_cpu = property(lambda self: False)  # type: ignore[assignment]

    def get_device(self) -> int:
        return SIMULATED.index

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # noqa: ARG002 - torch's signature
        _record("sync", "print", _nbytes(self.elem))
        text = repr(self.elem)
        return text[:-1] + ", device='cuda:0')" if text.endswith(")") else text

    def __format__(self, spec: str) -> str:
        if self.dim() == 0:
            return format(self.item(), spec)  # as torch does for a CPU tensor: a value read
        return format(repr(self), spec)

    @classmethod
    def __torch_dispatch__(cls, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None):
        return _dispatch(func, args, kwargs or {})


def _wrap(t: Any) -> Any:
    if type(t) is torch.Tensor:
        return SimulatedGPUTensor(t.detach(), requires_grad=t.requires_grad)
    return t


def _unwrap(t: Any) -> Any:
    return t.elem if isinstance(t, SimulatedGPUTensor) else t


def _is_gpu(d: Any) -> bool:
    if d is None or isinstance(d, bool):
        return False
    if isinstance(d, int):
        return True  # torch reads a bare int as a CUDA device index
    return torch.device(d).type == "cuda"


def _mixing(func: Any, found: str) -> RuntimeError:
    return RuntimeError("Expected all tensors to be on the same device, but found at least two "
                        f"devices, cuda:0 and {found}! (in {func})")


def _wrong_generator(g: torch.Generator) -> RuntimeError:
    return RuntimeError(f"Expected a 'cuda' device type for generator but found '{g.device.type}'")


def _flat(args: tuple, kwargs: dict) -> list[Any]:
    """The leaves of an aten call's arguments (they nest at most in lists and tuples)."""
    out: list[Any] = []
    for a in (*args, *kwargs.values()):
        if type(a) in (list, tuple):
            out.extend(a)
        else:
            out.append(a)
    return out


def _map(fn: Any, value: Any) -> Any:
    """``fn`` applied to every leaf of ``value`` (lists, tuples, dicts)."""
    t = type(value)
    if t in (list, tuple):
        return t(_map(fn, v) for v in value)
    if t is dict:
        return {k: _map(fn, v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple (torch.return_types)
        return t(*(_map(fn, v) for v in value))
    return fn(value)


def _dispatch(func: Any, args: tuple, kwargs: dict) -> Any:
    """Run one aten operation with CUDA's device rules; values are computed on the CPU."""
    flat = _flat(args, kwargs)
    if _ACTIVE and not _QUIET[0] and func not in _NO_READ and any(rec.watched for rec in _ACTIVE):
        _note_host_reads(func, flat)
    on_gpu = _is_gpu(kwargs.get("device")) or any(isinstance(a, SimulatedGPUTensor) for a in flat)
    if not on_gpu:
        return func(*args, **kwargs)
    for a in flat:
        if isinstance(a, torch.Generator) and a.device.type != "cuda":
            raise _wrong_generator(a)
        if (func not in _MIXED_OK and type(a) in (torch.Tensor, torch.nn.Parameter)
                and a.dim() > 0 and a.device.type != "meta"):
            raise _mixing(func, str(a.device))
    if func in _INDEXING and type(args[0]) in (torch.Tensor, torch.nn.Parameter) and args[0].dim() > 0:
        raise _mixing(func, "cpu")  # GPU indices into a CPU tensor
    if func is aten.copy_.default:
        dst, src = args[0], args[1]
        if isinstance(dst, SimulatedGPUTensor) and not isinstance(src, SimulatedGPUTensor) \
                and isinstance(src, torch.Tensor) and src.dim() > 0:
            _record("upload", "copy_", _nbytes(src))
        elif not isinstance(dst, SimulatedGPUTensor) and isinstance(src, SimulatedGPUTensor):
            _record("sync", "copy_", _nbytes(src.elem))
    elif func is aten._to_copy.default and not isinstance(args[0], SimulatedGPUTensor):
        _record("upload", "to", _nbytes(args[0]))
    elif func in _MIXED_OK:  # CPU indices into a GPU tensor: CUDA copies them over
        moved = [a for a in flat if type(a) is torch.Tensor and a.dim() > 0]
        if moved:
            _record("upload", "index", sum(map(_nbytes, moved)))
    elif func in _READS:
        _record("sync", "item" if func is aten._local_scalar_dense.default else func.__name__,
                sum(_nbytes(a.elem) for a in flat if isinstance(a, SimulatedGPUTensor)))
    if _is_gpu(kwargs.get("device")) or (func is aten._to_copy.default and "device" in kwargs):
        kwargs = {**kwargs, "device": torch.device("cpu")}  # torch's own device=self.device
    wrappers = {id(a.elem): a for a in flat if isinstance(a, SimulatedGPUTensor)}
    out = func(*_map(_unwrap, args), **_map(_unwrap, kwargs))
    # an in-place result is the (wrapped) argument itself; anything new lives on the GPU
    return _map(lambda t: wrappers.get(id(t), _wrap(t)) if type(t) is torch.Tensor else t, out)


class _SimulatedDispatch(TorchDispatchMode):
    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None):
        return _dispatch(func, args, kwargs or {})


def _target(func: Any, args: tuple, kwargs: dict) -> torch.device | None:
    """Where ``t.to(...)`` / ``t.cuda()`` / ``t.cpu()`` sends a tensor (None: it keeps its device)."""
    if func is torch.Tensor.cuda:
        return SIMULATED
    if func is torch.Tensor.cpu:
        return torch.device("cpu")
    for a in [*args[1:], kwargs.get("device"), kwargs.get("other")]:
        if isinstance(a, (str, torch.device)) or (isinstance(a, int) and not isinstance(a, bool)):
            return torch.device("cuda", a) if isinstance(a, int) else torch.device(a)
        if isinstance(a, torch.Tensor):
            return a.device
    return None


def _dtype_of(args: tuple, kwargs: dict) -> dict:
    dtypes = [a for a in args[1:] if isinstance(a, torch.dtype)]
    if isinstance(kwargs.get("other"), torch.Tensor):
        dtypes.append(kwargs["other"].dtype)
    if dtypes:
        return {"dtype": dtypes[0]}
    return {"dtype": kwargs["dtype"]} if kwargs.get("dtype") is not None else {}


class _Upload(torch.autograd.Function):
    """Host -> simulated GPU, recorded; gradients flow back to the host tensor."""

    @staticmethod
    def forward(ctx: Any, t: torch.Tensor, dtype: torch.dtype | None) -> SimulatedGPUTensor:
        if ctx is not None:
            ctx.dtype = t.dtype
        _record("upload", "to", _nbytes(t), t)
        with _quiet():
            host = t.detach().to(dtype=dtype) if dtype is not None else t.detach()
            return SimulatedGPUTensor(host.clone(), requires_grad=ctx is None and t.requires_grad)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return _unwrap(grad).to(ctx.dtype), None


class _Download(torch.autograd.Function):
    """Simulated GPU -> host (a host synchronisation), recorded; gradients flow back."""

    @staticmethod
    def forward(ctx: Any, t: SimulatedGPUTensor, dtype: torch.dtype | None) -> torch.Tensor:
        if ctx is not None:
            ctx.dtype = t.dtype
        _record("sync", "cpu", _nbytes(t.elem))
        out = t.elem.clone()
        return out.to(dtype) if dtype is not None else out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return _wrap(grad.to(ctx.dtype)), None


class _SimulatedFunctions(TorchFunctionMode):
    """The entry points that would ask torch's C++ side for a real GPU: moves, factories."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None):
        kwargs = kwargs or {}
        if func in (torch.Tensor.to, torch.Tensor.cuda, torch.Tensor.cpu):
            return self._move(func, args, kwargs)
        if func in (torch.Tensor.numpy, torch.Tensor.__array__) and isinstance(args[0], SimulatedGPUTensor):
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to "
                            "copy the tensor to host memory first.")
        if func in (torch.Tensor.pin_memory, torch.Tensor.is_pinned) and isinstance(args[0], torch.Tensor):
            return args[0] if func is torch.Tensor.pin_memory else False
        if func is torch.Tensor.tolist and isinstance(args[0], SimulatedGPUTensor):
            _record("sync", "tolist", _nbytes(args[0].elem))
            return args[0].elem.tolist()
        if _is_gpu(kwargs.get("device")):
            return self._make(func, args, kwargs)
        return func(*args, **kwargs)

    @staticmethod
    def _move(func: Any, args: tuple, kwargs: dict) -> Any:
        t, target = args[0], _target(func, args, kwargs)
        dtype = _dtype_of(args, kwargs).get("dtype")
        if isinstance(t, SimulatedGPUTensor):
            if target is None or target.type == "cuda":  # stays on the GPU: a dtype change or a copy
                out = t.to(dtype=dtype) if dtype is not None else t
                return out.clone() if kwargs.get("copy") and out is t else out
            return _Download.apply(t, dtype) if t.requires_grad else _Download.forward(None, t, dtype)
        if target is not None and target.type == "cuda":
            return _Upload.apply(t, dtype) if t.requires_grad else _Upload.forward(None, t, dtype)
        return func(*args, **kwargs)

    @staticmethod
    def _make(func: Any, args: tuple, kwargs: dict) -> Any:
        g = kwargs.get("generator")
        if isinstance(g, torch.Generator) and g.device.type != "cuda":
            raise _wrong_generator(g)
        out = func(*args, **{**kwargs, "device": torch.device("cpu")})
        if type(out) is torch.Tensor:
            if func in (torch.tensor, torch.as_tensor) and out.dim() > 0:
                _record("upload", func.__name__, _nbytes(out))
            return _wrap(out)
        return out


@contextlib.contextmanager
def _patched(target: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, old)


@contextlib.contextmanager
def _cuda_autocast_on_cpu() -> Iterator[None]:
    """``torch.autocast("cuda", dtype)`` computes with the CPU's autocast in that dtype."""
    original = torch.amp.autocast_mode.autocast

    class SimulatedAutocast(original):  # type: ignore[misc, valid-type]
        def __init__(self, device_type: str, *args: Any, **kwargs: Any) -> None:
            super().__init__("cpu" if str(device_type).startswith("cuda") else device_type,
                             *args, **kwargs)

    spaces = [torch, torch.amp, torch.amp.autocast_mode, sys.modules.get("__main__")]
    patched = []
    for space in [s for s in spaces if s is not None]:
        for k, v in list(vars(space).items()):
            if v is original:
                patched.append((space, k))
                setattr(space, k, SimulatedAutocast)
    try:
        yield
    finally:
        for space, k in patched:
            setattr(space, k, original)


@contextlib.contextmanager
def _simulation() -> Iterator[None]:
    compatible = torch._has_compatible_shallow_copy_type

    def _compatible(input: torch.Tensor, from_: torch.Tensor) -> bool:  # noqa: A002 - torch's names
        # a module's .to(device) must make new parameters, not copy a GPU tensor into a CPU one
        return ((type(input) is SimulatedGPUTensor) == (type(from_) is SimulatedGPUTensor)
                and compatible(input, from_))

    with contextlib.ExitStack() as stack:
        for name, value in (("is_available", lambda: True), ("device_count", lambda: 1),
                            ("current_device", lambda: 0), ("is_bf16_supported", lambda *a, **k: True),
                            ("synchronize", lambda *a, **k: None),
                            ("get_device_name", lambda *a, **k: "simulated GPU (the CPU)")):
            stack.enter_context(_patched(torch.cuda, name, value))
        stack.enter_context(_patched(torch, "_has_compatible_shallow_copy_type", _compatible))
        stack.enter_context(_cuda_autocast_on_cpu())
        stack.enter_context(_SimulatedFunctions())
        stack.enter_context(_SimulatedDispatch())
        yield


class _RealGpuObserver(TorchDispatchMode):
    """On a real GPU: record the same transfers as the simulation does."""

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None):
        kwargs = kwargs or {}
        flat = _flat(args, kwargs)
        gpu = [a for a in flat if isinstance(a, torch.Tensor) and a.device.type == "cuda"]
        if gpu and func in _READS:
            _record("sync", "item", sum(map(_nbytes, gpu)))
        elif func in (aten._to_copy.default, aten.copy_.default):
            src = args[1] if func is aten.copy_.default else args[0]
            dst = (args[0].device if func is aten.copy_.default
                   else torch.device(kwargs.get("device") or src.device))
            if src.device.type == "cuda" and dst.type == "cpu":
                _record("sync", "cpu", _nbytes(src))
            elif src.device.type == "cpu" and dst.type == "cuda" and src.dim() > 0:
                _record("upload", "to", _nbytes(src))
        return func(*args, **kwargs)


def simulating() -> bool:
    """Whether a simulated GPU is active (then ``torch.cuda.is_available()`` says True)."""
    return any(rec.simulated for rec in _ACTIVE)


@contextlib.contextmanager
def on_gpu(simulate: bool | None = None) -> Iterator[GpuRecord]:
    """Run a block on a GPU and record its transfers: ``with on_gpu() as gpu: ...``.

    ``gpu.device`` is where to put the block's model and data. On a machine with a CUDA GPU
    (``simulate=None``) that is the real GPU; elsewhere it is the simulated one (``cuda:0`` on
    the CPU). Blocks nest: an inner block records into the outer ones too. Afterwards
    ``gpu.syncs`` lists the student's host synchronisations and ``gpu.uploads`` the host-to-GPU
    copies (:class:`Transfer`).
    """
    real_gpu = not simulating() and torch.cuda.is_available()
    simulated = (not real_gpu) if simulate is None else simulate
    if not simulated and not real_gpu:
        raise RuntimeError("on_gpu(simulate=False) needs a CUDA GPU, and torch sees none here")
    device = SIMULATED if simulated else torch.device("cuda", torch.cuda.current_device())
    record = GpuRecord(device=device, simulated=simulated)
    outer = simulating()
    _ACTIVE.append(record)
    try:
        if simulated and not outer:
            with _simulation():
                yield record
        elif not simulated:
            with _RealGpuObserver():
                yield record
        else:
            yield record
    finally:
        _ACTIVE.remove(record)


def to_device(value: Any, device: torch.device) -> Any:
    """A copy of ``value`` on ``device``: tensors, modules (deep copies), lists/tuples/dicts of
    them; generators stay where they are (notebooks pass CPU generators to GPU code); anything
    else as it is."""
    if isinstance(value, torch.Generator):
        twin = torch.Generator(device=value.device)
        twin.set_state(value.get_state())
        return twin
    if isinstance(value, torch.Tensor):
        data = value.detach().to(device) if value.device != device else value.detach().clone()
        return data.requires_grad_(value.requires_grad) if data.is_floating_point() else data
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value).to(device)
    if type(value) in (list, tuple):
        return type(value)(to_device(v, device) for v in value)
    if type(value) is dict:
        return {k: to_device(v, device) for k, v in value.items()}
    return value


# ---- the device check of one function -------------------------------------------------------

_GPU_ERRORS = ("same device", "device type for generator", "can't convert cuda", "to numpy",
               "expected device", "is on cpu", "device cuda")


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _tensors(value: Any, path: str = "the result") -> Iterator[tuple[str, Any]]:
    """(where, tensor) for every tensor in a result: tensors, tuples/lists/dicts, a module."""
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


def _hint(err: BaseException) -> str:
    text = str(err).lower()
    if "generator" in text:
        return ("a random draw on the GPU used a CPU torch.Generator (the notebook's generators "
                "live on the CPU). Draw where the generator is and move the result: "
                "torch.randperm(n, generator=generator).to(x.device), or the notebook's helpers "
                "(normal_like, uniform_like), which do exactly that")
    if "numpy" in text:
        return "a GPU tensor was turned into numpy: keep the computation in torch"
    return ("a tensor was created on the CPU: pass device=x.device, or use torch.zeros_like(x) / "
            "x.new_zeros(...), and never move a tensor to the CPU in the middle with .cpu()")


@dataclass
class GpuTrial:
    """One call made by :func:`gpu_trial`: its result and what it transferred."""

    result: Any
    record: GpuRecord

    def check_loop(self, name: str, *, batches: str, max_syncs: int, max_reads: int | None = None,
                   result_on_gpu: bool = True) -> None:
        """The usual checks of a training loop run on the GPU: its result there, at most
        ``max_syncs`` host synchronisations (``batches`` says how many steps it made, for the
        message) and, when the trial watched the training data, at most ``max_reads`` reads of it
        on the host."""
        if result_on_gpu and not (isinstance(self.result, torch.Tensor)
                                  and self.result.device == self.record.device):
            raise GradingError(f"On a GPU, {name} should return its losses on the GPU (a tensor "
                               "made with device=... and kept there).")
        reads = self.record.reads_of_watched
        if max_reads is not None and len(reads) > max_reads:
            raise GradingError(
                f"the training data was read on the host {len(reads)} times in {batches} "
                f"({self.record.places('read')}): move it to the model's device once, before the "
                "loop, and index the moved copy.")
        syncs = self.record.syncs
        if len(syncs) > max_syncs:
            raise GradingError(
                f"{name} made {len(syncs)} host synchronisations in {batches} "
                f"({self.record.places('sync')}): keep the losses on the device (add loss.detach() "
                "into a tensor) and read nothing inside the loop.")


def _as_grading_error(name: str, err: BaseException, simulated: bool) -> GradingError | None:
    """A GPU failure explained, or None when the error is not about devices."""
    if not any(w in str(err).lower() for w in _GPU_ERRORS):
        return None
    first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
    return GradingError(
        f"{name} fails on a GPU ({'simulated on this CPU' if simulated else 'real'}): "
        f"{type(err).__name__}: {first}. The cause: {_hint(err)}.")


def gpu_trial(fn: Callable[..., Any], *args: Any, watch: tuple[torch.Tensor, ...] = (),
              **kwargs: Any) -> GpuTrial:
    """Call ``fn(*args, **kwargs)`` inside an :func:`on_gpu` block (put the arguments that should
    live on the GPU there first: ``model.to(gpu.device)``) and record what it transfers; the
    host tensors in ``watch`` are watched (:meth:`GpuRecord.watch`). A device error raises
    :class:`GradingError` with what to do; any other error propagates."""
    if not _ACTIVE:
        raise RuntimeError("gpu_trial runs inside `with on_gpu() as gpu:`")
    with on_gpu() as record:
        record.watch(*watch)
        try:
            result = fn(*args, **kwargs)
        except GradingError:
            raise
        except Exception as err:
            explained = _as_grading_error(_name(fn), err, record.simulated)
            if explained is None:
                raise
            raise explained from None
    return GpuTrial(result, record)


def run_on_device(fn: Callable[..., Any], *args: Any, strict: bool = False, expect: str = "input",
                  **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` once on a GPU, then normally; return the normal call's result.

    The GPU call gets copies of the arguments on the GPU (the real one if the arguments already
    live there, else the simulated one of :func:`on_gpu`); it must not mix devices, draw on the
    GPU with a CPU generator, or turn a GPU tensor into numpy, and every tensor it returns must be
    on the GPU (``expect="cpu"``: on the CPU, for functions asked to return CPU results). A
    failure raises :class:`GradingError` saying what to do. An error that is not about devices is
    left to the normal call, which shows it (``strict=True``: it fails the check instead). Every
    argument is copied for the GPU call, so in-place changes made there never reach the real call.
    """
    name = _name(fn)
    if any(t.device.type != "cpu" for _, t in _tensors(list(args) + list(kwargs.values()), "arg")):
        result = fn(*args, **kwargs)  # already on a GPU: the real call is the trial
        _check_result_devices(name, result, expect, device=None)
        return result
    with on_gpu() as gpu:
        gpu_args, gpu_kwargs = to_device(args, gpu.device), to_device(kwargs, gpu.device)
        try:
            out = fn(*gpu_args, **gpu_kwargs)
        except GradingError:
            raise
        except Exception as err:
            first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
            explained = _as_grading_error(name, err, gpu.simulated)
            if explained is not None:
                raise explained from None
            if strict:
                raise GradingError(f"{name} could not run on a GPU: {type(err).__name__}: "
                                   f"{first}.") from None
        else:
            _check_result_devices(name, out, expect, device=gpu.device)
    return fn(*args, **kwargs)


def _check_result_devices(name: str, result: Any, expect: str, device: torch.device | None) -> None:
    for where, t in _tensors(result):
        on_cpu = t.device.type == "cpu"
        if expect == "cpu" and not on_cpu:
            raise GradingError(f"{name} returned {where} on {t.device}; it should return it on the "
                               "CPU (.cpu() at the end).")
        if expect == "input" and on_cpu:
            raise GradingError(
                f"{name} returned {where} on the CPU when its inputs were on a GPU"
                f"{f' ({device})' if device is not None else ''}: a tensor was created on the CPU "
                "(or moved there). Create new tensors on the input's device: device=x.device, "
                "torch.zeros_like(x), x.new_zeros(...).")


# ---- hand-offs to the library ---------------------------------------------------------------

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
