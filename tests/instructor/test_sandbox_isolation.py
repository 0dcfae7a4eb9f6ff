"""What a sandboxed kernel can reach, checked through the real launcher, under bwrap and under the
hand-written fallback: the same command line a grading kernel gets, with a short script in place of
``python -m ipykernel_launcher`` (no Jupyter kernel: a few seconds per sandbox)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from aeutils.instructor import launcher
from aeutils.instructor.lock import claim_slots
from aeutils.instructor.sandbox import _unshare_works, bwrap_problem, sandbox_views

pytestmark = pytest.mark.grading

PROBE = r"""
import json, os, socket, sys
course, port = sys.argv[1], int(sys.argv[2])
out = {"uid": os.getuid(), "cwd_files": sorted(os.listdir(".")),
       "processes": sum(name.isdigit() for name in os.listdir("/proc"))}
def attempt(name, action):
    try:
        action()
        out[name] = "allowed"
    except OSError as err:
        out[name] = type(err).__name__
attempt("read_shadow", lambda: open("/etc/shadow").read(1))
attempt("read_solution", lambda: open(os.path.join(course, "solution.txt")).read())
attempt("write_course", lambda: open(os.path.join(course, "evil.txt"), "w").write("x"))
attempt("network", lambda: socket.create_connection(("127.0.0.1", port), timeout=3).close())
attempt("write_env", lambda: open(os.path.join(sys.prefix, "evil.txt"), "w").write("x"))
attempt("big_file", lambda: open("big.bin", "wb").write(b"0" * (2 * 2**20)))
attempt("small_file", lambda: open("small.bin", "wb").write(b"0" * 1000))
out["sys"] = os.path.isdir("/sys/class")  # what the GPU's driver reads
attempt("write_sys", lambda: open("/sys/kernel/evil", "w").write("x"))
import aeutils.instructor.probe  # the package and the environment are visible
print(json.dumps(out))
"""


def _available(tool: str) -> str | None:
    """Why ``tool`` cannot be tested here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root: the sandbox runs the kernel as a uid of its own"
    if tool == "bwrap":
        problem = bwrap_problem()
        return f"bwrap cannot run here: {problem}" if problem else None
    return None if _unshare_works() else "unshare cannot make namespaces here"


def _probe_in_sandbox(tmp_path: Path, tool: str, device: str = "cpu") -> tuple[dict, int, Path]:
    """PROBE run through the launcher's stage1 as a kernel would be: (what it saw, its slot,
    the course folder it had to be kept from)."""
    why = _available(tool)
    if why:
        pytest.skip(why)
    course = tmp_path / "course"  # stands for the course: solutions, gradebook
    course.mkdir()
    (course / "solution.txt").write_text("the answer")
    os.chmod(course, 0o755)  # readable by anyone: only the sandbox may keep it out of reach
    os.chmod(course / "solution.txt", 0o644)
    notebook_dir = tmp_path / "autograded"  # what nbclient starts the kernel in
    notebook_dir.mkdir()
    (notebook_dir / "data.txt").write_text("released data")
    base = tmp_path / "sandboxes"
    base.mkdir(mode=0o711)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    hide, expose = sandbox_views([str(course)])
    with claim_slots(1) as (slot,):
        box = base / "k0"
        box.mkdir()
        os.chown(box, launcher.BASE_UID + slot, launcher.NOGROUP)
        os.chmod(box, 0o700)
        (box / "kernel.json").write_text("{}")
        spec = launcher.SandboxSpec(sandbox_base=str(base), slot=slot, tool=tool, hide=hide,
                                    expose=expose, device=device,
                                    limits=launcher.KernelLimits(max_file_mb=1))
        spec.save(tmp_path / "spec.json")
        proc = subprocess.run(
            [sys.executable, "-I", launcher.__file__, "stage1", str(tmp_path / "spec.json"),
             str(box), str(os.getpid()), "--", sys.executable, "-c", PROBE, str(course),
             str(listener.getsockname()[1])],
            cwd=notebook_dir, capture_output=True, text=True, timeout=120)
    listener.close()
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), slot, course


@pytest.mark.parametrize("tool", ["bwrap", "unshare"])
def test_sandboxed_kernel_reaches_nothing_it_must_not(tmp_path, tool):
    seen, slot, course = _probe_in_sandbox(tmp_path, tool)
    assert seen["uid"] == launcher.BASE_UID + slot  # its own uid, not root's
    assert seen["processes"] <= 4  # its own PID namespace: the init, a shell or two, itself
    assert "data.txt" in seen["cwd_files"]
    assert seen["read_shadow"] != "allowed"
    assert seen["read_solution"] != "allowed"
    assert seen["write_course"] != "allowed" and not (course / "evil.txt").exists()
    assert seen["network"] != "allowed"
    assert seen["write_env"] != "allowed" and not (Path(sys.prefix) / "evil.txt").exists()
    assert seen["big_file"] != "allowed" and seen["small_file"] == "allowed"  # max_file_mb
    assert seen["write_sys"] != "allowed"
    if tool == "bwrap":  # an empty root: no /sys for a CPU kernel
        assert not seen["sys"]


def test_a_gpu_kernels_bwrap_sandbox_shows_the_driver_files_read_only(tmp_path):
    """A CUDA batch's sandbox (launcher.gpu_binds, here on a machine without NVIDIA device files):
    bwrap accepts the binds in their place among the others, the kernel sees /sys but cannot
    write it, and everything else stays out of reach as for a CPU kernel."""
    seen, slot, _ = _probe_in_sandbox(tmp_path, "bwrap", device="cuda")
    assert seen["sys"] and seen["write_sys"] != "allowed"
    assert seen["uid"] == launcher.BASE_UID + slot
    assert "allowed" not in {seen[k] for k in ("read_shadow", "read_solution", "write_course",
                                               "network", "write_env")}


@pytest.mark.parametrize("parent", ["alive", "gone"])
def test_a_launcher_whose_grading_worker_is_already_gone_starts_nothing(tmp_path, parent):
    """The race a killed Dask worker hit (its submission's bwrap and kernel ran on, re-parented to
    init): the grading worker died after starting the launcher but before the launcher asked to
    die with it. The launcher checks its parent right after asking; with a parent that is not
    its own any more it exits at once, silently, before it starts anything."""
    marker = tmp_path / "kernel-started"
    box = tmp_path / "box"
    box.mkdir()
    (box / "kernel.json").write_text("{}")
    launcher.SandboxSpec(sandbox_base=str(tmp_path), isolate=False).save(tmp_path / "spec.json")
    gone = subprocess.Popen(["true"])
    gone.wait()
    pid = os.getpid() if parent == "alive" else gone.pid
    proc = subprocess.run(
        [sys.executable, "-I", launcher.__file__, "stage1", str(tmp_path / "spec.json"), str(box),
         str(pid), "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    if parent == "alive":
        assert proc.returncode == 0 and marker.exists(), proc.stderr
    else:
        assert (proc.returncode, proc.stderr, marker.exists()) == (1, "", False), proc.stderr


#: Starts the launcher as its child, says the child's pid, then waits to be killed.
_WORKER = r"""
import os, subprocess, sys, time
launcher, spec, box = sys.argv[1:4]
kernel = [sys.executable, "-c", "import time; time.sleep(600)"]
child = subprocess.Popen([sys.executable, "-I", launcher, "stage1", spec, box, str(os.getpid()),
                          "--", *kernel])
print(child.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("tool", ["bwrap", "unshare"])
def test_a_killed_grading_worker_takes_its_sandbox_with_it(tmp_path, tool):
    """SIGKILL the process that started the launcher (as a killed Dask worker's grading worker
    is killed): the launcher, the sandbox and the kernel all die with it."""
    import signal
    import time

    why = _available(tool)
    if why:
        pytest.skip(why)
    base = tmp_path / "sandboxes"
    base.mkdir(mode=0o711)
    with claim_slots(1) as (slot,):
        box = base / "k0"
        box.mkdir()
        os.chown(box, launcher.BASE_UID + slot, launcher.NOGROUP)
        os.chmod(box, 0o700)
        (box / "kernel.json").write_text("{}")
        hide, expose = sandbox_views([str(tmp_path / "course")])
        launcher.SandboxSpec(sandbox_base=str(base), slot=slot, tool=tool, hide=hide,
                             expose=expose).save(tmp_path / "spec.json")
        worker = subprocess.Popen(
            [sys.executable, "-c", _WORKER, launcher.__file__, str(tmp_path / "spec.json"),
             str(box)], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        try:
            launcher_pid = int(worker.stdout.readline())
            deadline = time.monotonic() + 60
            while not _uid_processes(launcher.BASE_UID + slot):
                assert time.monotonic() < deadline, "the sandboxed kernel never started"
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        deadline = time.monotonic() + 30
        while _alive(launcher_pid) or _uid_processes(launcher.BASE_UID + slot):
            assert time.monotonic() < deadline, (
                f"left running after its grading worker was killed: launcher "
                f"{_alive(launcher_pid)}, sandbox {_uid_processes(launcher.BASE_UID + slot)}")
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _uid_processes(uid: int) -> list[str]:
    out = subprocess.run(["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if int(line.split()[0]) == uid]
