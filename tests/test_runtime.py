import pytest
import torch

import aeutils


def test_device_defaults_to_cpu_without_accelerators(monkeypatch):
    monkeypatch.delenv("AEUTILS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(aeutils.runtime, "_mps_available", lambda: False)
    assert aeutils.device() == torch.device("cpu")


def test_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("AEUTILS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert aeutils.device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(aeutils.runtime, "_mps_available", lambda: True)
    assert aeutils.device() == torch.device("mps")


def test_device_environment_override(monkeypatch):
    monkeypatch.setenv("AEUTILS_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert aeutils.device() == torch.device("cpu")


@pytest.mark.parametrize("value, meaning", [("gpu0", "not a device name"), ("cuda", "no CUDA GPU")])
def test_device_bad_override_says_what_to_do(monkeypatch, value, meaning):
    monkeypatch.setenv("AEUTILS_DEVICE", value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=meaning):
        aeutils.device()


def test_seed_everything_repeats_draws():
    g = aeutils.seed_everything(3)
    a = (torch.rand(4), torch.rand(2, generator=g))
    g = aeutils.seed_everything(3)
    b = (torch.rand(4), torch.rand(2, generator=g))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(TypeError):
        aeutils.seed_everything(1.5)


def test_submodules_load_lazily_and_unknown_names_fail():
    assert aeutils.models.LinearAutoencoder is not None
    assert "widgets" in dir(aeutils)
    with pytest.raises(AttributeError):
        aeutils.no_such_module  # noqa: B018


def test_cpu_threads_default_to_one_and_follow_the_environment(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("AEUTILS_THREADS", raising=False)
        assert aeutils.runtime.configure_cpu_threads() == 1 and torch.get_num_threads() == 1
        from threadpoolctl import threadpool_info

        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        monkeypatch.setenv("AEUTILS_THREADS", "2")
        assert aeutils.runtime.configure_cpu_threads() == 2 and torch.get_num_threads() == 2
        for bad in ("two", "0"):
            monkeypatch.setenv("AEUTILS_THREADS", bad)
            with pytest.raises(ValueError, match="AEUTILS_THREADS"):
                aeutils.runtime.configure_cpu_threads()
    finally:
        torch.set_num_threads(before)
