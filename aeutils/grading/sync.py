"""Count host synchronisations (``.item()``, ``float(t)``, ``.cpu()``, ``print(t)``, ...) made by a
student's code.

On a GPU each of these makes the CPU wait until every queued kernel has finished, so a training
loop that calls ``loss.item()`` once per batch runs at the speed of the slowest round trip. On a
CPU-only grader nothing is slow, so the habit is invisible; counting the calls shows it anyway.

Two kinds are counted:

- on CPU tensors, the calls of the reading methods (:data:`SYNC_METHODS`) made directly from code
  outside the ``torch`` and ``aeutils`` packages (the optimizers and ``GradScaler`` read their own
  step counters that way, and the library's input checks read a value or two; neither is the
  student's doing);
- on a GPU (a real one, or the simulated one of :func:`aeutils.trials.on_gpu`), every value
  copied to the host by the student's code, however it was asked for (``print(loss)`` and an
  f-string read the value inside torch, and still count).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from . import trials

#: tensor methods that copy a value to the host (and so wait for the device)
SYNC_METHODS = frozenset({"item", "tolist", "numpy", "cpu", "__float__", "__int__", "__bool__",
                          "__index__"})
_TORCH_DIR = os.path.dirname(torch.__file__)
_AEUTILS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # aeutils/
_LIBRARY_DIRS = (_TORCH_DIR + os.sep, _AEUTILS_DIR + os.sep)


class count_host_syncs(TorchFunctionMode):  # noqa: N801 - used like a function: with count_host_syncs()
    """``with count_host_syncs() as syncs: train(...)``; then ``syncs.count`` and ``syncs.calls``.

    ``calls`` lists ``(method, file, line)`` of every counted call, for a helpful message.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cpu_calls: list[tuple[str, str, int]] = []
        self._gpu = trials.GpuRecord(device=torch.device("cuda"), simulated=False)
        self._observer: Any = None

    @property
    def calls(self) -> list[tuple[str, str, int]]:
        return self._cpu_calls + [(t.what, t.file, t.line) for t in self._gpu.syncs]

    @property
    def count(self) -> int:
        return len(self.calls)

    def __enter__(self) -> count_host_syncs:
        trials._ACTIVE.append(self._gpu)
        if not trials.simulating() and torch.cuda.is_available():
            self._observer = trials._RealGpuObserver()
            self._observer.__enter__()
        return super().__enter__()

    def __exit__(self, *exc: Any) -> Any:
        try:
            return super().__exit__(*exc)
        finally:
            if self._observer is not None:
                self._observer.__exit__(*exc)
            trials._ACTIVE.remove(self._gpu)

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None):
        name = getattr(func, "__name__", "")
        if name in SYNC_METHODS and args and type(args[0]) in (torch.Tensor, torch.nn.Parameter) \
                and args[0].device.type == "cpu":
            caller = sys._getframe(1)
            if not caller.f_code.co_filename.startswith(_LIBRARY_DIRS):
                self._cpu_calls.append((name, caller.f_code.co_filename, caller.f_lineno))
        return func(*args, **(kwargs or {}))
