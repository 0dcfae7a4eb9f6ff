"""The kernel device: where a grading batch runs the students' kernels (``aeutils grade --device``).

One of three meanings of "device" in aeutils, each with its own name: a ``torch.device`` (where
tensors live, ``aeutils.device()``), a trial of student code on a real or simulated GPU
(:mod:`aeutils.grading.trials`), and this: the ``"cpu"`` or ``"cuda"`` the kernels get as
``AEUTILS_DEVICE``.
"""

from __future__ import annotations

from .config import CourseError

CHOICES = ("auto", "cpu", "cuda")


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU on this (grading) machine."""
    import torch

    return bool(torch.cuda.is_available())


def resolve_kernel_device(choice: str | None) -> str:
    """``auto`` -> ``cuda`` when this machine has one, else ``cpu``; ``cuda`` must exist.

    The result is what the kernels get as ``AEUTILS_DEVICE``, and what the grade report records.
    """
    wanted = (choice or "auto").strip().lower()
    if wanted not in CHOICES:
        raise CourseError(f"--device {choice!r}: expected one of {', '.join(CHOICES)}")
    if wanted == "auto":
        return "cuda" if cuda_available() else "cpu"
    if wanted == "cuda" and not cuda_available():
        raise CourseError(
            "--device cuda: torch sees no CUDA GPU on this machine (torch.cuda.is_available() is "
            "False). Grade with --device cpu (or auto), or on a machine with a GPU and a CUDA "
            "build of torch.")
    return wanted
