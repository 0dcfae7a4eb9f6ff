"""``aeutils doctor``: what this machine offers the course (versions, device, data sets)."""

from __future__ import annotations

import argparse
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "numpy", "scikit-learn", "scikit-image", "mlxtend", "matplotlib", "ipywidgets",
            "tqdm")
#: Parts of an extra (pyproject.toml): absent on Colab or in a plain `pip install aeutils`, which
#: run the lectures without them.
OPTIONAL = {"jupyterlab": "lab", "nbgrader": "instructor"}


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        extra = OPTIONAL.get(name)
        return f"not installed (optional: pip install 'aeutils[{extra}]')" if extra else "MISSING"


def version_line() -> str:
    """``aeutils X.Y.Z on Python ...``: the line to quote in an error report."""
    import aeutils

    return (f"aeutils {aeutils.__version__} ({Path(aeutils.__file__).parent}) on Python "
            f"{platform.python_version()} ({sys.executable})")


def _check_data() -> list[tuple[str, bool, str]]:
    from aeutils import data

    checks = {
        "digits": lambda: data.load_digits()[0].shape,
        "mnist (embedded 5k)": lambda: data.load_mnist()[0].shape,
        "natural patches": lambda: data.natural_patches(1000).shape,
        "text corpus": lambda: f"{len(data.text_corpus()):,} characters",
        "full MNIST (optional)": lambda: data.load_mnist("mnist", download=False)[0].shape,
    }
    rows = []
    for name, load in checks.items():
        start = time.perf_counter()
        try:
            detail = str(load())
            rows.append((name, True, f"{detail} in {time.perf_counter() - start:.1f} s"))
        except Exception as err:  # report every data set, whatever fails
            rows.append((name, False, str(err).split(". ")[0]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aeutils doctor", description=__doc__)
    parser.add_argument("--no-data", action="store_true", help="skip loading the data sets")
    args = parser.parse_args(argv)
    import torch

    import aeutils

    print(version_line())
    for name in (*PACKAGES, *OPTIONAL):
        print(f"  {name:14s} {_version(name)}")
    mps = getattr(torch.backends, "mps", None)
    print(f"CUDA available: {torch.cuda.is_available()}"
          + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""))
    print(f"MPS available:  {bool(mps and mps.is_available())}")
    try:
        print(f"aeutils.device(): {aeutils.device()}  (set AEUTILS_DEVICE to override)")
    except ValueError as err:
        print(f"aeutils.device(): ERROR {err}")
        return 1
    print(f"torch CPU threads: {torch.get_num_threads()}  (set AEUTILS_THREADS to change)")
    ok = True
    if not args.no_data:
        print("data sets:")
        for name, loaded, detail in _check_data():
            optional = "optional" in name
            ok &= loaded or optional
            print(f"  [{'ok' if loaded else ('--' if optional else 'FAIL')}] {name}: {detail}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
