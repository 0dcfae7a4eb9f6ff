"""The numbers in the "Try this" answers of lectures 05 and 08, measured again at the lectures'
settings and seeds, and read from the answer text itself (``tests/lectures/answers.py``), so that the text
and the code cannot drift apart. One test per answer key."""

from __future__ import annotations

import pytest
import torch
from answers import check
from spread import SEED, gen

import aeutils
from aeutils import data, english, losses, masking, metrics, models, noise, superposition, train

pytestmark = pytest.mark.answers



# ---- lecture 05 ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prose() -> english.ProseData:
    return english.prose_data()


@pytest.fixture(scope="module")
def bert(lecture05_model):
    """Lecture 05's masked-token model, trained from scratch once per run (tests/conftest.py)."""
    return lecture05_model


def masked_words_accuracy(model, prose) -> tuple[float, float]:
    """(model, always 'the') accuracy on lecture 05's masked held-out words (seed 1, 15%)."""
    tok = prose.tokenizer
    masked = noise.bert_mask(prose.test_blocks, tok.MASK, tok.vocab_size, 0.15,
                             gen(1), tok.num_special,
                             mask_prob=1.0, random_prob=0.0)
    is_word = torch.tensor([t.isalpha() for t in tok.itos])
    words = masked.mask & is_word[masked.targets]
    guess = masking.top_guesses(model, masked.tokens)[..., 0]
    the = tok.stoi["the"]
    return (float((guess == masked.targets)[words].float().mean()),
            float((masked.targets[words] == the).float().mean()))


def measure_test_rates(bert, prose) -> list[float]:
    """What the lecture's masking explorer reads out at test rates 0.15, 0.5 and 0.8 (seed 0)."""
    tok = prose.tokenizer
    accuracy = []
    for rate in (0.15, 0.5, 0.8):
        masked = noise.bert_mask(prose.test_blocks, tok.MASK, tok.vocab_size, rate,
                                 gen(0), tok.num_special,
                                 mask_prob=1.0, random_prob=0.0)
        accuracy.append(100 * masking.masked_token_accuracy(bert, masked))
    return accuracy


def measure_no_neighbours(prose) -> list[float]:
    aeutils.seed_everything(SEED)
    plain = english.masked_model(prose, neighbour_kernel=0, seed=english.SEED + SEED)
    train.fit(plain, prose.train_blocks, **english.FIT, quiet=True, device="cpu")
    learned, the = masked_words_accuracy(plain, prose)
    return [100 * learned, 100 * the]


def measure_copy_longer(prose) -> list[float]:
    aeutils.seed_everything(SEED)
    copier = english.masked_model(prose, rate=0.0, seed=english.SEED + SEED)
    train.fit(copier, prose.train_blocks, epochs=10, batch_size=128, lr=2e-2, quiet=True,
              device="cpu")
    learned, _ = masked_words_accuracy(copier, prose)
    return [100 * learned]


def measure_mae_75() -> list[float]:
    x, y = data.load_mnist()
    x_train, x_test, _, _ = data.train_test_split(x, y)
    aeutils.seed_everything(SEED)
    filler = models.MLPAutoencoder((1, 28, 28), code_size=64, hidden=(256,))
    fill_loss = masking.PatchMaskingLoss(patch=7, fraction=0.75,
                                         generator=gen(0))
    train.fit(filler, x_train, epochs=20, batch_size=128, lr=3e-3, loss_fn=fill_loss, quiet=True,
              device="cpu")
    holes = masking.mask_patches(x_test, patch=7, fraction=0.75,
                                 generator=gen(1))
    with torch.no_grad():
        filled = masking.fill_in(filler, holes)
    mean_image = x_train.mean(0, keepdim=True).expand_as(x_test)
    ratio = float(masking.masked_mse(filled, x_test, holes.mask)) / float(
        masking.masked_mse(mean_image, x_test, holes.mask))
    return [100 * ratio]


def test_05_test_rate(bert, prose):
    measured = measure_test_rates(bert, prose)
    check("05_bert", "05-test-rate", measured)
    assert measured[0] > measured[1] > measured[2]


def test_05_no_neighbours(prose):
    measured = measure_no_neighbours(prose)
    check("05_bert", "05-no-neighbours", measured)
    assert measured[0] < measured[1]                 # a plain transformer loses to "the" here


def test_05_copy_longer(prose):
    check("05_bert", "05-copy-longer", measure_copy_longer(prose))


def test_05_mae_75():
    check("05_bert", "05-mae-75", measure_mae_75())


# ---- lecture 08 ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def toy():
    g = gen(0)
    train_set = superposition.toy_activations(20_000, n_features=128, dim=32, active=3, generator=g)
    test_set = superposition.toy_activations(5_000, features=train_set.features, active=3, generator=g)
    return train_set, test_set


def _toy_sae(toy, **kwargs) -> models.SparseAutoencoder:
    aeutils.seed_everything(SEED)
    sae = models.SparseAutoencoder(32, 256, **kwargs)
    train.fit(sae, toy[0].x, epochs=20, batch_size=256, lr=3e-3, quiet=True, device="cpu")
    return sae


def measure_k1(toy) -> list[float]:
    sae = _toy_sae(toy, sparsity="topk", k=1)
    cos = superposition.best_cosines(sae.dictionary(), toy[0].features)
    return [float(cos.mean()), 100 * float((cos > 0.9).float().mean())]


def measure_l1_weak(toy) -> list[float]:
    sae = _toy_sae(toy, sparsity="l1", weight=0.003)
    x = toy[1].x
    with torch.no_grad():
        h, x_hat = sae(x)
    return [superposition.reconstruction_scale(x_hat, x), float((h > 0).sum(1).float().mean()),
            float(superposition.best_cosines(sae.dictionary(), toy[0].features).mean())]


def measure_tied_only(bert, prose) -> list[float]:
    hidden = english.hidden_states(bert, prose.train_blocks)
    held = english.hidden_states(bert, prose.test_blocks)
    aeutils.seed_everything(SEED)
    sae = models.SparseAutoencoder(64, 512, sparsity="topk", k=8, dead_after=10_000, tied_init=True)
    train.fit(sae, hidden, epochs=10, batch_size=256, lr=3e-3, quiet=True, device="cpu")
    with torch.no_grad():
        codes, rebuilt = sae(held)
    variance = float(((held - held.mean(0)) ** 2).mean())
    return [100 * metrics.sparsity_stats(codes).dead_units / 512,
            float(losses.mse(rebuilt, held)) / variance]


def test_08_k1(toy):
    check("08_sae_today", "08-k1", measure_k1(toy))


def test_08_l1_weak(toy):
    check("08_sae_today", "08-l1-weak", measure_l1_weak(toy))


def test_08_tied_only(bert, prose):
    check("08_sae_today", "08-tied-only", measure_tied_only(bert, prose))
