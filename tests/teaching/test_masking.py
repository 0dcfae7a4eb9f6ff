"""Tests for aeutils.masking: masked patches and masked-token accuracy."""

import pytest
import torch

from aeutils import masking, models, noise, train


def _images(n=5, side=8):
    return torch.rand((n, 1, side, side), generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1


def test_mask_hides_exact_number_of_whole_patches():
    x = _images(6, 8)
    out = masking.mask_patches(x, 2, 0.25, torch.Generator().manual_seed(1))
    assert out.mask.shape == (6, 1, 8, 8) and out.mask.dtype == torch.bool
    # 16 patches per image, 4 hidden, each 2x2 = 16 pixels
    assert out.mask.reshape(6, -1).sum(1).tolist() == [16] * 6
    blocks = out.mask.reshape(6, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(6, 16, 4)
    assert bool((blocks.all(-1) | ~blocks.any(-1)).all()), "masks must cover whole patches"
    assert torch.equal(out.images[out.mask.expand_as(x)], torch.zeros(6 * 16))
    assert torch.equal(out.images[~out.mask.expand_as(x)], x[~out.mask.expand_as(x)])


def test_mask_is_repeatable_varies_and_leaves_input_alone():
    x = _images()
    before = x.clone()
    a = masking.mask_patches(x, 4, 0.5, torch.Generator().manual_seed(3), fill=0.5)
    b = masking.mask_patches(x, 4, 0.5, torch.Generator().manual_seed(3), fill=0.5)
    c = masking.mask_patches(x, 4, 0.5, torch.Generator().manual_seed(4), fill=0.5)
    assert torch.equal(a.mask, b.mask) and torch.equal(a.images, b.images)
    assert not torch.equal(a.mask, c.mask)
    assert torch.equal(x, before)
    assert bool((a.images[a.mask.expand_as(x)] == 0.5).all())


def test_fractions_zero_and_one():
    x = _images()
    assert not masking.mask_patches(x, 4, 0.0).mask.any()
    assert masking.mask_patches(x, 4, 1.0).mask.all()


@pytest.mark.parametrize("bad", [dict(patch=3), dict(fraction=1.5), dict(patch=0)])
def test_bad_arguments_raise(bad):
    args = dict(patch=4, fraction=0.5) | bad
    with pytest.raises(ValueError):
        masking.mask_patches(_images(), **args)


def test_masked_mse_counts_hidden_pixels_only():
    x = torch.zeros(2, 1, 4, 4)
    x_hat = torch.ones(2, 1, 4, 4)
    mask = torch.zeros(2, 1, 4, 4, dtype=torch.bool)
    assert float(masking.masked_mse(x_hat, x, mask)) == 0.0
    mask[0, 0, :2, :2] = True
    x_hat[0, 0, :2, :2] = 3.0
    assert float(masking.masked_mse(x_hat, x, mask)) == pytest.approx(9.0)


def test_fill_in_keeps_visible_pixels():
    x = _images(3, 8)
    model = models.MLPAutoencoder((1, 8, 8), 4, hidden=(16,))
    masked = masking.mask_patches(x, 4, 0.5, torch.Generator().manual_seed(0))
    with torch.no_grad():
        filled = masking.fill_in(model, masked)
        x_hat = model(masked.images)[1]
    visible = ~masked.mask.expand_as(x)
    assert torch.equal(filled[visible], masked.images[visible])
    assert torch.equal(filled[~visible], x_hat[~visible])


def test_patch_masking_loss_trains_a_model_that_beats_the_mean_image():
    torch.manual_seed(0)
    # images made of two halves that are copies of each other: a hidden half can be read off
    # the visible one, which the mean image cannot do
    top = (torch.rand(400, 1, 4, 8, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    x = torch.cat([top, top], dim=2)
    model = models.MLPAutoencoder((1, 8, 8), 32, hidden=(64,))
    loss = masking.PatchMaskingLoss(4, 0.25, torch.Generator().manual_seed(1))
    train.fit(model, x, epochs=150, batch_size=None, lr=2e-2, loss_fn=loss, device="cpu", quiet=True)
    masked = masking.mask_patches(x, 4, 0.25, torch.Generator().manual_seed(2))
    with torch.no_grad():
        err = float(masking.masked_mse(model(masked.images)[1], x, masked.mask))
    base = float(masking.masked_mse(x.mean(0, keepdim=True).expand_as(x), x, masked.mask))
    assert err < 0.5 * base


class _Oracle(torch.nn.Module):
    """Scores the true token highest at every position (it peeks at a stored copy)."""

    def __init__(self, truth, vocab):
        super().__init__()
        self.truth, self.vocab = truth, vocab
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, tokens):
        logits = torch.nn.functional.one_hot(self.truth, self.vocab).float() * 5.0
        logits[..., 4] += 1.0  # token 4 is always the runner-up
        return None, logits + self.dummy


def test_masked_token_accuracy_and_topk():
    truth = torch.randint(5, 50, (8, 16), generator=torch.Generator().manual_seed(0))
    masked = noise.bert_mask(truth, 2, 50, 0.3, torch.Generator().manual_seed(1), 4,
                             mask_prob=1.0, random_prob=0.0)
    assert masking.masked_token_accuracy(_Oracle(truth, 50), masked) == 1.0
    wrong = _Oracle(torch.full_like(truth, 3), 50)
    assert masking.masked_token_accuracy(wrong, masked) == 0.0
    assert masking.masked_token_accuracy(wrong, masked, k=2) == 0.0
    top2 = masking.top_guesses(wrong, truth, k=2)
    assert top2.shape == (8, 16, 2) and bool((top2[..., 0] == 3).all())
    assert bool((top2[..., 1] == 4).all())


def test_masked_token_accuracy_needs_a_mask():
    truth = torch.randint(5, 50, (2, 4))
    masked = noise.bert_mask(truth, 2, 50, 0.0)
    with pytest.raises(ValueError):
        masking.masked_token_accuracy(_Oracle(truth, 50), masked)


def test_frequency_baseline_picks_most_frequent_ordinary_token():
    train_ids = torch.tensor([0, 0, 0, 0, 7, 7, 5])  # 0 is special (padding): never a candidate
    targets = torch.tensor([[7, 5, 7, 9]])
    masked = noise.MaskedTokens(targets.clone(), targets, torch.tensor([[True, True, True, False]]))
    best, acc = masking.frequency_baseline(train_ids, masked, num_special=4)
    assert best == 7
    assert acc == pytest.approx(2 / 3)
