"""``aeutils grade --scheduler``: a real ``dask scheduler`` and two ``dask worker`` processes.

The cluster runs on 127.0.0.1 with random ports, each process in its own process group, and is
shut down by the fixture's finalizer. One worker advertises ``GPU=1``. Workers run with a nanny,
so a worker process killed by a test is restarted (with a new address) for the next test.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import dask
import distributed
import grading_corpus as corpus
import pytest
from conftest import aeutils_cli, context, sandbox_processes, tree_digest

from aeutils import cli
from aeutils.instructor import cluster as ac
from aeutils.instructor.config import CourseError
from aeutils.instructor.report import read_csv

pytestmark = [pytest.mark.grading, pytest.mark.timeout(900)]

SUBSET = ["alice_solution", "bob_untouched", "carol_partial", "dave_raises", "erin_invalid_json"]
KILL_SUBSET = ["alice_solution", "carol_partial", "dave_raises"]  # each one runs a kernel
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": str(BIN) + os.pathsep + os.environ["PATH"]}


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL what is left after 15 s."""
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _processes_matching(text: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines() if text in ln and "ps -eo" not in ln]


class Cluster:
    """The scheduler and worker processes of one test module, and a client to watch them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen] = []
        self.scheduler_file = folder / "scheduler.json"
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(self.scheduler_file)])
        deadline = time.monotonic() + 120
        while not self.scheduler_file.is_file():
            assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
            assert self.procs[0].poll() is None, (folder / "scheduler.log").read_text()
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written in one go, but give it a moment
        self.address = json.loads(self.scheduler_file.read_text())["address"]
        for name, extra in (("w_cpu", []), ("w_gpu", ["--resources", "GPU=1"])):
            self._start(name, ["worker", "--scheduler-file", str(self.scheduler_file),
                               "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                               "--name", name, "--death-timeout", "60", *extra])
        self.client = distributed.Client(self.address, set_as_default=False)
        self.client.wait_for_workers(2, timeout=180)

    def _start(self, name: str, args: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.procs.append(subprocess.Popen(
            [str(BIN / "dask"), *args], stdout=log, stderr=subprocess.STDOUT, env=_env(),
            cwd=str(self.folder), start_new_session=True))

    def ready(self) -> None:
        """Both workers registered, the GPU one among them (a killed one is restarted by its
        nanny; under load the scheduler may still list the dead one for a while)."""
        deadline = time.monotonic() + 180
        while not (len(self.client.scheduler_info()["workers"]) >= 2 and self._gpu_workers()
                   and self._all_answer()):
            assert time.monotonic() < deadline, "a killed worker was not restarted"
            time.sleep(0.5)

    def _all_answer(self) -> bool:
        """Every worker the scheduler lists is alive (answers a tiny task)."""
        try:
            self.client.run(os.getpid, wait=True)
            return True
        except Exception:  # a listed worker is gone: the scheduler has not noticed yet
            return False

    def _gpu_workers(self) -> list[str]:
        workers = self.client.scheduler_info()["workers"]
        return [a for a, w in workers.items() if w.get("resources", {}).get("GPU")]

    def gpu_worker(self) -> str:
        deadline = time.monotonic() + 60
        while not self._gpu_workers():
            assert time.monotonic() < deadline, "no worker advertises GPU=1"
            time.sleep(0.5)
        return self._gpu_workers()[0]

    def holder(self, wanted: set[str], exclude: set[str] = frozenset(), timeout: float = 300):
        """(worker address, key) of a worker that has held a grading task in ``wanted`` for
        at least a second (so it is really being graded there)."""
        deadline = time.monotonic() + timeout
        seen: dict[tuple[str, str], float] = {}
        while time.monotonic() < deadline:
            now = time.monotonic()
            for addr, keys in self.client.processing().items():
                if addr in exclude:
                    continue
                for key in keys:
                    if any(str(key).startswith(w) for w in wanted):
                        first = seen.setdefault((addr, key), now)
                        if now - first >= 1.0:
                            return addr, key
            time.sleep(0.2)
        raise AssertionError(f"no worker picked up any of {wanted}")

    def kill_worker_process(self, addr: str) -> None:
        """SIGKILL the worker process at ``addr`` (its nanny starts a fresh one)."""
        pid = self.client.run(os.getpid, workers=[addr])[addr]
        os.kill(pid, signal.SIGKILL)

    def allowed_failures(self) -> int:
        return self.client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures)

    def close(self) -> None:
        self.client.close()
        for proc in reversed(self.procs):
            _stop(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask")
    c = Cluster(folder)
    try:
        yield c
    finally:
        c.close()
        # nothing of the cluster or of grading is left running
        assert _processes_matching(str(folder)) == []
        assert _processes_matching("aeutils-dask-") == []  # grading workers' temp folders
        # no kernel of the courses the cluster graded (other courses may be grading here too)
        for course in CLUSTER_COURSES:
            assert sandbox_processes(course) == [], course


@pytest.fixture(scope="module")
def small_class(tmp_path_factory, fixture_course):
    root = tmp_path_factory.mktemp("dask_class")
    subs = root / "submitted"
    corpus.build_class([c for c in corpus.CASES if c.student in SUBSET], subs,
                       context(fixture_course, subs))
    return root, subs


@pytest.fixture(scope="module")
def reference_csv(small_class, fixture_course) -> str:
    """The class graded locally, one job at a time: what the cluster must reproduce."""
    root, subs = small_class
    course = root / "c_local"
    shutil.copytree(fixture_course, course)
    aeutils_cli("--course", str(course), "grade", str(subs), "--jobs", "1",
                "--out", str(root / "one.csv"))
    return (root / "one.csv").read_text()


CLUSTER_COURSES: list[Path] = []  # what the cluster fixture checks for leftovers at the end


def _course(root: Path, fixture_course: Path, name: str, extra_config: str = "") -> Path:
    course = root / name
    shutil.copytree(fixture_course, course)
    CLUSTER_COURSES.append(course)
    if extra_config:
        with (course / "nbgrader_config.py").open("a") as fh:
            fh.write("\n" + extra_config + "\n")
    return course


def _grade_in_background(course: Path, subs: Path, out: Path, address: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "aeutils", "--course", str(course), "grade", str(subs),
         "--scheduler", address, "--out", str(out)],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cluster_grades_like_one_job_and_resumes(cluster, small_class, fixture_course,
                                                 reference_csv):
    root, subs = small_class
    before = tree_digest(subs)
    course = _course(root, fixture_course, "c_dask")
    t0 = time.monotonic()
    proc = aeutils_cli("--course", str(course), "grade", str(subs), "--scheduler",
                       cluster.address, "--out", str(root / "dask.csv"))
    print(f"\n{len(SUBSET)} submissions on 2 Dask workers: {time.monotonic() - t0:.0f} s")
    assert (root / "dask.csv").read_text() == reference_csv
    assert "2 worker(s)" in proc.stderr
    # the main process merged every result: gradebook, autograded/, failed work kept aside
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        assert gb.find_submission(corpus.ASSIGNMENT, "alice_solution").score == 5
        assert gb.find_submission(corpus.ASSIGNMENT, "carol_partial").score == 2
    assert (course / "autograded" / "alice_solution" / corpus.ASSIGNMENT / corpus.NB).is_file()
    assert not (course / "autograded" / "erin_invalid_json").exists()
    report = json.loads((root / "dask.json").read_text())
    workers = set(cluster.client.scheduler_info()["workers"])
    assert {r["grader"] for r in report["results"]} <= workers
    assert tree_digest(subs) == before
    assert cluster.allowed_failures() == 3  # the batch's setting (1) was given back
    # rerun: nothing left to grade, same CSV (resume as with --jobs)
    again = aeutils_cli("--course", str(course), "grade", str(subs), "--scheduler",
                        cluster.address, "--out", str(root / "dask.csv"))
    assert "[1/" not in again.stderr and "grading " not in again.stderr, again.stderr
    assert f"{len(SUBSET)} submission(s)" in again.stdout
    assert (root / "dask.csv").read_text() == reference_csv


def test_worker_killed_mid_batch_is_retried_elsewhere(cluster, small_class, fixture_course,
                                                      reference_csv):
    cluster.ready()
    root, subs = small_class
    three = root / "three_students"
    for s in KILL_SUBSET:
        shutil.copytree(subs / s, three / s)
    course = _course(root, fixture_course, "c_kill")
    proc = _grade_in_background(course, three, root / "kill.csv", cluster.address)
    try:
        victim, key = cluster.holder({f"aeutils-grade-{corpus.ASSIGNMENT}-0000{i}-"
                                      for i in range(len(KILL_SUBSET))})
        cluster.kill_worker_process(victim)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    expected = [ln for ln in reference_csv.splitlines()
                if ln.startswith(("student,", *(f"{s}," for s in KILL_SUBSET)))]
    assert (root / "kill.csv").read_text().splitlines() == expected
    report = json.loads((root / "kill.json").read_text())
    n = int(str(key).split("-")[-2])
    assert report["results"][n]["grader"] != victim  # graded again, by another worker


def test_worker_lost_twice_is_reported_failed(cluster, small_class, fixture_course):
    cluster.ready()
    root, subs = small_class
    one = root / "one_student"
    shutil.copytree(subs / "alice_solution", one / "alice_solution")
    course = _course(root, fixture_course, "c_lost")
    proc = _grade_in_background(course, one, root / "lost.csv", cluster.address)
    try:
        first, _ = cluster.holder({"aeutils-grade-"})
        cluster.kill_worker_process(first)
        second, _ = cluster.holder({"aeutils-grade-"}, exclude={first})
        cluster.kill_worker_process(second)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    (row,) = read_csv(root / "lost.csv")
    assert (row["student"], row["score"], row["max_score"], row["status"]) == (
        "alice_solution", "", "5", "failed")  # empty, never 0
    assert "grading machine lost" in row["reason"] and "on 2 worker(s)" in row["reason"]
    assert cluster.allowed_failures() == 3


def test_gpu_assignment_goes_to_the_gpu_worker(cluster, small_class, fixture_course):
    cluster.ready()
    root, subs = small_class
    two = root / "two_students"
    for s in ("alice_solution", "carol_partial"):
        shutil.copytree(subs / s, two / s)
    course = _course(root, fixture_course, "c_gpu",
                     f"c.ClusterGrading.gpu_assignments = [{corpus.ASSIGNMENT!r}]")
    proc = aeutils_cli("--course", str(course), "grade", str(two), "--scheduler",
                       cluster.address, "--out", str(root / "gpu.csv"))
    assert "GPU workers present" in proc.stderr
    report = json.loads((root / "gpu.json").read_text())
    assert [r["score"] for r in report["results"]] == [5, 2]
    # two submissions, two idle workers: without the GPU restriction both could be used
    assert {r["grader"] for r in report["results"]} == {cluster.gpu_worker()}


def test_device_cuda_on_a_cluster_without_a_gpu_is_refused_before_grading(cluster, small_class,
                                                                           fixture_course):
    """`--device cuda --scheduler`: the main machine (no GPU here) does not refuse it, the workers
    decide; none of them sees a CUDA GPU, so the batch stops with a message before any task."""
    cluster.ready()
    root, subs = small_class
    course = _course(root, fixture_course, "c_cuda")
    proc = aeutils_cli("--course", str(course), "grade", str(subs), "--scheduler", cluster.address,
                       "--device", "cuda", "--out", str(root / "cuda.csv"), check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "none of the 2 Dask worker(s) sees a CUDA GPU" in proc.stderr, proc.stderr
    assert "[1/" not in proc.stderr and not (root / "cuda.csv").exists()  # no submission graded


def test_resources_for_routes_only_gpu_assignments_and_only_when_possible():
    assert ac.resources_for("ae4_vae", ["ae4_vae"], gpu_workers=True) == {"GPU": 1}
    assert ac.resources_for("ae1_bottleneck", ["ae4_vae"], gpu_workers=True) is None
    assert ac.resources_for("ae4_vae", ["ae4_vae"], gpu_workers=False) is None  # CPU fallback


def test_without_dask_scheduler_says_what_to_install(monkeypatch, capsys, tmp_path,
                                                     fixture_course):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    code = cli.main(["--course", str(fixture_course), "grade", str(tmp_path),
                     "--scheduler", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--scheduler needs Dask distributed" in err
    assert "pip install 'dask[distributed]>=2024.8'" in err and "'.[cluster]'" in err


def test_unreachable_scheduler_is_a_clear_error():
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        with pytest.raises(CourseError, match="could not reach a Dask scheduler at"):
            ac.connect("tcp://127.0.0.1:1")


def test_pack_leaves_out_links_and_checkpoints_and_unpack_stays_inside(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.ipynb").write_text("{}")
    (src / "sub" / "data.txt").write_bytes(b"\x00\x01")
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    (src / "link").symlink_to("/etc/passwd")
    dest = tmp_path / "dest"
    ac.unpack(ac.pack({"hw": src, "missing": tmp_path / "nothing"}), dest)
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == [
        "hw", "hw/a.ipynb", "hw/sub", "hw/sub/data.txt"]
    assert (dest / "hw" / "sub" / "data.txt").read_bytes() == b"\x00\x01"
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.FilterError):
        ac.unpack(evil.getvalue(), tmp_path / "evil")
    assert not (tmp_path / "escaped.txt").exists()


def test_folders_of_a_killed_worker_are_removed_by_the_next_task():
    dead = subprocess.Popen(["true"])
    dead.wait()
    tmp = Path(tempfile.gettempdir())
    stale = tmp / f"{ac.WORK_PREFIX}{dead.pid}-test"
    alive = tmp / f"{ac.SANDBOX_PREFIX}{os.getpid()}-test"
    for folder in (stale, alive):
        folder.mkdir(mode=0o700)
        (folder / "gradebook.db").write_text("hidden tests")
    # what a sandbox left running names its folder (bwrap's --bind/--chdir arguments)
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    orphan, live = (subprocess.Popen([*sleeper, str(f / "work")]) for f in (stale, alive))
    try:
        assert stale in ac.remove_stale_folders()
        assert not stale.exists() and alive.is_dir()
        assert orphan.wait(timeout=10) == -signal.SIGKILL, "the dead worker's sandbox still runs"
        assert live.poll() is None, "a live worker's sandbox was stopped"
    finally:
        for proc in (orphan, live):
            proc.kill()
            proc.wait()
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)
