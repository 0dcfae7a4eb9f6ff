"""CPU seconds per part of the suite, printed at its end (issue 24: where the time goes).

Each test's setup, call and teardown are timed in the process that runs them, carried to the main
process in the test reports (works with pytest-xdist), and summed per part of the house.

What a test costs is mostly not its own process: the kernels, grading workers, sandboxes,
browsers and servers it starts. Where the process may make a cgroup (root, with cgroup v1's
cpuacct or cgroup v2 mounted: CI), each test process moves into a cgroup of its own, and the
clock is the cgroup's CPU time: every process started from it counts, whether or not anyone
waits for it (a sandboxed kernel is re-parented, a Jupyter server outlives its test). Elsewhere
the clock is ``getrusage``: this process and the children it waited for, which misses those.
The summary says which clock it used.
"""

from __future__ import annotations

import contextlib
import os
import resource
from collections import defaultdict
from pathlib import Path

import pytest

KEY = "cpu_seconds"
CLOCK_KEY = "cpu_clock"
#: cgroup v1's CPU accounting, then cgroup v2's root
CGROUP_ROOTS = (Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


def waited_cpu_seconds() -> float:
    """CPU time (user + system) of this process and its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CgroupClock:
    """This process moved into a new cgroup inside its own; :meth:`seconds` is the CPU time of
    everything in it. Nested (a test running pytest in a child process makes one inside the
    test's), so the outer clock counts the inner one's time too: CPU time is hierarchical."""

    def __init__(self, root: Path) -> None:
        self.parent = current_cgroup(root)
        self.group = self.parent / f"aeutils-tests-{os.getpid()}"
        with contextlib.suppress(OSError):  # left by an earlier process with this pid, if empty
            self.group.rmdir()
        self.group.mkdir()
        try:
            (self.group / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            self.group.rmdir()
            raise
        self.v1 = (self.group / "cpuacct.usage").is_file()

    def seconds(self) -> float:
        if self.v1:
            return int((self.group / "cpuacct.usage").read_text()) / 1e9
        stat = dict(line.split() for line in (self.group / "cpu.stat").read_text().splitlines())
        return int(stat["usage_usec"]) / 1e6

    def close(self) -> None:
        """Back to the cgroup this process came from; the group goes when nothing is left in it."""
        with contextlib.suppress(OSError):
            (self.parent / "cgroup.procs").write_text(str(os.getpid()))
            self.group.rmdir()


def current_cgroup(root: Path) -> Path:
    """This process's cgroup in the hierarchy mounted at ``root`` (``/proc/self/cgroup``: cgroup
    v1's line naming ``cpuacct``, or v2's ``0::`` line), or ``root`` where it is not found there."""
    v1 = (root / "cpuacct.usage").is_file()
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        if ("cpuacct" in controllers.split(",")) if v1 else (number == "0" and not controllers):
            group = root / path.lstrip("/")
            return group if group.is_dir() else root
    return root


def cgroup_root() -> Path | None:
    """The cgroup hierarchy this process may make a cgroup in, or None."""
    for root in CGROUP_ROOTS:
        usable = (root / "cpuacct.usage").is_file() or (root / "cgroup.controllers").is_file()
        if usable and os.access(root, os.W_OK):
            return root
    return None


def cgroup_clock() -> CgroupClock | None:
    """This process in a :class:`CgroupClock`, or None where it may not make one."""
    root = cgroup_root()
    if root is not None:
        with contextlib.suppress(OSError):
            return CgroupClock(root)
    return None


def part_of(nodeid: str) -> str:
    """The room of the house a test is in: ``tests/instructor/x.py::t`` -> ``instructor``
    (teaching, grading, instructor, lectures, browser, hub, site, tools); the suite's own tests
    at the top of tests/ -> ``suite``."""
    path = nodeid.split("::")[0].split("/")
    return path[1] if len(path) > 2 else "suite"


class CpuTimePlugin:
    def __init__(self) -> None:
        self.per_part: dict[str, float] = defaultdict(float)
        self.clocks: set[str] = set()
        self.cgroup: CgroupClock | None = None
        self.started = False

    def _start(self) -> None:
        """The clock of the process that runs tests (an xdist worker, or the only process)."""
        if not self.started:
            self.started = True
            self.cgroup = cgroup_clock()

    def seconds(self) -> float:
        return self.cgroup.seconds() if self.cgroup else waited_cpu_seconds()

    def pytest_unconfigure(self, config):
        if self.cgroup:
            self.cgroup.close()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        self._start()
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        yield from self._timed(item)
        item.user_properties.append((CLOCK_KEY, "cgroup" if self.cgroup else "rusage"))

    def _timed(self, item):
        start = self.seconds()
        yield
        item.user_properties.append((KEY, self.seconds() - start))

    def pytest_runtest_logreport(self, report):
        if report.when == "teardown":  # its properties hold all three phases
            self.per_part[part_of(report.nodeid)] += sum(v for k, v in report.user_properties if k == KEY)
            self.clocks.update(v for k, v in report.user_properties if k == CLOCK_KEY)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.per_part:
            return
        terminalreporter.section("CPU seconds per part")
        for line in summary_lines(self.per_part, self.clocks):
            terminalreporter.write_line(line)


def summary_lines(per_part: dict[str, float], clocks: set[str]) -> list[str]:
    """The summary's lines: each part's seconds and share, most first, the total, the clock used.
    A run too short for the clock to tick (cgroup v1's ``cpuacct.usage`` is charged at the
    scheduler's ticks, so a test of a few milliseconds may read 0 s) has no shares."""
    total = sum(per_part.values())
    lines = []
    for part, seconds in sorted(per_part.items(), key=lambda kv: -kv[1]):
        share = f"{100 * seconds / total:4.0f}%" if total > 0 else "    -"
        lines.append(f"{part:10s} {seconds:8.0f} s  {share}")
    lines.append(f"{'all':10s} {total:8.0f} s")
    if clocks == {"cgroup"}:
        lines.append("(every process the tests started: one cgroup per test process)")
    else:
        lines.append("(getrusage: the test processes and the children they waited for; kernels, "
                     "servers and sandboxes nobody waits for are missing. Run as root with cgroups "
                     "mounted to count them)")
    return lines
