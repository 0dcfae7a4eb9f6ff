import copy
import math

import pytest
import torch

from aeutils import models, train


def test_fit_lowers_the_loss_and_returns_a_history(digits):
    x = digits[0]
    model = models.MLPAutoencoder((1, 8, 8), 8, hidden=(32,))
    before = train.evaluate(model, x)
    history = train.fit(model, x, epochs=5, batch_size=256, lr=1e-2, x_val=x[:200], quiet=True,
                        device="cpu")
    assert len(history.loss) == len(history.val_loss) == len(history.lr) == 5
    assert history.final < before and history.loss[-1] < history.loss[0]
    assert history.seconds > 0 and not model.training
    assert history.val_loss[-1] == train.evaluate(model, x[:200])  # the held-out data's loss


def test_fit_is_repeatable_with_a_seed_and_the_seed_matters(digits):
    x = digits[0][:300].flatten(1)
    torch.manual_seed(0)
    start = models.MLPAutoencoder(64, 4, hidden=(16,))

    def losses_with(seed: int, global_seed: int) -> list[float]:
        torch.manual_seed(global_seed)  # whatever the global generator holds: only seed counts
        model = copy.deepcopy(start)
        return train.fit(model, x, epochs=3, batch_size=64, quiet=True, seed=seed).loss

    first = losses_with(seed=1, global_seed=10)
    assert losses_with(seed=1, global_seed=20) == first
    assert losses_with(seed=2, global_seed=10) != first  # another shuffle, other losses
    # a full batch is not shuffled: the seed cannot matter there
    full = [train.fit(copy.deepcopy(start), x, epochs=2, batch_size=None, quiet=True, seed=s).loss
            for s in (1, 2)]
    assert full[0] == full[1]


def test_lbfgs_full_batch_solves_a_linear_model(digits):
    x = digits[0]
    model = models.LinearAutoencoder((1, 8, 8), 8)
    history = train.fit(model, x, epochs=10, batch_size=None, optimizer="lbfgs", quiet=True)
    assert history.final < 0.5 * history.loss[0] or history.final < 0.03


def test_custom_loss_fn_is_used(digits):
    calls = []

    def loss_fn(model, batch):
        value = model.loss(batch)
        calls.append((len(batch), float(value.detach())))
        return value

    history = train.fit(models.LinearAutoencoder((1, 8, 8), 2), digits[0][:100], epochs=2,
                        batch_size=40, loss_fn=loss_fn, quiet=True, schedule="constant")
    assert [n for n, _ in calls] == [40, 40, 20, 40, 40, 20]
    # an epoch's loss is the mean over its samples: the last, smaller batch weighs less
    for epoch, loss in enumerate(history.loss):
        batches = calls[3 * epoch:3 * epoch + 3]
        assert loss == pytest.approx(sum(n * v for n, v in batches) / 100, rel=1e-6)
    assert history.lr == [3e-3, 3e-3]


def test_fit_rejects_bad_settings_and_reports_divergence(digits):
    model = models.LinearAutoencoder((1, 8, 8), 2)
    with pytest.raises(ValueError, match="optimizer"):
        train.fit(model, digits[0], optimizer="sgd", quiet=True)
    with pytest.raises(ValueError, match="epochs"):
        train.fit(model, digits[0], epochs=0, quiet=True)
    with pytest.raises(ValueError, match="non-empty"):
        train.fit(model, digits[0][:0], quiet=True)

    def exploding(model, batch):
        return model.loss(batch) * math.inf

    with pytest.raises(FloatingPointError, match="lower lr"):
        train.fit(model, digits[0], epochs=1, loss_fn=exploding, quiet=True)


def test_encode_and_reconstruct_whole_sets_in_batches(digits):
    x = digits[0][:300]
    model = models.MLPAutoencoder((1, 8, 8), 3, hidden=(16,))
    codes = train.encode(model, x, batch_size=128)
    assert codes.shape == (300, 3)
    assert torch.allclose(codes, model.encode(x), atol=1e-6)
    recon = train.reconstruct(model, x, batch_size=128)
    assert recon.shape == x.shape and torch.allclose(recon, model(x).x_hat, atol=1e-6)


def test_a_linear_autoencoder_names_its_recipe_and_plain_fit_uses_it(digits):
    model = models.LinearAutoencoder((1, 8, 8), 4)
    assert train.resolve_recipe(model, train.UNSET, train.UNSET, train.UNSET) == ("lbfgs", None, 20)
    # what the caller passes wins, and passing a batch size means "mini-batches, not the recipe"
    assert train.resolve_recipe(model, train.UNSET, 40, train.UNSET) == ("adam", 40, 20)
    assert train.resolve_recipe(model, "adam", train.UNSET, 5) == ("adam", 128, 5)
    mlp = models.MLPAutoencoder(64, 4, hidden=(16,))
    assert train.resolve_recipe(mlp, train.UNSET, train.UNSET, train.UNSET) == ("adam", 128, 20)
