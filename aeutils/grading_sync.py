"""Count host synchronisations (``.item()``, ``float(t)``, ``.cpu()``, ...) made by a student's code.

On a GPU each of these makes the CPU wait until every queued kernel has finished, so a training
loop that calls ``loss.item()`` once per batch runs at the speed of the slowest round trip. On a
CPU-only grader nothing is slow, so the habit is invisible; counting the calls shows it anyway.

Only calls made directly from code outside the ``torch`` and ``aeutils`` packages are counted: the
optimizers and ``GradScaler`` read their own step counters that way, and the library's input
checks read a value or two; neither is the student's doing.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

#: tensor methods that copy a value to the host (and so wait for the device)
SYNC_METHODS = frozenset({"item", "tolist", "numpy", "cpu", "__float__", "__int__", "__bool__",
                          "__index__"})
_TORCH_DIR = os.path.dirname(torch.__file__)
_AEUTILS_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = (_TORCH_DIR + os.sep, _AEUTILS_DIR + os.sep)


class count_host_syncs(TorchFunctionMode):  # noqa: N801 - used like a function: with count_host_syncs()
    """``with count_host_syncs() as syncs: train(...)``; then ``syncs.count`` and ``syncs.calls``.

    ``calls`` lists ``(method, file, line)`` of every counted call, for a helpful message.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, int]] = []

    @property
    def count(self) -> int:
        return len(self.calls)

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None):
        name = getattr(func, "__name__", "")
        if name in SYNC_METHODS:
            caller = sys._getframe(1)
            if not caller.f_code.co_filename.startswith(_LIBRARY_DIRS):
                self.calls.append((name, caller.f_code.co_filename, caller.f_lineno))
        return func(*args, **(kwargs or {}))
