import math

import numpy as np
import pytest
import torch

from aeutils import data, metrics


def test_pca_on_many_pixels_spans_the_svd_subspace():
    """784-D images (the covariance route, in float32): the same subspace and error as an SVD."""
    x, _ = data.load_mnist()
    x = x[:1000].flatten(1)
    result = metrics.pca(x, 16)
    centred = x.double() - x.double().mean(0)
    _, _, vt = torch.linalg.svd(centred, full_matrices=False)
    recon = centred @ vt[:16].T @ vt[:16]
    assert result.error == pytest.approx(float(((recon - centred) ** 2).mean()), rel=1e-5)
    assert metrics.principal_angles(result.components.T, vt[:16].T).max() < 0.05  # degrees


def test_pca_error_matches_a_direct_svd(digits):
    x = digits[0].reshape(-1, 64).double()
    result = metrics.pca(digits[0], 5)
    centred = x - x.mean(0)
    _, s, vt = torch.linalg.svd(centred, full_matrices=False)
    recon = centred @ vt[:5].T @ vt[:5]
    assert result.error == pytest.approx(float(((recon - centred) ** 2).mean()), rel=1e-6)
    assert result.components.shape == (5, 64)
    assert np.allclose(np.abs(result.components), np.abs(vt[:5].numpy()), atol=1e-6)
    assert result.reconstruct(digits[0][:3]).shape == (3, 64)
    with pytest.raises(ValueError, match="k must be"):
        metrics.pca(digits[0], 0)


def test_principal_angles_of_known_subspaces():
    eye = np.eye(4)
    assert np.allclose(metrics.principal_angles(eye[:, :2], eye[:, :2] @ [[2, 1], [0, 3]]), 0,
                       atol=1e-6)
    assert np.allclose(metrics.principal_angles(eye[:, :2], eye[:, 2:]), 90)
    tilted = np.array([[1, 0], [0, math.cos(0.5)], [0, math.sin(0.5)], [0, 0]])
    assert np.allclose(metrics.principal_angles(eye[:, :2], tilted), [0, math.degrees(0.5)])
    with pytest.raises(ValueError, match="transposed"):
        metrics.principal_angles(eye[:, :2], eye[:2])


def test_direction_alignment_tells_directions_from_span():
    components = np.eye(4)[:2]
    assert np.allclose(metrics.direction_alignment(-np.eye(4)[:, :2], components), 1)
    mixed = np.eye(4)[:, :2] @ np.array([[1, 1], [-1, 1]]) / math.sqrt(2)
    assert np.allclose(metrics.direction_alignment(mixed, components), 1 / math.sqrt(2))


def test_psnr_known_values():
    x = torch.zeros(2, 1, 4, 4)
    assert metrics.psnr(x + 0.1, x) == pytest.approx(20.0, abs=1e-4)
    assert metrics.psnr(x + 0.01, x) == pytest.approx(40.0, abs=1e-3)
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(x, torch.zeros(2, 16))


def test_sparsity_stats_counts():
    h = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 2.0, 3.0, 0.0]])
    stats = metrics.sparsity_stats(h)
    assert stats.fraction_zero == pytest.approx(5 / 8)
    assert stats.mean_l0 == pytest.approx(1.5)
    assert stats.dead_units == 2 and stats.code_size == 4
    assert stats.lifetime.tolist() == [0.0, 1.0, 0.5, 0.0]
    assert metrics.sparsity_stats(h, threshold=1.5).mean_l0 == pytest.approx(1.0)
    with pytest.raises(ValueError):
        metrics.sparsity_stats(torch.zeros(3))


def test_linear_probe_separates_separable_codes_and_not_noise():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    codes = np.eye(3)[labels] * 3 + rng.normal(size=(600, 3)) * 0.3
    assert metrics.linear_probe(codes[:400], labels[:400], codes[400:], labels[400:]) > 0.95
    noise = rng.normal(size=(600, 3))
    assert metrics.linear_probe(noise[:400], labels[:400], noise[400:], labels[400:]) < 0.5
    with pytest.raises(ValueError, match="same number"):
        metrics.linear_probe(codes, labels[:10], codes, labels)


def test_reconstruction_error_of_a_model(digits):
    from aeutils import models

    model = models.LinearAutoencoder((1, 8, 8), 4)
    x = digits[0][:100]
    expected = float(((model(x).x_hat.detach() - x) ** 2).mean())
    assert metrics.reconstruction_error(model, x) == pytest.approx(expected, rel=1e-5)


def test_logistic_regression_is_l1_on_every_supported_scikit_learn():
    # before 1.8 an l1_ratio without penalty= is ignored (silently L2); from 1.8 penalty= warns
    assert metrics.penalty_arguments("l1", "1.3.2") == {"penalty": "l1"}
    assert metrics.penalty_arguments("l2", "1.7.0") == {"penalty": "l2"}
    assert metrics.penalty_arguments("l1", "1.8.0") == {"l1_ratio": 1.0}
    assert metrics.penalty_arguments("l2", "2.0") == {"l1_ratio": 0.0}
    with pytest.raises(ValueError, match="'l1' or 'l2'"):
        metrics.penalty_arguments("elasticnet")
    x = np.random.default_rng(0).random((200, 20))
    y = (x[:, 0] > 0.5).astype(int)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # no FutureWarning on this install
        l1 = metrics.logistic_regression("l1", C=0.1, max_iter=2000).fit(x, y)
        l2 = metrics.logistic_regression("l2", C=0.1, max_iter=2000).fit(x, y)
    assert np.mean(l1.coef_ == 0) > 0.5 and np.mean(l2.coef_ == 0) == 0
