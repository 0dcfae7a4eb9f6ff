import base64

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aeutils import data, models, noise, rng, widgets

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _assert_static_and_live(explorer: widgets.Explorer) -> None:
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle, "the live widget view is missing"
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG"), "the static fallback image is missing"
    assert bundle["text/plain"] == explorer.text and explorer.text
    assert explorer.image.value == explorer.png


def _move_first_control(explorer: widgets.Explorer) -> None:
    control = next(iter(explorer.controls.values()))
    options = getattr(control, "options", None)
    if options:
        others = [o for o in options if o != control.value]
        control.value = others[-1] if not isinstance(others[-1], tuple) else others[-1][1]
    else:
        control.value = control.max


def _check(explorer: widgets.Explorer) -> None:
    _assert_static_and_live(explorer)
    before, png = explorer.text, explorer.png
    _move_first_control(explorer)
    assert explorer.text != before, "the read-out did not change when a control moved"
    assert explorer.png != png
    _assert_static_and_live(explorer)


def test_latent_walk():
    model = models.MLPAutoencoder((1, 8, 8), 2, hidden=(16,))
    codes = torch.randn(100, 2)
    walk = widgets.latent_walk(model, codes + 1.0, torch.randint(0, 10, (100,)))
    assert abs(walk.controls["h0"].value - float((codes[:, 0] + 1.0).median())) < 0.01
    _check(walk)
    with pytest.raises(ValueError, match="2-D code"):
        widgets.latent_walk(models.MLPAutoencoder((1, 8, 8), 3))


def test_noise_explorer():
    model = models.MLPAutoencoder((1, 8, 8), 8, hidden=(16,))
    explorer = widgets.noise_explorer(model, torch.rand(10, 1, 8, 8), n=4)
    assert "dB" in explorer.text
    _check(explorer)
    explorer.controls["level"].value = 0.1
    assert "0.10" in explorer.text


class _Halving(torch.nn.Module):
    """A 'denoiser' whose output is known: half of what it is given."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # the explorer finds the device here

    def forward(self, x):
        return x, 0.5 * x


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean over images of 10 log10(1 / MSE), in numpy: not the library's metrics.psnr."""
    err = ((a.numpy().astype(np.float64) - b.numpy()) ** 2).reshape(len(a), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(1.0 / err)))


@pytest.mark.parametrize("kind", ["gaussian", "salt_and_pepper", "masking"])
def test_noise_explorer_measures_both_psnrs_against_the_clean_images(kind):
    clean = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1
    explorer = widgets.noise_explorer(_Halving(), clean, kinds=(kind,), level=0.3, n=4, seed=3)
    for level in (0.3, 0.6):
        explorer.controls["level"].value = level
        noisy = noise.corrupt(clean[:4], kind, level, rng.generator(3))
        before, after = _psnr(noisy, clean[:4]), _psnr(0.5 * noisy, clean[:4])
        # a PSNR against the noisy input would read differently (checked, so the test can fail)
        assert f"{_psnr(0.5 * noisy, noisy):.1f}" != f"{after:.1f}"
        assert explorer.text == (f"{kind} at {level:.2f}: noisy {before:.1f} dB -> denoised "
                                 f"{after:.1f} dB PSNR")


def test_sparsity_explorer():
    trained = {w: models.SparseAutoencoder((1, 8, 8), 32, sparsity="l1", weight=w)
               for w in (1e-4, 1e-3, 1e-2)}
    explorer = widgets.sparsity_explorer(trained, torch.rand(20, 1, 8, 8), (8, 8))
    assert "mean L0" in explorer.text
    _check(explorer)
    with pytest.raises(ValueError):
        widgets.sparsity_explorer({}, torch.rand(2, 64), (8, 8))


def _tiny_text():
    text = "the cat sat on the mat and the dog sat on the log " * 20
    tok = data.Tokenizer.fit(text, max_vocab=30)
    return tok, data.token_blocks(tok.encode(text), 12)


def test_masking_explorer():
    tok, blocks = _tiny_text()
    model = models.MaskedTokenDenoiser(tok.vocab_size, max_len=12, dim=16, heads=2, layers=1)
    explorer = widgets.masking_explorer(model, tok, blocks, rates=(0.15, 0.5))
    assert "masked tokens recovered" in explorer.text
    _check(explorer)


class _Guesser(torch.nn.Module):
    """Scores ``guess(tokens)`` highest at every position: a model whose guesses are known."""

    def __init__(self, vocab_size: int, guess):
        super().__init__()
        self.vocab_size, self.guess = vocab_size, guess
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, tokens):
        return tokens, F.one_hot(self.guess(tokens), self.vocab_size).float()


def test_masking_explorer_counts_only_the_masked_tokens():
    tok, blocks = _tiny_text()
    rates = (0.15, 0.5)
    # copying what it sees recovers no masked token: each shows [MASK] (mask_prob=1 here)
    copier = widgets.masking_explorer(_Guesser(tok.vocab_size, lambda t: t), tok, blocks, rates)
    the = tok.stoi["the"]
    always_the = widgets.masking_explorer(
        _Guesser(tok.vocab_size, lambda t: torch.full_like(t, the)), tok, blocks, rates)
    for rate in rates:
        copier.controls["rate"].value = always_the.controls["rate"].value = rate
        assert copier.text == f"rate {rate:.2f}: 0.0% of masked tokens recovered"
        masked = noise.bert_mask(blocks, tok.MASK, tok.vocab_size, rate, rng.generator(0),
                                 tok.num_special, mask_prob=1.0, random_prob=0.0)
        share = float((masked.targets[masked.mask] == the).float().mean())
        assert 0.05 < share < 0.6  # "the" is some of the masked words, not all or none
        assert always_the.text == f"rate {rate:.2f}: {share:.1%} of masked tokens recovered"


def test_choice_explorer():
    from matplotlib.figure import Figure

    def view(label):
        def render():
            fig = Figure()
            fig.add_subplot().set_title(label)
            return fig, f"showing {label}"
        return render

    _check(widgets.choice_explorer({"a": view("a"), "b": view("b")}, label="view"))
    assert widgets.choice_explorer({"a": view("a"), "b": view("b")}, "view", value="b").text == "showing b"
    with pytest.raises(ValueError, match="one of"):
        widgets.choice_explorer({"a": view("a")}, "view", value="c")


class _Widget7:
    """What ipywidgets 7 offers (Colab ships 7.7.1): a model id and _ipython_display_, but no
    _repr_mimebundle_ (``'VBox' object has no attribute '_repr_mimebundle_'``)."""

    _view_name = "VBoxView"
    model_id = "m7"

    def __init__(self):
        self.displayed = 0

    def _handle_displayed(self, **kwargs):
        self.displayed += 1


def test_explorer_bundle_on_ipywidgets_7_and_8():
    import ipywidgets

    old = _Widget7()
    assert widgets.widget_view_bundle(old) == {
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "m7"}}
    assert old.displayed == 1, "ipywidgets 7's on_displayed callbacks must run"
    box = ipywidgets.VBox([])
    if hasattr(box, "_repr_mimebundle_"):  # ipywidgets 8
        assert widgets.widget_view_bundle(box)[WIDGET_VIEW]["model_id"] == box.model_id
    else:  # ipywidgets 7 (make test-colab runs this file there)
        assert int(ipywidgets.__version__.split(".")[0]) == 7
        assert widgets.widget_view_bundle(box)[WIDGET_VIEW]["model_id"] == box.model_id
    explorer = widgets.choice_explorer({"a": lambda: (_figure("a"), "showing a")}, "view")
    bundle = explorer._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == explorer.widget.model_id
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def _figure(label):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().set_title(label)
    return fig
