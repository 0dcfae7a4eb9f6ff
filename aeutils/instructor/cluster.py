"""Grade a batch on a Dask cluster: ``aeutils grade SUBMISSIONS --scheduler ADDRESS``.

The main process (the one that ran ``aeutils grade``) does everything :class:`~.grade.Batch`
does with ``--jobs``, except step 3: instead of a local thread pool, each submission becomes one
Dask task, :func:`grade_remote`, that runs the *same* :class:`~.job.Job` in the same worker
process on a worker machine (:func:`.job.run_in_process`: same sandbox, limits and time limit).
No shared file system: the files travel with the task as gzipped tar bytes.

- One small task per assignment holds the packed template (the template gradebook, the release
  and its extra files); Dask moves it to the workers that need it and recomputes it if the worker
  that held it is lost. Each submission task also gets its packed submission folder and the
  course's ``nbgrader_config.py``.
- On the worker: unpack into a private temporary folder (hidden from the student's kernel), take
  a sandbox slot no other task on that machine holds (a file lock: the slot is the kernel's uid),
  run the worker, pack back its result and the autograded folder.
- Back in the main process: unpack the autograded folder into the batch's workspace and hand the
  :class:`~.job.Result` back to the batch (merge into the gradebook and ``autograded/``, store it
  for resume, log), exactly as with ``--jobs``. Reports are written by ``Batch.run`` as always.

Failures: an exception inside a task is retried once (``retries=1``). A worker that dies while
it holds a task (SIGKILL, out of memory, machine gone) is counted by the scheduler against the
task (``distributed.scheduler.allowed-failures``); for the batch we set that to 1 on the
scheduler, so the task is retried once on another worker and, if that one is lost too, the
submission is reported ``failed`` with the reason. Nothing ends as a silent 0.

GPU graders: assignments listed in ``c.ClusterGrading.gpu_assignments`` (nbgrader_config.py) are
sent only to workers started with ``--resources GPU=1`` when at least one such worker exists;
otherwise they are graded on the other workers. Setting up a cluster: docs/cluster.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from traitlets import Float, List, Unicode
from traitlets.config import Configurable

from .config import CONFIG_NAME, CourseError, course_root
from .grade import Batch
from .job import Job, Processes, Result, Setup, failed, job_for, run_in_process
from .kernel_device import cuda_available, resolve_kernel_device
from .lock import SlotsBusyError, claim_slots
from .sandbox import isolation_summary, sandbox_tool, sandbox_views

DISTRIBUTED_REQUIREMENT = "dask[distributed]>=2024.8"
INSTALL_HINT = (
    f"pip install '{DISTRIBUTED_REQUIREMENT}' (or, in the course folder, pip install -e "
    "'.[cluster]'); every worker machine needs the course's Python environment with it too"
)
WORK_PREFIX, SANDBOX_PREFIX = "aeutils-dask-", "aeg-dask-"  # + worker pid + "-": see below


class ClusterGrading(Configurable):
    """Settings of grading on a Dask cluster (``c.ClusterGrading`` in nbgrader_config.py)."""

    gpu_assignments = List(
        Unicode(),
        help="Assignment ids whose grading wants a GPU: on a cluster they go to workers started "
             "with --resources GPU=1 when any exist.",
    ).tag(config=True)
    worker_wait = Float(
        120.0, help="Seconds to wait for the first Dask worker before giving up."
    ).tag(config=True)


def require_distributed() -> None:
    """Raise :class:`CourseError` saying what to install when Dask distributed is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError as err:
        raise CourseError(
            f"--scheduler needs Dask distributed, which is not installed ({err}): {INSTALL_HINT}"
        ) from err


def resources_for(assignment: str, gpu_assignments: list[str],
                  gpu_workers: bool) -> dict[str, float] | None:
    """The Dask resources a submission of ``assignment`` asks for: a GPU when it wants one and
    the cluster has a worker with ``--resources GPU=1``; otherwise none (any worker)."""
    if assignment in gpu_assignments and gpu_workers:
        return {"GPU": 1}
    return None


# -- files as bytes -----------------------------------------------------------------------------
def pack(entries: dict[str, Path]) -> bytes:
    """A gzipped tar of ``{name in the archive: file or folder}``.

    Only regular files and folders travel: symbolic links (a student's link could point
    anywhere on the machine that packs) and ``.ipynb_checkpoints`` are left out; a missing path
    adds nothing.
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, path in sorted(entries.items()):
            if path.is_symlink():
                continue
            if path.is_file():
                tar.add(str(path), arcname=name, recursive=False)
                continue
            if not path.is_dir():
                continue
            tar.add(str(path), arcname=name, recursive=False)
            for folder, dirs, files in os.walk(path):  # never follows links
                here = Path(folder)
                dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints"
                                 and not (here / d).is_symlink())
                for entry in [*dirs, *sorted(files)]:
                    full = here / entry
                    if full.is_symlink() or not (full.is_dir() or full.is_file()):
                        continue
                    tar.add(str(full), arcname=f"{name}/{full.relative_to(path)}",
                            recursive=False)
    return buf.getvalue()


def unpack(blob: bytes, dest: Path) -> None:
    """Extract a :func:`pack` archive into ``dest``; names leaving ``dest`` are refused."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        tar.extractall(str(dest), filter="data")  # no absolute paths, "..", links or owners


# -- the worker machine's side ----------------------------------------------------------------
@contextlib.contextmanager
def machine_slot() -> Iterator[int]:
    """Hold a sandbox slot that no other grading on this machine holds, waiting while all are taken.

    Several ``dask worker`` processes (or threads), and local ``aeutils grade`` batches, can share
    a machine; each kernel needs a uid of its own (``BASE_UID + slot``). Slots are the lock files
    of :func:`.lock.claim_slots`; the OS releases one when its holder dies.
    """
    while True:
        with contextlib.ExitStack() as held:
            try:
                (slot,) = held.enter_context(claim_slots(1))
            except SlotsBusyError:
                pass
            else:
                yield slot
                return
        time.sleep(1.0)


def remove_stale_folders() -> list[Path]:
    """Delete the temporary folders of grading tasks whose worker process is gone, and stop
    whatever still runs from them.

    A worker that was killed mid-task could not clean up; its folders (which hold a template
    gradebook with the hidden tests) are removed by the next task on the same machine. A sandbox
    can outlive its worker: killed while a kernel started, the worker left bwrap's init of the
    kernel's pid namespace running (its --die-with-parent reaches the outer bwrap only).
    """
    removed = []
    for prefix in (WORK_PREFIX, SANDBOX_PREFIX):
        for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
            pid = folder.name[len(prefix):].split("-", 1)[0]
            if not pid.isdigit() or folder.is_symlink() or folder.stat().st_uid != os.geteuid():
                continue
            try:
                os.kill(int(pid), 0)
                continue  # still alive
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            _kill_processes_naming(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _kill_processes_naming(folder: Path) -> None:
    """SIGKILL every process whose command line names ``folder`` (a dead worker's sandbox)."""
    needle = str(folder).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to read or kill


def worker_facts(dask_worker: Any = None) -> dict[str, Any]:
    """What a Dask worker offers (run there by ``Client.run``): isolation, resources, threads."""
    import nbgrader

    tool = sandbox_tool()
    return {
        "isolate": tool is not None,
        "sandbox": tool,
        "resources": dict(dask_worker.state.total_resources),
        "nthreads": int(dask_worker.state.nthreads),
        "cuda": cuda_available(),  # what --device auto resolves to there (place_here)
        "nbgrader": nbgrader.__version__,
        "python": sys.version.split()[0],
    }


def hold(blob: bytes) -> bytes:
    """A task that just holds ``blob`` (Dask keeps the argument and can recompute it)."""
    return blob


def grade_remote(job: Job, template: bytes, submission: bytes,
                 course_config: bytes) -> tuple[Result, bytes]:
    """Grade one submission on this Dask worker from packed files.

    ``job`` is the job as the main process planned it: its student, assignment, hash, limits,
    time limit, device and batch count; its paths are the main machine's. Where the files live,
    how to isolate and which device are decided here, on the machine that runs the kernel
    (:func:`place_here`). Returns the result and the packed autograded folder.
    """
    from distributed import get_worker

    worker = get_worker()
    remove_stale_folders()
    pid = os.getpid()
    # mode 0700: the kernel can't see it
    base = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{pid}-"))
    sandbox_base = Path(tempfile.mkdtemp(prefix=f"{SANDBOX_PREFIX}{pid}-"))
    os.chmod(sandbox_base, 0o711)
    try:
        unpack(template, base / "template")
        unpack(submission, base / "submitted")
        (base / "course").mkdir()
        (base / "course" / CONFIG_NAME).write_bytes(course_config)
        local = place_here(job, base, sandbox_base, int(worker.state.nthreads))
        with machine_slot() as slot:
            result = run_in_process(replace(local, slot=slot), Processes())
        autograded = Path(local.workspace) / "course" / "autograded" / job.student / job.assignment
        return replace(result, grader=worker.address), pack({job.assignment: autograded})
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(sandbox_base, ignore_errors=True)


def place_here(job: Job, base: Path, sandbox_base: Path, nthreads: int) -> Job:
    """``job`` as this machine runs it: files unpacked under ``base`` (``template/``,
    ``submitted/``, ``course/``), this machine's sandbox and device, threads per Dask thread."""
    tool = sandbox_tool()
    hide, expose = sandbox_views([str(base)])
    setup = Setup(
        template=str(base / "template"), course_root=str(base / "course"),
        sandbox_base=str(sandbox_base), work=str(base), hide=tuple(hide), expose=tuple(expose),
        threads=max(1, (os.cpu_count() or 1) // max(1, nthreads)), isolate=tool is not None,
        tool=tool, limits=job.limits, timeout_s=job.timeout_s,
        device=resolve_kernel_device(job.device), batch=job.batch,
    )
    return job_for(job.student, job.assignment, base / "submitted" / job.assignment,
                   job.submission_hash, setup, "work")


# -- the main process's side ------------------------------------------------------------------
def connect(address: str) -> Any:
    """A ``distributed.Client`` for the scheduler at ``address``, or a clear CourseError."""
    require_distributed()
    from distributed import Client

    try:
        return Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise CourseError(
            f"could not reach a Dask scheduler at {address} ({type(err).__name__}: {err}): start "
            "one with `dask scheduler` and pass the address it prints, e.g. tcp://10.0.0.5:8786 "
            "(docs/cluster.md)"
        ) from err


def _set_allowed_failures(client: Any, value: int) -> int | None:
    """Set the scheduler's allowed-failures; return the old value (None when not allowed)."""

    def swap(dask_scheduler: Any = None, value: int = value) -> int:  # pickled by value
        old = dask_scheduler.allowed_failures
        dask_scheduler.allowed_failures = value
        return old

    try:
        return int(client.run_on_scheduler(swap))
    except Exception:
        return None


def _workers(client: Any, wait_s: float, address: str) -> dict[str, dict[str, Any]]:
    """Wait for at least one worker; return :func:`worker_facts` of every worker."""
    try:
        client.wait_for_workers(1, timeout=wait_s)
    except (TimeoutError, OSError) as err:
        raise CourseError(
            f"no Dask worker joined the scheduler at {address} within {wait_s:g} s: start some "
            f"with `dask worker {address} --nthreads 1` as root (docs/cluster.md)"
        ) from err
    try:
        return client.run(worker_facts)
    except Exception as err:
        raise CourseError(
            f"the Dask workers cannot run aeutils ({type(err).__name__}: {err}): each worker "
            f"needs the course's Python environment; {INSTALL_HINT}"
        ) from err


def check_kernel_device(jobs: list[Job], facts: dict[str, dict[str, Any]]) -> None:
    """``--device cuda`` where no worker sees a CUDA GPU: a CourseError before any task is sent
    (each worker resolves the device itself, :func:`place_here`, so every task would fail there,
    twice, and the whole class would come back failed)."""
    if any(job.device == "cuda" for job in jobs) and not any(f.get("cuda") for f in facts.values()):
        raise CourseError(
            f"--device cuda: none of the {len(facts)} Dask worker(s) sees a CUDA GPU; grade with "
            "--device auto (each worker uses its GPU when it has one) or --device cpu")


def _failure(job: Job, err: BaseException) -> Result:
    """The failed result of a task that raised (``job``: as the main process planned it)."""
    from distributed import KilledWorker

    if isinstance(err, KilledWorker):
        last = getattr(getattr(err, "last_worker", None), "address", "?")
        reason = (f"grading machine lost: the Dask worker died while grading it, on "
                  f"{err.allowed_failures + 1} worker(s) in turn (last {last})")
    else:
        reason = (f"grading task failed on the cluster, also when retried: "
                  f"{type(err).__name__}: {err}")
    return failed(job, reason[:300])


def cluster_isolation(facts: dict[str, dict[str, Any]]) -> tuple[bool, str]:
    """Whether every worker isolates kernels, and their sandboxes ("bwrap", "bwrap/unshare", ...)."""
    return (all(f["isolate"] for f in facts.values()),
            "/".join(sorted({str(f.get("sandbox")) for f in facts.values()})))


def _describe(facts: dict[str, dict[str, Any]], jobs: list[Job], settings: ClusterGrading,
              address: str, log: Callable[[str], None]) -> bool:
    """Log what the cluster offers; return whether it has GPU workers."""
    for addr, f in sorted(facts.items()):
        if not f["isolate"]:
            log(f"WARNING: worker {addr}: " + isolation_summary(False))
    gpu_workers = any(f["resources"].get("GPU", 0) >= 1 for f in facts.values())
    log(f"Dask cluster at {address}: {len(facts)} worker(s), "
        f"{sum(f['nthreads'] for f in facts.values())} thread(s)"
        + (", GPU workers present" if gpu_workers else ""))
    wanted_gpu = sorted({job.assignment for job in jobs} & set(settings.gpu_assignments))
    if wanted_gpu and not gpu_workers:
        log(f"no worker offers a GPU (dask worker --resources GPU=1): "
            f"{', '.join(wanted_gpu)} graded on the other workers")
    return gpu_workers


def _submitter(client: Any, config: Any, jobs: list[Job], resources: Callable[[str], Any],
               in_flight: dict[Any, Job]) -> Callable[[int], Any]:
    """``submit(n)``: send ``jobs[n]`` to the cluster as a :func:`grade_remote` task."""
    token = uuid.uuid4().hex[:10]
    config_blob = (course_root(config) / CONFIG_NAME).read_bytes()
    templates = {}
    for job in jobs:  # one task per assignment holds its packed template
        tpl, aid = Path(job.template), job.assignment
        if aid not in templates:
            templates[aid] = client.submit(hold, pack({
                "gradebook.db": tpl / "gradebook.db",
                f"release/{aid}": tpl / "release" / aid,
                f"extras/{aid}": tpl / "extras" / aid,
            }), key=f"aeutils-template-{aid}-{token}", pure=False)

    def submit(n: int) -> Any:
        job = jobs[n]
        fut = client.submit(
            grade_remote, job, templates[job.assignment],
            pack({job.assignment: Path(job.submission)}), config_blob,
            key=f"aeutils-grade-{job.assignment}-{n:05d}-{token}", pure=False, retries=1,
            resources=resources(job.assignment),
        )
        in_flight[fut] = job
        return fut

    return submit


def _collect(fut: Any, job: Job) -> Result:
    """A finished task's result; its autograded folder goes to the job's workspace here."""
    try:
        res, autograded = fut.result()
        unpack(autograded, Path(job.workspace) / "course" / "autograded" / job.student)
    except Exception as err:
        res = _failure(job, err)
    fut.release()
    return res


def grade_on_cluster(address: str, config: Any, jobs: list[Job], log: Callable[[str], None],
                     finish: Callable[[Result, Path, int], None]) -> tuple[bool, str]:
    """Step 3 of :class:`~.grade.Batch` on the Dask cluster at ``address``: each result goes to
    ``finish(result, workspace, number done)`` as it comes. Returns the workers' isolation
    (:func:`cluster_isolation`): what the batch's report states."""
    from distributed import as_completed

    settings = ClusterGrading(config=config)
    client = connect(address)
    previous: int | None = None
    in_flight: dict[Any, Job] = {}
    try:
        facts = _workers(client, settings.worker_wait, address)
        check_kernel_device(jobs, facts)
        isolate, tool = cluster_isolation(facts)
        # failed tasks are reported with the cluster's isolation, as the batch's report is
        jobs = [replace(job, isolate=isolate, tool=tool) for job in jobs]
        gpu_workers = _describe(facts, jobs, settings, address, log)
        previous = _set_allowed_failures(client, 1)
        if previous is None:
            log("WARNING: could not set the scheduler's allowed-failures to 1: a submission "
                "whose worker dies is retried as often as the scheduler allows")
        submit = _submitter(client, config, jobs, lambda aid: resources_for(
            aid, settings.gpu_assignments, gpu_workers), in_flight)
        # a window of tasks in flight: submissions' bytes wait here, not in the scheduler
        window = max(4, 2 * sum(f["nthreads"] for f in facts.values()))
        following = min(window, len(jobs))
        queued = as_completed([submit(n) for n in range(following)], loop=client.loop)
        for done, fut in enumerate(queued, 1):
            job = in_flight.pop(fut)
            finish(_collect(fut, job), Path(job.workspace), done)
            if following < len(jobs):
                queued.add(submit(following))
                following += 1
        return isolate, tool
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(in_flight), force=True)
        raise
    finally:
        if previous is not None:
            with contextlib.suppress(Exception):
                _set_allowed_failures(client, previous)
        with contextlib.suppress(Exception):
            client.close()


class ClusterBatch(Batch):
    """A :class:`~.grade.Batch` whose grading step (step 3) runs on the Dask cluster at
    ``scheduler``; planning, merging and the reports stay in this process."""

    def __init__(self, *args: Any, scheduler: str, **kwargs: Any) -> None:
        require_distributed()  # fail fast, before any work, when Dask is not installed
        super().__init__(*args, scheduler=scheduler, **kwargs)

    def _grade(self, jobs: list[Job], results: dict[tuple[str, str], Result]) -> None:
        def finish(res: Result, workspace: Path, done: int) -> None:
            self._finish(res, workspace, results, done, len(jobs))

        # the report states the isolation of the workers that graded, not of this machine
        self.isolate, self.tool = grade_on_cluster(self.scheduler or "", self.config, jobs,
                                                   self.log, finish)
