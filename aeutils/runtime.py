"""Where tensors live, how runs are made repeatable, and how many CPU threads torch uses.

Importing this module applies the thread setting (:func:`configure_cpu_threads`) once; the
package imports it before any submodule that computes with torch.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV = "AEUTILS_DEVICE"
THREADS_ENV = "AEUTILS_THREADS"


def configure_cpu_threads() -> int:
    """Run torch's CPU kernels (and numpy's / scikit-learn's thread pools) on one thread unless
    ``AEUTILS_THREADS`` asks for more.

    The course's models are small: splitting each small matrix product over threads gains little,
    and when anything else is busy (a browser, another kernel) torch's waiting threads made training
    eight times slower on a 2-core machine. Returns the thread count now in force.
    """
    wanted = os.environ.get(THREADS_ENV, "").strip()
    try:
        count = int(wanted) if wanted else 1
    except ValueError as err:
        raise ValueError(f"{THREADS_ENV}={wanted!r} must be a whole number of threads") from err
    if count < 1:
        raise ValueError(f"{THREADS_ENV} must be at least 1, got {count}")
    torch.set_num_threads(count)
    from threadpoolctl import threadpool_limits

    threadpool_limits(count)  # numpy's BLAS and scikit-learn's OpenMP pools too
    return count


def device() -> torch.device:
    """The device every notebook and assignment trains on.

    CUDA if available, else Apple's MPS, else the CPU. The environment variable
    ``AEUTILS_DEVICE`` (e.g. ``cpu``, ``cuda:1``) overrides the choice.
    """
    override = os.environ.get(DEVICE_ENV, "").strip()
    if override:
        try:
            chosen = torch.device(override)
        except RuntimeError as err:
            raise ValueError(
                f"{DEVICE_ENV}={override!r} is not a device name torch understands; "
                "use 'cpu', 'cuda', 'cuda:1' or 'mps', or unset it to choose automatically."
            ) from err
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"{DEVICE_ENV}={override!r} asks for CUDA, but torch sees no CUDA GPU here; "
                "unset it or set it to 'cpu'."
            )
        if chosen.type == "mps" and not _mps_available():
            raise ValueError(
                f"{DEVICE_ENV}={override!r} asks for MPS, which is not available here; "
                "unset it or set it to 'cpu'."
            )
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and every GPU) so a run can be repeated.

    Returns a CPU ``torch.Generator`` seeded with ``seed``, handy for ``aeutils.noise``.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


# Once, before the library computes: aeutils/__init__.py imports this module ahead of every
# torch-using submodule (and a notebook's own `import torch` work runs after `import aeutils.x`).
configure_cpu_threads()
