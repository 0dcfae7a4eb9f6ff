"""`aeutils grade --device auto|cpu|cuda`: resolved once per batch, handed to every kernel."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from aeutils.cli import main
from aeutils.instructor import kernel_device
from aeutils.instructor.config import CourseError
from aeutils.instructor.launcher import SandboxSpec, kernel_env, kernel_limits

pytestmark = pytest.mark.grading


def test_auto_follows_the_machine(monkeypatch):
    monkeypatch.setattr(kernel_device, "cuda_available", lambda: False)
    assert kernel_device.resolve_kernel_device("auto") == "cpu"
    assert kernel_device.resolve_kernel_device(None) == "cpu"
    monkeypatch.setattr(kernel_device, "cuda_available", lambda: True)
    assert kernel_device.resolve_kernel_device("auto") == "cuda"
    assert kernel_device.resolve_kernel_device("cpu") == "cpu"
    with pytest.raises(CourseError, match="expected one of auto, cpu, cuda"):
        kernel_device.resolve_kernel_device("tpu")


def test_cuda_without_a_gpu_is_a_clear_error(fixture_course, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(kernel_device, "cuda_available", lambda: False)
    code = main(["--course", str(fixture_course), "grade", str(tmp_path), "--device", "cuda"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--device cuda: torch sees no CUDA GPU" in err and "--device cpu" in err


def test_the_kernel_gets_the_batch_device_and_cuda_keeps_its_address_space():
    box, work = Path("/nonexistent/box"), Path("/nonexistent/box/work")
    cpu = SandboxSpec(sandbox_base="/x", device="cpu")
    gpu = SandboxSpec(sandbox_base="/x", device="cuda")
    assert kernel_env(cpu, box, work)["AEUTILS_DEVICE"] == "cpu"
    assert kernel_env(gpu, box, work)["AEUTILS_DEVICE"] == "cuda"
    assert resource.RLIMIT_AS in dict(kernel_limits(cpu))
    assert resource.RLIMIT_AS not in dict(kernel_limits(gpu))
    assert resource.RLIMIT_CPU in dict(kernel_limits(gpu))


def test_the_kernel_inherits_the_graders_cpu_kernel_choices_and_nothing_else(monkeypatch):
    """`make test-portable` grades the solutions with other CPU kernels: the sandbox's clean
    environment must pass those choices on (or the run would silently grade natively)."""
    box, work = Path("/nonexistent/box"), Path("/nonexistent/box/work")
    spec = SandboxSpec(sandbox_base="/x")
    assert "MKL_CBWR" not in kernel_env(spec, box, work)
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    monkeypatch.setenv("SECRET_TOKEN", "grader's")
    env = kernel_env(spec, box, work)
    assert (env["MKL_CBWR"], env["ATEN_CPU_CAPABILITY"]) == ("COMPATIBLE", "avx2")
    assert "SECRET_TOKEN" not in env
