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
- ``aeutils.grading``  helpers that assignment test cells call
- ``aeutils.english``  lecture 05's masked-token model of English prose, trained once and cached
- ``aeutils.superposition``  toy activations with known features, to check sparse autoencoders
- ``aeutils.wiener``   the closed-form linear denoiser a linear denoising autoencoder should reach
"""

import importlib

from aeutils.runtime import configure_cpu_threads, device, seed_everything

configure_cpu_threads()

__all__ = [
    "device",
    "seed_everything",
    "data",
    "losses",
    "metrics",
    "models",
    "noise",
    "train",
    "viz",
    "widgets",
    "grading",
]
__version__ = "0.1.0"


_SUBMODULES = ("data", "losses", "metrics", "models", "noise", "train", "viz", "widgets", "grading",
               "filters", "control", "masking", "english", "superposition", "wiener")


def __getattr__(name: str):
    # Submodules load on first use (``aeutils.models``), so ``import aeutils`` and the command line
    # start fast and a notebook only pays for what it touches.
    if name in _SUBMODULES:
        return importlib.import_module(f"aeutils.{name}")
    raise AttributeError(f"module 'aeutils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
