"""Measure how the course's numbers spread over seeds and CPU kernels (``make spread``).

A number a lecture or answer states must hold on a learner's machine, whose seed and CPU differ
from ours. This runs the number-checking tests (the "Try this" answers and ``test_science.py`` by
default) once per seed and per CPU-kernel setting, natively and with ``tests/spread.py``'s
``PORTABLE_KERNELS`` (what ``make test-portable`` uses), with ``AEUTILS_SPREAD_SEED`` and
``AEUTILS_SPREAD_LOG`` set, and then prints, per checked number: its minimum, maximum, mean and
standard deviation over all runs, what the text claims, whether the claim covers every run, and
a range to state (the measured range widened to mean +- 3 standard deviations, rounded outward).
Tests that failed in some run are listed with the run.

    python tools/spread.py                       # seeds 0-4, native and portable kernels
    python tools/spread.py --seeds 0 1 --kernels portable -- tests/test_try_this.py -k 01_
    python tools/spread.py --summarize           # only re-read the logs in build/spread/

The runs take about 3 minutes each on 2 cores (ten runs: half an hour). Results stay in
``build/spread/`` (one JSON-lines log and one JUnit XML per run, ``spread.md``, ``spread.json``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from answers import answer_claims  # noqa: E402
from spread import PORTABLE_KERNELS  # noqa: E402

DEFAULT_TESTS = ["tests/test_try_this.py", "tests/test_try_this_02_07.py",
                 "tests/test_try_this_05_08.py", "tests/test_science.py"]
KERNELS = {"native": {}, "portable": PORTABLE_KERNELS}


@dataclass
class Spread:
    """One checked number over every run: its spread, the text's claim and a range to state."""

    key: str            # "lecture:answer-key" (or a test's own name)
    index: int          # which number of the check, from 0
    runs: int
    low: float
    high: float
    mean: float
    sd: float
    claim: str          # what the text says ("" when the key is not an answer)
    covered: bool       # the claim (a range, or a number within the check's tolerance) holds
    suggest: str        # a range to state: [low, high] widened to mean +- 3 sd, rounded out
    #                     (or the value itself, where no seed or CPU moves it)


def run(seed: int, kernels: str, tests: list[str], out: Path) -> float:
    """One pytest run at ``seed`` with ``kernels``; returns its wall seconds."""
    log, junit = out / f"{kernels}-seed{seed}.jsonl", out / f"{kernels}-seed{seed}.xml"
    log.unlink(missing_ok=True)
    env = {**os.environ, **KERNELS[kernels], "AEUTILS_SPREAD_SEED": str(seed),
           "AEUTILS_SPREAD_LOG": str(log),
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
                    "-p", "no:cacheprovider", f"--junitxml={junit}", *tests],
                   cwd=REPO, env=env, check=False)
    return time.monotonic() - start


def _round_out(low: float, high: float) -> tuple[float, float, int]:
    """``low`` rounded down and ``high`` up to a step about a quarter of their distance."""
    width = high - low or abs(high) * 0.01 or 1e-6
    exponent = math.floor(math.log10(width / 4))
    step = 10.0 ** exponent
    return math.floor(low / step) * step, math.ceil(high / step) * step, max(0, -exponent)


def summarize(out: Path) -> tuple[list[Spread], dict[str, list[str]]]:
    """Read every run's log and JUnit XML in ``out``."""
    values: dict[tuple[str, int], list[float]] = defaultdict(list)
    for log in sorted(out.glob("*.jsonl")):
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            for i, v in enumerate(entry["values"]):
                values[entry["key"], i].append(v)
    failures: dict[str, list[str]] = defaultdict(list)
    for junit in sorted(out.glob("*.xml")):
        for case in ET.parse(junit).iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failures[f"{case.get('classname')}::{case.get('name')}"].append(junit.stem)
    spreads = []
    for (key, index), vals in sorted(values.items()):
        low, high, mean = min(vals), max(vals), statistics.fmean(vals)
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        invariant = high - low <= 1e-3 * max(abs(mean), 1e-12)  # the seed and CPU do not move it
        lo, hi, decimals = _round_out(min(low, mean - 3 * sd), max(high, mean + 3 * sd))
        suggest = f"{mean:.4g} (invariant)" if invariant else f"{lo:.{decimals}f}–{hi:.{decimals}f}"
        claim, covered = "", True
        if ":" in key:
            lecture, answer = key.split(":", 1)
            claims = answer_claims(REPO / "lectures" / f"{lecture}.ipynb", answer)
            if index < len(claims):
                c = claims[index]
                claim = str(c)
                # a single number is for what does not vary (the test checks its value)
                covered = (c.low <= low and high <= c.high) if c.is_range else invariant
        spreads.append(Spread(key, index, len(vals), low, high, mean, sd, claim, covered,
                              suggest))
    return spreads, dict(failures)


def report(spreads: list[Spread], failures: dict[str, list[str]]) -> str:
    lines = ["| number | runs | min | max | mean | sd | the text says | holds | state |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s in spreads:
        lines.append(f"| {s.key} #{s.index + 1} | {s.runs} | {s.low:.5g} | {s.high:.5g} | "
                     f"{s.mean:.5g} | {s.sd:.3g} | {s.claim} | {'yes' if s.covered else 'NO'} | "
                     f"{s.suggest} |")
    if failures:
        lines += ["", "Tests that failed in some run:", ""]
        lines += [f"- {test}: {', '.join(runs)}" for test, runs in sorted(failures.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--kernels", nargs="+", choices=sorted(KERNELS),
                        default=["native", "portable"])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "spread")
    parser.add_argument("--summarize", action="store_true", help="only read the logs in --out")
    parser.add_argument("tests", nargs="*", default=DEFAULT_TESTS,
                        help="pytest arguments (after --), default: the number-checking tests")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.summarize:
        for kernels in args.kernels:
            for seed in args.seeds:
                seconds = run(seed, kernels, args.tests, args.out)
                print(f"spread: seed {seed}, {kernels} kernels: {seconds:.0f} s", flush=True)
    spreads, failures = summarize(args.out)
    text = report(spreads, failures)
    (args.out / "spread.md").write_text(text + "\n")
    (args.out / "spread.json").write_text(json.dumps(
        {"spreads": [asdict(s) for s in spreads], "failures": failures}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
