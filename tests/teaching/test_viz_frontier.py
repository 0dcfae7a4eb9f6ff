"""viz.curves and viz.density_histogram: drawn figures, and clear errors for bad input."""

from __future__ import annotations

import pytest
import torch

from aeutils import viz


def test_curves_and_density_histogram_draw_figures():
    fig = viz.curves({"top-k": ([8, 2, 4], [0.1, 0.3, 0.2]), "L1": ([30, 5], [0.2, 0.8])},
                     "mean L0", "FVU", logx=True, title="frontier")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["top-k", "L1"]
    assert list(ax.lines[0].get_xdata()) == [2, 4, 8]          # drawn in order of x
    assert ax.get_xscale() == "log"
    rates = torch.tensor([0.0, 0.0, 0.01, 0.1, 0.5])
    fig = viz.density_histogram({"sae": rates})
    assert "2 of 5 never fire" in fig.axes[0].get_title()


def test_curves_and_density_histogram_reject_bad_input():
    with pytest.raises(ValueError, match="2 x values but 3 y values"):
        viz.curves({"a": ([1, 2], [1, 2, 3])}, "x", "y")
    with pytest.raises(ValueError, match="empty"):
        viz.curves({}, "x", "y")
    with pytest.raises(ValueError, match="shares in \\[0, 1\\]"):
        viz.density_histogram({"counts": torch.tensor([3.0, 10.0])})
