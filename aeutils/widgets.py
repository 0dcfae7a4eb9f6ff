"""Interactive explorers built on ipywidgets.

Each explorer is controls (sliders, dropdowns) feeding a ``render(**values) -> (Figure, text)``
function; the figure is shown as a PNG image widget under a one-line text read-out. Displayed in
JupyterLab it is live. Executed headless (nbclient, nbgrader, HTML export) it still leaves a static
picture: its display bundle carries a plain ``image/png`` of the current state beside the widget
view, and front ends without a widget manager fall back to that image.

Works with ipywidgets 7.7 (Colab ships 7.7.1) and 8: a widget of 8 offers its display bundle as
``_repr_mimebundle_``, one of 7 only displays itself (``_ipython_display_``), so on 7 the bundle is
built here from the widget's model id, as ipywidgets 7 builds it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as W
import numpy as np
import torch
from matplotlib.figure import Figure

from aeutils import metrics, noise, rng, viz

Render = Callable[..., tuple[Figure, str]]


WIDGET_DPI = 80  # small enough to redraw quickly on every slider move


def figure_png(fig: Figure, dpi: int = WIDGET_DPI) -> bytes:
    """Render a matplotlib figure to PNG bytes the way the explorers show it (``viz.figure_png``
    at ``dpi``, uncropped)."""
    return viz.figure_png(fig, dpi=dpi, tight=False)


class Explorer:
    """Controls + a text read-out + a figure, redrawn whenever a control's value changes."""

    def __init__(self, controls: Mapping[str, W.ValueWidget], render: Render, title: str = ""):
        self.controls = dict(controls)
        self.render = render
        self.title = W.HTML(f"<b>{html.escape(title)}</b>") if title else W.HTML()
        self.readout = W.HTML()
        self.image = W.Image(format="png")
        self.widget = W.VBox([self.title, W.HBox(list(self.controls.values())), self.readout,
                              self.image])
        for control in self.controls.values():
            control.observe(lambda _change: self.redraw(), names="value")
        self.redraw()

    @property
    def values(self) -> dict[str, object]:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        with torch.no_grad():  # renders run later, from slider callbacks: no autograd graphs there
            figure, text = self.render(**self.values)
        self.figure, self.text = figure, text
        self.png = figure_png(figure)
        self.readout.value = f"<code>{html.escape(text)}</code>"
        self.image.value = self.png

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = dict(widget_view_bundle(self.widget, include=include, exclude=exclude))
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        bundle["text/plain"] = self.text
        return bundle


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def widget_view_bundle(widget: W.DOMWidget, include=None, exclude=None) -> dict:
    """The display bundle of a widget's live view, on ipywidgets 8 (``_repr_mimebundle_``) and 7
    (which has none: its ``_ipython_display_`` publishes this same view itself)."""
    if hasattr(widget, "_repr_mimebundle_"):
        return widget._repr_mimebundle_(include=include, exclude=exclude) or {}
    if getattr(widget, "_view_name", None) is None:  # not a displayable widget
        return {}
    # ipywidgets 7: what Widget._ipython_display_ publishes, and the call that tells the widget
    # it is displayed (it runs the widget's on_displayed callbacks)
    widget._handle_displayed()
    return {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}}


def _slider(description: str, low: float, high: float, value: float, step: float) -> W.FloatSlider:
    return W.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, readout_format=".2f")


@torch.no_grad()
def latent_walk(model: torch.nn.Module, codes: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, extent: float | None = None) -> Explorer:
    """Move a point through a 2-D code space and see what the decoder makes of it.

    model: an autoencoder with ``code_size == 2`` (``decode(h: (1, 2)) -> (1, 1, H, W)``).
    codes, labels: optional ``(n, 2)`` codes of real data and their classes, drawn behind the point.
    """
    if getattr(model, "code_size", None) != 2:
        raise ValueError(f"latent_walk needs a model with a 2-D code, got code_size="
                         f"{getattr(model, 'code_size', None)}")
    model.eval()
    where = next(model.parameters()).device
    if extent is None:
        extent = float(codes.abs().quantile(0.99)) if codes is not None else 3.0
    codes_np = codes.cpu().numpy() if codes is not None else None

    def render(h0: float, h1: float) -> tuple[Figure, str]:
        image = model.decode(torch.tensor([[h0, h1]], dtype=torch.float32, device=where)).cpu()
        fig = Figure(figsize=(7.5, 3.4), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1.4, 1])
        if codes_np is not None:
            left.scatter(codes_np[:, 0], codes_np[:, 1], s=3, alpha=0.5,
                         c=None if labels is None else labels.cpu().numpy(), cmap="tab10")
        left.plot([h0], [h1], "k*", markersize=16)
        left.set_xlim(-extent, extent)
        left.set_ylim(-extent, extent)
        left.set_title("code space")
        right.imshow(image.reshape(image.shape[-2], image.shape[-1]).numpy(), cmap="gray", vmin=0, vmax=1)
        right.set_axis_off()
        right.set_title("decoded")
        return fig, f"h = ({h0:+.2f}, {h1:+.2f})"

    step = round(extent / 20, 3) or 0.01
    # start where the data is: the codes' median, which (0, 0) need not be
    start = codes.median(dim=0).values.clamp(-extent, extent).tolist() if codes is not None else [0, 0]
    return Explorer({"h0": _slider("h[0]", -extent, extent, round(start[0], 2), step),
                     "h1": _slider("h[1]", -extent, extent, round(start[1], 2), step)}, render,
                    title="Walk the 2-D code space")


@torch.no_grad()
def noise_explorer(model: torch.nn.Module, images: torch.Tensor,
                   kinds: Sequence[str] = ("gaussian", "salt_and_pepper", "masking"),
                   level: float = 0.3, n: int = 8, seed: int = 0) -> Explorer:
    """Pick a noise type and level; see clean / noisy / denoised images and their PSNR.

    model: a trained (denoising) autoencoder; images: (n, 1, H, W) clean test images in [0, 1].
    """
    model.eval()
    where = next(model.parameters()).device
    clean = images[:n].to(where)

    def render(kind: str, level: float) -> tuple[Figure, str]:
        noisy = noise.corrupt(clean, kind, level, rng.generator(seed))
        denoised = model(noisy)[1]
        before, after = metrics.psnr(noisy, clean), metrics.psnr(denoised, clean)
        text = f"{kind} at {level:.2f}: noisy {before:.1f} dB -> denoised {after:.1f} dB PSNR"
        fig = viz.compare_rows({"clean": clean, "noisy": noisy, "denoised": denoised}, n=n,
                               title=text)
        return fig, text

    return Explorer({"kind": W.Dropdown(options=list(kinds), value=kinds[0], description="noise"),
                     "level": _slider("level", 0.0, 0.9, level, 0.05)}, render,
                    title="Noise type and level")


@torch.no_grad()
def sparsity_explorer(trained: Mapping[object, torch.nn.Module], x: torch.Tensor,
                      filter_shape: tuple[int, int], label: str = "L1 weight",
                      n_filters: int = 64) -> Explorer:
    """Slide over sparse autoencoders trained with different penalty weights (or k): see their
    dictionary atoms, their code histogram and the reconstruction/sparsity numbers.

    trained: ``{setting: trained SparseAutoencoder}``; x: ``(n, ...)`` evaluation inputs.
    """
    if not trained:
        raise ValueError("trained must hold at least one model")
    cache: dict[object, tuple[torch.Tensor, float]] = {}
    for setting, model in trained.items():
        model.eval()
        where = next(model.parameters()).device
        h, x_hat = model(x.to(where))
        cache[setting] = (h.cpu(), float(torch.mean((x_hat - x.to(where)) ** 2)))

    def render(setting: object) -> tuple[Figure, str]:
        h, err = cache[setting]
        stats = metrics.sparsity_stats(h)
        atoms = trained[setting].dictionary().detach().cpu().t() if hasattr(
            trained[setting], "dictionary") else trained[setting].decoder_basis().cpu().t()
        fig = Figure(figsize=(8, 3.6), layout="constrained")
        left, right = fig.subplots(1, 2)
        busiest = np.argsort(-stats.lifetime, kind="stable")[:n_filters]  # skip dead, random atoms
        w = atoms[busiest].numpy()
        lo, hi = w.min(1, keepdims=True), w.max(1, keepdims=True)
        scaled = ((w - lo) / np.maximum(hi - lo, 1e-12)).reshape(len(w), *filter_shape)
        left.imshow(viz._grid(scaled, int(np.ceil(np.sqrt(len(w))))), cmap="gray")
        left.set_axis_off()
        left.set_title(f"the {len(w)} most used atoms")
        right.hist(h.numpy().ravel(), bins=50, log=True)
        right.set_title("activations (log counts)")
        text = (f"{label} = {setting}: MSE {err:.4f}, mean L0 {stats.mean_l0:.1f} of "
                f"{stats.code_size}, {stats.fraction_zero:.0%} zeros, {stats.dead_units} dead units")
        return fig, text

    options = list(trained)
    return Explorer({"setting": W.SelectionSlider(options=options, value=options[len(options) // 2],
                                                  description=label, continuous_update=False)},
                    render, title="Reconstruction vs sparsity")


@torch.no_grad()
def masking_explorer(model: torch.nn.Module, tokenizer, blocks: torch.Tensor,
                     rates: Sequence[float] = (0.05, 0.15, 0.3, 0.5, 0.8), seed: int = 0,
                     example: int = 0) -> Explorer:
    """Change the masking rate at test time: see a masked sentence, the model's guesses and its
    accuracy on the masked tokens.

    model: a trained ``MaskedTokenDenoiser``; blocks: ``(n, length)`` held-out token ids;
    example: which block to show as the example sentence.
    """
    if not 0 <= example < len(blocks):
        raise ValueError(f"example must index one of the {len(blocks)} blocks, got {example}")
    model.eval()
    where = next(model.parameters()).device
    blocks = blocks.to(where)
    accuracy: dict[float, float] = {}
    examples: dict[float, str] = {}
    for rate in rates:
        g = rng.generator(seed)
        masked = noise.bert_mask(blocks, tokenizer.MASK, tokenizer.vocab_size, rate, g,
                                 tokenizer.num_special, mask_prob=1.0, random_prob=0.0)
        guess = model(masked.tokens)[1].argmax(-1)
        hits = (guess == masked.targets)[masked.mask]
        accuracy[rate] = float(hits.float().mean()) if hits.numel() else float("nan")
        row = masked.tokens[example].tolist()
        shown = [f"[{tokenizer.itos[int(guess[example, i])]}]" if masked.mask[example, i]
                 else tokenizer.itos[t]
                 for i, t in enumerate(row)]
        examples[rate] = " ".join(shown[:24])

    def render(rate: float) -> tuple[Figure, str]:
        fig = Figure(figsize=(7, 3.2), layout="constrained")
        ax = fig.add_subplot()
        ax.plot(list(accuracy), list(accuracy.values()), "o-")
        ax.plot([rate], [accuracy[rate]], "r*", markersize=16)
        ax.set_xlabel("masking rate at test time")
        ax.set_ylabel("accuracy on masked tokens")
        ax.set_title("guesses in [brackets]: " + examples[rate][:90], fontsize=8)
        return fig, f"rate {rate:.2f}: {accuracy[rate]:.1%} of masked tokens recovered"

    return Explorer({"rate": W.SelectionSlider(options=list(rates), value=rates[1],
                                               description="mask rate", continuous_update=False)},
                    render, title="Masking rate")


def choice_explorer(renders: Mapping[str, Callable[[], tuple[Figure, str]]], label: str,
                    title: str = "", value: str | None = None) -> Explorer:
    """A slider over precomputed views: ``{option: () -> (Figure, text)}`` (e.g. code sizes),
    starting at ``value`` (default: the first option)."""
    options = list(renders)
    if value is not None and value not in renders:
        raise ValueError(f"value must be one of {options}, got {value!r}")
    return Explorer({"option": W.SelectionSlider(options=options, value=options[0] if value is None else value,
                                                 description=label, continuous_update=False)},
                    lambda option: renders[option](), title=title)


def feature_explorer(contexts: Mapping[int, Sequence[tuple[float, str]]],
                     labels: Mapping[int, str] | None = None) -> Explorer:
    """Step through a sparse autoencoder's latents and see the tokens that make each fire most.

    contexts: ``{latent: [(activation, text with the token in [brackets]), ...]}``, strongest
    first (what ``english.top_contexts`` returns); labels: optional one-line note per latent.
    """
    if not contexts:
        raise ValueError("contexts is empty: pass at least one latent's top activations")
    latents = list(contexts)

    def render(latent: int) -> tuple[Figure, str]:
        shown = list(contexts[latent])[::-1]
        fig = Figure(figsize=(7.5, 0.45 * max(len(shown), 1) + 1.0), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(range(len(shown)), [value for value, _ in shown], color="tab:orange")
        ax.set_yticks(range(len(shown)), [text for _, text in shown], fontsize=9)
        ax.set_xlabel("activation of the latent")
        ax.set_title(f"latent {latent}: the tokens it fires on most", fontsize=10)
        note = (labels or {}).get(latent, "")
        return fig, f"latent {latent}: {len(shown)} top tokens" + (f" ({note})" if note else "")

    return Explorer({"latent": W.SelectionSlider(options=latents, value=latents[0],
                                                 description="latent", continuous_update=False)},
                    render, title="Features of the masked-token model")
