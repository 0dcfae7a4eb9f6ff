"""Figures for the course. Every function returns a ``matplotlib.figure.Figure``; in a notebook,
leave it as the cell's last expression to show it. Figures are built without pyplot, so nothing is
shown twice and nothing piles up in memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from aeutils.validate import require_unit_range


def figure_png(fig: Figure, dpi: float | None = None, tight: bool = True) -> bytes:
    """Render a matplotlib figure to PNG bytes: the library's one PNG renderer (notebook output
    and the widgets' images both come from here).

    dpi: dots per inch (default: the figure's own); tight: crop to what is drawn (costs a second
    layout pass, so the widgets, which redraw on every slider move, skip it).
    """
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi if dpi is None else dpi,
                bbox_inches="tight" if tight else None)
    return buffer.getvalue()


_figure_png = figure_png  # the name this had when it was private


def _show_figures_in_ipython() -> None:
    """Let IPython display a returned Figure as PNG even if pyplot (which normally sets this up
    through the inline backend) was never imported. An existing printer is left alone."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, figure_png)


_show_figures_in_ipython()


def _np(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _as_images(images: torch.Tensor | np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """(n, 1, H, W), (n, H, W) or (n, H*W) -> (n, H, W)."""
    arr = _np(images)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    elif arr.ndim == 2:
        if shape is None:
            side = int(round(arr.shape[1] ** 0.5))
            if side * side != arr.shape[1]:
                raise ValueError(f"cannot guess the image shape of {arr.shape[1]} pixels; pass shape=")
            shape = (side, side)
        arr = arr.reshape(len(arr), *shape)
    if arr.ndim != 3:
        raise ValueError(f"images must be (n, 1, H, W), (n, H, W) or (n, H*W), got {arr.shape}")
    return arr


def _grid(images: np.ndarray, nrow: int, pad: int = 1, fill: float = 1.0) -> np.ndarray:
    n, h, w = images.shape
    ncol = int(np.ceil(n / nrow))
    canvas = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad), fill, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncol)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = img
    return canvas


def image_grid(images: torch.Tensor | np.ndarray, nrow: int | None = None, title: str | None = None,
               size: float = 4.0) -> Figure:
    """A grid of grayscale images ``(n, 1, H, W)`` in [0, 1]."""
    if isinstance(images, torch.Tensor):
        require_unit_range(images.detach().float(), "images")
    arr = _as_images(images)
    nrow = nrow or int(np.ceil(np.sqrt(len(arr))))
    fig = Figure(figsize=(size, size * nrow / max(1, np.ceil(len(arr) / nrow))), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(_grid(arr, nrow), cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def compare_rows(rows: Mapping[str, torch.Tensor | np.ndarray], n: int = 10,
                 title: str | None = None) -> Figure:
    """Rows of images side by side, e.g. ``{"clean": x, "noisy": x_noisy, "denoised": x_hat}``."""
    fig = Figure(figsize=(1.0 * n, 1.05 * len(rows) + 0.3), layout="constrained")
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        arr = _as_images(images)
        for c in range(n):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(arr):
                ax.imshow(arr[c], cmap="gray", vmin=0, vmax=1)
            if c == 0:
                ax.set_ylabel(label, fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def reconstructions(x: torch.Tensor, x_hat: torch.Tensor, n: int = 10, title: str | None = None) -> Figure:
    """Originals over reconstructions."""
    return compare_rows({"input": x, "reconstruction": x_hat}, n=n, title=title)


def code_scatter(codes: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray,
                 title: str | None = None, color_label: str = "class") -> Figure:
    """2-D codes ``(n, 2)`` coloured by ``labels: (n,)`` (a class, or any number per sample)."""
    h, y = _np(codes), _np(labels)
    if h.ndim != 2 or h.shape[1] != 2:
        raise ValueError(f"codes must be (n, 2), got {h.shape}; project them to 2-D first")
    fig = Figure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    points = ax.scatter(h[:, 0], h[:, 1], c=y, cmap="tab10", s=5, alpha=0.7)
    fig.colorbar(points, ax=ax, label=color_label)
    ax.set_xlabel("h[0]")
    ax.set_ylabel("h[1]")
    if title:
        ax.set_title(title)
    return fig


def filter_mosaic(weights: torch.Tensor | np.ndarray, shape: tuple[int, int], n: int | None = None,
                  title: str | None = None, size: float = 5.0) -> Figure:
    """Show each of the rows of ``weights: (units, H*W)`` as an ``H x W`` image, each scaled to its
    own range (filters and dictionary atoms are not in [0, 1])."""
    w = _np(weights).reshape(len(_np(weights)), -1)[:n]
    lo, hi = w.min(axis=1, keepdims=True), w.max(axis=1, keepdims=True)
    scaled = (w - lo) / np.maximum(hi - lo, 1e-12)
    return image_grid(scaled.reshape(len(w), *shape), title=title, size=size)


def sparsity_histogram(codes: Mapping[str, torch.Tensor | np.ndarray], bins: int = 50,
                       title: str | None = None) -> Figure:
    """Histograms of activation values, one per code set (log-scaled counts)."""
    fig = Figure(figsize=(4.0 * len(codes), 3.0), layout="constrained")
    axes = fig.subplots(1, len(codes), squeeze=False)[0]
    for ax, (label, h) in zip(axes, codes.items()):
        values = _np(h).ravel()
        zero = float(np.mean(np.abs(values) == 0))
        ax.hist(values, bins=bins, log=True, color="tab:blue")
        ax.set_title(f"{label}\n{zero:.0%} exactly zero", fontsize=10)
        ax.set_xlabel("activation")
    if title:
        fig.suptitle(title)
    return fig


def training_curves(histories: Mapping[str, object], log: bool = True, title: str | None = None) -> Figure:
    """Loss per epoch for several ``aeutils.train.History`` objects (or lists of numbers)."""
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.add_subplot()
    for label, history in histories.items():
        values = getattr(history, "loss", history)
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
        val = getattr(history, "val_loss", None)
        if val:
            ax.plot(np.arange(1, len(val) + 1), val, "--", label=f"{label} (held out)")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def tradeoff_curve(x: Sequence[float], y: Sequence[float], xlabel: str, ylabel: str,
                   labels: Sequence[str] | None = None, title: str | None = None,
                   logx: bool = False) -> Figure:
    """A line through measured points, e.g. reconstruction error vs mean L0 over a penalty sweep."""
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(x, y, "o-")
    for xi, yi, text in zip(x, y, labels or []):
        ax.annotate(text, (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=8)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def bar_table(values: Mapping[str, float], ylabel: str, title: str | None = None) -> Figure:
    """A bar per named value (e.g. probe accuracy per representation)."""
    fig = Figure(figsize=(1.1 * len(values) + 2, 3.5), layout="constrained")
    ax = fig.add_subplot()
    names, heights = list(values), [float(v) for v in values.values()]
    bars = ax.bar(names, heights, color="tab:blue")
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=30)
    if title:
        ax.set_title(title)
    return fig


def curves(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], xlabel: str,
           ylabel: str, title: str | None = None, logx: bool = False,
           logy: bool = False) -> Figure:
    """One line with markers per named ``(x, y)`` series, e.g. a frontier per family of sparse
    autoencoders (``{"top-k": (l0s, fvus), "L1": (l0s, fvus)}``) or a count per epoch."""
    if not series:
        raise ValueError("series is empty: pass at least one {name: (x, y)}")
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for label, (x, y) in series.items():
        if len(x) != len(y):
            raise ValueError(f"series {label!r}: {len(x)} x values but {len(y)} y values")
        order = np.argsort(np.asarray(x, dtype=float))
        ax.plot(np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order], "o-",
                label=label)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def density_histogram(rates: Mapping[str, torch.Tensor | np.ndarray], bins: int = 30,
                      title: str | None = None) -> Figure:
    """The feature-density histogram of sparse autoencoders: for each named set of per-latent
    firing rates ``(n_latents,)`` in [0, 1], a histogram of ``log10(rate)``; latents that never
    fire (rate 0, no logarithm) are counted in the panel's title."""
    if not rates:
        raise ValueError("rates is empty: pass at least one {name: firing rates}")
    fig = Figure(figsize=(4.2 * len(rates), 3.0), layout="constrained")
    axes = fig.subplots(1, len(rates), squeeze=False)[0]
    for ax, (label, r) in zip(axes, rates.items()):
        values = _np(r).ravel().astype(float)
        if values.size == 0 or values.min() < 0 or values.max() > 1:
            raise ValueError(f"{label!r}: firing rates must be a non-empty set of shares in [0, 1]")
        alive = values[values > 0]
        ax.hist(np.log10(alive), bins=bins, color="tab:purple")
        ax.set_title(f"{label}\n{len(values) - len(alive)} of {len(values)} never fire",
                     fontsize=10)
        ax.set_xlabel("log10(share of tokens it fires on)")
        ax.set_ylabel("latents")
    if title:
        fig.suptitle(title)
    return fig
