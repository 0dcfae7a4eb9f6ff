"""Run a student's kernel isolated: its own user, no network, a private view of the files, limits.

How it fits into nbgrader: :class:`SandboxExecute` replaces nbgrader's ``Execute`` preprocessor in
autograding and makes nbclient start kernels with :class:`SandboxKernelManager`. That manager talks
to the kernel over Unix sockets (``transport='ipc'``: TCP would not cross the network namespace)
in a private folder, and launches it through this module's launcher (:mod:`.launcher`), which
copies the notebook's folder (nbgrader's autograded copy) into the sandbox folder, sets the
resource limits and starts the kernel in one of two sandboxes (:func:`sandbox_tool`):

``bwrap`` (bubblewrap, where it is installed: Debian's ``bubblewrap``)
    new PID, network, IPC and UTS namespaces on an empty root that holds only read-only /usr, a
    few /etc files, the Python environment and the ``aeutils`` package, the sandbox folder, a
    size-limited private /tmp and working folder; inside, ``setpriv`` drops to the slot's own
    uid before the kernel starts. bwrap's PID 1 reaps, and everything dies with it.
``unshare`` (the hand-written fallback: util-linux's ``unshare``, ``mount`` and ``setpriv``)
    the same namespaces made by ``unshare``; the course, the submissions, the grading workspace,
    /tmp, /var/tmp, /dev/shm and /run/lock are covered by empty tmpfs mounts (re-exposing the
    Python environment, the package and the sandbox folder), and the launcher is PID 1 itself.

Where neither is available (not root), the kernel still runs with the resource limits and a clean
environment, and :func:`isolation_summary` says so.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import Integer, Unicode

from . import launcher
from .launcher import BASE_UID, MAX_OUTPUT_CHARS, NOGROUP, SandboxSpec

try:
    from nbgrader.preprocessors import Execute
except ImportError:  # pragma: no cover - nbgrader is a dependency
    Execute = object  # type: ignore[misc,assignment]

#: Set to ``bwrap`` or ``unshare`` to choose the sandbox (default: bwrap where installed).
SANDBOX_ENV = "AEUTILS_SANDBOX"
TOOLS = ("bwrap", "unshare")


def bwrap_problem() -> str | None:
    """Why bwrap cannot run a sandbox here (None: it can). Starts ``true`` the way kernels start."""
    if shutil.which("bwrap") is None:
        return "`bwrap` is not on PATH"
    cmd = ["bwrap", *launcher.BWRAP_NAMESPACES, "--cap-add", "CAP_SETUID", "--cap-add",
           "CAP_SETGID", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--",
           "setpriv", f"--reuid={BASE_UID}", f"--regid={NOGROUP}", "--clear-groups", "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{type(err).__name__}: {err}"
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1][:200]
    return None


def _unshare_works() -> bool:
    return (shutil.which("unshare") is not None and shutil.which("setpriv") is not None
            and subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "true"],
                               capture_output=True).returncode == 0)


def sandbox_tool() -> str | None:
    """Which sandbox isolates the kernels on this machine: ``"bwrap"``, ``"unshare"`` or None.

    Isolation needs root (the kernel runs as a uid of its own). ``AEUTILS_SANDBOX`` chooses;
    by default bwrap is used where it is installed and works, else the hand-written sandbox
    where util-linux can make namespaces, else none. A chosen bwrap is checked by the
    pre-flight, which names the fix.
    """
    wanted = os.environ.get(SANDBOX_ENV, "").strip().lower()
    if wanted and wanted not in TOOLS:
        raise ValueError(f"{SANDBOX_ENV}={wanted!r}: expected one of {', '.join(TOOLS)}, or "
                         "unset it (bwrap where it is installed, else unshare)")
    if os.geteuid() != 0:
        return None
    if wanted == "bwrap" or (not wanted and bwrap_problem() is None):
        return "bwrap"
    return "unshare" if _unshare_works() else None


def isolation_summary(isolate: bool, tool: str | None = None) -> str:
    """One line for reports: what protection the grading kernels ran under, and which sandbox."""
    if not isolate:
        return ("NOT isolated (needs root with bwrap, or unshare and setpriv): resource limits "
                "and clean environment only")
    how = {"bwrap": "sandbox: bubblewrap (bwrap)",
           "unshare": "sandbox: unshare + setpriv (hand-written; bwrap not used)"}.get(
               str(tool), f"sandboxes: {tool} (the cluster's workers differ)")
    return (f"isolated: own uid, no network, private /tmp, course/submissions/workspace hidden, "
            f"resource limits; {how}")


def sandbox_views(hidden: list[str]) -> tuple[list[str], list[str]]:
    """(hide, expose) folders of the sandbox spec: ``hidden`` plus this machine's checkout.

    The kernel sees this machine's Python environment (and the interpreter it is made from) and
    the ``aeutils`` package, nothing of ``hidden`` and, for an editable install, nothing else of
    the checkout (its solutions).
    """
    package = Path(__file__).resolve().parent.parent
    hide = list(hidden)
    if (package.parent / "pyproject.toml").is_file():  # an editable install: hide its solutions
        hide.append(str(package.parent))
    return hide, list(dict.fromkeys([sys.prefix, sys.base_prefix, str(package)]))


# ---------------------------------------------------------------------------------------------
# client side: nbgrader/nbclient plumbing


class SandboxKernelManager(AsyncKernelManager):
    """Starts every kernel through the sandbox launcher, whatever kernelspec the notebook names."""

    spec_file = Unicode("", help="SandboxSpec JSON written by the grading worker.").tag(
        config=True
    )

    _sandbox_dir: str | None = None

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if not self.spec_file:
            raise RuntimeError("SandboxKernelManager.spec_file is not configured")
        spec = SandboxSpec.load(self.spec_file)
        base = Path(spec.sandbox_base)
        base.mkdir(mode=0o711, parents=True, exist_ok=True)
        os.chmod(base, 0o711)  # others may enter (to reach their own folder) but not list
        self._sandbox_dir = tempfile.mkdtemp(prefix="k", dir=base)
        if spec.isolate:
            os.chown(self._sandbox_dir, BASE_UID + spec.slot, NOGROUP)
        os.chmod(self._sandbox_dir, 0o700)
        self.transport = "ipc"
        self.ip = os.path.join(self._sandbox_dir, "s")
        self.connection_file = os.path.join(self._sandbox_dir, "kernel.json")
        kw.pop("env", None)  # the launcher builds a clean environment
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        kernel = [
            sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
            "--HistoryManager.hist_file=:memory:",
        ]
        return [
            sys.executable, "-I", launcher.__file__, "stage1", self.spec_file,
            str(self._sandbox_dir), str(os.getpid()), "--", *kernel,
        ]

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._sandbox_dir and not restart:
            shutil.rmtree(self._sandbox_dir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources  # type: ignore[assignment]


PROBE = (
    "__import__('aeutils.instructor.probe', fromlist=['report']).report()"
)


class SandboxExecute(Execute):  # type: ignore[misc,valid-type]
    """nbgrader's Execute with sandboxed kernels and an integrity probe after the last cell.

    The probe (:mod:`aeutils.instructor.probe`) runs as a ``user_expression``, which IPython
    evaluates without input transformers, and reports tampering with the IPython machinery or
    the grading helpers; the grader process turns a non-empty report into ``needs review``.
    """

    probe_file = Unicode("", help="File the probe's findings are appended to, one JSON line per "
                         "notebook (the grader process reads it).").tag(config=True)
    max_output_chars = Integer(
        MAX_OUTPUT_CHARS, help="Characters of output kept per cell; the rest is dropped with a note."
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)
        self._output_chars: dict[int, int] = {}

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: Any, cell_index: int) -> Any:
        """Keep at most ``max_output_chars`` of output per cell (a flood is cut while it runs)."""
        content = msg.get("content", {})
        size = len(str(content.get("text", ""))) + len(str(content.get("data", "")))
        used = self._output_chars.get(cell_index, 0)
        self._output_chars[cell_index] = used + size
        limit = self.max_output_chars
        if used + size <= limit or msg.get("msg_type") == "error":
            return super().output(outs, msg, display_id, cell_index)
        if used > limit:
            return None  # already cut
        if msg.get("msg_type") == "stream" and used < limit:  # keep the part that fits
            part = {**msg, "content": {**content, "text": str(content["text"])[: limit - used]}}
            super().output(outs, part, display_id, cell_index)
        outs.append(nbformat.v4.new_output(
            "stream", name="stderr", text=f"\n[output cut: more than {limit} characters]\n"))
        return None

    def preprocess(self, nb: Any, resources: Any = None, km: Any = None) -> Any:
        self._probe_result: str | None = None
        self._probe_notebook = str((resources or {}).get("nbgrader", {}).get("notebook", "?"))
        return super().preprocess(nb, resources, km)

    async def _async_cleanup_kernel(self) -> None:  # called just before the kernel is shut down
        await self._run_probe()
        await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    async def _run_probe(self) -> None:
        kc = getattr(self, "kc", None)
        if kc is None or getattr(self, "_probe_result", "done") is not None:
            return
        try:
            msg_id = kc.execute(
                "", silent=True, store_history=False, user_expressions={"probe": PROBE}
            )
            while True:
                reply = await kc.get_shell_msg(timeout=10)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
            value = reply["content"].get("user_expressions", {}).get("probe", {})
            if value.get("status") == "ok":
                text = value.get("data", {}).get("text/plain", "")
                found = json.loads(ast.literal_eval(text)) if text else []
                self._probe_result = "; ".join(str(x) for x in found)
            else:
                self._probe_result = f"probe failed: {value.get('ename')}: {value.get('evalue')}"
        except Exception as err:  # kernel dead or hung: the worker reports that anyway
            self._probe_result = f"probe could not run ({type(err).__name__})"
        if self.probe_file:
            with open(self.probe_file, "a", encoding="utf-8") as fh:
                line = {"notebook": self._probe_notebook, "probe": self._probe_result}
                fh.write(json.dumps(line) + "\n")


