import numpy as np
import pytest
import torch

from aeutils.filters import energy_concentration, subspace_energy


def test_one_hot_filter_is_fully_localized():
    w = np.zeros((3, 64))
    w[0, 5] = 2.0
    w[1, [0, 63]] = [1.0, -1.0]
    w[2] = 1.0
    share = energy_concentration(w, top=2)
    np.testing.assert_allclose(share, [1.0, 1.0, 2 / 64])


def test_flat_filter_gives_top_over_d_and_accepts_image_shapes():
    w = torch.ones(4, 1, 8, 8)
    np.testing.assert_allclose(energy_concentration(w, top=8), np.full(4, 8 / 64))


def test_counts_the_strongest_pixels_whatever_their_sign():
    w = np.array([[3.0, -4.0, 0.0, 0.0, 0.0]])
    assert energy_concentration(w, top=1)[0] == pytest.approx(16 / 25)
    assert energy_concentration(w, top=2)[0] == pytest.approx(1.0)


def test_random_filters_sit_between_flat_and_localized():
    rng = np.random.default_rng(0)
    share = energy_concentration(rng.standard_normal((500, 64)), top=8).mean()
    assert 8 / 64 + 0.2 < share < 0.7


@pytest.mark.parametrize("bad, top", [(np.zeros((2, 16)), 4), (np.ones((2, 16)), 0),
                                      (np.ones((2, 16)), 17), (np.ones(16), 4)])
def test_rejects_bad_input(bad, top):
    with pytest.raises(ValueError):
        energy_concentration(bad, top=top)



def test_subspace_energy_inside_outside_and_random():
    basis = np.eye(10)[:3]                                   # span of the first 3 pixels
    w = np.array([[1.0, 2.0, 0, 0, 0, 0, 0, 0, 0, 0],      # fully inside
                  [0, 0, 0, 1.0, 0, 0, 0, 0, 0, 0],        # fully outside
                  [1.0, 0, 0, 1.0, 0, 0, 0, 0, 0, 0]])     # half and half
    np.testing.assert_allclose(subspace_energy(w, basis), [1.0, 0.0, 0.5])
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((100, 10)))
    share = subspace_energy(torch.as_tensor(rng.standard_normal((400, 1, 10, 10))), q.T)
    assert share.mean() == pytest.approx(0.1, abs=0.02)


@pytest.mark.parametrize("w, basis", [(np.ones((2, 4)), 2 * np.eye(4)[:2]),
                                      (np.ones((2, 4)), np.eye(5)[:2]),
                                      (np.zeros((2, 4)), np.eye(4)[:2])])
def test_subspace_energy_rejects_bad_input(w, basis):
    with pytest.raises(ValueError):
        subspace_energy(w, basis)
