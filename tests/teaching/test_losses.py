import math

import pytest
import torch

from aeutils import losses


def test_mse_and_bce_values():
    x = torch.tensor([[0.0, 1.0]])
    x_hat = torch.tensor([[0.5, 0.5]])
    assert float(losses.mse(x_hat, x)) == pytest.approx(0.25)
    assert float(losses.bce(x_hat, x)) == pytest.approx(math.log(2))
    assert float(losses.bce(torch.zeros(1, 2), x, logits=True)) == pytest.approx(math.log(2))


def test_losses_reject_bad_input_with_a_clear_message():
    with pytest.raises(ValueError, match="same shape"):
        losses.mse(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(TypeError, match="floating-point"):
        losses.mse(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        losses.bce(torch.full((1, 2), 0.5), torch.tensor([[0.0, 255.0]]))
    with pytest.raises(ValueError, match="logits=True"):
        losses.bce(torch.tensor([[2.0, -1.0]]), torch.tensor([[0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"\(batch, code_size\)"):
        losses.l1_sparsity(torch.zeros(4))


def test_l1_value_and_its_sign_gradient():
    h = torch.tensor([[0.001, -2.0, 0.0], [3.0, 0.5, -0.1]], requires_grad=True)
    value = losses.l1_sparsity(h)
    assert float(value.detach()) == pytest.approx((2.001 + 3.6) / 2)
    value.backward()
    # the same push towards 0 for tiny and large activations; 0 exactly at 0 (torch's subgradient)
    assert torch.equal(h.grad * 2, torch.tensor([[1.0, -1.0, 0.0], [1.0, 1.0, -1.0]]))


def test_kl_sparsity_is_zero_at_target_and_positive_elsewhere():
    on_target = torch.full((10, 4), 0.05)
    assert float(losses.kl_sparsity(on_target, rho=0.05)) == pytest.approx(0.0, abs=1e-6)
    busy = torch.full((10, 4), 0.5)
    expected = 4 * (0.05 * math.log(0.05 / 0.5) + 0.95 * math.log(0.95 / 0.5))
    assert float(losses.kl_sparsity(busy, rho=0.05)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="sigmoid"):
        losses.kl_sparsity(torch.full((2, 2), 2.0))
    with pytest.raises(ValueError, match="rho"):
        losses.kl_sparsity(busy, rho=1.5)


def test_topk_keeps_exactly_k_largest():
    h = torch.rand(32, 50) + 0.01
    sparse = losses.topk(h, 5)
    assert ((sparse != 0).sum(dim=1) == 5).all()
    kept = sparse.max(dim=1).values
    assert torch.equal(kept, h.max(dim=1).values)
    assert torch.equal(sparse[sparse != 0], h[sparse != 0])
    for bad in (0, 51, 2.5):
        with pytest.raises(ValueError, match="k must be"):
            losses.topk(h, bad)


def test_lifetime_topk_gives_every_unit_its_share_of_the_batch():
    h = torch.rand(100, 20) + 0.01
    sparse = losses.lifetime_topk(h, 0.05)
    assert ((sparse != 0).sum(dim=0) == 5).all()  # each unit wins on exactly 5 of 100 samples
    assert torch.equal(sparse.max(dim=0).values, h.max(dim=0).values)
    with pytest.raises(ValueError):
        losses.lifetime_topk(h, 0.0)


def test_masked_token_loss_counts_only_masked_positions():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 7)
    targets = torch.randint(0, 7, (2, 5))
    mask = torch.zeros(2, 5, dtype=torch.bool)
    mask[0, 1] = mask[1, 3] = True
    base = losses.masked_token_loss(logits, targets, mask)
    changed = logits.clone()
    changed[~mask] = torch.randn(8, 7) * 10  # unmasked positions do not matter
    assert float(losses.masked_token_loss(changed, targets, mask)) == pytest.approx(float(base))
    expected = torch.nn.functional.cross_entropy(logits[mask], targets[mask])
    assert float(base) == pytest.approx(float(expected))
    with pytest.raises(ValueError, match="no position"):
        losses.masked_token_loss(logits, targets, torch.zeros_like(mask))
    with pytest.raises(TypeError, match="integer"):
        losses.masked_token_loss(logits, targets.float(), mask)


def test_gaussian_kl_matches_torch_and_a_monte_carlo_estimate():
    torch.manual_seed(0)
    mu, logvar = torch.randn(3, 4), torch.randn(3, 4) * 0.5
    closed = losses.gaussian_kl(mu, logvar)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    assert torch.allclose(closed, torch.distributions.kl_divergence(q, p).sum(1), atol=1e-5)
    z = q.sample((200_000,))
    monte_carlo = (q.log_prob(z) - p.log_prob(z)).sum(-1).mean(0)
    assert torch.allclose(closed, monte_carlo, atol=0.03)
    assert float(losses.gaussian_kl(torch.zeros(1, 3), torch.zeros(1, 3))) == 0.0


def test_elbo_is_log_likelihood_minus_kl():
    x = torch.tensor([[1.0, 0.0]])
    logits = torch.tensor([[0.0, 0.0]])
    mu, logvar = torch.zeros(1, 2), torch.zeros(1, 2)
    assert float(losses.elbo(logits, x, mu, logvar)) == pytest.approx(2 * math.log(0.5))
    mu = torch.ones(1, 2)
    assert float(losses.elbo(logits, x, mu, logvar)) == pytest.approx(2 * math.log(0.5) - 1.0)
