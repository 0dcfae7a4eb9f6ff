"""How long an executed lecture took, on the reference machine's clock (issue 12: every lecture
runs in about a minute on 2 CPU cores).

Run time is the kernel's CPU time (user + sys), not the wall clock, which also counts the time the
kernel waited for a core that another test held. CPU time is not a fact about the lecture either:
it depends on the CPU (and its kernels: AVX-512 or AVX2) and grows when other processes share the
caches and memory. So the CPU seconds are converted to the reference machine's by measuring this
machine while the lecture runs: a yardstick (a fixed piece of lecture-like work) is timed every
few seconds in a thread of the test's process, and ::

    reference seconds = kernel CPU seconds * YARDSTICK_REFERENCE_SECONDS / yardstick's median

Each lecture is held to LECTURE_CPU_SECONDS of the reference machine's, on any machine and load;
the suite's summary lists every lecture's time and the whole set's (:class:`LectureTimesPlugin`).
Kept apart from lecture_checks.py: every test process loads this module (conftest.py registers
the plugin), and it imports nothing heavy (torch only when the yardstick runs).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: issue 12: every lecture runs in 60 s or less on 2 CPU cores (the reference machine's seconds)
LECTURE_CPU_SECONDS = 60.0
#: The yardstick's CPU seconds on the reference machine, the project's 2-core VM (AMD EPYC,
#: AVX-512), while one lecture runs headless and nothing else: medians 0.0459-0.0480 s in 7 of
#: 8 runs over lectures 01, 04, 05, 06 and 08, one 0.0553 s (``python tests/lecture_times.py 04``).
YARDSTICK_REFERENCE_SECONDS = 0.047
#: wall seconds between two measures while a lecture runs (a measure costs about 1/40 of that)
YARDSTICK_EVERY = 2.0
TIME_PROPERTY = "lecture_time"


def yardstick_seconds() -> float:
    """CPU seconds this thread takes for a fixed piece of lecture-like work: 60 Adam steps of a
    784-64-784 autoencoder on a batch of 32 images, on one torch thread (what aeutils sets).

    Its size is chosen to slow down like the lectures do: with `make test-portable`'s kernels
    (AVX2, MKL's compatible path) it takes 1.44 times as long, the lectures' kernels 1.14-1.69
    times (mean 1.45); a batch of 128 through 128 hidden units, all matrix product, took 1.94."""
    import torch

    if torch.get_num_threads() != 1:
        raise RuntimeError(f"the yardstick is timed on one torch thread, this process has "
                           f"{torch.get_num_threads()}: call aeutils.configure_cpu_threads() with "
                           "AEUTILS_THREADS unset")
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(32, 784, generator=generator)
    net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 784))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.thread_time()
    for _ in range(60):
        loss = ((net(x) - x) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.thread_time() - start


class MachineSpeed:
    """This machine's speed relative to the reference machine while the ``with`` block runs:
    the yardstick is measured at its start, every YARDSTICK_EVERY seconds in a thread, and at
    its end. :attr:`factor` is 1 on the reference machine running one lecture and nothing else,
    below 1 on a slower or busier one, above 1 on a faster one."""

    def __init__(self) -> None:
        self.measures: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._measure, daemon=True)

    def _measure(self) -> None:
        while True:
            self.measures.append(yardstick_seconds())
            if self._stop.wait(YARDSTICK_EVERY):
                return

    def __enter__(self) -> MachineSpeed:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.measures.append(yardstick_seconds())

    @property
    def factor(self) -> float:
        return YARDSTICK_REFERENCE_SECONDS / statistics.median(self.measures)


@dataclass(frozen=True)
class LectureTime:
    """One lecture's run: its kernel's CPU seconds and the machine's speed meanwhile."""

    name: str
    cpu_seconds: float
    speed: float

    @property
    def reference_seconds(self) -> float:
        """What the run would have taken on the reference machine with nothing else running."""
        return self.cpu_seconds * self.speed

    def problems(self) -> list[str]:
        if self.reference_seconds <= LECTURE_CPU_SECONDS:
            return []
        return [f"{self.name}: {self.reference_seconds:.0f} s of the reference machine's CPU time "
                f"(limit {LECTURE_CPU_SECONDS:.0f} s): its kernel computed for "
                f"{self.cpu_seconds:.0f} s while this machine ran at {self.speed:.2f} times the "
                "reference machine's speed (tests/lecture_times.py)"]

    def record(self, item) -> None:
        """Carry this time to the suite's summary (works under pytest-xdist)."""
        item.user_properties.append((TIME_PROPERTY, (self.name, self.cpu_seconds, self.speed)))


class LectureTimesPlugin:
    """Lists at the end of a run every lecture's time on the reference machine, and the set's."""

    def __init__(self) -> None:
        self.times: dict[str, LectureTime] = {}

    def pytest_runtest_logreport(self, report):
        for key, value in report.user_properties if report.when == "call" else ():
            if key == TIME_PROPERTY:
                self.times[value[0]] = LectureTime(*value)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.times:
            return
        terminalreporter.section("Lecture run times (CPU seconds on the reference machine)")
        for time_ in sorted(self.times.values(), key=lambda t: t.name):
            terminalreporter.write_line(
                f"{time_.name:24s} {time_.reference_seconds:5.0f} s  (kernel {time_.cpu_seconds:.0f} s "
                f"at speed {time_.speed:.2f})")
        total = sum(t.reference_seconds for t in self.times.values())
        terminalreporter.write_line(f"{'all ' + str(len(self.times)):24s} {total:5.0f} s  "
                                    f"(limit {LECTURE_CPU_SECONDS:.0f} s each)")


def process_cpu_seconds(pid: int) -> float:
    """User + sys CPU seconds of a live process and of its children it has waited for (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":  # YARDSTICK_REFERENCE_SECONDS: the yardstick while a lecture runs
    import sys

    import aeutils
    from aeutils import course

    aeutils.configure_cpu_threads()
    lecture = next(p for p in course.lecture_paths() if p.stem.startswith((sys.argv[1:] or ["01"])[0]))
    with MachineSpeed() as speed:
        course.execute_notebook(lecture, timeout=300)
    measures = sorted(speed.measures)
    print(f"yardstick while {lecture.stem} ran: median {statistics.median(measures):.4f} s, "
          f"{measures[0]:.4f}-{measures[-1]:.4f} s over {len(measures)} measures")
