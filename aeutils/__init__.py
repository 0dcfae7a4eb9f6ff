"""aeutils: the small library behind the autoencoder course.

Each submodule is one idea of the lecture arc:

- ``aeutils.data``     offline data sets (digits, an MNIST subset, natural patches, text)
- ``aeutils.models``   linear / MLP / conv / sparse / denoising autoencoders, a tiny BERT, a VAE
- ``aeutils.losses``   small pure loss functions and sparsity activations
- ``aeutils.noise``    corruption functions (Gaussian, salt-and-pepper, masking, BERT masking)
- ``aeutils.train``    one ``fit`` loop for every model
- ``aeutils.metrics``  PCA baselines, principal angles, PSNR, sparsity statistics, linear probes
- ``aeutils.viz``      figures; ``aeutils.widgets`` interactive explorers
- ``aeutils.filters``  numbers behind filter pictures (how localized, which subspace)
- ``aeutils.control``  a small car-on-a-track environment and tabular Q-learning
- ``aeutils.masking``  masked image patches, the image analogue of BERT's masked tokens
- ``aeutils.grading``  what assignment test cells use: checks, device trials, host syncs
- ``aeutils.english``  lecture 05's masked-token model of English prose, trained once and cached
- ``aeutils.superposition``  toy activations with known features, to check sparse autoencoders
- ``aeutils.sae_eval``  how the field evaluates sparse autoencoders: L0 / unexplained-variance
  frontier, firing rates, loss recovered, the words a latent promotes
- ``aeutils.vae_diagnostics``  active units, rate and distortion, importance-weighted log p(x)
- ``aeutils.wiener``   the closed-form linear denoiser a linear denoising autoencoder should reach
"""

import importlib
import importlib.abc
import sys

__version__ = "0.2.0"

#: The library's submodules, each loaded on first use (``aeutils.models``, ``from aeutils import
#: data``), so ``import aeutils`` and the instructor tools (which never train) don't import torch.
_SUBMODULES = ("data", "losses", "metrics", "models", "noise", "train", "viz", "widgets", "grading",
               "filters", "control", "masking", "english", "superposition", "wiener",
               "sae_eval", "vae_diagnostics")
#: Names of :mod:`aeutils.runtime` offered at the top level.
_RUNTIME_NAMES = ("device", "seed_everything", "configure_cpu_threads")
#: Parts of the package that never compute with torch: importing them leaves the thread setting
#: (and torch) alone. Every other ``aeutils.<name>`` imports :mod:`aeutils.runtime` first.
_TORCH_FREE = ("runtime", "instructor", "cli", "course", "doctor", "grading", "__main__")

__all__ = [*_RUNTIME_NAMES[:2], *_SUBMODULES]


class _RuntimeFirst(importlib.abc.MetaPathFinder):
    """Imports :mod:`aeutils.runtime` (which sets torch's CPU threads, once) before any other
    submodule of the library, however that one is imported: ``aeutils.models``, ``from aeutils
    import data`` or ``import aeutils.losses``. It finds nothing itself (returns None)."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        parts = fullname.split(".")
        if (len(parts) > 1 and parts[0] == __name__ and parts[1] not in _TORCH_FREE
                and f"{__name__}.runtime" not in sys.modules):
            importlib.import_module(f"{__name__}.runtime")
        return None


if not any(isinstance(f, _RuntimeFirst) for f in sys.meta_path):
    sys.meta_path.insert(0, _RuntimeFirst())


def __getattr__(name: str):
    if name in _SUBMODULES or name == "runtime":
        return importlib.import_module(f"{__name__}.{name}")
    if name in _RUNTIME_NAMES:
        return getattr(importlib.import_module(f"{__name__}.runtime"), name)
    raise AttributeError(f"module 'aeutils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, *_RUNTIME_NAMES, "runtime"})
