"""Every course model follows one interface, and ``fit(model, x)`` with its defaults (or the
model's own recipe) trains each one to beat a trivial baseline on held-out data."""

from __future__ import annotations

import math

import pytest
import torch

from aeutils import data, english, losses, masking, models, noise, rng, train

SHAPE = (1, 8, 8)

IMAGE_MODELS = {
    "linear": lambda: models.LinearAutoencoder(SHAPE, 4),
    "mlp": lambda: models.MLPAutoencoder(SHAPE, 4, hidden=(32,)),
    "conv": lambda: models.ConvAutoencoder(SHAPE, 4, channels=(4, 8)),
    "sparse-l1": lambda: models.SparseAutoencoder(SHAPE, 96, sparsity="l1"),
    "sparse-kl": lambda: models.SparseAutoencoder(SHAPE, 96, sparsity="kl"),
    "sparse-topk": lambda: models.SparseAutoencoder(SHAPE, 96, sparsity="topk", k=5, aux_k=8),
    "sparse-lifetime": lambda: models.SparseAutoencoder(SHAPE, 96, sparsity="lifetime"),
    "denoising": lambda: models.DenoisingAutoencoder(models.MLPAutoencoder(SHAPE, 4), "gaussian",
                                                     0.3, generator=rng.generator(0)),
    "vae": lambda: models.VAE(SHAPE, latent_size=3, hidden=(32,)),
}


def _token_model() -> models.MaskedTokenDenoiser:
    return models.MaskedTokenDenoiser(vocab_size=40, max_len=12, dim=16, heads=2, layers=1,
                                      generator=rng.generator(0))


def _cases():
    for name, make in IMAGE_MODELS.items():
        yield pytest.param(make, lambda: torch.rand(6, *SHAPE), id=name)
    yield pytest.param(_token_model, lambda: torch.randint(4, 40, (6, 12)), id="masked-token")


@pytest.mark.parametrize(("make", "inputs"), list(_cases()))
def test_every_model_follows_the_one_interface(make, inputs):
    model, x = make(), inputs()
    assert isinstance(model, models.AutoencoderModel) and isinstance(model, models.CourseModel)
    assert isinstance(model.input_shape, tuple) and model.input_dim == math.prod(model.input_shape)
    assert isinstance(model.code_size, int) and model.code_size > 0
    model.eval()
    h = model.encode(x)
    assert h.shape[0] == len(x) and h.shape[-1] == model.code_size
    x_hat = model.decode(h)
    out = model(x)
    assert isinstance(out, tuple) and out[0] is out.h and out[1] is out.x_hat
    assert torch.equal(out.h, h) and torch.equal(out.x_hat.reshape(x_hat.shape), x_hat)
    if x.is_floating_point():
        assert out.x_hat.shape == x.shape and x_hat.shape == (len(x), *model.input_shape)
    else:  # token ids in, a score per vocabulary entry out
        assert out.x_hat.shape == (*x.shape, model.vocab_size)
    # eval mode is deterministic, whatever the global random state
    torch.manual_seed(123)
    again = model(x)
    assert torch.equal(again.h, out.h) and torch.equal(again.x_hat, out.x_hat)
    model.train()
    value = model.loss(x)
    assert isinstance(value, torch.Tensor) and value.ndim == 0 and torch.isfinite(value)
    assert value.requires_grad
    value.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_a_model_written_elsewhere_can_be_checked_against_the_interface():
    class Student(torch.nn.Module):
        input_shape, input_dim, code_size = (64,), 64, 2

        def encode(self, x):
            return x[:, :2]

        def decode(self, h):
            return h.repeat(1, 32)

        def loss(self, x):
            return x.sum()

    assert isinstance(Student(), models.AutoencoderModel)
    del Student.loss
    assert not isinstance(Student(), models.AutoencoderModel)


def test_the_shapes_are_computed_one_way():
    inner = models.ConvAutoencoder(SHAPE, 4, channels=(4, 8))
    dae = models.DenoisingAutoencoder(inner, "masking", 0.3)
    vae = models.VAE((1, 4, 6), latent_size=3)
    assert (dae.input_shape, dae.input_dim, dae.code_size) == (SHAPE, 64, 4)
    assert (vae.input_shape, vae.input_dim, vae.code_size, vae.latent_size) == ((1, 4, 6), 24, 3, 3)
    assert type(vae).input_dim is models.CourseModel.input_dim  # not a copy of the rule
    token = _token_model()
    assert (token.input_shape, token.input_dim, token.code_size) == ((12,), 12, 16)


def test_models_state_their_recipe_and_fit_uses_it_unless_told_otherwise():
    linear = models.LinearAutoencoder(SHAPE, 4)
    token = _token_model()
    assert train.fit_recipe(linear)["optimizer"] == "lbfgs"
    assert train.fit_recipe(token) == dict(train.DEFAULT_RECIPE, lr=1e-2)
    assert train.fit_recipe(token, lr=5e-3)["lr"] == 5e-3          # the caller wins
    assert train.fit_recipe(token, batch_size=32)["lr"] == 3e-3    # their own recipe: defaults
    # a denoising wrapper trains the way its model does
    dae = models.DenoisingAutoencoder(linear, "gaussian", 0.3)
    assert train.fit_recipe(dae) == train.fit_recipe(linear)
    assert train.fit_recipe(models.MLPAutoencoder(SHAPE, 4)) == train.DEFAULT_RECIPE
    typo = models.MLPAutoencoder(SHAPE, 4)
    typo.recommended_fit = {"learning_rate": 1e-2}
    with pytest.raises(ValueError, match="learning_rate"):
        train.fit_recipe(typo)


@pytest.fixture(scope="module")
def digits_split(digits):
    x_train, x_test, _, _ = data.train_test_split(*digits, test_fraction=0.2, seed=0)
    return x_train, x_test


# LinearAutoencoder's plain fit is checked against PCA itself, a stronger claim, in test_science.py
# (test_plain_fit_of_a_linear_autoencoder_reaches_pca); here its recipe reaches it through the DAE.
DEFAULT_FITS = {
    "mlp": lambda: models.MLPAutoencoder(SHAPE, 8),
    "conv": lambda: models.ConvAutoencoder(SHAPE, 8),
    "sparse": lambda: models.SparseAutoencoder(SHAPE, 128),
    "denoising-linear": lambda: models.DenoisingAutoencoder(
        models.LinearAutoencoder(SHAPE, 8), "gaussian", 0.3, generator=rng.generator(0)),
    "vae": lambda: models.VAE(SHAPE, latent_size=8),
}


@pytest.mark.parametrize("name", list(DEFAULT_FITS))
def test_fit_with_defaults_beats_the_mean_image_on_held_out_digits(name, digits_split):
    x_train, x_test = digits_split
    model = DEFAULT_FITS[name]()
    train.fit(model, x_train, quiet=True, device="cpu")
    mean_image = float(((x_test - x_train.mean(0)) ** 2).mean())
    error = float(((train.reconstruct(model, x_test) - x_test) ** 2).mean())
    assert error < 0.7 * mean_image, (name, error, mean_image)
    if name == "vae":  # and its bound beats independent pixels, each Bernoulli at its mean
        with torch.no_grad():
            nll = float(-model.elbo(x_test, rng.generator(0)).mean())
            p = x_train.mean(0).clamp(1e-4, 1 - 1e-4).expand_as(x_test)
            independent = float(-losses.bernoulli_log_likelihood(torch.logit(p), x_test).mean())
        assert nll < independent, (nll, independent)


def test_fit_with_the_recipe_beats_the_most_frequent_token_on_held_out_prose():
    prose = english.prose_data()
    tok = prose.tokenizer
    model = models.MaskedTokenDenoiser(tok.vocab_size, max_len=prose.train_blocks.shape[1],
                                       dim=32, heads=2, layers=1, mask_id=tok.MASK,
                                       num_special=tok.num_special, generator=rng.generator(0))
    train.fit(model, prose.train_blocks, quiet=True, device="cpu")
    hits = baseline_hits = scored = 0.0
    for seed in range(4):  # four maskings of the held-out blocks: ~2,000 scored positions
        held = noise.bert_mask(prose.test_blocks, tok.MASK, tok.vocab_size, 0.15,
                               rng.generator(seed), tok.num_special, mask_prob=1.0, random_prob=0.0)
        n = float(held.mask.sum())
        hits += masking.masked_token_accuracy(model, held) * n
        baseline_hits += masking.frequency_baseline(prose.train_blocks, held, tok.num_special)[1] * n
        scored += n
    accuracy, baseline = hits / scored, baseline_hits / scored
    print(f"masked-token accuracy {accuracy:.3f}, most frequent token {baseline:.3f}")
    assert accuracy > baseline + 0.015, (accuracy, baseline)
