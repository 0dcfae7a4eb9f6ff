import pytest
import torch

from aeutils import models

IMAGE_MODELS = [
    lambda: models.LinearAutoencoder((1, 8, 8), 4),
    lambda: models.MLPAutoencoder((1, 8, 8), 4, hidden=(32,)),
    lambda: models.ConvAutoencoder((1, 8, 8), 4, channels=(4, 8)),
    lambda: models.SparseAutoencoder((1, 8, 8), 128, sparsity="l1"),
    lambda: models.SparseAutoencoder((1, 8, 8), 128, sparsity="kl"),
    lambda: models.SparseAutoencoder((1, 8, 8), 128, sparsity="topk", k=5),
    lambda: models.SparseAutoencoder((1, 8, 8), 128, sparsity="lifetime", fraction=0.1),
    lambda: models.DenoisingAutoencoder(models.MLPAutoencoder((1, 8, 8), 4), "masking", 0.3),
    lambda: models.VAE((1, 8, 8), latent_size=3, hidden=(32,)),
]


@pytest.mark.parametrize("make", IMAGE_MODELS)
def test_encode_decode_forward_and_loss_shapes(make):
    model = make()
    x = torch.rand(6, 1, 8, 8)
    h = model.encode(x)
    assert h.shape == (6, model.code_size)
    assert model.decode(h).shape == (6, 1, 8, 8)
    out = model(x)
    assert out.h.shape == (6, model.code_size) and out.x_hat.shape == x.shape
    assert model(x.reshape(6, 64)).x_hat.shape == (6, 64)  # flat input, flat output
    loss = model.loss(x)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("make", IMAGE_MODELS)
def test_bad_input_gets_a_message_naming_the_expected_shape_and_dtype(make):
    model = make()
    with pytest.raises(ValueError, match=r"\(batch, 1, 8, 8\)"):
        model.encode(torch.rand(6, 1, 28, 28))
    with pytest.raises(ValueError, match="unsqueeze"):
        model.encode(torch.rand(1, 8, 8))
    with pytest.raises(TypeError, match="floating-point"):
        model.encode(torch.randint(0, 255, (6, 1, 8, 8)))
    with pytest.raises(ValueError, match=f"\\(batch, {model.code_size}\\)"):
        model.decode(torch.rand(6, model.code_size + 1))


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="k=200"):
        models.SparseAutoencoder(64, 128, sparsity="topk", k=200)
    with pytest.raises(ValueError, match="sparsity"):
        models.SparseAutoencoder(64, 128, sparsity="l0")
    with pytest.raises(ValueError, match="code_size"):
        models.MLPAutoencoder(64, 0)
    with pytest.raises(ValueError, match="divisible by 4"):
        models.ConvAutoencoder((1, 10, 10), 4)
    with pytest.raises(ValueError, match="output"):
        models.MLPAutoencoder(64, 4, output="tanh")
    with pytest.raises(ValueError, match="unknown noise"):
        models.DenoisingAutoencoder(models.MLPAutoencoder(64, 4), "speckle")


def test_sparse_codes_have_the_promised_form():
    x = torch.rand(50, 64)
    topk = models.SparseAutoencoder(64, 128, sparsity="topk", k=7)
    assert ((topk.encode(x) != 0).sum(1) <= 7).all()
    kl = models.SparseAutoencoder(64, 128, sparsity="kl")
    h = kl.encode(x).detach()
    assert float(h.min()) > 0 and float(h.max()) < 1
    l1 = models.SparseAutoencoder(64, 128, sparsity="l1")
    assert float(l1.encode(x).detach().min()) >= 0
    norms = l1.dictionary().norm(dim=0)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-5)


def test_lifetime_sparsity_learns_a_threshold_for_single_images():
    model = models.SparseAutoencoder(64, 32, sparsity="lifetime", fraction=0.1)
    x = torch.rand(100, 64)
    model.train()
    h = model.encode(x)
    assert ((h != 0).sum(0) <= 10).all()
    # units that won on some sample set a threshold (a unit silent on the whole batch keeps 0)
    assert float((model.threshold > 0).float().mean()) > 0.8
    model.eval()
    one = model.encode(x[:1])
    assert one.shape == (1, 32) and (one == 0).any()


def test_denoising_wrapper_corrupts_only_in_its_loss():
    inner = models.MLPAutoencoder(64, 4)
    dae = models.DenoisingAutoencoder(inner, "masking", 0.5, generator=torch.Generator().manual_seed(0))
    x = torch.rand(8, 64)
    assert torch.equal(dae(x).x_hat, inner(x).x_hat)
    assert not torch.equal(dae.corrupt(x), x)
    assert dae.input_shape == (64,) and dae.code_size == 4


def test_vae_reparameterization_is_differentiable_and_sampling_works():
    vae = models.VAE(64, latent_size=2, hidden=(16,))
    mu = torch.zeros(5, 2, requires_grad=True)
    logvar = torch.zeros(5, 2, requires_grad=True)
    z = vae.reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    z.sum().backward()
    assert torch.equal(mu.grad, torch.ones(5, 2)) and logvar.grad.abs().sum() > 0
    samples = vae.sample(4, torch.Generator().manual_seed(0))
    assert samples.shape == (4, 64) and float(samples.min()) >= 0 and float(samples.max()) <= 1
    out = vae(torch.rand(3, 64))
    assert out.mu.shape == out.logvar.shape == (3, 2) and out.logits.shape == (3, 64)


def test_masked_token_denoiser_shapes_and_errors():
    model = models.MaskedTokenDenoiser(vocab_size=50, max_len=16, dim=32, heads=4, layers=1,
                                       generator=torch.Generator().manual_seed(0))
    tokens = torch.randint(4, 50, (3, 16))
    h, logits = model(tokens)
    assert h.shape == (3, 16, 32) and logits.shape == (3, 16, 50)
    assert torch.isfinite(model.loss(tokens))
    with pytest.raises(TypeError, match="integer"):
        model(tokens.float())
    with pytest.raises(ValueError, match="max_len"):
        model(torch.randint(4, 50, (3, 17)))
    with pytest.raises(ValueError, match="0..49"):
        model(torch.full((1, 4), 50))
    with pytest.raises(ValueError, match="divisible"):
        models.MaskedTokenDenoiser(50, dim=30, heads=4)


def test_copy_task_scores_every_position():
    model = models.MaskedTokenDenoiser(vocab_size=20, max_len=8, dim=16, heads=2, layers=1, rate=0.0)
    tokens = torch.randint(4, 20, (2, 8))
    logits = model(tokens).x_hat
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, 20), tokens.reshape(-1))
    assert float(model.loss(tokens).detach()) == pytest.approx(float(expected.detach()), rel=1e-5)


def test_masked_loss_equals_masked_token_loss_on_the_same_corruption():
    from aeutils import losses, noise

    model = models.MaskedTokenDenoiser(vocab_size=30, max_len=10, dim=16, heads=2, layers=1,
                                       generator=torch.Generator().manual_seed(3))
    tokens = torch.randint(4, 30, (8, 10))
    value = model.loss(tokens)
    again = noise.bert_mask(tokens, 2, 30, 0.15, torch.Generator().manual_seed(3), 4)
    expected = losses.masked_token_loss(model(again.tokens).x_hat, again.targets, again.mask)
    assert float(value.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)


def test_denoising_wrapper_clips_by_default_and_can_train_on_additive_noise():
    inner = models.MLPAutoencoder(64, 4, hidden=(16,))
    x = torch.rand(200, 64)
    default = models.DenoisingAutoencoder(inner, "gaussian", 0.5, torch.Generator().manual_seed(0))
    additive = models.DenoisingAutoencoder(inner, "gaussian", 0.5, torch.Generator().manual_seed(0),
                                           clip=False)
    assert default.clip is True and additive.clip is False
    seen_default, seen_additive = default.corrupt(x), additive.corrupt(x)
    assert 0 <= seen_default.min() and seen_default.max() <= 1
    assert seen_additive.min() < -0.5 and seen_additive.max() > 1.5
    assert torch.allclose(seen_additive - x, 0.5 * torch.randn(200, 64,
                          generator=torch.Generator().manual_seed(0)), atol=1e-6)  # x + N(0, 0.5^2)


def test_vae_is_deterministic_in_eval_mode_and_its_elbo_still_samples():
    from aeutils import metrics, train

    torch.manual_seed(0)
    vae = models.VAE(64, latent_size=2, hidden=(16,))
    with torch.no_grad():
        vae.encoder[-1].bias[2:].fill_(1.0)  # a wide posterior (sigma = e^0.5): sampling shows
    x = torch.rand(20, 64)
    vae.eval()
    first, second = train.reconstruct(vae, x), train.reconstruct(vae, x)
    assert torch.equal(first, second)
    assert torch.allclose(first, vae.decode(vae.encode(x)))        # eval decodes z = mu
    assert metrics.reconstruction_error(vae, x) == metrics.reconstruction_error(vae, x)
    with torch.no_grad():
        assert not torch.equal(vae.elbo(x), vae.elbo(x))              # the ELBO samples in any mode
        assert not torch.equal(vae(x, sample=True).h, vae(x).h)
        vae.train()
        assert not torch.equal(vae(x).h, vae(x).h)                    # training samples z
