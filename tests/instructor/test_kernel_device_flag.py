"""`aeutils grade --device auto|cpu|cuda`: resolved once per batch, handed to every kernel."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from aeutils.cli import main
from aeutils.instructor import kernel_device, launcher
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


def test_a_cuda_kernel_is_shown_the_gpus_device_files_and_its_visible_devices(tmp_path, monkeypatch):
    """The GPU sandbox's mounts without a GPU: a made-up /dev with the NVIDIA driver's files."""
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "sda", "null"):
        (tmp_path / name).touch()
    (tmp_path / "nvidia-caps").mkdir()
    binds = launcher.gpu_binds(tmp_path)
    bound = [binds[i + 1] for i, arg in enumerate(binds) if arg == "--dev-bind"]
    assert bound == [str(tmp_path / n) for n in ("nvidia-caps", "nvidia-uvm", "nvidia0",
                                                 "nvidia1", "nvidiactl")]
    assert binds[-6:] == ["--ro-bind-try", "/sys", "/sys", "--ro-bind-try", "/proc/driver",
                          "/proc/driver"]
    monkeypatch.setattr(launcher, "DEV", tmp_path)
    box = tmp_path / "box"
    cpu = launcher.bwrap_command(SandboxSpec(sandbox_base="/x", device="cpu"), box, ["k"])
    gpu = launcher.bwrap_command(SandboxSpec(sandbox_base="/x", device="cuda"), box, ["k"])
    assert "--dev-bind" not in cpu and "/sys" not in cpu
    assert gpu[gpu.index("--dev-bind"):][:len(binds)] == launcher.gpu_binds(tmp_path)
    assert gpu.index("--dev-bind") > gpu.index("--dev")  # after bwrap's own /dev, not under it
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert kernel_env(SandboxSpec(sandbox_base="/x", device="cuda"), box, box)["CUDA_VISIBLE_DEVICES"] == "1"
    assert "CUDA_VISIBLE_DEVICES" not in kernel_env(SandboxSpec(sandbox_base="/x"), box, box)


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


def _cluster_job(tmp_path, device: str):
    from aeutils.instructor.job import Setup, job_for

    setup = Setup(template=str(tmp_path), course_root="/course", sandbox_base="/sb", work="/w",
                  hide=(), expose=(), threads=1, isolate=False, tool=None,
                  limits=launcher.KernelLimits(), timeout_s=60, device=device, batch="b")
    return job_for("ann", "hw", tmp_path / "ann" / "hw", "hash", setup, "0")


@pytest.mark.parametrize("choice, has_gpu, kernels", [
    ("auto", False, "cpu"), ("auto", True, "cuda"), ("cpu", True, "cpu"), ("cuda", True, "cuda")])
def test_with_a_scheduler_each_worker_resolves_the_device_itself(tmp_path, monkeypatch, choice,
                                                                  has_gpu, kernels):
    """`--device` with `--scheduler`: the batch sends the choice unresolved (the main machine may
    have no GPU where the workers do), and the worker that grades resolves it for its kernels."""
    from aeutils.instructor import cluster

    monkeypatch.setattr(kernel_device, "cuda_available", lambda: has_gpu)
    here = cluster.place_here(_cluster_job(tmp_path, choice), tmp_path / "base", tmp_path / "sb", 1)
    assert here.device == kernels


def test_cuda_on_a_cluster_without_a_gpu_stops_before_any_task(tmp_path, monkeypatch):
    from aeutils.instructor import cluster

    cpu_only = {"tcp://a:1": {"cuda": False}, "tcp://b:1": {"cuda": False}}
    with pytest.raises(CourseError, match="none of the 2 Dask worker.s. sees a CUDA GPU.*--device auto"):
        cluster.check_kernel_device([_cluster_job(tmp_path, "cuda")], cpu_only)
    cluster.check_kernel_device([_cluster_job(tmp_path, "auto")], cpu_only)  # each uses its CPU
    cluster.check_kernel_device([_cluster_job(tmp_path, "cuda")],
                                {**cpu_only, "tcp://gpu:1": {"cuda": True}})
    monkeypatch.setattr(kernel_device, "cuda_available", lambda: False)
    with pytest.raises(CourseError, match="torch sees no CUDA GPU"):  # and a worker refuses too
        cluster.place_here(_cluster_job(tmp_path, "cuda"), tmp_path / "base", tmp_path / "sb", 1)
