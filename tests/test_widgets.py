import base64

import pytest
import torch

from aeutils import data, models, widgets

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


def test_sparsity_explorer():
    trained = {w: models.SparseAutoencoder((1, 8, 8), 32, sparsity="l1", weight=w)
               for w in (1e-4, 1e-3, 1e-2)}
    explorer = widgets.sparsity_explorer(trained, torch.rand(20, 1, 8, 8), (8, 8))
    assert "mean L0" in explorer.text
    _check(explorer)
    with pytest.raises(ValueError):
        widgets.sparsity_explorer({}, torch.rand(2, 64), (8, 8))


def test_masking_explorer():
    tok = data.Tokenizer.fit("the cat sat on the mat and the dog sat on the log " * 20,
                             max_vocab=30)
    blocks = data.token_blocks(tok.encode("the cat sat on the mat and the dog sat on the log " * 20), 12)
    model = models.MaskedTokenDenoiser(tok.vocab_size, max_len=12, dim=16, heads=2, layers=1)
    explorer = widgets.masking_explorer(model, tok, blocks, rates=(0.15, 0.5))
    assert "masked tokens recovered" in explorer.text
    _check(explorer)


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
