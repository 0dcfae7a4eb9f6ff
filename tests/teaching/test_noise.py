import pytest
import torch

from aeutils import noise


@pytest.fixture
def images():
    return torch.rand(200, 1, 8, 8)


def test_gaussian_noise_level_clipping_and_repeatability(images):
    g = torch.Generator().manual_seed(0)
    noisy = noise.gaussian(images, 0.1, generator=g, clip=False)
    assert abs(float((noisy - images).std()) - 0.1) < 0.005
    clipped = noise.gaussian(images, 0.5, generator=torch.Generator().manual_seed(1))
    assert float(clipped.min()) >= 0 and float(clipped.max()) <= 1
    again = noise.gaussian(images, 0.5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(clipped, again)
    with pytest.raises(ValueError, match="std"):
        noise.gaussian(images, -1.0)


def test_salt_and_pepper_hits_the_requested_fraction(images):
    noisy = noise.salt_and_pepper(images, 0.2, generator=torch.Generator().manual_seed(0))
    changed = noisy != images
    assert abs(float(changed.float().mean()) - 0.2) < 0.01
    assert set(noisy[changed].unique().tolist()) <= {0.0, 1.0}


def test_masking_zeroes_the_requested_fraction():
    ones = torch.ones(100, 1, 8, 8)
    masked = noise.mask_pixels(ones, 0.3, generator=torch.Generator().manual_seed(0))
    assert abs(float((masked == 0).float().mean()) - 0.3) < 0.01
    assert torch.equal(ones, torch.ones(100, 1, 8, 8))  # input untouched


def test_noise_rejects_images_outside_unit_range_and_bad_rates(images):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        noise.gaussian(images * 255, 0.1)
    with pytest.raises(ValueError, match="fraction"):
        noise.mask_pixels(images, 1.5)
    with pytest.raises(TypeError, match="floating-point"):
        noise.salt_and_pepper((images * 255).to(torch.uint8), 0.1)
    with pytest.raises(ValueError, match="unknown noise"):
        noise.corrupt(images, "speckle", 0.1)


def test_corrupt_dispatches_by_name(images):
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(noise.corrupt(images, "masking", 0.4, g1), noise.mask_pixels(images, 0.4, g2))


def test_bert_mask_selects_15_percent_split_80_10_10():
    vocab, specials = 500, 4
    tokens = torch.randint(specials, vocab, (400, 64))
    g = torch.Generator().manual_seed(0)
    out = noise.bert_mask(tokens, mask_id=2, vocab_size=vocab, generator=g, num_special=specials)
    assert torch.equal(out.targets, tokens) and out.mask.dtype == torch.bool
    assert abs(float(out.mask.float().mean()) - 0.15) < 0.005
    selected = out.mask.sum().item()
    as_mask = ((out.tokens == 2) & out.mask).sum().item() / selected
    unchanged = ((out.tokens == tokens) & out.mask).sum().item() / selected
    randomized = ((out.tokens != tokens) & (out.tokens != 2) & out.mask).sum().item() / selected
    assert abs(as_mask - 0.8) < 0.02
    # a random replacement can hit the original token by chance (1 in 496)
    assert abs(unchanged - 0.1) < 0.015 and abs(randomized - 0.1) < 0.015
    assert torch.equal(out.tokens[~out.mask], tokens[~out.mask])  # unselected never change
    assert int(out.tokens[out.mask].min()) >= 2


def test_bert_mask_never_selects_special_tokens_and_checks_arguments():
    tokens = torch.zeros(50, 20, dtype=torch.long)  # all padding
    out = noise.bert_mask(tokens, 2, 100, generator=torch.Generator().manual_seed(0), num_special=4)
    assert not out.mask.any()
    with pytest.raises(TypeError, match="integer"):
        noise.bert_mask(tokens.float(), 2, 100)
    with pytest.raises(ValueError, match="below"):
        noise.bert_mask(tokens, 200, 100)


def test_corrupt_can_keep_gaussian_noise_additive():
    x = torch.rand(50, 1, 8, 8)
    clipped = noise.corrupt(x, "gaussian", 0.5, torch.Generator().manual_seed(0))
    additive = noise.corrupt(x, "gaussian", 0.5, torch.Generator().manual_seed(0), clip=False)
    assert clipped.min() >= 0 and clipped.max() <= 1
    assert additive.min() < -0.5 and additive.max() > 1.5          # really unclipped
    assert torch.equal(additive.clamp(0, 1), clipped)               # same draw, only the clip differs
    masked = noise.corrupt(x, "masking", 0.5, torch.Generator().manual_seed(0), clip=False)
    assert masked.min() >= 0 and masked.max() <= 1
