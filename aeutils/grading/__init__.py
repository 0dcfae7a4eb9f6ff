"""What assignment test cells use: checks, device trials, host-sync counting and their error type.

- :mod:`.checks`  tolerant, helpful checks that are not fooled by student objects
  (``check_close``, ``check_shape``, ...), a cell run again with other data (``rerun_cell``), the
  held-out-data and distribution checks;
- :mod:`.trials`  a student's code run on a GPU, the grader's own or one simulated on the CPU
  (``on_gpu``, ``gpu_trial``, ``run_on_device``), and library hand-offs switched off (``without``);
- :mod:`.sync`    host synchronisations a training loop makes (``count_host_syncs``);
- :mod:`.errors`  :class:`GradingError`, the one exception every check raises.

Released notebooks write ``from aeutils import grading`` and ``grading.check_close(...)``: every
name they use is here.

Example test cell::

    from aeutils.grading import check_close, check_shape
    check_shape(encode(x), (64, 16), name="encode(x)")
    check_close(reconstruction_error(x), 0.0123, rtol=1e-3, name="reconstruction_error(x)")
"""

from .checks import (
    FALSE_ALARM,
    Rerun,
    as_array,
    as_number,
    check_close,
    check_distribution,
    check_dtype,
    check_equal,
    check_held_out_untouched,
    check_shape,
    check_tensor,
    check_true,
    rerun_cell,
)
from .errors import GradingError
from .sync import count_host_syncs
from .trials import GpuTrial, gpu_trial, on_gpu, run_on_device, without

__all__ = [
    "FALSE_ALARM", "GpuTrial", "GradingError", "Rerun", "as_array", "as_number", "check_close",
    "check_distribution", "check_dtype", "check_equal", "check_held_out_untouched", "check_shape",
    "check_tensor", "check_true", "count_host_syncs", "gpu_trial", "on_gpu", "rerun_cell",
    "run_on_device", "without",
]
