"""The sandbox launcher: runs as a plain script (no package imports), so it starts fast.

``SandboxKernelManager`` (sandbox.py) launches every grading kernel as::

    python -I .../launcher.py stage1 SPEC SANDBOX_DIR PARENT_PID -- python -m ipykernel_launcher -f ...

See :mod:`aeutils.instructor.sandbox` for what each stage does. Standard library only.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: uids handed to sandboxed kernels: BASE_UID + slot (one slot per concurrent worker).
BASE_UID = 61000
NOGROUP = 65534


@dataclass(frozen=True)
class KernelLimits:
    """What one student's kernel may use: the one home of these limits and their defaults.

    ``c.GradingLimits`` in nbgrader_config.py sets them (:func:`.config.sandbox_limits`), a
    :class:`~.job.Job` and the :class:`SandboxSpec` carry them, :func:`kernel_limits` and the
    sandbox's working folder apply them.
    """

    memory_mb: int = 4096  # address space (RLIMIT_AS), MiB
    max_processes: int = 256  # processes and threads of the sandbox user (RLIMIT_NPROC)
    max_file_mb: int = 64  # largest file the kernel may write (RLIMIT_FSIZE), MiB
    workdir_mb: int = 256  # the kernel's in-memory working folder, MiB
    cpu_seconds: int = 1200  # CPU time (RLIMIT_CPU)


#: characters of output kept per cell while grading; the executor drops the rest with a note
MAX_OUTPUT_CHARS = 100_000


@dataclass
class SandboxSpec:
    """Everything the launcher needs; written to JSON by the worker, read by the launcher."""

    sandbox_base: str
    slot: int = 0
    limits: KernelLimits = field(default_factory=KernelLimits)
    threads: int = 1
    hide: list[str] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    extra_files: str | None = None  # folder whose files are copied into the working folder too
    isolate: bool = True
    #: how an isolated kernel is sandboxed: "bwrap" (bubblewrap) or "unshare" (the hand-written
    #: fallback where bwrap is not installed); see :func:`aeutils.instructor.sandbox.sandbox_tool`
    tool: str = "unshare"
    device: str = "cpu"  # AEUTILS_DEVICE of the kernel: the batch's --device, resolved
    #: AEUTILS_GRADING_BATCH of the kernel (:func:`batch_label`): which batch a process left
    #: behind belongs to, when several batches share a machine
    batch: str = ""

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SandboxSpec:
        data = json.loads(Path(path).read_text())
        return cls(**{**data, "limits": KernelLimits(**data.get("limits", {}))})


def batch_label(course_root: str | os.PathLike[str]) -> str:
    """The label every kernel of a course's batch carries (one batch per course at a time).

    A hash, so that the kernel learns nothing about where the course lives.
    """
    digest = hashlib.sha256(str(Path(course_root).resolve()).encode()).hexdigest()
    return f"course-{digest[:16]}"


def die_with_parent(parent: int) -> None:
    """Ask the OS to SIGKILL this process when ``parent`` dies, and exit now if it already has.

    The request is made after the fork, so a parent that died in between would leave this
    process running on its own, re-parented to init: a Dask worker killed while its submission's
    kernel was starting left that sandbox and kernel alive. Checking the parent after the request
    closes the gap. Call it in the child (a ``preexec_fn``, or first thing in a launched script).
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # pragma: no cover - non-glibc systems
        return
    if os.getppid() != parent:
        os._exit(1)


def _copy_tree(src: Path, dst: Path, uid: int | None) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part.startswith(".ipynb_checkpoints") for part in rel.parts):
            continue
        target = dst / rel
        if path.is_symlink():
            continue  # never follow a student's link out of its folder
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.is_file():
            shutil.copyfile(path, target)
        else:
            continue
        if uid is not None:
            os.chown(target, uid, NOGROUP)


def stage1(spec_file: str, sandbox_dir: str, kernel: list[str], parent: int) -> None:
    """Prepare the sandbox folder and exec bwrap or unshare (or, without root, the kernel).

    ``parent`` is the pid of the process that started this one (the grading worker): the whole
    sandbox dies with it.
    """
    die_with_parent(parent)  # first: everything this stage starts inherits it through exec
    spec = SandboxSpec.load(spec_file)
    box = Path(sandbox_dir)
    uid = BASE_UID + spec.slot if spec.isolate else None
    init = box / "init"
    init.mkdir(exist_ok=True)
    if spec.extra_files and Path(spec.extra_files).is_dir():
        _copy_tree(Path(spec.extra_files), init, uid)
    _copy_tree(Path.cwd(), init, uid)  # nbclient starts us in nbgrader's autograded folder
    conn = box / "kernel.json"
    if uid is not None:
        os.chown(conn, uid, NOGROUP)
        os.chown(init, uid, NOGROUP)
    os.chmod(conn, 0o400)
    spec_copy = box / "spec.json"
    shutil.copyfile(spec_file, spec_copy)
    me = [sys.executable, "-I", os.path.abspath(__file__), "stage2", str(spec_copy), sandbox_dir]
    if spec.isolate and spec.tool == "bwrap":
        for which, value in kernel_limits(spec):  # inherited through bwrap and setpriv
            resource.setrlimit(which, (value, value))
        # The kernel's interrupts reach it through its process group (jupyter_client's killpg);
        # bwrap, in that group too, would die of SIGINT and take the sandbox with it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        (box / "work").mkdir(exist_ok=True)  # where bwrap mounts the working folder
        cmd = bwrap_command(spec, box, kernel)
        os.execvpe(cmd[0], cmd, kernel_env(spec, box, box / "work"))
    if spec.isolate:
        os.execvp(
            "unshare",
            [
                "unshare", "--net", "--mount", "--pid", "--fork", "--kill-child=SIGKILL",
                "--mount-proc", "--propagation", "private", "--", *me, "--", *kernel,
            ],
        )
    else:
        os.execv(me[0], [*me, "--", *kernel])


#: Files of /etc a Python kernel reads (the dynamic linker's cache, users and groups by name, time
#: zone, fonts); nothing else of /etc is visible in the bwrap sandbox (no /etc/shadow).
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
             "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/alternatives",
             "/etc/fonts", "/etc/mime.types")
#: Namespaces of the bwrap sandbox. No user namespace: bwrap runs as root to mount what root
#: can reach (an interpreter under /root), and setpriv inside drops to the slot's own uid.
BWRAP_NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                    "--unshare-cgroup-try", "--die-with-parent")
#: What bwrap runs inside the sandbox as the slot's uid: fill the working folder, then the kernel.
_ENTER = 'mkdir -p /tmp/home /tmp/ipython /tmp/mpl && cp -R "$1"/. . && shift && exec "$@"'


#: Where the NVIDIA driver's device files are (nvidia0, nvidiactl, nvidia-uvm, nvidia-caps/...)
DEV = Path("/dev")


def gpu_binds(dev: Path) -> list[str]:
    """The bwrap arguments that show a CUDA kernel its GPU: each NVIDIA device file under ``dev``
    bound at its own path (bwrap's own /dev has none), and what the driver reads, read-only:
    /sys and /proc/driver (``-try``: absent on a machine without the driver)."""
    files = [arg for path in sorted(dev.glob("nvidia*")) for arg in ("--dev-bind", str(path), str(path))]
    return [*files, "--ro-bind-try", "/sys", "/sys", "--ro-bind-try", "/proc/driver", "/proc/driver"]


def bwrap_command(spec: SandboxSpec, box: Path, kernel: list[str]) -> list[str]:
    """The ``bwrap ... -- setpriv ... -- KERNEL`` command line of an isolated kernel.

    The sandbox starts from an empty root: read-only /usr (and the /bin, /lib links), a few
    files of /etc, the exposed folders (the Python environment, the ``aeutils`` package), the
    sandbox folder (connection file and sockets, read-write), a size-limited private /tmp and
    working folder, its own /proc and /dev, no network. The hidden folders are simply absent
    (or covered, where one lies inside an exposed folder). bwrap's own PID 1 reaps orphans and
    everything in the sandbox dies with it (``--die-with-parent``).
    """
    uid = BASE_UID + spec.slot
    mib = 1024 * 1024
    cmd = ["bwrap", *BWRAP_NAMESPACES, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
           "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    cmd += ["--perms", "0755", "--dir", "/etc"]
    for path in ETC_FILES:
        cmd += ["--ro-bind-try", path, path]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(64 * mib), "--tmpfs", "/tmp"]
    if spec.device.startswith("cuda"):
        cmd += gpu_binds(DEV)
    exposed = [p for p in dict.fromkeys(spec.expose) if os.path.exists(p)]
    made = {Path("/"), Path("/usr"), Path("/tmp")}

    def folders_above(path: str | Path) -> list[str]:  # else bwrap makes them mode 0700
        new = [f for f in reversed(Path(path).parents) if f not in made]
        made.update(new)
        return [arg for f in new for arg in ("--perms", "0755", "--dir", str(f))]

    for path in exposed:
        cmd += [*folders_above(path), "--ro-bind", path, path]
        made.add(Path(path))
    for path in spec.hide:
        if any(Path(e) in Path(path).parents for e in exposed) and os.path.isdir(path):
            cmd += ["--size", str(mib), "--tmpfs", path]
    work = box / "work"
    cmd += [*folders_above(box), "--bind", str(box), str(box),
            "--perms", "1777", "--size", str(spec.limits.workdir_mb * mib), "--tmpfs", str(work),
            "--chdir", str(work), "--",
            "setpriv", f"--reuid={uid}", f"--regid={NOGROUP}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--",
            "/bin/sh", "-c", _ENTER, "sh", str(box / "init"), *kernel]
    return cmd


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def stage2(spec_file: str, sandbox_dir: str, kernel: list[str]) -> None:
    """Inside the namespaces: build the private file view, set limits, drop privileges, exec."""
    spec = SandboxSpec.load(spec_file)
    box = Path(sandbox_dir)
    work = box / "work"
    uid = BASE_UID + spec.slot
    if spec.isolate:
        # Keep what the kernel needs, then cover everything sensitive with empty tmpfs mounts.
        keep = [p for p in [*spec.expose, sandbox_dir] if os.path.exists(p)]
        _mount("-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", "/mnt")
        for i, path in enumerate(keep):
            os.mkdir(f"/mnt/{i}")
            _mount("--rbind", path, f"/mnt/{i}")
        hide = [*spec.hide, "/tmp", "/var/tmp", "/dev/shm", "/run/lock"]  # world-writable
        for path in sorted(set(hide), key=len):
            if os.path.isdir(path):
                _mount("-t", "tmpfs", "-o", "size=64m,mode=1777,nosuid,nodev", "tmpfs", path)
        for i, path in enumerate(keep):
            os.makedirs(path, exist_ok=True)
            _mount("--move", f"/mnt/{i}", path)
        work.mkdir(exist_ok=True)
        _mount(
            "-t", "tmpfs", "-o",
            f"size={spec.limits.workdir_mb}m,mode=0700,uid={uid},gid={NOGROUP},nosuid,nodev",
            "tmpfs", str(work),
        )
        _copy_tree(box / "init", work, uid)
        for sub in ("tmp/home", "tmp/ipython", "tmp/mpl"):
            os.makedirs(f"/{sub}", exist_ok=True)
            os.chown(f"/{sub}", uid, NOGROUP)
    else:
        work.mkdir(exist_ok=True)
        _copy_tree(box / "init", work, None)
    env = kernel_env(spec, box, work)
    for which, value in kernel_limits(spec):
        resource.setrlimit(which, (value, value))
    os.chdir(work)
    if spec.isolate:
        cmd = [
            "setpriv", f"--reuid={uid}", f"--regid={NOGROUP}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--", *kernel,
        ]
        _init(cmd, env)
    os.execve(kernel[0], kernel, env)


#: The CPU-kernel choices a kernel inherits when the grader sets them: they pick arithmetic code
#: paths and nothing else (``make test-portable`` grades the solutions with other kernels, so
#: that a threshold that holds only on one CPU family fails there too).
KERNEL_CHOICES = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "DNNL_MAX_CPU_ISA", "MKL_CBWR")


def kernel_env(spec: SandboxSpec, box: Path, work: Path) -> dict[str, str]:
    """The kernel's whole environment (nothing else is inherited from the grader but the
    :data:`KERNEL_CHOICES` it sets)."""
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/home" if spec.isolate else str(work),
        "IPYTHONDIR": "/tmp/ipython" if spec.isolate else str(box / "ipython"),
        "MPLCONFIGDIR": "/tmp/mpl" if spec.isolate else str(box / "mpl"),
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": str(spec.threads),
        "MKL_NUM_THREADS": str(spec.threads),
        "AEUTILS_DEVICE": spec.device,
        "AEUTILS_GRADING": "1",
        "AEUTILS_GRADING_BATCH": spec.batch,
        "USER": "student",
    }
    if spec.device.startswith("cuda") and "CUDA_VISIBLE_DEVICES" in os.environ:
        env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]  # the GPUs it may use
    env.update({name: os.environ[name] for name in KERNEL_CHOICES if name in os.environ})
    return env


def kernel_limits(spec: SandboxSpec) -> list[tuple[int, int]]:
    """(resource, limit) pairs set on the kernel before it starts."""
    mib = 1024 * 1024
    limits = [
        (resource.RLIMIT_FSIZE, spec.limits.max_file_mb * mib),
        (resource.RLIMIT_CPU, spec.limits.cpu_seconds),
        (resource.RLIMIT_CORE, 0),
    ]
    if not spec.device.startswith("cuda"):
        # CUDA maps tens of GiB of virtual address space at start-up: an address-space limit
        # would kill every GPU kernel, so on a GPU batch only the other limits apply.
        limits.append((resource.RLIMIT_AS, spec.limits.memory_mb * mib))
    if spec.isolate:
        limits.append((resource.RLIMIT_NPROC, spec.limits.max_processes))
    return limits


def _init(cmd: list[str], env: dict[str, str]) -> None:
    """Be PID 1 of the namespace: start the kernel, reap orphans, exit with the kernel.

    Staying root (the kernel drops privileges, which would clear its parent-death signal) keeps
    the chain "worker dies -> launcher dies -> namespace dies": when this process ends, the OS
    kills every process left in the namespace.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts go to the kernel (same group)
    kernel = subprocess.Popen(cmd, env=env, restore_signals=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    forward = lambda signum, _frame: kernel.send_signal(signum)  # noqa: E731
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
        if pid == kernel.pid:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -I launcher.py stage1 SPEC SANDBOX_DIR PARENT_PID -- KERNEL...``
    (stage1 starts ``stage2 SPEC SANDBOX_DIR -- KERNEL...`` itself)."""
    args = list(sys.argv[1:] if argv is None else argv)
    split = args.index("--")
    head, kernel = args[:split], args[split + 1:]
    if head[0] == "stage1":
        _, spec_file, sandbox_dir, parent = head
        stage1(spec_file, sandbox_dir, kernel, int(parent))
    elif head[0] == "stage2":
        _, spec_file, sandbox_dir = head
        stage2(spec_file, sandbox_dir, kernel)
    else:
        raise SystemExit(f"unknown stage {head[0]!r}: expected stage1 or stage2")


if __name__ == "__main__":
    main()
