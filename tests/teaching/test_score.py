"""aeutils.score: the exact score of a Gaussian mixture, Tweedie's denoiser, and the tools that
compare a learned denoiser with them (lecture 04, section 5)."""

from __future__ import annotations

import math

import pytest
import torch
from matplotlib.figure import Figure

from aeutils import score


def _mixture(weights=(0.5, 0.3, 0.2)) -> score.GaussianMixture:
    return score.GaussianMixture(torch.tensor([[-1.0, 0.0], [1.0, 0.5], [0.0, 2.0]]),
                                 torch.tensor([0.3, 0.5, 0.2]), torch.tensor(weights))


def test_the_score_is_the_gradient_of_the_log_density():
    mixture, h = _mixture(), 1e-5
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 1.5
    for axis in range(2):
        step = torch.zeros(2, dtype=torch.float64)
        step[axis] = h
        central = (mixture.log_density(x + step) - mixture.log_density(x - step)) / (2 * h)
        assert torch.allclose(mixture.score(x)[:, axis], central, atol=1e-6)


def test_log_density_integrates_to_one():
    mixture = _mixture()
    side = torch.linspace(-4, 5, 401, dtype=torch.float64)
    gx, gy = torch.meshgrid(side, side, indexing="xy")
    density = mixture.log_density(torch.stack([gx.flatten(), gy.flatten()], 1)).exp()
    assert float(density.sum() * (side[1] - side[0]) ** 2) == pytest.approx(1.0, abs=1e-4)


def test_noisy_mixture_is_the_density_of_noised_samples():
    mixture, sigma = _mixture(), 0.4
    g = torch.Generator().manual_seed(1)
    noised = mixture.sample(200_000, g) + sigma * torch.randn(200_000, 2, generator=g)
    noisy = mixture.noisy(sigma)
    assert torch.allclose(noisy.stds, torch.sqrt(mixture.stds**2 + sigma**2))
    # average log density of the noised samples: highest under the right noise level
    right = float(noisy.log_density(noised).mean())
    assert right > float(mixture.noisy(0.2).log_density(noised).mean()) + 0.01
    assert right > float(mixture.noisy(0.6).log_density(noised).mean()) + 0.01


def test_tweedie_denoiser_is_the_bayes_posterior_mean():
    """x~ + sigma^2 grad log p_sigma(x~) equals sum_k P(k | x~) E[x | x~, k], computed directly."""
    mixture, sigma = _mixture(), 0.5
    noisy = torch.randn(100, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    var = mixture.stds**2
    post = mixture.noisy(sigma).responsibilities(noisy)                        # (n, K)
    shrink = (var / (var + sigma**2))[None, :, None]
    per_component = mixture.means[None] + shrink * (noisy[:, None, :] - mixture.means[None])
    direct = (post[:, :, None] * per_component).sum(1)
    assert torch.allclose(score.optimal_denoiser(mixture, sigma, noisy), direct, atol=1e-12)


def test_for_one_gaussian_tweedie_is_the_wiener_filter():
    """A single Gaussian N(m, s^2 I): the best denoiser is linear, m + s^2 / (s^2 + sigma^2) (x~ - m)."""
    m, s, sigma = torch.tensor([[0.3, -0.2]]), 0.7, 0.4
    single = score.GaussianMixture(m, torch.tensor([s]), torch.tensor([1.0]))
    noisy = torch.randn(20, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    wiener = m.double() + s**2 / (s**2 + sigma**2) * (noisy - m.double())
    assert torch.allclose(score.optimal_denoiser(single, sigma, noisy), wiener, atol=1e-12)


def test_tweedie_denoiser_beats_other_denoisers_on_samples():
    mixture, sigma = _mixture(), 0.5
    g = torch.Generator().manual_seed(4)
    clean = mixture.sample(50_000, g).double()
    noisy = clean + sigma * torch.randn(clean.shape, generator=g, dtype=torch.float64)
    best = score.optimal_denoiser(mixture, sigma, noisy)

    def mse(estimate):
        return float(((estimate - clean) ** 2).sum(1).mean())

    assert mse(best) < 0.6 * mse(noisy)                       # far better than doing nothing
    assert mse(best) < mse(score.optimal_denoiser(mixture, 0.8 * sigma, noisy))  # wrong level
    assert mse(best) < mse(score.optimal_denoiser(_mixture((0.2, 0.3, 0.5)), sigma, noisy))


def test_residual_score_and_score_error():
    noisy = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    denoised = torch.tensor([[0.5, 0.0], [1.0, 0.0]])
    assert torch.allclose(score.residual_score(denoised, noisy, 0.5),
                          torch.tensor([[2.0, 0.0], [0.0, -4.0]], dtype=torch.float64))
    truth = torch.tensor([[1.0, 0.0], [0.0, -2.0]])
    assert score.score_error(truth, truth) == score.ScoreError(1.0, 0.0)
    assert score.score_error(torch.zeros(2, 2), truth).relative == pytest.approx(1.0)
    assert score.score_error(-truth, truth) == score.ScoreError(-1.0, 4.0)
    half = score.score_error(torch.tensor([[1.0, 1.0], [0.0, -2.0]]), truth)
    assert half.cosine == pytest.approx((math.sqrt(0.5) + 1) / 2)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        score.residual_score(denoised, noisy, 0.0)
    with pytest.raises(ValueError, match="differ"):
        score.residual_score(denoised[:1], noisy, 0.5)
    with pytest.raises(ValueError, match="one shape"):
        score.score_error(truth, truth[:1])


def test_mixture_rejects_bad_parameters():
    with pytest.raises(ValueError, match="sum to 1"):
        score.GaussianMixture(torch.zeros(2, 2), torch.ones(2), torch.tensor([0.5, 0.6]))
    with pytest.raises(ValueError, match="positive"):
        score.GaussianMixture(torch.zeros(2, 2), torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"means \(K, d\)"):
        score.GaussianMixture(torch.zeros(2), torch.ones(2), torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        _mixture().score(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        _mixture().noisy(-0.1)


def test_mode_shares_near_share_and_total_variation():
    mixture = _mixture()
    samples = mixture.sample(100_000, torch.Generator().manual_seed(5))
    shares = mixture.mode_shares(samples)
    assert shares.sum() == pytest.approx(1.0)
    # the components overlap a little, so nearest-mean shares are close to the weights, not equal
    assert score.total_variation(shares, mixture.weights) < 0.03
    assert mixture.near_share(mixture.means.float()) == 1.0
    assert mixture.near_share(torch.tensor([[10.0, 10.0]])) == 0.0
    assert score.total_variation(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == 1.0
    far_apart = score.GaussianMixture(torch.tensor([[-50.0, 0.0], [50.0, 0.0]]), torch.ones(2),
                                      torch.tensor([0.5, 0.5]))
    points = far_apart.sample(100_000, torch.Generator().manual_seed(6))
    assert far_apart.near_share(points) == pytest.approx(1 - math.exp(-2), abs=0.005)


def test_annealed_langevin_with_the_exact_score_samples_the_density():
    """With exact scores the sampler recovers the weights (which one noise level alone does not)."""
    mixture = score.GaussianMixture(torch.tensor([[-2.0, 0.0], [2.0, 0.0]]),
                                    torch.tensor([0.3, 0.3]), torch.tensor([0.8, 0.2]))
    levels = [2.0, 1.0, 0.5, 0.25]
    start = torch.randn(4000, 2, generator=torch.Generator().manual_seed(7)) * 3

    def sample(levels):
        return score.annealed_langevin([mixture.noisy(s).score for s in levels], levels, start,
                                       steps=60, step_size=0.2,
                                       generator=torch.Generator().manual_seed(8))

    annealed = mixture.mode_shares(sample(levels))
    assert score.total_variation(annealed, mixture.weights) < 0.05
    stuck = mixture.mode_shares(sample(levels[-1:]))        # each point goes to its nearest mode
    assert score.total_variation(stuck, mixture.weights) > 0.15
    with pytest.raises(ValueError, match="decrease"):
        score.annealed_langevin([mixture.score] * 2, [0.5, 1.0], start)
    with pytest.raises(ValueError, match="one score per noise level"):
        score.annealed_langevin([mixture.score], [1.0, 0.5], start)


def test_figures_draw_every_panel_and_refuse_other_dimensions():
    mixture = _mixture()
    fig = score.field_figure({"a": mixture.score, "b": lambda p: -mixture.score(p)}, mixture, 3.0)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    fig = score.samples_figure({"x": mixture.sample(10), "y": mixture.sample(10), "z": mixture.means},
                               mixture, 3.0, title="t")
    assert len(fig.axes) == 3
    three_d = score.GaussianMixture(torch.zeros(1, 3), torch.ones(1), torch.ones(1))
    with pytest.raises(ValueError, match="2-D"):
        score.field_figure({"a": three_d.score}, three_d, 1.0)
