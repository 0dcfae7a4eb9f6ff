"""aeutils.vae_diagnostics on a small VAE: exact identities (K = 1 is the ELBO, the bound grows
with K, beta = 1 is the VAE's own loss) and plausible wrong inputs."""

from __future__ import annotations

import math

import pytest
import torch

import aeutils
from aeutils import losses, models
from aeutils import vae_diagnostics as vd


@pytest.fixture(scope="module")
def vae_and_images():
    aeutils.seed_everything(0)
    vae = models.VAE((1, 4, 4), latent_size=3, hidden=(16,)).eval()
    images = (torch.rand(40, 1, 4, 4, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    return vae, images


def test_beta_one_is_the_vaes_own_loss_and_beta_scales_the_kl(vae_and_images):
    vae, x = vae_and_images
    values = []
    with torch.no_grad():
        for beta in (1.0, 0.0, 3.0):
            aeutils.seed_everything(5)
            values.append(float(vd.beta_elbo_loss(beta)(vae, x)))
        aeutils.seed_everything(5)
        assert values[0] == pytest.approx(float(vae.loss(x)), rel=1e-6)
        aeutils.seed_everything(5)
        out = vae(x, sample=True)
    kl = float(losses.gaussian_kl(out.mu, out.logvar).mean())
    assert values[2] - values[1] == pytest.approx(3.0 * kl, rel=1e-5)
    with pytest.raises(ValueError, match="beta"):
        vd.beta_elbo_loss(-1.0)


def test_active_units_count_the_dimensions_whose_mean_moves_with_x(vae_and_images):
    vae, x = vae_and_images
    means = vd.posterior_means(vae, x)
    assert means.shape == (40, 3)
    variance = means.var(0)
    for threshold in (float(variance.min()) / 2, float(variance.max()) * 2):
        assert vd.active_units(vae, x, threshold) == int((variance > threshold).sum())
    with pytest.raises(ValueError, match="threshold"):
        vd.active_units(vae, x, 0.0)


def test_rate_and_distortion_add_up_to_minus_the_elbo(vae_and_images):
    vae, x = vae_and_images
    rd = vd.rate_distortion(vae, x, samples=200, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        mu, logvar = vae.posterior(x)
        elbo = float(torch.stack([vae.elbo(x, torch.Generator().manual_seed(s)).mean()
                                  for s in range(200)]).mean())
    assert rd.rate == pytest.approx(float(losses.gaussian_kl(mu, logvar).mean()), rel=1e-5)
    assert rd.elbo == pytest.approx(elbo, abs=0.05)
    assert rd.elbo == -(rd.rate + rd.distortion)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        vd.rate_distortion(vae, 2 * x)


def test_the_importance_weighted_bound_is_the_elbo_at_one_sample_and_grows_with_k(vae_and_images):
    vae, x = vae_and_images
    one = vd.importance_weighted_log_likelihood(vae, x, k=1, generator=torch.Generator().manual_seed(3))
    # k = 1: log p(x|z) + log p(z) - log q(z|x) for one z, whose expectation is the ELBO
    with torch.no_grad():
        elbo = float(torch.stack([vae.elbo(x, torch.Generator().manual_seed(s)).mean()
                                  for s in range(300)]).mean())
    many_ones = torch.stack([vd.importance_weighted_log_likelihood(
        vae, x, k=1, generator=torch.Generator().manual_seed(s)) for s in range(300)]).mean()
    assert one.shape == (40,)
    assert float(many_ones) == pytest.approx(elbo, abs=0.05)
    bounds = [float(vd.importance_weighted_log_likelihood(
        vae, x, k=k, generator=torch.Generator().manual_seed(4)).mean()) for k in (1, 10, 100)]
    assert bounds[0] < bounds[1] < bounds[2]
    with pytest.raises(ValueError, match="k must be"):
        vd.importance_weighted_log_likelihood(vae, x, k=0)


def test_the_bound_is_exact_when_q_is_the_true_posterior():
    """A decoder that ignores z: p(x|z) = p(x), so the posterior is the prior; a VAE whose encoder
    outputs the prior (mu = 0, logvar = 0) then has ELBO = log p(x) for every K."""
    vae = models.VAE((1, 2, 2), latent_size=2, hidden=(4,))
    with torch.no_grad():
        for layer in vae.encoder:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.zero_()
                layer.bias.zero_()
        last = [m for m in vae.decoder if isinstance(m, torch.nn.Linear)][-1]
        last.weight.zero_()
        last.bias.copy_(torch.tensor([0.0, 1.0, -1.0, 2.0]))
    x = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])
    exact = float(losses.bernoulli_log_likelihood(last.bias.detach().reshape(1, 1, 2, 2), x))
    for k in (1, 7):
        bound = vd.importance_weighted_log_likelihood(vae, x, k=k, generator=torch.Generator().manual_seed(0))
        assert float(bound) == pytest.approx(exact, abs=1e-5)
    assert not math.isnan(exact)
