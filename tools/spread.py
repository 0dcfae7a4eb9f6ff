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
    python tools/spread.py --seeds 0 1 --kernels portable -- tests/lectures/test_try_this.py -k 01_
    python tools/spread.py --summarize           # only re-read the logs in build/spread/
    python tools/spread.py --lectures 02_control 04_denoising --out build/spread-lectures

With ``--lectures`` it executes those lectures instead (two at a time), with every seed in their
code moved by the run's seed (``seed_everything(N)``, ``manual_seed(N)``, ``seed=N``,
``default_rng(N)`` and ``fit``'s default shuffling seed; the data sets and splits stay fixed),
keeps going past a failing cell, and reports every number the lectures print, by cell and line,
and every cell that raised in some run (an ``assert`` that does not hold on every machine).

The runs take about 3 minutes each on 2 cores (ten runs: half an hour). Results stay in
``build/spread/`` (one JSON-lines log and one JUnit XML per run, ``spread.md``, ``spread.json``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "lectures")]
from answers import answer_claims  # noqa: E402
from spread import PORTABLE_KERNELS  # noqa: E402

DEFAULT_TESTS = ["tests/lectures/test_try_this.py", "tests/lectures/test_try_this_02_07.py",
                 "tests/lectures/test_try_this_05_08.py", "tests/lectures/test_science.py"]
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


def run(seed: int, kernels: str, tests: list[str], out: Path, tag: str = "") -> float:
    """One pytest run at ``seed`` with ``kernels``; returns its wall seconds. ``tag`` names a
    partial rerun (its records replace the run's earlier ones, its failures count apart)."""
    log, junit = (out / f"{kernels}-seed{seed}{tag}.jsonl", out / f"{kernels}-seed{seed}{tag}.xml")
    log.unlink(missing_ok=True)
    env = {**os.environ, **KERNELS[kernels], "AEUTILS_SPREAD_SEED": str(seed),
           "AEUTILS_SPREAD_LOG": str(log),
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
                    "-p", "no:cacheprovider", f"--junitxml={junit}", *tests],
                   cwd=REPO, env=env, check=False)
    return time.monotonic() - start


_SEEDS = [(re.compile(r"(seed_everything\(|manual_seed\(|default_rng\(|\bseed=)(\d+)"),
           lambda shift: (lambda m: f"{m.group(1)}{int(m.group(2)) + shift}"))]
_PRINTED_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def shifted(source: str, shift: int) -> str:
    """A lecture cell's code with every literal seed moved by ``shift``."""
    for pattern, replace in _SEEDS:
        source = pattern.sub(replace(shift), source)
    return source


def execute_lecture(name: str, seed: int, kernels: str, out: Path) -> Path:
    """Execute lecture ``name`` at ``seed`` with ``kernels`` in a fresh kernel (its own process,
    so the kernel inherits the kernel settings); write what it printed and raised to JSON."""
    result = out / f"{name}-{kernels}-seed{seed}.json"
    env = {**os.environ, **KERNELS[kernels],
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    subprocess.run([sys.executable, __file__, "--execute-one", name, str(seed), str(result)],
                   cwd=REPO, env=env, check=True)
    return result


def _execute_one(name: str, seed: int, result: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    path = REPO / "lectures" / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = shifted(cell.source, seed)
    if seed:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(
            f"import aeutils.train\naeutils.train.fit.__kwdefaults__['seed'] = {seed}"))
    start = time.monotonic()
    NotebookClient(notebook, timeout=600, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    offset = 1 if seed else 0  # cell numbers as in the committed lecture
    printed, errors = printed_numbers(name, notebook.cells[offset:])
    result.write_text(json.dumps({"lecture": name, "seed": seed, "errors": errors,
                                  "printed": printed, "seconds": time.monotonic() - start}))


def printed_numbers(name: str, cells: list) -> tuple[dict[str, list[float]], list[str]]:
    """The numbers each executed cell printed, keyed ``"name[cell] line n: text"``, and the
    errors the cells raised. A cell's prints can arrive in several stream outputs (the kernel
    flushes as it goes, at times that differ between runs): its lines are numbered over all of
    them, so that a key means the same line in every run."""
    printed: dict[str, list[float]] = {}
    errors = []
    for i, cell in enumerate(cells):
        stdout = ""
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"cell {i}: {out['ename']}: {out['evalue']}"[:300])
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                stdout += out["text"]
        for n, line in enumerate(stdout.splitlines()):
            numbers = [float(v) for v in _PRINTED_NUMBER.findall(line)]
            if numbers:
                printed[f"{name}[{i}] line {n + 1}: {line[:60]}"] = numbers
    return printed, errors


def summarize_lectures(out: Path) -> tuple[list[Spread], dict[str, list[str]]]:
    """Each printed number's spread, by its cell and line (the line text of the first run), and
    the cells that raised, with the runs they raised in."""
    values: dict[tuple[str, int], list[float]] = defaultdict(list)
    failures: dict[str, list[str]] = defaultdict(list)
    for path in sorted(out.glob("*-seed*.json")):
        entry = json.loads(path.read_text())
        for error in entry["errors"]:
            failures[f"{entry['lecture']} {error}"].append(path.stem)
        for where, numbers in entry["printed"].items():
            label = where.split(":")[0]
            for i, v in enumerate(numbers):
                values[label, i].append(v)
    spreads = []
    for (key, index), vals in sorted(values.items()):
        low, high, mean = min(vals), max(vals), statistics.fmean(vals)
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        lo, hi, decimals = _round_out(min(low, mean - 3 * sd), max(high, mean + 3 * sd))
        invariant = high - low <= 1e-3 * max(abs(mean), 1e-12)
        suggest = f"{mean:.4g} (invariant)" if invariant else f"{lo:.{decimals}f}–{hi:.{decimals}f}"
        spreads.append(Spread(key, index, len(vals), low, high, mean, sd, "", True, suggest))
    return spreads, dict(failures)


def _round_out(low: float, high: float) -> tuple[float, float, int]:
    """``low`` rounded down and ``high`` up to a step about a quarter of their distance."""
    width = high - low or abs(high) * 0.01 or 1e-6
    exponent = math.floor(math.log10(width / 4))
    step = 10.0 ** exponent
    return math.floor(low / step) * step, math.ceil(high / step) * step, max(0, -exponent)


def summarize(out: Path) -> tuple[list[Spread], dict[str, list[str]]]:
    """Read every run's log and JUnit XML in ``out``."""
    latest: dict[tuple[str, int, str], list[float]] = {}  # a rerun replaces a run's record
    for log in sorted(out.glob("*.jsonl"), key=lambda path: path.stat().st_mtime):
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            latest[entry["key"], entry["seed"], entry["kernels"]] = entry["values"]
    values: dict[tuple[str, int], list[float]] = defaultdict(list)
    for (key, _, _), measured in sorted(latest.items()):
        for i, v in enumerate(measured):
            values[key, i].append(v)
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
        lecture, _, answer = key.partition(":")
        notebook = REPO / "lectures" / f"{lecture}.ipynb"
        if answer and notebook.is_file():  # an answer's claim (else a test's own record)
            claims = answer_claims(notebook, answer)
            if index < len(claims):
                c = claims[index]
                claim = str(c)
                covered = c.holds(low) and c.holds(high)
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
    parser.add_argument("--lectures", nargs="+", metavar="NAME",
                        help="execute these lectures (e.g. 02_control) instead of the tests")
    parser.add_argument("--execute-one", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="", help="name a partial rerun (e.g. -again)")
    parser.add_argument("tests", nargs="*", default=DEFAULT_TESTS,
                        help="pytest arguments (after --), default: the number-checking tests")
    args = parser.parse_args(argv)
    if args.execute_one:
        name, seed, result = args.execute_one
        _execute_one(name, int(seed), Path(result))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    if args.lectures:
        if not args.summarize:
            from concurrent.futures import ThreadPoolExecutor

            runs = [(n, s, k) for k in args.kernels for s in args.seeds for n in args.lectures]
            with ThreadPoolExecutor(2) as pool:  # two kernels: the machine's two cores
                for done in pool.map(lambda r: execute_lecture(*r, args.out), runs):
                    print(f"spread: {done.stem}", flush=True)
        spreads, failures = summarize_lectures(args.out)
    elif not args.summarize:
        for kernels in args.kernels:
            for seed in args.seeds:
                seconds = run(seed, kernels, args.tests, args.out, args.tag)
                print(f"spread: seed {seed}, {kernels} kernels: {seconds:.0f} s", flush=True)
    if not args.lectures:
        spreads, failures = summarize(args.out)
    text = report(spreads, failures)
    (args.out / "spread.md").write_text(text + "\n")
    (args.out / "spread.json").write_text(json.dumps(
        {"spreads": [asdict(s) for s in spreads], "failures": failures}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
