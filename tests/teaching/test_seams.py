"""One helper for seeded random numbers, one PNG renderer, mode-restoring whole-set helpers, no
notebook overriding the library's thread setting, and noise.mask_pixels under its two names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from matplotlib.figure import Figure

from aeutils import grading, masking, models, noise, rng, train, viz, widgets

ROOT = Path(__file__).resolve().parents[2]


def test_rng_draws_on_the_generators_device_and_delivers_on_the_target():
    g = rng.generator(3)
    expected = torch.rand((4, 5), generator=torch.Generator().manual_seed(3))
    assert torch.equal(rng.rand((4, 5), g), expected)  # the same numbers as torch's own call
    # a CPU generator can feed a tensor on another device (meta stands in for a GPU here)
    out = rng.randn((4, 5), rng.generator(0), device="meta", dtype=torch.float64)
    assert out.device.type == "meta" and out.dtype == torch.float64 and out.shape == (4, 5)
    # without a generator the numbers are drawn on the target device directly
    assert rng.rand((2, 3), None, "meta").device.type == "meta"
    ints = rng.randint(4, 9, (1000,), rng.generator(1))
    assert ints.dtype == torch.int64 and int(ints.min()) == 4 and int(ints.max()) == 8
    assert torch.equal(rng.randperm(50, rng.generator(2)).sort().values, torch.arange(50))
    assert rng.randperm(7, rng.generator(2), "meta").device.type == "meta"


def test_library_randomness_lands_on_the_inputs_device_and_repeats():
    g = rng.generator(0)
    images = torch.empty(3, 1, 8, 8, device="meta")
    held = masking.mask_patches(images, 4, 0.5, g)
    assert held.images.device.type == held.mask.device.type == "meta"
    mu = torch.empty(3, 2, device="meta")
    assert models.VAE.reparameterize(mu, mu, g).device.type == "meta"
    x = torch.rand(16, 64)
    for kind in noise.NOISES:  # seeded twice, the same corruption
        assert torch.equal(noise.corrupt(x, kind, 0.3, rng.generator(5)),
                           noise.corrupt(x, kind, 0.3, rng.generator(5)))
    expected = (x + 0.3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(5)))
    assert torch.equal(noise.gaussian(x, 0.3, rng.generator(5)), expected.clamp(0, 1))


def test_only_rng_picks_the_device_to_draw_on():
    copies = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "aeutils").rglob("*.py"))
              if "generator.device if generator" in p.read_text() and p.name != "rng.py"]
    assert copies == [], f"draw through aeutils.rng instead of repeating it in {copies}"


def test_one_png_renderer():
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    png = viz.figure_png(fig)
    assert png.startswith(b"\x89PNG")
    assert viz.figure_png(fig, dpi=50, tight=False) != png
    explorer = widgets.choice_explorer({"a": lambda: (fig, "a")}, label="x")
    assert explorer.png == viz.figure_png(fig, dpi=widgets.WIDGET_DPI, tight=False)
    assert widgets.figure_png(fig) == explorer.png
    savers = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "aeutils").rglob("*.py"))
              if ".savefig(" in p.read_text()]
    assert savers == ["aeutils/viz.py"]


class _ModeSpy(models.CourseModel):
    """Records the mode ``encode`` and ``forward`` ran in."""

    def __init__(self):
        super().__init__()
        self.set_shapes(4, 4)
        self.layer = torch.nn.Linear(4, 4)
        self.seen: list[bool] = []

    def encode(self, x):
        self.seen.append(self.training)
        return self.layer(x)

    def decode(self, h):
        return h

    def loss(self, x):
        return ((self(x).x_hat - x) ** 2).mean()


@pytest.mark.parametrize("helper", [train.encode, train.reconstruct, train.evaluate])
@pytest.mark.parametrize("mode", [True, False])
def test_whole_set_helpers_run_in_eval_mode_and_restore_the_mode(helper, mode):
    model = _ModeSpy().train(mode)
    helper(model, torch.rand(10, 4), batch_size=4)
    assert model.seen == [False] * 3 and model.training is mode


def test_notebooks_leave_the_thread_setting_to_the_library():
    callers = []
    for path in sorted(ROOT.glob("*/**/*.ipynb")):
        if ".venv" in path.parts:
            continue
        cells = json.loads(path.read_text())["cells"]
        if any(re.search(r"set_num_threads\(", "".join(c["source"])) for c in cells):
            callers.append(path.relative_to(ROOT).as_posix())
    assert callers == [], "aeutils sets torch's threads (AEUTILS_THREADS); don't override it"


def test_pixel_masking_has_one_name_that_says_what_it_does():
    # "masking" stays the noise kind's name (the literature's "masking noise"), not a function's:
    # aeutils.masking is the module that hides patches and tokens
    assert not hasattr(noise, "masking") and noise.NOISES["masking"] is noise.mask_pixels
    x = torch.rand(200, 50) * 0.9 + 0.1
    out = noise.mask_pixels(x, 0.3, rng.generator(0))
    assert abs(float((out == 0).float().mean()) - 0.3) < 0.02
    # grading.without switches the function off, corrupt() included
    with grading.without("aeutils.noise.mask_pixels", task="masking_noise"):
        for call in (lambda: noise.mask_pixels(x, 0.3), lambda: noise.corrupt(x, "masking", 0.3)):
            with pytest.raises(grading.GradingError, match="yourself"):
                call()
    assert torch.equal(noise.corrupt(x, "masking", 0.3, rng.generator(0)), out)
