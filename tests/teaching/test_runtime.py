import os
import subprocess
import sys

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


def test_submodules_are_listed_and_unknown_names_fail():
    assert aeutils.models.LinearAutoencoder is not None
    for name in ("widgets", "filters", "control", "masking", "english", "wiener", "device"):
        assert name in dir(aeutils)
    for name in ("filters", "control", "masking", "superposition", "wiener", "device"):
        assert name in aeutils.__all__
    with pytest.raises(AttributeError):
        aeutils.no_such_module  # noqa: B018


LAZY_CHECK = """
import sys
import aeutils, aeutils.instructor, aeutils.instructor.grade, aeutils.instructor.grader
import aeutils.instructor.cluster, aeutils.cli
assert 'torch' not in sys.modules, 'the package or the instructor tools imported torch'
import aeutils.losses  # a torch-using submodule, imported directly (not as an attribute)
import torch
threads = torch.get_num_threads()
from aeutils import device, seed_everything
assert device().type and seed_everything(0) is not None
print(threads)
"""


def test_package_loads_lazily_and_sets_threads_before_torch_work(tmp_path):
    """A fresh interpreter: the package and the grader's modules leave torch unimported; the
    first torch-using submodule, however it is imported, applies AEUTILS_THREADS first."""
    wanted = (os.cpu_count() or 1) + 1  # never torch's own default (the number of cores)
    env = {**os.environ, "AEUTILS_THREADS": str(wanted)}
    proc = subprocess.run([sys.executable, "-c", LAZY_CHECK], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.split()[-1]) == wanted


WORKER_IMPORTS = """
import sys
import aeutils.instructor.grader, nbformat
assert 'lark' not in sys.modules, 'the grading worker compiled the Lark grammar of rfc3987_syntax'
good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])
nbformat.validate(good)
bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])
bad.cells[0]['execution_count'] = 'one'
try:
    nbformat.validate(bad)
except nbformat.ValidationError:
    print('rejected')
"""


def test_grading_worker_skips_the_iri_grammar_and_still_validates_notebooks(tmp_path):
    """jsonschema's optional IRI checker costs ~0.9 CPU s of import per grading process; the
    instructor package goes without it, and nbformat still rejects a malformed notebook."""
    proc = subprocess.run([sys.executable, "-c", WORKER_IMPORTS], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["rejected"]


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
