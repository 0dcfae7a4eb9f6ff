"""CPU seconds per part of the suite, printed at its end (issue 24: where the time goes).

Each test's setup, call and teardown are timed in the process that runs them (its own CPU time
plus that of the children it has waited for: kernels, grading workers, browsers), carried to the
main process in the test reports (works with pytest-xdist), and summed per part of the house.
"""

from __future__ import annotations

import resource
from collections import defaultdict

import pytest

KEY = "cpu_seconds"
#: the teaching floor's files that execute lectures or check the lectures' numbers
LECTURE_FILES = ("test_lectures", "test_lecture_", "test_try_this", "test_science")


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def part_of(nodeid: str) -> str:
    """``tests/grading/x.py::t`` -> ``grading``; a top-level file -> ``lectures`` or ``teaching``."""
    path = nodeid.split("::")[0].split("/")
    if len(path) > 2:
        return path[1]
    return "lectures" if path[-1].startswith(LECTURE_FILES) else "teaching"


class CpuTimePlugin:
    def __init__(self) -> None:
        self.per_part: dict[str, float] = defaultdict(float)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        yield from self._timed(item)

    @staticmethod
    def _timed(item):
        start = cpu_seconds()
        yield
        item.user_properties.append((KEY, cpu_seconds() - start))

    def pytest_runtest_logreport(self, report):
        if report.when == "teardown":  # its properties hold all three phases
            self.per_part[part_of(report.nodeid)] += sum(v for k, v in report.user_properties if k == KEY)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.per_part:
            return
        total = sum(self.per_part.values())
        terminalreporter.section("CPU seconds per part")
        for part, seconds in sorted(self.per_part.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{part:10s} {seconds:8.0f} s  {100 * seconds / total:4.0f}%")
        terminalreporter.write_line(f"{'all':10s} {total:8.0f} s")
