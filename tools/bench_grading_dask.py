#!/usr/bin/env python3
"""Benchmark (not a test): submissions graded per minute on a local Dask cluster of 1, 2, ... workers.

For each worker count it starts a ``dask scheduler`` and that many ``dask worker --nthreads 1``
processes on 127.0.0.1, grades the same class with ``aeutils grade --scheduler`` into a fresh
copy of the course, and prints wall time, submissions per minute and scaling efficiency
(rate with k workers / (k x rate with 1 worker)). The class is N copies of the assignment's
source notebook (full marks, the real run time of a good submission).

    .venv/bin/python tools/bench_grading_dask.py                         # fixture course, 1 and 2
    .venv/bin/python tools/bench_grading_dask.py --course . --assignment ae1_bottleneck \\
        --students 8 --workers 1,2,4,8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": str(BIN) + os.pathsep + os.environ.get("PATH", "")}


def _start(folder: Path, name: str, args: list[str]) -> subprocess.Popen:
    log = (folder / f"{name}.log").open("wb")
    return subprocess.Popen([str(BIN / "dask"), *args], stdout=log, stderr=subprocess.STDOUT,
                            env=ENV, cwd=str(folder), start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait_s)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _aeutils(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "aeutils", *args], env=ENV, text=True,
                          capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"aeutils {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc


def make_class(course: Path, assignment: str, students: int, dest: Path) -> None:
    source = sorted((course / "solutions" / assignment).glob("*.ipynb"))
    for i in range(students):
        folder = dest / f"student{i:03d}" / assignment
        folder.mkdir(parents=True)
        for nb in source:
            shutil.copyfile(nb, folder / nb.name)


def _cpu_seconds() -> float:
    """CPU seconds of this Dask worker process and the grading processes it waited for."""
    import resource as res

    me, kids = res.getrusage(res.RUSAGE_SELF), res.getrusage(res.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_one(workers: int, course_src: Path, subs: Path, work: Path) -> dict[str, float]:
    folder = work / f"w{workers}"
    folder.mkdir()
    course = folder / "course"
    shutil.copytree(course_src, course)
    sched_file = folder / "scheduler.json"
    procs = [_start(folder, "scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                          "--no-dashboard", "--scheduler-file", str(sched_file)])]
    try:
        while not sched_file.is_file():
            time.sleep(0.2)
        time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for i in range(workers):
            procs.append(_start(folder, f"worker{i}", [
                "worker", "--scheduler-file", str(sched_file), "--host", "127.0.0.1",
                "--nthreads", "1", "--no-dashboard", "--death-timeout", "60"]))
        from distributed import Client

        with Client(address, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=300)
            # warm every worker (imports) so that the timing is about grading
            client.run(lambda: bool(__import__("aeutils.instructor.cluster")))
            workers_before = sum(client.run(_cpu_seconds).values())
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            _aeutils("--course", str(course), "grade", str(subs), "--scheduler", address,
                     "--out", str(folder / "grades.csv"))
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            workers_cpu = sum(client.run(_cpu_seconds).values()) - workers_before
        rows = (folder / "grades.csv").read_text().splitlines()[1:]
        graded = sum(",graded," in r or ",needs review," in r for r in rows)
        return {"wall_s": wall, "graded": graded, "rows": len(rows), "workers_cpu_s": workers_cpu,
                "main_cpu_s": (after.ru_utime + after.ru_stime)
                - (before.ru_utime + before.ru_stime)}
    finally:
        for proc in reversed(procs):
            _stop(proc)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--course", default=str(REPO / "tests" / "fixtures" / "grading" / "course"))
    p.add_argument("--assignment", default="fx_basics")
    p.add_argument("--students", type=int, default=8)
    p.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = p.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="aeutils-bench-"))
    try:
        course = work / "course"
        shutil.copytree(args.course, course, ignore=shutil.ignore_patterns(
            "gradebook.db", ".grading", "autograded", "feedback", "grades.*", ".venv", ".git",
            "build", "__pycache__", "submitted"))
        _aeutils("--course", str(course), "release", args.assignment)
        subs = work / "submitted"
        make_class(course, args.assignment, args.students, subs)
        print(f"{args.students} submissions of {args.assignment}, {os.cpu_count()} CPU(s), "
              f"load average {os.getloadavg()[0]:.1f} at start")
        base_rate = None
        for k in counts:
            r = run_one(k, course, subs, work)
            rate = 60.0 * args.students / r["wall_s"]
            base_rate = base_rate or rate / counts[0]
            eff = rate / (k * base_rate)
            print(f"{k} worker(s): {r['wall_s']:.1f} s wall, {rate:.1f} submissions/min, "
                  f"scaling efficiency {eff:.0%} ({r['graded']}/{r['rows']} graded; CPU: "
                  f"workers {r['workers_cpu_s'] / args.students:.1f} s per submission, main "
                  f"process {r['main_cpu_s']:.1f} s); load average now "
                  f"{os.getloadavg()[0]:.1f}",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
