"""What varies between learners' machines, for the tests that check the course's numbers.

A number a lecture or an answer states must hold on a learner's own machine: with another seed
and on another CPU (AVX-512 or AVX2 kernels, another BLAS code path), whose float results differ.
The number-checking tests (the "Try this" answers, ``test_science.py``) therefore take their
seeds from here, and ``tools/spread.py`` runs them with ``AEUTILS_SPREAD_SEED=0..4`` natively and
with other CPU kernels, collecting every measured value (``AEUTILS_SPREAD_LOG``), so that a stated
range or margin comes from a measured spread, never from one run's digits.

Without those variables the tests run at seed 0 and record nothing.
"""

from __future__ import annotations

import json
import os
import sys

#: Added to every seed of a number-checking test (model init, shuffling, noise, agents).
#: The data sets and their train/test splits stay fixed: they are the same for every learner.
SEED = int(os.environ.get("AEUTILS_SPREAD_SEED", "0"))

#: The CPU-kernel settings that make float results differ on one machine (``make
#: test-portable``): ATen's, MKL's and oneDNN's kernels limited to AVX2, and MKL's compatible code
#: path (on an AMD CPU, MKL already takes its AVX2 path, so the AVX2 limit alone changes nothing).
PORTABLE_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                    "DNNL_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "COMPATIBLE"}


def gen(offset: int = 0):
    """A CPU ``torch.Generator`` seeded with ``SEED + offset`` (``offset`` tells draws apart)."""
    import torch

    return torch.Generator().manual_seed(SEED + offset)


def kernels() -> str:
    """Which CPU kernels this process computes with: "native" or "portable"."""
    return "portable" if os.environ.get("MKL_CBWR") == "COMPATIBLE" else "native"


def record(where: str, measured: list[float]) -> None:
    """Append what a check measured to ``$AEUTILS_SPREAD_LOG`` (one JSON line), if it is set."""
    path = os.environ.get("AEUTILS_SPREAD_LOG")
    if not path:
        return
    line = json.dumps({"key": where, "seed": SEED, "kernels": kernels(),
                       "values": [float(v) for v in measured]})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


if __name__ == "__main__":  # `python tests/spread.py portable`: the settings, for the Makefile
    if sys.argv[1:] != ["portable"]:
        raise SystemExit("usage: python tests/spread.py portable")
    print(" ".join(f"{name}={value}" for name, value in PORTABLE_KERNELS.items()))
