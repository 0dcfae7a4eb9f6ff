"""Input validation happens once per ``fit``, not once per step (no host sync per batch), and
without a side channel: ``fit`` reads the training set's value range once and hands each batch to
the loss marked with it (``validate.with_range``); every check reads nothing but its arguments.

``aeutils.grading.sync.count_host_syncs`` normally ignores the library's own reads; here it counts
them (only torch's own, e.g. the optimizers' step counters, stay out), so a value check that reads
the device in every step shows up as a count that grows with the number of steps.
"""

from __future__ import annotations

import pytest
import torch

from aeutils import losses, models, noise, train, validate
from aeutils.grading import sync as grading_sync
from aeutils.grading.sync import count_host_syncs

IMAGES = torch.rand(256, 1, 8, 8, generator=torch.Generator().manual_seed(0))
TOKENS = torch.randint(4, 50, (256, 12), generator=torch.Generator().manual_seed(0))

MODELS = {
    "linear": lambda: models.LinearAutoencoder((1, 8, 8), 4),
    "mlp": lambda: models.MLPAutoencoder((1, 8, 8), 4, hidden=(16,)),
    "conv": lambda: models.ConvAutoencoder((1, 8, 8), 4, channels=(4, 8)),
    "sparse-kl": lambda: models.SparseAutoencoder((1, 8, 8), 32, sparsity="kl"),
    "sparse-topk": lambda: models.SparseAutoencoder((1, 8, 8), 32, sparsity="topk", k=4, aux_k=4),
    "denoising": lambda: models.DenoisingAutoencoder(models.MLPAutoencoder((1, 8, 8), 4, (16,)),
                                                     "gaussian", 0.3),
    "vae": lambda: models.VAE((1, 8, 8), latent_size=2, hidden=(16,)),
    "masked-tokens": lambda: models.MaskedTokenDenoiser(50, max_len=12, dim=16, heads=2, layers=1),
    "copy-task": lambda: models.MaskedTokenDenoiser(50, max_len=12, dim=16, heads=2, layers=1,
                                                    rate=0.0),
}


@pytest.fixture
def count_library_syncs(monkeypatch):
    """count_host_syncs, counting aeutils' own reads too (torch's own are still left out)."""
    monkeypatch.setattr(grading_sync, "_LIBRARY_DIRS", (grading_sync._TORCH_DIR,))

    def syncs_of_fit(make, x, batch_size: int) -> int:
        torch.manual_seed(0)
        model = make()
        with count_host_syncs() as syncs:
            train.fit(model, x, epochs=2, batch_size=batch_size, optimizer="adam", quiet=True)
        return syncs.count

    return syncs_of_fit


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fit_reads_the_device_per_epoch_not_per_step(name, count_library_syncs):
    x = TOKENS if name in ("masked-tokens", "copy-task") else IMAGES
    one_step = count_library_syncs(MODELS[name], x, batch_size=256)  # 1 step per epoch
    many_steps = count_library_syncs(MODELS[name], x, batch_size=16)  # 16 steps per epoch
    assert many_steps == one_step, (
        f"{name}: {many_steps} host syncs with 16 steps per epoch, {one_step} with 1: a check "
        "reads the device in every step")
    assert one_step <= 8  # the data's range once, the first step's checks, one per epoch


def test_lbfgs_fit_reads_the_device_per_epoch_not_per_evaluation(count_library_syncs, monkeypatch):
    def syncs(epochs: int) -> int:
        model = models.DenoisingAutoencoder(models.LinearAutoencoder((1, 8, 8), 4), "gaussian", 0.3)
        with count_host_syncs() as counted:
            train.fit(model, IMAGES, epochs=epochs, optimizer="lbfgs", batch_size=None, quiet=True)
        return counted.count

    # each L-BFGS step evaluates the loss up to 20+ times; only the per-epoch loss is read
    assert syncs(3) - syncs(1) == 2


def test_a_bad_value_in_a_later_batch_still_stops_fit_with_the_message():
    x = IMAGES.clone()
    x[-1, 0, 0, 0] = 2.0  # not in the first batch of any order: only the whole-data range sees it
    dae = models.DenoisingAutoencoder(models.MLPAutoencoder((1, 8, 8), 4, (16,)), "gaussian", 0.3)
    with pytest.raises(ValueError, match=r"values in \[0, 1\], got min .* and max 2"):
        train.fit(dae, x, epochs=1, batch_size=16, quiet=True)
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        train.fit(models.VAE((1, 8, 8), 2, (16,)), x, epochs=1, batch_size=16, quiet=True)
    tokens = TOKENS.clone()
    tokens[-1, -1] = 50
    with pytest.raises(ValueError, match="token ids must be in 0..49"):
        train.fit(MODELS["masked-tokens"](), tokens, epochs=1, batch_size=16, quiet=True)


def test_checks_of_model_outputs_run_in_every_step():
    class BadCodes(torch.nn.Module):  # feeds codes to the KL penalty that leave [0, 1] at step 3
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(64, 8)
            self.steps = 0

        def loss(self, x):
            self.steps += 1
            shift = 2.0 if self.steps == 3 else 0.0
            return losses.kl_sparsity(torch.sigmoid(self.lin(x.flatten(1))) + shift)

    model = BadCodes()
    with pytest.raises(ValueError, match="activations in"):
        train.fit(model, IMAGES, epochs=1, batch_size=16, quiet=True)
    assert model.steps == 3


def test_a_check_inside_fit_reads_its_argument_like_one_outside():
    """No state tells a check that it runs inside fit: a bad tensor is caught in any step."""
    steps = []

    def loss_fn(model, xb):
        steps.append(len(xb))
        if len(steps) == 5:
            noise.gaussian(xb * 3, 0.1)  # a batch scaled out of [0, 1] is a plain tensor again
        return model.loss(xb)

    with pytest.raises(ValueError, match=r"x must hold values in \[0, 1\], got min .* and max"):
        train.fit(models.MLPAutoencoder((1, 8, 8), 4, (16,)), IMAGES, epochs=1, batch_size=16,
                  loss_fn=loss_fn, quiet=True)
    assert len(steps) == 5


def test_the_loss_gets_each_batch_marked_with_the_training_sets_range():
    x = IMAGES.clone()
    x[7, 0, 0, 0], x[200, 0, 3, 3] = 0.0, 1.0  # the whole set's range is exactly [0, 1]
    seen = []

    def loss_fn(model, xb):
        seen.append((type(xb), validate.value_range(xb)))
        return model.loss(xb)

    train.fit(models.MLPAutoencoder((1, 8, 8), 4, (16,)), x, epochs=2, batch_size=64,
              loss_fn=loss_fn, quiet=True)
    assert seen == [(validate.KnownRange, (0.0, 1.0))] * 8
    train.fit(models.LinearAutoencoder((1, 8, 8), 4), x, epochs=1, loss_fn=loss_fn, quiet=True)
    assert {entry for entry in seen[8:]} == {(validate.KnownRange, (0.0, 1.0))}  # L-BFGS too


def test_a_known_range_is_not_inherited_by_what_is_computed_from_it():
    marked = validate.with_range(IMAGES, (0.0, 1.0))
    assert validate.value_range(marked) == (0.0, 1.0)
    assert marked.data_ptr() == IMAGES.data_ptr()  # the same data, no copy
    for derived in (marked * 3, marked[:10], marked.flatten(1), marked + 0):
        assert type(derived) is torch.Tensor
    with pytest.raises(ValueError, match=r"got min 0 and max 3"):
        noise.gaussian(validate.with_range(torch.tensor([[0.0, 3.0]]), (0.0, 3.0)), 0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        noise.gaussian(marked * 3, 0.1)
    assert validate.read_range(torch.zeros(0)) is None
    assert validate.read_range(torch.tensor([True])) is None


def test_checks_are_back_after_fit_even_when_it_failed():
    bad = IMAGES * 3
    with pytest.raises(ValueError):
        train.fit(models.VAE((1, 8, 8), 2, (16,)), bad, epochs=1, batch_size=16, quiet=True)
    train.fit(models.MLPAutoencoder((1, 8, 8), 4, (16,)), IMAGES, epochs=1, quiet=True)
    for call in (lambda: noise.gaussian(bad, 0.1), lambda: losses.bce(bad, bad),
                 lambda: losses.kl_sparsity(bad.flatten(1))):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            call()


def test_the_callback_and_held_out_data_are_checked_inside_fit():
    seen = []

    def callback(epoch, model):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            noise.gaussian(IMAGES * 3, 0.1)
        seen.append(epoch)

    dae = models.DenoisingAutoencoder(models.MLPAutoencoder((1, 8, 8), 4, (16,)), "gaussian", 0.3)
    train.fit(dae, IMAGES, epochs=2, batch_size=16, quiet=True, callback=callback)
    assert seen == [0, 1]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train.fit(dae, IMAGES, epochs=1, batch_size=16, quiet=True, x_val=IMAGES * 3)


def test_a_tensor_that_cannot_be_retyped_carries_its_range_without_a_device_read():
    # the grading's simulated GPU tensor is a wrapper subclass: it cannot become a KnownRange
    from aeutils.grading import trials

    with trials.on_gpu(simulate=True) as gpu:
        x = torch.rand(8, 4).to(gpu.device)
        marked = validate.with_range(x, (0.0, 1.0))
        assert marked is x and validate.value_range(marked) == (0.0, 1.0)
        assert validate.value_range(x * 2) != (0.0, 1.0)  # what is computed from it is read again
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            validate.require_unit_range(validate.with_range(x + 5, (5.0, 6.0)))
