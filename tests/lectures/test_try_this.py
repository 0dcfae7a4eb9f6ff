"""The numbers in the "Try this" answers of lectures 00-07 (except 02, 05 and 07), measured again.

Each test runs one prompt's experiment with aeutils at the lecture's settings and seeds, and
compares what it measures with the bold numbers of the notebook's answer (``tests/lectures/answers.py``),
so the answers cannot drift from the code. Models several answers share are trained once per
module.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch
from answers import answer_numbers, check
from spread import SEED, gen

import aeutils
from aeutils import data, filters, metrics, models, noise, train

pytestmark = pytest.mark.answers

LECTURES = Path(__file__).resolve().parents[2] / "lectures"


def _seeded(make):
    aeutils.seed_everything(SEED)
    return make()


OWN_LECTURES = ["00_recipe", "01_bottleneck", "02_control", "03_sparse", "04_denoising", "06_vae",
                "07_summary"]


@pytest.mark.parametrize("lecture", OWN_LECTURES)
def test_every_prompt_has_an_answer_and_every_number_a_test(lecture: str):
    import json
    import re

    cells = json.loads((LECTURES / f"{lecture}.ipynb").read_text(encoding="utf-8"))["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    start = next(i for i, t in enumerate(texts) if re.search(r"^## Try this", t, re.M))
    prompts = sum(len(re.findall(r"(?m)^\d+\. ", t)) for t in texts[start:] if "<!-- answer" not in t)
    keys = [m for t in texts[start:] for m in re.findall(r"<!-- answer: ([\w-]+) -->", t)]
    assert len(keys) == prompts == len(set(keys)), f"{lecture}: {prompts} prompts, answers {keys}"
    source = "".join(path.read_text(encoding="utf-8")
                     for path in Path(__file__).parent.glob("test_try_this*.py"))
    for key in keys:
        if answer_numbers(LECTURES / f"{lecture}.ipynb", key):
            assert f'"{key}"' in source, f"{lecture}: answer {key} states numbers but has no test"


@pytest.mark.parametrize("lecture, pattern, recipe", [
    ("01_bottleneck", r"train\.fit\(model, x_train, epochs=(\d+), batch_size=(\d+), lr=([\d.e-]+)",
     "FIT_01"),
    ("04_denoising", r"FIT = dict\(epochs=(\d+), batch_size=(\d+), lr=([\d.e-]+)", "FIT_04"),
    ("06_vae", r"FIT = dict\(epochs=(\d+), batch_size=(\d+), lr=([\d.e-]+)", "FIT_06"),
])
def test_the_answers_train_with_the_lectures_recipe(lecture: str, pattern: str, recipe: str):
    """The answers' tests repeat a lecture's recipe (they train on the CPU, without its device):
    a change to the lecture's recipe must reach them."""
    import json
    import re

    cells = json.loads((LECTURES / f"{lecture}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    found = re.findall(pattern, code)
    assert found, f"{lecture}: no recipe matching {pattern!r} in its code"
    stated = [dict(epochs=int(e), batch_size=int(b), lr=float(lr)) for e, b, lr in found]
    assert all(s == globals()[recipe] for s in stated), f"{lecture}: {stated} vs {recipe}"


# ---- 00_recipe ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def recipe(digits):
    x = digits[0]
    n, pixels = len(x), x[0].numel()
    g = gen(0)
    order = torch.stack([torch.randperm(n, generator=g) for _ in range(pixels)], dim=1)
    noise_images = torch.gather(x.reshape(n, pixels), 0, order).reshape_as(x)
    trained = {}
    for k in (8, 16, 60, 64, 128):
        trained[k] = _seeded(lambda k=k: models.LinearAutoencoder((1, 8, 8), code_size=k))
        train.fit(trained[k], x, optimizer="lbfgs", batch_size=None, epochs=15, device="cpu",
                  quiet=True)
    return x, noise_images, trained


def test_00_uniform_noise(recipe):
    x, _, trained = recipe
    uniform = torch.rand(x.shape, generator=gen(0))
    wide = trained[128]
    err = (train.reconstruct(wide, uniform) - uniform).pow(2).reshape(len(x), -1)
    blank = x.reshape(len(x), -1).std(0) == 0
    check("00_recipe", "00-uniform-noise",
          [float(err.mean()), int(blank.sum()), float(err[:, blank].mean()), float(err[:, ~blank].mean())])


def test_00_nonlinear_bottleneck(recipe):
    x, noise_images, trained = recipe
    mlp = _seeded(lambda: models.MLPAutoencoder((1, 8, 8), 8))
    train.fit(mlp, x, epochs=100, batch_size=None, device="cpu", quiet=True)
    ratio = {name: metrics.reconstruction_error(m, noise_images) / metrics.reconstruction_error(m, x)
             for name, m in [("linear", trained[8]), ("mlp", mlp)]}
    check("00_recipe", "00-nonlinear", [metrics.reconstruction_error(mlp, x), ratio["mlp"],
                                        ratio["linear"]])


def test_00_code_size_64_and_60(recipe):
    x, noise_images, trained = recipe
    measured = []
    for k in (64, 60):                       # in units of 1e-5, as the answer states them
        measured += [1e5 * metrics.reconstruction_error(trained[k], x),
                     1e5 * metrics.reconstruction_error(trained[k], noise_images)]
    check("00_recipe", "00-code-64", measured)
    assert max(measured) < 0.01 * 1e5 * float(x.var(0).mean())    # "essentially zero"


def test_00_where_to_stop(recipe):
    x, noise_images, trained = recipe
    err = metrics.reconstruction_error(trained[16], x)
    kept = 1 - err / float(x.var(0).mean())          # share of the pixel variance it rebuilds
    gap = metrics.reconstruction_error(trained[16], noise_images) - err
    check("00_recipe", "00-where-to-stop", [16, err, 100 * kept, gap])


# ---- 01_bottleneck --------------------------------------------------------------------------------

def test_01_strong_l2(digits):
    x = digits[0]
    pca4 = metrics.pca(x, 4)
    errors, alignment, singular = [], [], []
    for l2 in (0.0, 1e-1):
        model = _seeded(lambda l2=l2: models.LinearAutoencoder((1, 8, 8), code_size=4, l2=l2))
        train.fit(model, x, optimizer="lbfgs", batch_size=None, epochs=20, device="cpu", quiet=True)
        errors.append(metrics.reconstruction_error(model, x))
        alignment.append(metrics.direction_alignment(model.principal_directions(),
                                                     pca4.components).min())
        singular.append(torch.linalg.svdvals(model.decoder_basis()).max())
    check("01_bottleneck", "01-strong-l2", [errors[1], float(x.var(0).mean()), errors[0],
                                            alignment[1]])
    assert singular[1] < 1e-3                      # the answer's "the decoder is switched off"


def test_01_adam_at_k16(digits):
    x = digits[0]
    pca16 = metrics.pca(x, 16)
    lae = _seeded(lambda: models.LinearAutoencoder((1, 8, 8), code_size=16))
    train.fit(lae, x, optimizer="adam", epochs=300, device="cpu", quiet=True)
    ratio = metrics.reconstruction_error(lae, x) / pca16.error
    angle = metrics.principal_angles(lae.decoder_basis(), pca16.components.T).max()
    spectrum = metrics.pca(x, 17).explained_variance
    check("01_bottleneck", "01-adam-k16", [ratio, angle, spectrum[15] / spectrum[16]])


#: lecture 01's MLP (and conv) recipe: `train.fit(model, x_train, epochs=8, batch_size=64, lr=1e-2)`
FIT_01 = dict(epochs=8, batch_size=64, lr=1e-2)


@pytest.fixture(scope="module")
def mnist_bottleneck(mnist_split):
    x_train, x_test, y_train, y_test = mnist_split

    def mlp(code_size, hidden=(256,), epochs=FIT_01["epochs"]):
        model = _seeded(lambda: models.MLPAutoencoder((1, 28, 28), code_size=code_size,
                                                      hidden=hidden))
        train.fit(model, x_train, **dict(FIT_01, epochs=epochs), device="cpu", quiet=True)
        return model

    return mnist_split, mlp


def test_01_short_training(mnist_bottleneck):
    (x_train, x_test, _, _), mlp = mnist_bottleneck
    one, three = (metrics.reconstruction_error(mlp(16, epochs=epochs), x_test) for epochs in (1, 3))
    pca = metrics.pca(x_train, 16, x_test).error
    check("01_bottleneck", "01-short-training", [one, pca, one / pca, three])
    assert one > pca > three                   # the answer's "No" after 1 epoch, "yes" after 3


def test_01_conv(mnist_bottleneck):
    (x_train, x_test, _, _), mlp = mnist_bottleneck

    def conv():
        model = _seeded(lambda: models.ConvAutoencoder((1, 28, 28), code_size=16))
        train.fit(model, x_train, **FIT_01, device="cpu", quiet=True)
        return model

    trained, cpu_seconds = {}, {}
    for name, make in (("conv", conv), ("mlp", lambda: mlp(16))):
        start = time.process_time()           # CPU time: wall time depends on the machine's load
        trained[name] = make()
        cpu_seconds[name] = time.process_time() - start
    error = {name: metrics.reconstruction_error(m, x_test) for name, m in trained.items()}
    size = {name: sum(p.numel() for p in m.parameters()) for name, m in trained.items()}
    check("01_bottleneck", "01-conv", [error["conv"], error["mlp"], size["conv"], size["mlp"],
                                       cpu_seconds["conv"] / cpu_seconds["mlp"]])
    # the answer's "never more than about a quarter worse", with a seventh of the parameters
    assert error["conv"] < 1.25 * error["mlp"] and size["conv"] < size["mlp"] / 5
    assert cpu_seconds["conv"] > 1.3 * cpu_seconds["mlp"]


def test_01_deeper_2d_code(mnist_bottleneck):
    (x_train, x_test, y_train, y_test), mlp = mnist_bottleneck
    measured = []
    for hidden in ((256,), (256, 64)):
        model = mlp(2, hidden=hidden)
        measured += [metrics.reconstruction_error(model, x_test),
                     metrics.linear_probe(train.encode(model, x_train), y_train,
                                          train.encode(model, x_test), y_test, max_iter=300)]
    check("01_bottleneck", "01-deeper-2d", measured)
    assert measured[3] <= measured[1] + 0.01       # "in no run is the deeper model's probe better"


# ---- 03_sparse ------------------------------------------------------------------------------------

def test_03_large_lambda():
    wanted, lam = torch.tensor([0.02, 0.1, 0.5, 2.0]), 0.6
    u = wanted.clone().requires_grad_(True)              # the lecture's settle(), with lam = 0.6
    opt = torch.optim.SGD([u], lr=0.1)
    for _ in range(300):
        h = torch.relu(u)
        loss = 0.5 * (h - wanted).pow(2).sum() + lam * h.abs().sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    h_l1 = torch.relu(u).detach()
    check("03_sparse", "03-large-lambda", [int((h_l1 > 0).sum()), float(h_l1[3])])


@pytest.fixture(scope="module")
def sparse_digits(digits):
    x, y = digits
    x_train, x_test, y_train, y_test = data.train_test_split(x, y)

    def sae(code=256, **kwargs):
        model = _seeded(lambda: models.SparseAutoencoder((1, 8, 8), code, **kwargs))
        train.fit(model, x_train, epochs=40, batch_size=128, lr=3e-3, device="cpu", quiet=True)
        stats = metrics.sparsity_stats(train.encode(model, x_test))
        return metrics.reconstruction_error(model, x_test), stats

    return (x_train, x_test, y_train, y_test), sae


def test_03_topk_k(sparse_digits):
    _, sae = sparse_digits
    measured = []
    for k in (4, 16, 64):
        mse, stats = sae(sparsity="topk", k=k)
        measured += [mse, stats.dead_units]
    check("03_sparse", "03-topk-k", measured)
    mse, dead = measured[0::2], measured[1::2]
    assert mse[0] > mse[1] > mse[2] and dead[0] > dead[1] > dead[2]   # "a larger k ..."


def test_03_lifetime_fraction(sparse_digits):
    _, sae = sparse_digits
    measured = []
    for fraction in (0.01, 0.05):
        mse, stats = sae(sparsity="lifetime", fraction=fraction)
        measured += [mse, stats.mean_l0, stats.dead_units]
    check("03_sparse", "03-lifetime-fraction", measured)


def test_03_undercomplete(sparse_digits):
    _, sae = sparse_digits
    none32, _ = sae(code=32, sparsity="none")
    none256, _ = sae(code=256, sparsity="none")
    l1_32, stats = sae(code=32, sparsity="l1", weight=1e-2)
    check("03_sparse", "03-undercomplete", [none32, none256, l1_32, stats.mean_l0])
    assert none256 < 0.5 * none32          # the wide unpenalized code nearly copies


def test_03_mnist(mnist_split):
    import numpy as np

    x_train, x_test, y_train, y_test = mnist_split
    measured, probe, mse = [], {}, {}
    for name, kwargs in (("L1", dict(sparsity="l1", weight=1e-2)),
                         ("top-k", dict(sparsity="topk", k=16)),
                         ("lifetime", dict(sparsity="lifetime", fraction=0.05))):
        model = _seeded(lambda kwargs=kwargs: models.SparseAutoencoder((1, 28, 28), 256, **kwargs))
        train.fit(model, x_train, epochs=10, batch_size=256, lr=3e-3, device="cpu", quiet=True)
        codes = train.encode(model, x_test)
        stats = metrics.sparsity_stats(codes)
        probe[name] = metrics.linear_probe(train.encode(model, x_train), y_train, codes, y_test)
        mse[name] = metrics.reconstruction_error(model, x_test)
        if name == "L1":
            measured += [stats.dead_units, stats.mean_l0, probe[name]]
        if name == "top-k":
            busiest = np.argsort(-stats.lifetime)[:64]
            atoms = filters.energy_concentration(model.dictionary().T[busiest], top=40).mean()
    pixels = metrics.linear_probe(x_train, y_train, x_test, y_test)
    pca = filters.energy_concentration(metrics.pca(x_train, 64).components, top=40).mean()
    measured += [probe["top-k"], probe["lifetime"], pixels, mse["top-k"], mse["lifetime"], atoms, pca]
    check("03_sparse", "03-mnist", measured)
    assert min(probe["top-k"], probe["lifetime"]) > pixels + 0.005
    assert atoms < pca + 0.1                # barely more localized than PCA's global components


def test_03_smaller_c(sparse_digits):
    (x_train, x_test, y_train, y_test), _ = sparse_digits
    flat_train, flat_test = x_train.flatten(1).numpy(), x_test.flatten(1).numpy()
    measured = []
    for c in (0.1, 0.02):
        clf = metrics.logistic_regression("l1", C=c, max_iter=3000, tol=1e-3)
        clf.fit(flat_train, y_train.numpy())
        measured += [float((clf.coef_ != 0).sum(1).mean()), clf.score(flat_test, y_test.numpy())]
    check("03_sparse", "03-smaller-c", measured)


def test_03_unwhitened_patches():
    raw = data.natural_patches(20000, size=8)
    patches = torch.as_tensor(data.zca_whiten(raw.flatten(1).numpy(), epsilon=0.1)).reshape(raw.shape)
    localization = []
    for images in (raw, patches):
        model = _seeded(lambda: models.SparseAutoencoder((1, 8, 8), 128, sparsity="l1", weight=3e-2))
        train.fit(model, images, epochs=30, batch_size=256, lr=3e-3, device="cpu", quiet=True)
        localization.append(filters.energy_concentration(model.dictionary().T, top=8).mean())
    check("03_sparse", "03-unwhitened", localization)


# ---- 04_denoising ---------------------------------------------------------------------------------

FIT_04 = dict(epochs=8, batch_size=64, lr=5e-3)   # lecture 04's FIT (without its device)


@pytest.fixture(scope="module")
def denoisers(mnist_split):
    x_train, x_test, y_train, y_test = mnist_split
    fitted = {}

    def model(kind=None, level=0.0, code_size=64):
        key = (kind, level, code_size)
        if key not in fitted:
            net = _seeded(lambda: models.MLPAutoencoder((1, 28, 28), code_size=code_size,
                                                        hidden=(256,)))
            if kind is not None:
                net = models.DenoisingAutoencoder(net, kind, level,
                                                  generator=gen(0))
            train.fit(net, x_train, device="cpu", quiet=True, **FIT_04)
            fitted[key] = net
        return fitted[key]

    x_noisy = noise.gaussian(x_test, 0.4, gen(1))
    return mnist_split, x_noisy, model


def _psnr(model, noisy, clean):
    return metrics.psnr(train.reconstruct(model, noisy), clean)


def test_04_salt_and_pepper(denoisers):
    (_, x_test, _, _), x_noisy, model = denoisers
    sp = model("salt_and_pepper", 0.2)
    tests = {"gaussian 0.4": x_noisy,
             "masking 0.5": noise.mask_pixels(x_test, 0.5, gen(1)),
             "clean": x_test,
             "salt and pepper 0.2": noise.salt_and_pepper(x_test, 0.2,
                                                          gen(1))}
    measured = [_psnr(sp, xt, x_test) for xt in tests.values()]
    measured.insert(3, metrics.psnr(tests["salt and pepper 0.2"], x_test))   # input, then output
    check("04_denoising", "04-salt-and-pepper", measured)
    # "each specialist wins its own column and the plain autoencoder wins on clean digits"
    assert _psnr(model("gaussian", 0.4), tests["gaussian 0.4"], x_test) > measured[0]
    assert _psnr(model("masking", 0.5), tests["masking 0.5"], x_test) > measured[1]
    assert _psnr(model(), x_test, x_test) > measured[2]


def test_04_weak_noise(denoisers):
    (_, x_test, _, _), _, model = denoisers
    weak = noise.gaussian(x_test, 0.1, gen(1))
    dae = model("gaussian", 0.4)
    # what the denoiser was trained on: clipped sigma = 0.4 noise, whose mean is not 0 where the
    # clip bites (black pixels can only get brighter, white ones only darker)
    strong = noise.gaussian(x_test, 0.4, gen(2)) - x_test
    black, white = x_test == 0, x_test >= 0.99
    measured = [metrics.psnr(weak, x_test), _psnr(dae, weak, x_test), _psnr(dae, x_test, x_test),
                float(strong[black].mean()), float(strong[white].mean()),
                _psnr(model(), weak, x_test)]
    check("04_denoising", "04-weak-noise", measured)
    assert measured[1] < measured[0] and measured[5] < measured[0]   # "worse than doing nothing"
    assert measured[2] < measured[1]        # "from truly clean digits it does even worse"


def test_04_narrow_plain(denoisers):
    (_, x_test, _, _), x_noisy, model = denoisers
    measured = [metrics.psnr(x_noisy, x_test)]
    for code_size in (64, 16):
        measured += [_psnr(model(code_size=code_size), x_noisy, x_test),
                     _psnr(model(code_size=code_size), x_test, x_test)]
    check("04_denoising", "04-narrow-plain", measured)
    assert measured[3] < measured[1] + 0.1          # "in every run the narrow code is as good or worse"


def test_04_mixture(denoisers):
    from aeutils import losses

    (x_train, x_test, _, _), x_noisy, model = denoisers
    mix = [("gaussian", 0.4), ("masking", 0.5), ("salt_and_pepper", 0.2)]
    g = gen(0)

    def mixed_loss(net, batch):              # the answer's code: one noise type per batch
        kind, level = mix[int(torch.randint(len(mix), (1,), generator=g))]
        return losses.mse(net(noise.corrupt(batch, kind, level, g)).x_hat, batch)

    mixed = _seeded(lambda: models.MLPAutoencoder((1, 28, 28), code_size=64, hidden=(256,)))
    train.fit(mixed, x_train, device="cpu", quiet=True, loss_fn=mixed_loss, **FIT_04)
    tests = {"gaussian": x_noisy,
             "masking": noise.mask_pixels(x_test, 0.5, gen(1)),
             "clean": x_test,
             "salt_and_pepper": noise.salt_and_pepper(x_test, 0.2, gen(1))}
    row = {name: {t: _psnr(m, xt, x_test) for t, xt in tests.items()}
           for name, m in (("mixed", mixed), ("plain", model()),
                           ("gaussian", model("gaussian", 0.4)), ("masking", model("masking", 0.5)))}
    noises = ("gaussian", "masking", "salt_and_pepper")
    check("04_denoising", "04-mixture",
          [row["mixed"][t] for t in ("gaussian", "masking", "clean", "salt_and_pepper")]
          + [row["plain"][t] for t in noises]
          + [row["gaussian"]["gaussian"], row["masking"]["masking"]])
    assert all(row["mixed"][t] > row["plain"][t] + 0.5 for t in noises)
    assert all(row["mixed"][t] < row[t][t] for t in ("gaussian", "masking"))
    assert max(row["gaussian"]["clean"], row["masking"]["clean"]) < row["mixed"]["clean"]
    assert row["mixed"]["clean"] < row["plain"]["clean"] - 1


def test_04_knn_probe(denoisers):
    (x_train, x_test, y_train, y_test), _, model = denoisers
    from sklearn.neighbors import KNeighborsClassifier

    dae = model("gaussian", 0.7)
    codes = train.encode(dae, x_train).numpy(), train.encode(dae, x_test).numpy()
    pixels = x_train.flatten(1).numpy(), x_test.flatten(1).numpy()
    measured = []
    for train_x, test_x in (codes, pixels):
        knn = KNeighborsClassifier().fit(train_x, y_train.numpy())
        measured.append(knn.score(test_x, y_test.numpy()))
    measured.append(metrics.linear_probe(torch.as_tensor(codes[0]), y_train,
                                         torch.as_tensor(codes[1]), y_test))
    measured.append(metrics.linear_probe(x_train, y_train, x_test, y_test))
    knn_code, knn_pixels, linear_code, linear_pixels = measured
    check("04_denoising", "04-knn", measured)
    # the pixels win under 5-NN; under the linear probe the two are level
    assert knn_pixels > knn_code and abs(linear_code - linear_pixels) < 0.02


# ---- 06_vae ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def binarized(mnist_split):
    x_train, x_test, y_train, y_test = mnist_split
    return (x_train > 0.5).float(), (x_test > 0.5).float(), y_train, y_test


#: lecture 06's FIT (every training of the lecture uses it)
FIT_06 = dict(epochs=15, batch_size=64, lr=1e-2)


@pytest.fixture(scope="module")
def vaes(binarized):
    fitted = {}

    def vae(beta=1.0, epochs=FIT_06["epochs"]):
        if (beta, epochs) not in fitted:
            fitted[beta, epochs] = _beta_vae(binarized[0], beta, epochs)
        return fitted[beta, epochs]

    return vae


def _held_out_elbo(model, images, repeats=5):
    model.eval()
    aeutils.seed_everything(1)
    with torch.no_grad():
        return float(torch.stack([model.elbo(images) for _ in range(repeats)]).mean())


def _beta_vae(x_train, beta, epochs=FIT_06["epochs"]):
    from aeutils import losses

    def loss_fn(model, batch):
        out = model(batch)
        recon = losses.bernoulli_log_likelihood(out.logits, batch)
        return (-recon + beta * losses.gaussian_kl(out.mu, out.logvar)).mean()

    vae = _seeded(lambda: models.VAE((1, 28, 28), latent_size=16, hidden=(256,)))
    train.fit(vae, x_train, **dict(FIT_06, epochs=epochs), device="cpu", quiet=True,
              loss_fn=None if beta == 1 else loss_fn)
    return vae


def _terms(model, images):
    from aeutils import losses

    model.eval()
    aeutils.seed_everything(1)
    with torch.no_grad():
        out = model(images, sample=True)
        return (float(losses.bernoulli_log_likelihood(out.logits, images).mean()),
                float(losses.gaussian_kl(out.mu, out.logvar).mean()))


def test_06_short_training(binarized, vaes):
    x_train, x_test, _, _ = binarized
    from aeutils import losses

    pixel_p = x_train.mean(0, keepdim=True).clamp(1e-3, 1 - 1e-3)
    baseline = float(losses.bernoulli_log_likelihood(torch.logit(pixel_p).expand_as(x_test),
                                                     x_test).mean())
    short = _held_out_elbo(vaes(epochs=5), x_test)
    full = _held_out_elbo(vaes(), x_test)
    check("06_vae", "06-five-epochs", [short, full, baseline,
                                       100 * (short - baseline) / (full - baseline)])


def test_06_beta(binarized, vaes):
    x_test = binarized[1]
    recon1, kl1 = _terms(vaes(1.0), x_test)
    recon4, kl4 = _terms(vaes(4.0), x_test)
    check("06_vae", "06-beta", [recon1, kl1, kl4, recon4])


def test_06_beta_zero(binarized, vaes):
    check("06_vae", "06-beta-zero", list(_terms(vaes(0.0), binarized[1])))


@pytest.fixture(scope="module")
def judge(binarized):
    """Lecture 06's digit classifier: ``confidence(images)`` -> (mean top probability, share > 0.9)."""
    import warnings

    from sklearn.neural_network import MLPClassifier

    x_train, _, y_train, _ = binarized
    classifier = MLPClassifier(hidden_layer_sizes=(128,), max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier.fit(x_train.reshape(len(x_train), -1).numpy(), y_train.numpy())

    def confidence(images):
        top = classifier.predict_proba(images.reshape(len(images), -1).numpy()).max(1)
        return float(top.mean()), float((top > 0.9).mean())

    return confidence


def _mean_abs_correlation(codes: torch.Tensor) -> float:
    """Mean |correlation| between two different dimensions of ``codes: (n, d)``."""
    corr = torch.corrcoef(codes.T)
    return float(corr[~torch.eye(len(corr), dtype=torch.bool)].abs().mean())


def test_06_plain_gaussian_fit(binarized, vaes, judge):
    x_train = binarized[0]
    plain = _seeded(lambda: models.MLPAutoencoder((1, 28, 28), code_size=16, hidden=(256,)))
    train.fit(plain, x_train, **FIT_06, device="cpu", quiet=True)
    vae = vaes()
    plain_codes, vae_codes = train.encode(plain, x_train), train.encode(vae, x_train)
    z = torch.randn(500, 16, generator=gen(5))
    with torch.no_grad():
        score = {"prior": judge(plain.decode(z)),
                 "fitted": judge(plain.decode(plain_codes.mean(0) + plain_codes.std(0) * z)),
                 "vae": judge(vae.decode(z))}
    corr = [_mean_abs_correlation(plain_codes), _mean_abs_correlation(vae_codes)]
    check("06_vae", "06-plain-gaussian-fit",
          [score["prior"][0], score["fitted"][0], 100 * score["prior"][1], 100 * score["fitted"][1],
           score["vae"][0], 100 * score["vae"][1]] + corr)
    for i in (0, 1):          # better than N(0, I), up to about the VAE's level
        assert score["prior"][i] < score["fitted"][i] and score["prior"][i] < score["vae"][i]
    assert score["fitted"][0] < score["vae"][0] + 0.03
    assert corr[0] > 1.5 * corr[1]


def test_06_corner(binarized, judge):
    x_train, x_test, _, _ = binarized
    vae2 = _seeded(lambda: models.VAE((1, 28, 28), latent_size=2, hidden=(256,)))
    train.fit(vae2, x_train, **FIT_06, device="cpu", quiet=True)
    codes2 = train.encode(vae2, x_test)
    corners = torch.tensor([[4.0, 4.0], [4.0, -4.0], [-4.0, 4.0], [-4.0, -4.0]])   # extent=4.0
    with torch.no_grad():
        at_corners, inside = vae2.decode(corners), vae2.decode(codes2)

    def ink(images):              # pixels above 0.5 per image, on average
        return float((images.reshape(len(images), -1) > 0.5).float().sum(1).mean())

    radius = codes2.norm(dim=1)
    beyond = int((radius > corners.norm(dim=1).min()).sum())   # held-out codes beyond the corners
    check("06_vae", "06-corner", [beyond, float(radius.max()), ink(at_corners), ink(inside),
                                  ink(x_test), judge(at_corners)[0], judge(inside)[0]])
    assert beyond <= 0.01 * len(codes2)                        # the corners are outside the cloud
    assert ink(at_corners) > 0.8 * ink(inside)                 # "as heavy as usual or heavier"
    assert judge(at_corners)[0] > judge(inside)[0]             # digits, not noise
