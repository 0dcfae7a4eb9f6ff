"""Pre-flight of a grading batch: stop at once, with the fix, when grading cannot work.

Without it, a broken set-up shows up only as a whole class of wrong outcomes (measured): a Python
environment the sandbox user cannot traverse made every submission "failed: the kernel died"; an
environment whose packages it cannot read scored every submission 0 as "needs review: probe
failed: ModuleNotFoundError"; a missing ``alembic`` (nbgrader runs it to create a gradebook) was
reported as a broken source notebook. :func:`preflight` checks, in this order:

1. the tools the batch shells out to: ``alembic`` on PATH, nbgrader importable and, when kernels
   are isolated, a working ``bwrap`` (and ``setpriv``) for the bubblewrap sandbox, or
   ``unshare``, ``setpriv`` and ``mount`` for the hand-written one;
2. when kernels run as another uid: every folder above the Python environment, the interpreter,
   the standard library, site-packages and the course's packages is enterable by others (o+x) and
   the files are readable by others (o+r) - as the sandbox will see them (folders it hides behind
   fresh mounts do not count);
3. one real sandboxed kernel (the batch's own :class:`~.sandbox.SandboxKernelManager`, same
   limits) starts and imports the course's packages within a time limit.

Any failure raises :class:`PreflightError` (a :class:`~.config.CourseError`, so ``aeutils grade``
exits 2 with its message) before anything is graded or written.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from .config import CourseError
from .launcher import BASE_UID, SandboxSpec

#: What the grading kernel imports: the course library, its heavy dependency, the kernel itself
#: and the probe that runs after the last cell.
KERNEL_IMPORTS = ("ipykernel", "aeutils", "torch", "aeutils.instructor.probe")
#: Seconds the test kernel may take to start and import everything (the batch must stop in 60 s).
KERNEL_TIMEOUT = 40.0


class PreflightError(CourseError):
    """The grading set-up cannot work; the message says what is wrong and what to do."""


# -- 1. tools -----------------------------------------------------------------------------------
def _alembic_hint() -> str:
    """Where the installed alembic's command is, if the alembic package knows (for the message)."""
    try:
        files = importlib.metadata.distribution("alembic").files or []
    except importlib.metadata.PackageNotFoundError:
        return "install nbgrader's dependencies (pip install nbgrader) in this environment"
    for f in files:
        if f.name == "alembic" and f.parent.name in ("bin", "Scripts"):
            folder = Path(str(f.locate())).resolve().parent
            return f"add its folder to PATH, e.g. export PATH={folder}:$PATH"
    return "add the bin/ folder of the environment where nbgrader is installed to PATH"


def check_tools(isolate: bool, tool: str = "unshare") -> list[str]:
    """Problems with the commands and packages the batch needs (empty when all is well)."""
    problems = []
    if shutil.which("alembic") is None:
        problems.append(
            "`alembic` is not on PATH: nbgrader runs it to create every gradebook, and without it "
            "each one fails half-created. Fix: " + _alembic_hint() + " (the course's `make grade` "
            "does this for you)"
        )
    if importlib.util.find_spec("nbgrader") is None:
        problems.append(f"nbgrader is not installed for {sys.executable}: run `pip install -e .` "
                        "in the course folder (or `make setup`)")
    if isolate and tool == "bwrap":
        from .sandbox import bwrap_problem

        problem = ("`setpriv` is not on PATH" if shutil.which("setpriv") is None
                   else bwrap_problem())
        if problem:
            problems.append(
                f"the bubblewrap sandbox cannot start here: {problem}. Fix: install Debian's "
                "bubblewrap and util-linux (`apt-get install bubblewrap util-linux`, which "
                "tools/install_sandbox.sh does), or grade with the hand-written sandbox: "
                "export AEUTILS_SANDBOX=unshare")
    elif isolate:
        for name in ("unshare", "setpriv", "mount"):
            if shutil.which(name) is None:
                problems.append(f"`{name}` is not on PATH: the sandbox needs it. Fix: install "
                                "util-linux (Debian: apt-get install util-linux mount)")
    return problems


# -- 2. permissions for the sandbox uid ---------------------------------------------------------
def _under(path: Path, folders: Iterable[str]) -> bool:
    return any(path == Path(f) or Path(f) in path.parents for f in folders)


def _module_paths(names: Iterable[str]) -> list[Path]:
    """The file or package folder each importable top-level module is loaded from."""
    paths = []
    for name in names:
        spec = importlib.util.find_spec(name.split(".")[0])
        if spec is None:
            continue
        if spec.submodule_search_locations:
            paths.extend(Path(p) for p in spec.submodule_search_locations)
        elif spec.origin and os.path.isabs(spec.origin):
            paths.append(Path(spec.origin))
    return paths


def environment_paths(extra: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Everything the sandboxed kernel must reach: prefix, interpreter, stdlib, packages."""
    paths = [Path(sys.prefix), *(Path(p) for p in extra)]
    paths += [Path(p) for p in sys.path if p and os.path.isdir(p)
              and Path(p).name in ("site-packages", "dist-packages")]
    paths += _module_paths(KERNEL_IMPORTS)
    paths += [Path(sys.executable), Path(os.path.realpath(sys.executable)),
              Path(sysconfig.get_paths()["stdlib"])]
    out: list[Path] = []
    for p in paths:
        for q in (p, Path(os.path.realpath(p))):
            if q not in out:
                out.append(q)
    return out


def check_permissions(paths: Iterable[Path], hidden: Iterable[str]) -> list[str]:
    """Paths another user cannot reach: a folder above without o+x, or the path without o+r.

    ``hidden`` are the folders the sandbox covers with fresh mounts: it rebuilds the folders
    above an exposed path inside them (mode 755), so their real modes do not matter. One line
    per blocking folder, naming what it blocks.
    """
    hidden = list(hidden)
    blocked: dict[Path, list[Path]] = {}
    unreadable: list[str] = []
    for path in paths:
        if not path.exists():
            continue
        for folder in reversed(path.parents):
            if folder == Path("/") or _under(folder, hidden):
                continue
            if not folder.stat().st_mode & stat.S_IXOTH:
                blocked.setdefault(folder, []).append(path)
                break
        else:
            mode = path.stat().st_mode
            need = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)
            if mode & need != need:
                unreadable.append(
                    f"{path} (mode {stat.filemode(mode)}) is not readable by the sandbox's user. "
                    f"Fix: `chmod -R o+rX {path}` (or reinstall the environment with umask 022)"
                )
    problems = [
        f"{folder} (mode {stat.filemode(folder.stat().st_mode)}) cannot be entered by the "
        f"sandbox's user, so it cannot reach {', '.join(map(str, dict.fromkeys(paths)))}. Fix: "
        f"`chmod o+x {folder}`, or install the course environment where every user can read it "
        "(e.g. /opt/course/.venv: a home folder such as /root is mode 700)"
        for folder, paths in blocked.items()
    ]
    return problems + list(dict.fromkeys(unreadable))


# -- 3. one real sandboxed kernel ---------------------------------------------------------------
_IMPORT_CODE = "; ".join(f"import {m}" for m in KERNEL_IMPORTS)


async def _start_kernel(spec_file: Path, cwd: Path, log: Path, timeout: float) -> str | None:
    from .sandbox import SandboxKernelManager

    deadline = time.monotonic() + timeout
    km = SandboxKernelManager(spec_file=str(spec_file))
    kc = None
    try:
        with log.open("wb") as out:  # the kernel's own messages: for the report, not the terminal
            await km.start_kernel(cwd=str(cwd), stdout=out, stderr=subprocess.STDOUT)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=max(1.0, deadline - time.monotonic()))
        except RuntimeError:
            return "the kernel died while starting"
        except TimeoutError:
            return f"the kernel did not start within {timeout:g} s"
        msg_id = kc.execute(_IMPORT_CODE, silent=False, store_history=False)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return f"importing {', '.join(KERNEL_IMPORTS)} took more than {timeout:g} s"
            try:
                reply = await kc.get_shell_msg(timeout=min(left, 1.0))
            except Exception:
                if not await km.is_alive():
                    return "the kernel died while importing the course's packages"
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            return f"{content.get('ename')}: {content.get('evalue')}"
        return None
    finally:
        if kc is not None:
            kc.stop_channels()
        try:
            await km.shutdown_kernel(now=True)
        except Exception:  # already dead
            await km.cleanup_resources()


def _log_lines(log: Path) -> list[str]:
    return ([ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
            if log.is_file() else [])


def check_kernel(spec: SandboxSpec, workspace: Path, timeout: float = KERNEL_TIMEOUT) -> list[str]:
    """Start one kernel exactly as the batch will (same spec: uid, mounts, limits) and import."""
    workspace.mkdir(parents=True, exist_ok=True)
    spec_file = workspace / "preflight-spec.json"
    cwd = workspace / "preflight-cwd"
    cwd.mkdir(exist_ok=True)
    replace(spec, extra_files=None).save(spec_file)
    log = workspace / "preflight-kernel.log"
    # A thread of its own: asyncio.run refuses to start where an event loop already runs (a
    # notebook, or a test process in which Playwright or nbclient left one behind).
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            error = pool.submit(asyncio.run, _start_kernel(spec_file, cwd, log, timeout)).result()
        except Exception as err:  # could not even launch it
            error = f"{type(err).__name__}: {err}"
    if error is None:
        return []
    said = _log_lines(log)
    if not said:  # the kernel's last words may reach the file a moment after it is seen dead
        time.sleep(1.0)
        said = _log_lines(log)
    if said:
        error += f" (it said: {said[-1][:300]})"
    who = f"uid {BASE_UID + spec.slot}" if spec.isolate else "the grader's user"
    return [
        f"a test kernel in the grading sandbox (running as {who}, interpreter {sys.executable}) "
        f"failed: {error}. Every submission would fail the same way. Fix: make the environment "
        "readable by every user (`chmod -R o+rX` on it and `o+x` on each folder above it) and "
        f"check that `{sys.executable} -c '{_IMPORT_CODE}'` works"
    ]


def preflight(spec: SandboxSpec, workspace: Path, *, hidden: Iterable[str],
              expose: Iterable[str] = ()) -> None:
    """Run every check; raise :class:`PreflightError` listing each problem and its fix.

    The test kernel decides; the permission walk only explains its failure (a file check alone
    would refuse set-ups that work, e.g. where a folder's mode is not what blocks the kernel).
    """
    problems = check_tools(spec.isolate, spec.tool)
    if not problems:
        problems = check_kernel(spec, workspace)
        if problems and spec.isolate:
            # bwrap makes every folder above an exposed one afresh (mode 755)
            sandbox_hidden = (["/"] if spec.tool == "bwrap"
                              else [*hidden, "/tmp", "/var/tmp", "/dev/shm", "/run/lock"])
            problems += check_permissions(environment_paths(expose), sandbox_hidden)
    if problems:
        raise PreflightError(
            "pre-flight check failed, nothing was graded:\n" + "\n".join(f"  - {p}" for p in problems)
        )
