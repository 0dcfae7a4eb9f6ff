"""The strict device harness and the hand-off blocker of aeutils.grading, on a CPU-only machine."""

from __future__ import annotations

import sys

import pytest
import torch

import aeutils.noise
from aeutils import grading
from aeutils.grading import GradingError


def good_scatter(h, idx, val):
    """Zeros shaped like h with val scattered in: h, val: (batch, n), idx: (batch, k) int64."""
    return torch.zeros_like(h).scatter(1, idx, val)


def bad_zeros(h, idx, val):
    return torch.zeros(h.shape).scatter(1, idx, val)  # created on the default (CPU) device


def good_noise(x, std, generator=None):
    where = generator.device if generator is not None else x.device
    return x + std * torch.randn(x.shape, generator=generator, device=where).to(x.device)


def missing_device(x, std, generator=None):
    return x + std * torch.randn(x.shape, generator=generator)


def cpu_in_the_middle(x, std, generator=None):
    return (x.cpu() * 2).clamp(0, 1) + 0 * std


def cpu_result(x):
    return torch.zeros(x.shape[0]).add_(1.0)  # a fresh CPU tensor, no mixing: only the result shows


def needs_values(x):
    return x[x > 0.5].sum() * torch.ones(1, device=x.device)


def module_on_wrong_device(x):
    layer = torch.nn.Linear(x.shape[1], 3)  # never moved to x.device
    return layer(x)


def _inputs():
    g = torch.Generator().manual_seed(0)
    h = torch.rand(4, 6, generator=g)
    idx = torch.topk(h, 2, dim=1).indices
    return h, idx, torch.gather(h, 1, idx)


def test_a_correct_function_passes_and_returns_the_real_result():
    h, idx, val = _inputs()
    out = grading.run_on_device(good_scatter, h, idx, val)
    assert out.device == h.device and torch.equal(out, good_scatter(h, idx, val))


@pytest.mark.parametrize("fn", [bad_zeros, module_on_wrong_device])
def test_a_tensor_made_on_the_cpu_fails(fn):
    h, idx, val = _inputs()
    args = (h, idx, val) if fn is bad_zeros else (h,)
    with pytest.raises(GradingError, match="device"):
        grading.run_on_device(fn, *args)


def test_missing_device_fails_and_generators_are_left_untouched():
    x = torch.full((8, 5), 0.5)
    g = torch.Generator().manual_seed(3)
    a = grading.run_on_device(good_noise, x, 0.1, generator=g)
    b = good_noise(x, 0.1, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b), "the harness must not consume the generator's state"
    with pytest.raises(GradingError, match="device"):
        grading.run_on_device(missing_device, x, 0.1)


def test_cpu_in_the_middle_fails():
    with pytest.raises(GradingError, match="moved off its device"):
        grading.run_on_device(cpu_in_the_middle, torch.rand(3, 3), 0.1)


def test_a_result_left_on_the_cpu_fails():
    with pytest.raises(GradingError, match="returned the result on cpu"):
        grading.run_on_device(cpu_result, torch.rand(3, 3))


def test_value_dependent_code_is_inconclusive_unless_strict():
    x = torch.rand(10, 4)
    out = grading.run_on_device(needs_values, x)
    assert torch.allclose(out, needs_values(x))
    with pytest.raises(GradingError, match="needs tensor values"):
        grading.run_on_device(needs_values, x, strict=True)


def test_inputs_are_not_changed_by_the_trial_calls():
    def in_place(x):
        x.mul_(2)
        return x

    x = torch.ones(3)
    grading.run_on_device(in_place, x)
    assert torch.equal(x, torch.full((3,), 2.0)), "only the real call may change the input"


def test_without_blocks_the_reference_everywhere_and_restores_it():
    original = aeutils.noise.gaussian
    main = sys.modules["__main__"]
    main._asg_alias = original  # what `from aeutils.noise import gaussian` in a notebook does

    def hand_off(x):
        return aeutils.noise.gaussian(x, 0.1)

    try:
        with grading.without("aeutils.noise.gaussian", task="gaussian_noise"):
            with pytest.raises(GradingError, match="write gaussian_noise yourself.*"
                                                   "aeutils.noise.gaussian earns no points"):
                hand_off(torch.rand(2, 2))
            with pytest.raises(GradingError):
                main._asg_alias(torch.rand(2, 2), 0.1)
        assert aeutils.noise.gaussian is original and main._asg_alias is original
    finally:
        del main._asg_alias
    with pytest.raises(ValueError, match="no attribute"):
        with grading.without("aeutils.noise.no_such_function"):
            pass
