"""The numbers in the "Try this" answers added with issue 23 to lectures 06, 08 and 09, measured
again at the lectures' settings and seeds (``spread.SEED``), and read from the answer text itself
(``tests/lectures/answers.py``): ranges measured over seeds and CPU kernels with ``tools/spread.py``.
One test per answer key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from answers import check
from spread import SEED, gen
from test_try_this import (
    test_every_prompt_has_an_answer_and_every_number_a_test as every_prompt_has_an_answer,
)

import aeutils
from aeutils import data, english, losses, models, noise, sae_eval, superposition, train
from aeutils import vae_diagnostics as vd

pytestmark = pytest.mark.answers

LECTURES = Path(__file__).resolve().parents[2] / "lectures"
SAE_LECTURE = "09_sae_eval"
#: lecture 09's recipe for every sparse autoencoder (its ``SAE_FIT``)
SAE_FIT_09 = dict(epochs=5, batch_size=1024, lr=1e-2)
TOPK_09 = dict(sparsity="topk", aux_k=32, normalize_loss=True)
#: lecture 06's recipe (its ``FIT``)
FIT_06 = dict(epochs=15, batch_size=64, lr=1e-2)


def _code(lecture: str) -> str:
    cells = json.loads((LECTURES / f"{lecture}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_the_answers_train_with_the_lectures_recipes():
    """A change to a lecture's recipe must reach the tests that repeat it on the CPU."""
    found = re.findall(r"SAE_FIT = dict\(epochs=(\d+), batch_size=(\d+), lr=([\d.e-]+)",
                       _code(SAE_LECTURE))
    assert [dict(epochs=int(e), batch_size=int(b), lr=float(lr)) for e, b, lr in found] == [SAE_FIT_09]
    assert 'TOPK = dict(sparsity="topk", aux_k=32, normalize_loss=True)' in _code(SAE_LECTURE)
    found = re.findall(r"FIT = dict\(epochs=(\d+), batch_size=(\d+), lr=([\d.e-]+)", _code("06_vae"))
    assert found and all(dict(epochs=int(e), batch_size=int(b), lr=float(lr)) == FIT_06
                         for e, b, lr in found)


@pytest.mark.parametrize("lecture", ["08_sae_today", SAE_LECTURE])
def test_every_prompt_has_an_answer_and_every_number_a_test(lecture: str):
    every_prompt_has_an_answer(lecture)     # the check test_try_this.py makes of lectures 00-07


# ---- lecture 06: VAE diagnostics ------------------------------------------------------------

@pytest.fixture(scope="module")
def binary_mnist():
    x, y = data.load_mnist()
    x = (x > 0.5).float()
    x_train, x_test, _, _ = data.train_test_split(x, y)
    return x_train, x_test


@pytest.fixture(scope="module")
def vaes(binary_mnist):
    """Lecture 06's VAE at a code size, trained once per module: ``vaes(16)``."""
    trained = {}

    def get(latent_size: int) -> models.VAE:
        if latent_size not in trained:
            aeutils.seed_everything(SEED)
            trained[latent_size] = models.VAE((1, 28, 28), latent_size=latent_size, hidden=(256,))
            train.fit(trained[latent_size], binary_mnist[0], **FIT_06, device="cpu", quiet=True)
        return trained[latent_size]

    return get


@torch.no_grad()
def _elbo(model: models.VAE, images: torch.Tensor, repeats: int = 5) -> float:
    """Lecture 06's ``elbo_terms(...)[0]``: the one-sample ELBO averaged over 5 draws."""
    model.eval()
    aeutils.seed_everything(SEED + 1)
    return float(torch.stack([losses.elbo(out.logits, images, out.mu, out.logvar).mean()
                              for out in (model(images, sample=True) for _ in range(repeats))]).mean())


def measure_latent_64(binary_mnist, vaes) -> list[float]:
    x_test = binary_mnist[1]
    return [vd.active_units(vaes(64), x_test), vd.active_units(vaes(16), x_test)]


def measure_iwae_2d(binary_mnist, vaes) -> list[float]:
    x_test = binary_mnist[1]
    gaps = []
    for latent_size in (2, 16):
        vae = vaes(latent_size)
        bound = vd.importance_weighted_log_likelihood(vae, x_test, k=100, generator=gen(2))
        gaps.append(float(bound.mean()) - _elbo(vae, x_test))
    return gaps


def test_06_latent_64(binary_mnist, vaes):
    measured = measure_latent_64(binary_mnist, vaes)
    check("06_vae", "06-latent-64", measured)
    assert measured[0] > measured[1] / 2   # "mostly": 59-64 of 64 measured (all 64 on some runs)


def test_06_iwae_2d(binary_mnist, vaes):
    measured = measure_iwae_2d(binary_mnist, vaes)
    check("06_vae", "06-iwae-2d", measured)
    assert 0 < measured[0] < measured[1]              # a 2-d posterior is easier to match


# ---- lecture 08: the toy model of superposition ---------------------------------------------

@pytest.fixture(scope="module")
def coefficients():
    """Lecture 08's section 1 data: its coefficients are the toy model's inputs."""
    toy = superposition.toy_activations(20_000, n_features=128, dim=32, active=3, generator=gen(0))
    return toy.coefficients


def _toy_model(inputs: torch.Tensor) -> models.SuperpositionToyModel:
    aeutils.seed_everything(SEED)
    model = models.SuperpositionToyModel(n_features=128, hidden=32)
    train.fit(model, inputs, device="cpu", quiet=True)
    return model


def measure_toy_model_sae(coefficients) -> list[float]:
    toy_model = _toy_model(coefficients)
    directions = toy_model.feature_directions()
    kept = directions.norm(dim=1) > 0.5
    with torch.no_grad():
        hidden = toy_model.encode(coefficients)
    aeutils.seed_everything(SEED)
    sae = models.SparseAutoencoder(32, 256, sparsity="topk", k=4)
    train.fit(sae, hidden, epochs=20, batch_size=256, lr=3e-3, device="cpu", quiet=True)
    cosines = superposition.best_cosines(sae.dictionary(), directions[kept])
    return [float(cosines.mean()), 100 * float((cosines > 0.9).float().mean())]


def measure_dense_toy() -> list[float]:
    dense = superposition.toy_activations(20_000, n_features=128, dim=32, active=64, generator=gen(0))
    directions = _toy_model(dense.coefficients).feature_directions()
    return [int((directions.norm(dim=1) > 0.5).sum())]


def test_08_toy_model_sae(coefficients):
    check("08_sae_today", "08-toy-model-sae", measure_toy_model_sae(coefficients))


def test_08_dense_toy():
    measured = measure_dense_toy()
    check("08_sae_today", "08-dense-toy", measured)
    assert measured[0] < 128


# ---- lecture 09: evaluating sparse autoencoders ----------------------------------------------

@pytest.fixture(scope="module")
def masked_setting(lecture05_model):
    """Lecture 09's model (lecture 05's, trained once per run: tests/conftest.py), masked text and
    hidden states."""
    prose = english.prose_data()
    tok = prose.tokenizer
    bert = lecture05_model
    masked_train = noise.bert_mask(prose.train_blocks, tok.MASK, tok.vocab_size, 0.15, gen(0),
                                   tok.num_special)
    masked_test = noise.bert_mask(prose.test_blocks, tok.MASK, tok.vocab_size, 0.15, gen(1),
                                  tok.num_special, mask_prob=1.0, random_prob=0.0)
    hidden = english.hidden_states(bert, masked_train.tokens)
    return prose, bert, masked_train, masked_test, hidden, _sae_09(hidden)


def _sae_09(activations: torch.Tensor) -> models.SparseAutoencoder:
    """Lecture 09's k = 8 autoencoder (its ``trained_sae(..., k=8, **TOPK)``)."""
    aeutils.seed_everything(SEED)
    sae = models.SparseAutoencoder(64, 512, k=8, **TOPK_09)
    train.fit(sae, activations, **SAE_FIT_09, device="cpu", quiet=True)
    return sae


def _spliced(bert, masked_test, sae) -> float:
    return sae_eval.masked_loss_with(bert, masked_test, lambda h: sae(h).x_hat)


def measure_zero_ablation(masked_setting) -> list[float]:
    _, bert, _, masked_test, hidden, sae = masked_setting
    clean = sae_eval.masked_loss_with(bert, masked_test)
    mean_hidden = hidden.mean(0)
    mean_ablated = sae_eval.masked_loss_with(bert, masked_test, lambda h: mean_hidden.expand_as(h))
    zero_ablated = sae_eval.masked_loss_with(bert, masked_test, torch.zeros_like)
    spliced = _spliced(bert, masked_test, sae)
    return [zero_ablated, mean_ablated, 100 * sae_eval.loss_recovered(clean, spliced, zero_ablated),
            100 * sae_eval.loss_recovered(clean, spliced, mean_ablated)]


def measure_unmasked_training(masked_setting) -> list[float]:
    prose, bert, _, masked_test, hidden, masked = masked_setting
    clean = sae_eval.masked_loss_with(bert, masked_test)
    mean_hidden = hidden.mean(0)
    ablated = sae_eval.masked_loss_with(bert, masked_test, lambda h: mean_hidden.expand_as(h))
    unmasked = _sae_09(english.hidden_states(bert, prose.train_blocks))
    held = english.hidden_states(bert, masked_test.tokens).reshape(*masked_test.mask.shape, -1)
    at_mask = held[masked_test.mask]                                  # (m, 64) the scored rows
    measured = []
    for sae in (unmasked, masked):
        with torch.no_grad():
            fvu = sae_eval.fraction_of_variance_unexplained(sae(at_mask).x_hat, at_mask)
        recovered = sae_eval.loss_recovered(clean, _spliced(bert, masked_test, sae), ablated)
        measured += [100 * recovered, fvu]
    return measured


def test_09_zero_ablation(masked_setting):
    measured = measure_zero_ablation(masked_setting)
    check(SAE_LECTURE, "09-zero-ablation", measured)
    assert measured[0] > measured[1] and measured[2] > measured[3]   # a weaker baseline flatters


def test_09_unmasked_training(masked_setting):
    measured = measure_unmasked_training(masked_setting)
    check(SAE_LECTURE, "09-unmasked-training", measured)
    assert measured[1] > measured[3]   # "worse on every run" at the [MASK]s without masked training
