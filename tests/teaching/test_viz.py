import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from aeutils import train, viz


def _has_content(fig: Figure) -> bool:
    return bool(fig.axes) and any(ax.images or ax.lines or ax.collections or ax.patches
                                  for ax in fig.axes)


def test_every_figure_function_returns_a_drawn_figure():
    images = torch.rand(12, 1, 8, 8)
    history = train.History(loss=[1.0, 0.5, 0.25], val_loss=[1.1, 0.6, 0.3])
    figures = [
        viz.image_grid(images, title="grid"),
        viz.compare_rows({"a": images, "b": images.flatten(1)}, n=6),
        viz.reconstructions(images, images, n=4),
        viz.code_scatter(torch.randn(50, 2), torch.randint(0, 10, (50,))),
        viz.filter_mosaic(torch.randn(16, 64), (8, 8)),
        viz.sparsity_histogram({"dense": torch.randn(100, 8), "sparse": torch.relu(torch.randn(100, 8))}),
        viz.training_curves({"model": history, "list": [2.0, 1.0]}),
        viz.tradeoff_curve([1, 2, 3], [3, 2, 1], "x", "y", labels=["a", "b", "c"], logx=True),
        viz.bar_table({"pixels": 0.9, "pca": 0.85}, "accuracy"),
    ]
    for fig in figures:
        assert isinstance(fig, Figure) and _has_content(fig)
        fig.canvas.draw()  # renders without error


def test_figures_reject_bad_input_with_clear_messages():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        viz.image_grid(torch.rand(4, 1, 8, 8) * 255)
    with pytest.raises(ValueError, match="project them to 2-D"):
        viz.code_scatter(torch.randn(10, 3), torch.zeros(10))
    with pytest.raises(ValueError, match="shape="):
        viz.image_grid(np.random.rand(4, 10))


def test_sparsity_histogram_reports_the_share_of_exact_zeros():
    fig = viz.sparsity_histogram({"codes": torch.tensor([[0.0, 0.0, 0.0, 1.0]])})
    assert "75% exactly zero" in fig.axes[0].get_title()
