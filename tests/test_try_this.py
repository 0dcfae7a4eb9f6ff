"""The numbers in the "Try this" answers of lectures 00-07 (except 05), measured again.

Each test runs one prompt's experiment with aeutils at the lecture's settings and seeds, and
compares what it measures with the bold numbers of the notebook's answer (``tests/answers.py``),
so the answers cannot drift from the code. Models several answers share are trained once per
module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from answers import answer_numbers

import aeutils
from aeutils import metrics, models, train

LECTURES = Path(__file__).resolve().parent.parent / "lectures"


def check(lecture: str, key: str, measured: list[float], rel: float = 0.1, abs_: float = 0.0):
    """Assert the answer ``key`` of ``lecture`` states ``measured``, within the tolerance."""
    print(f"{lecture} {key}: measured {[round(float(v), 5) for v in measured]}")
    written = answer_numbers(LECTURES / f"{lecture}.ipynb", key)
    assert len(written) == len(measured), f"{key}: the answer states {written}, measured {measured}"
    for w, m in zip(written, measured):
        assert m == pytest.approx(w, rel=rel, abs=abs_), f"{key}: answer says {w}, measured {m}"


def _seeded(make):
    aeutils.seed_everything(0)
    return make()


# ---- 00_recipe ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def recipe(digits):
    x = digits[0]
    n, pixels = len(x), x[0].numel()
    g = torch.Generator().manual_seed(0)
    order = torch.stack([torch.randperm(n, generator=g) for _ in range(pixels)], dim=1)
    noise_images = torch.gather(x.reshape(n, pixels), 0, order).reshape_as(x)
    trained = {}
    for k in (8, 16, 60, 64, 128):
        trained[k] = _seeded(lambda k=k: models.LinearAutoencoder((1, 8, 8), code_size=k))
        train.fit(trained[k], x, optimizer="lbfgs", batch_size=None, epochs=15, device="cpu",
                  quiet=True)
    return x, noise_images, trained


def test_00_uniform_noise(recipe):
    x, _, trained = recipe
    uniform = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    wide = trained[128]
    err = (train.reconstruct(wide, uniform) - uniform).pow(2).reshape(len(x), -1)
    blank = x.reshape(len(x), -1).std(0) == 0
    check("00_recipe", "00-uniform-noise",
          [float(err.mean()), int(blank.sum()), float(err[:, blank].mean()), float(err[:, ~blank].mean())],
          rel=0.1)


def test_00_nonlinear_bottleneck(recipe):
    x, noise_images, trained = recipe
    mlp = _seeded(lambda: models.MLPAutoencoder((1, 8, 8), 8))
    train.fit(mlp, x, epochs=100, batch_size=None, device="cpu", quiet=True)
    ratio = {name: metrics.reconstruction_error(m, noise_images) / metrics.reconstruction_error(m, x)
             for name, m in [("linear", trained[8]), ("mlp", mlp)]}
    check("00_recipe", "00-nonlinear", [metrics.reconstruction_error(mlp, x), ratio["mlp"],
                                        ratio["linear"]], rel=0.15)


def test_00_code_size_64_and_60(recipe):
    x, noise_images, trained = recipe
    measured = []
    for k in (64, 60):
        measured += [metrics.reconstruction_error(trained[k], x),
                     metrics.reconstruction_error(trained[k], noise_images)]
    check("00_recipe", "00-code-64", measured, rel=0.25, abs_=3e-5)


def test_00_where_to_stop(recipe):
    x, noise_images, trained = recipe
    err = metrics.reconstruction_error(trained[16], x)
    kept = 1 - err / float(x.var(0).mean())          # share of the pixel variance it rebuilds
    gap = metrics.reconstruction_error(trained[16], noise_images) - err
    check("00_recipe", "00-where-to-stop", [16, err, 100 * kept, gap], rel=0.1)
