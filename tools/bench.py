#!/usr/bin/env python3
"""Benchmark (not a test): the course's recipes against a textbook PyTorch loop, to equal quality.

    make bench                                   # everything (several minutes)
    .venv/bin/python tools/bench.py --skip-course   # without the slow course-CPU-time part

One process, torch at the library's one thread. Three parts:

1. Training cases (linear AE, MLP AE, conv denoising AE, VAE, masked-token model). For each, the
   course recipe (``train.fit`` with the lecture's settings) and the textbook loop
   (``TensorDataset`` + ``DataLoader``, batch 128, shuffled, Adam 1e-3, MSE or the model's own
   loss) train the same architecture from the same initial weights, back to back. The held-out
   metric is checked after every epoch *outside* the timed part (the clock is paused), and each
   side's time is the time until it first reaches the case's target. The textbook loop stops at
   ``CAP`` times the course's time; then the ratio reads ``>Nx``.
2. The course's total CPU time: every lecture and assignment solution executed in a fresh kernel
   (``aeutils.course.execute_notebook``), CPU time of the kernels (``--skip-course`` skips it).
3. Grading: ``aeutils grade`` of one ae1 submission (the model solution) against plain
   ``jupyter nbconvert --execute`` of the same notebook, with where the grading time goes. Under
   bubblewrap the kernels' CPU is not handed back to the grader (they are not its waited-for
   children), so there the ratio is in wall seconds: run the bench on an otherwise idle machine.

Ratios are printed as ``course X s, textbook Y s, ratio Y/X`` in CPU seconds (robust to other
processes' load on a shared machine); wall seconds are printed beside them and everything goes to
``build/bench.json`` so a later (GPU) run can be compared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

REPO = Path(__file__).resolve().parent.parent
GOAL_SPEEDUP = 5.0
# the textbook loop may use this many times the course's time to reach the target: enough to say
# whether the goal is met (">5.0x" means it is), no more, to keep the whole run short
CAP = GOAL_SPEEDUP
GOAL_GRADING_OVERHEAD = 1.3


class Clock:
    """CPU (``time.process_time``) and wall seconds while running; ``paused()`` excludes a block."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0
        self._cpu0 = self._wall0 = None

    def start(self) -> None:
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()

    def stop(self) -> None:
        if self._cpu0 is not None:
            self.cpu += time.process_time() - self._cpu0
            self.wall += time.perf_counter() - self._wall0
            self._cpu0 = self._wall0 = None


@dataclass
class Side:
    """One side of a case: seconds (CPU, wall) until the target was first met, or the last ones."""

    cpu_s: float = math.nan
    wall_s: float = math.nan
    epochs: int = 0
    metric: float = math.nan
    reached: bool = False
    curve: list[float] = field(default_factory=list)  # held-out metric after each epoch


@dataclass
class Case:
    """A training case: builds a fresh model, runs the course recipe, scores held-out quality."""

    name: str
    metric_name: str
    higher_is_better: bool
    build: Callable[[], nn.Module]  # same seed each call: both sides start from the same weights
    x_train: torch.Tensor
    course_fit: dict  # keyword arguments of train.fit (the lecture's recipe)
    metric: Callable[[nn.Module], float]  # held-out quality of a model
    textbook_loss: Callable[[nn.Module, torch.Tensor], torch.Tensor]
    # the target from the course's final metric (or a fixed one, e.g. 1.005x PCA's error)
    target: Callable[[float], float]
    target_text: str = ""
    max_textbook_epochs: int = 10_000


def meets(case: Case, value: float, target: float) -> bool:
    return value >= target if case.higher_is_better else value <= target


def run_course(case: Case) -> tuple[Side, list[tuple[float, float, float]]]:
    """Train with ``train.fit`` and the case's recipe; the metric after every epoch, untimed."""
    from aeutils import train

    clock, points = Clock(), []
    model = case.build()

    def after_epoch(epoch: int, m: nn.Module) -> None:
        clock.stop()
        value = case.metric(m)
        points.append((clock.cpu, clock.wall, value))
        m.train()
        clock.start()

    clock.start()
    train.fit(model, case.x_train, quiet=True, callback=after_epoch, **case.course_fit)
    clock.stop()
    side = Side(curve=[p[2] for p in points], epochs=len(points))
    return side, points


def settle(case: Case, side: Side, points: list[tuple[float, float, float]], target: float) -> Side:
    """Fill ``side`` with the first epoch that met ``target`` (else the last epoch)."""
    for epoch, (cpu, wall, value) in enumerate(points, 1):
        if meets(case, value, target):
            side.cpu_s, side.wall_s, side.metric, side.epochs, side.reached = cpu, wall, value, epoch, True
            return side
    if points:
        side.cpu_s, side.wall_s, side.metric = points[-1]
    return side


def run_textbook(case: Case, target: float, cap_cpu_s: float) -> Side:
    """The textbook loop in one-epoch chunks until the target or ``cap_cpu_s`` CPU seconds."""
    from aeutils import runtime

    device = runtime.device()
    model = case.build().to(device)
    loader = DataLoader(TensorDataset(case.x_train), batch_size=128, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    clock, side = Clock(), Side()
    for epoch in range(1, case.max_textbook_epochs + 1):
        clock.start()
        model.train()
        for (xb,) in loader:
            xb = xb.to(device)
            loss = case.textbook_loss(model, xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        clock.stop()
        value = case.metric(model)
        side.curve.append(value)
        side.cpu_s, side.wall_s, side.metric, side.epochs = clock.cpu, clock.wall, value, epoch
        if meets(case, value, target):
            side.reached = True
            break
        if clock.cpu > cap_cpu_s:
            break
    return side


def ratio_text(course: Side, textbook: Side) -> str:
    if not course.reached:
        return "n/a (the course recipe missed the target)"
    r = textbook.cpu_s / course.cpu_s
    return f"{r:.1f}x" if textbook.reached else f">{r:.1f}x"


def run_case(case: Case) -> dict:
    course, points = run_course(case)
    target = case.target(points[-1][2])
    course = settle(case, course, points, target)
    cap = CAP * (course.cpu_s if course.reached else points[-1][0])
    textbook = run_textbook(case, target, cap)
    record = {
        "case": case.name, "metric": case.metric_name, "target": target,
        "target_rule": case.target_text, "course": asdict(course), "textbook": asdict(textbook),
        "ratio_cpu": textbook.cpu_s / course.cpu_s, "ratio_wall": textbook.wall_s / course.wall_s,
        "ratio": ratio_text(course, textbook),
        "meets_goal": bool(course.reached and textbook.cpu_s >= GOAL_SPEEDUP * course.cpu_s),
    }
    return record


def case_line(rec: dict) -> str:
    c, t = rec["course"], rec["textbook"]
    return (f"{rec['case']:<14s} course {c['cpu_s']:6.2f} s, textbook {t['cpu_s']:6.2f} s, "
            f"ratio {rec['ratio']:>6s}   (CPU s; wall {c['wall_s']:.2f} / {t['wall_s']:.2f} s; "
            f"{rec['metric']} target {rec['target']:.4g}: course {c['metric']:.4g} after "
            f"{c['epochs']} ep, textbook {t['metric']:.4g} after {t['epochs']} ep)"
            + ("" if rec["meets_goal"] else f"  BELOW the {GOAL_SPEEDUP:g}x goal"))


def warm_up() -> None:
    """One tiny untimed run of both loops, so neither side pays one-time costs.

    The first optimizer a process builds imports ``torch._dynamo`` (about a CPU second here), and
    the first calls of each kernel allocate; without this the first case's first side pays them.
    """
    from aeutils import models, train

    x = torch.rand(64, 1, 8, 8)
    for optimizer in ("lbfgs", "adam"):
        train.fit(models.LinearAutoencoder((1, 8, 8), 4), x, epochs=1, optimizer=optimizer,
                  batch_size=None if optimizer == "lbfgs" else 32, quiet=True)
    case = Case("warm-up", "", False, lambda: models.LinearAutoencoder((1, 8, 8), 4), x, {},
                lambda m: 0.0, _mse_loss, lambda final: 1.0)
    run_textbook(case, target=1.0, cap_cpu_s=0.0)


# -- the five cases -------------------------------------------------------------------------------
def _seeded(make: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        torch.manual_seed(0)
        return make()
    return build


def _mse_loss(model: nn.Module, xb: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(model(xb)[1], xb)


def _own_loss(model: nn.Module, xb: torch.Tensor) -> torch.Tensor:
    return model.loss(xb)


def linear_case() -> Case:
    from aeutils import data, metrics, models

    x, y = data.load_digits()
    x_train, x_test, _, _ = data.train_test_split(x, y, test_fraction=0.2)
    pca_error = metrics.pca(x_train, 16, x_test).error
    return Case(
        "linear AE", "held-out MSE", False,
        _seeded(lambda: models.LinearAutoencoder((1, 8, 8), code_size=16)), x_train,
        dict(optimizer="lbfgs", batch_size=None, epochs=20),  # lecture 01
        lambda m: metrics.reconstruction_error(m, x_test), _mse_loss,
        lambda final: 1.005 * pca_error, "1.005x PCA's held-out error (digits, 16-D code)")


def mlp_case(mnist) -> Case:
    from aeutils import metrics, models

    x_train, x_test = mnist
    return Case(
        "MLP AE", "held-out MSE", False,
        _seeded(lambda: models.MLPAutoencoder((1, 28, 28), code_size=16, hidden=(256,))), x_train,
        dict(epochs=8, batch_size=64, lr=1e-2),  # lecture 01
        lambda m: metrics.reconstruction_error(m, x_test), _mse_loss,
        lambda final: 1.01 * final, "1.01x the lecture-01 recipe's held-out MSE (784-256-16)")


def conv_dae_case(mnist) -> Case:
    from aeutils import metrics, models, noise, train

    x_train, x_test = mnist
    x_noisy = noise.gaussian(x_test, 0.4, torch.Generator().manual_seed(1))

    def build() -> nn.Module:
        torch.manual_seed(0)
        return models.DenoisingAutoencoder(models.ConvAutoencoder((1, 28, 28), code_size=64),
                                           "gaussian", 0.4,
                                           generator=torch.Generator().manual_seed(0))

    return Case(
        "conv DAE", "held-out PSNR dB", True, build, x_train,
        dict(epochs=8, batch_size=64, lr=5e-3),  # lecture 04's FIT
        lambda m: metrics.psnr(train.reconstruct(m, x_noisy), x_test), _own_loss,
        lambda final: final - 0.1, "the lecture-04 recipe's PSNR - 0.1 dB (Gaussian 0.4)")


def vae_case(mnist) -> Case:
    from aeutils import models

    x_train, x_test = mnist

    @torch.no_grad()
    def held_out_elbo(model: nn.Module) -> float:
        model.eval()
        where = next(model.parameters()).device
        g = torch.Generator(device=where).manual_seed(1)
        xt = x_test.to(where)
        return float(torch.stack([model.elbo(xt, generator=g).mean() for _ in range(5)]).mean())

    return Case(
        "VAE", "held-out ELBO nats", True,
        _seeded(lambda: models.VAE((1, 28, 28), latent_size=16, hidden=(256,))), x_train,
        dict(epochs=15, batch_size=64, lr=1e-2),  # lecture 06's FIT
        held_out_elbo, _own_loss,
        lambda final: final - 1.0, "the lecture-06 recipe's held-out ELBO - 1 nat (16-D)")


def bert_case() -> Case:
    from aeutils import english, masking, noise

    prose = english.prose_data()
    tok = prose.tokenizer
    test_masked = noise.bert_mask(prose.test_blocks, tok.MASK, tok.vocab_size, 0.15,
                                  torch.Generator().manual_seed(1), tok.num_special,
                                  mask_prob=1.0, random_prob=0.0)

    def build() -> nn.Module:
        torch.manual_seed(0)
        return english.masked_model(prose, rate=0.15)

    return Case(
        "masked tokens", "masked-token accuracy", True, build, prose.train_blocks,
        dict(english.FIT),  # lecture 05
        lambda m: masking.masked_token_accuracy(m, test_masked), _own_loss,
        lambda final: final - 0.005, "the lecture-05 recipe's held-out accuracy - 0.5 points",
        max_textbook_epochs=2000)


def training_cases() -> list[Callable[[], Case]]:
    from aeutils import data

    cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def mnist() -> tuple[torch.Tensor, torch.Tensor]:
        if "m" not in cache:
            x, y = data.load_mnist()
            x_train, x_test, _, _ = data.train_test_split(x, y)
            cache["m"] = (x_train, x_test)
        return cache["m"]

    return [linear_case, lambda: mlp_case(mnist()), lambda: conv_dae_case(mnist()),
            lambda: vae_case(mnist()), bert_case]


# -- the course's CPU time ------------------------------------------------------------------------
def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def course_notebooks() -> list[Path]:
    from aeutils.course import lecture_paths

    return lecture_paths(REPO / "lectures") + sorted((REPO / "solutions").glob("*/*.ipynb"))


def course_cpu_time() -> dict:
    """CPU seconds of the kernels that ran each lecture and solution (as CI runs them)."""
    from aeutils.course import execute_notebook

    rows = []
    for path in course_notebooks():
        cpu0, wall0 = _children_cpu(), time.perf_counter()
        try:
            execute_notebook(path)
            ok = True
        except Exception as err:  # report it and go on with the rest
            ok = False
            print(f"  {path.name}: FAILED ({type(err).__name__})", flush=True)
        rows.append({"notebook": str(path.relative_to(REPO)), "ok": ok,
                     "cpu_s": _children_cpu() - cpu0, "wall_s": time.perf_counter() - wall0})
        print(f"  {rows[-1]['notebook']:<45s} {rows[-1]['cpu_s']:6.1f} s CPU, "
              f"{rows[-1]['wall_s']:6.1f} s wall", flush=True)
    return {"notebooks": rows, "cpu_s": sum(r["cpu_s"] for r in rows),
            "wall_s": sum(r["wall_s"] for r in rows)}


# -- grading against plain execution --------------------------------------------------------------
def _timed_run(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=str(cwd), text=True, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed:\n{proc.stderr[-2000:]}")
    return _children_cpu() - cpu0, time.perf_counter() - wall0, proc


def _self_and_children_cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class PhaseTimer:
    """Seconds spent in chosen functions of the grading code, by wrapping (not editing) them.

    ``with PhaseTimer({"preflight": (Batch, "_preflight"), ...}) as t: ...``; then ``t.seconds``
    (wall) and ``t.cpu`` (this process and the children it waited for: right for one job at a time).
    """

    def __init__(self, targets: dict[str, tuple[object, str]]) -> None:
        self.targets, self.seconds, self.cpu, self._saved = targets, {}, {}, []

    def __enter__(self) -> PhaseTimer:
        for phase, (owner, attr) in self.targets.items():
            original = getattr(owner, attr)
            self._saved.append((owner, attr, original))
            setattr(owner, attr, self._timed(phase, original))
        return self

    def _timed(self, phase: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            t0, c0 = time.perf_counter(), _self_and_children_cpu()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - t0
                self.cpu[phase] = self.cpu.get(phase, 0.0) + _self_and_children_cpu() - c0
        return timed

    def __exit__(self, *exc) -> None:
        for owner, attr, original in reversed(self._saved):
            setattr(owner, attr, original)


def grading_overhead(assignment: str = "ae1_bottleneck") -> dict:
    """Seconds to grade one submission (the model solution) vs ``jupyter nbconvert --execute``.

    Grading runs in this process (``Batch``, what ``aeutils grade`` runs), its phases timed by
    :class:`PhaseTimer`; CPU seconds are this process's and its children's (the grader process, the
    kernels). The grading code itself is not changed.
    """
    from aeutils.cli import _venv_on_path
    from aeutils.instructor import grade as grading
    from aeutils.instructor import report as grading_report
    from aeutils.instructor.config import load_config

    _venv_on_path()
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": str(bindir) + os.pathsep + os.environ.get("PATH", "")}
    # the sandboxed kernel must be able to reach the interpreter: a world-readable scratch folder
    work = Path(tempfile.mkdtemp(prefix="aeutils-bench-grade-", dir="/tmp"))
    os.chmod(work, 0o755)
    try:
        course = work / "course"
        shutil.copytree(REPO, course, ignore=shutil.ignore_patterns(
            ".venv*", ".git", "build", "gradebook.db", ".grading", "autograded", "feedback",
            "submitted", "grades.*", "__pycache__", "node_modules", "tests"))
        _timed_run([sys.executable, "-m", "aeutils", "--course", str(course), "release",
                    assignment], env, course)
        solution = sorted((REPO / "solutions" / assignment).glob("*.ipynb"))
        subs = work / "submissions" / "student000" / assignment
        subs.mkdir(parents=True)
        # the model student: the release with every answer cell filled in (as the real-assignment
        # tests build it); plain execution runs the source, which holds the hidden tests the
        # grader puts back, so both run the same code
        sys.path.insert(0, str(REPO / "tests" / "instructor"))
        from grading_corpus import solution_notebook

        for nb in solution:
            release_nb = nbformat.read(str(course / "assignments" / assignment / nb.name), 4)
            nbformat.write(solution_notebook(release_nb, nbformat.read(str(nb), 4)),
                           str(subs / nb.name))
        plain_cpu = plain_wall = 0.0
        for nb in solution:
            cpu, wall, _ = _timed_run(
                [str(bindir / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                 "--ExecutePreprocessor.timeout=600", "--output-dir", str(work / "plain"),
                 str(nb)], env, nb.parent)
            plain_cpu, plain_wall = plain_cpu + cpu, plain_wall + wall
        # a bare interpreter and the grader process's imports (the lazy package: no torch): the fixed
        # start-up cost of each grader process
        boot_cpu, boot_wall, _ = _timed_run(
            [sys.executable, "-c", "import aeutils.instructor.grader"], env, course)
        bare_cpu, bare_wall, _ = _timed_run([sys.executable, "-c", "pass"], env, course)
        log: list[str] = []
        phases = {"preflight (one sandboxed kernel)": (grading.Batch, "_preflight"),
                  "template (a copy of release's, else generated)": (grading, "build_template"),
                  "gradebook entry": (grading, "ensure_in_gradebook"),
                  "grader process": (grading.Batch, "_run_grader"),
                  "merge into the course gradebook": (grading, "merge"),
                  "reports": (grading_report, "write_csv")}
        cpu0, wall0 = _self_and_children_cpu(), time.perf_counter()
        with PhaseTimer(phases) as timer:
            results = grading.Batch(work / "submissions", assignment=assignment, force=True,
                                    out=work / "grades.csv", config=load_config(str(course)),
                                    log=log.append).run()
        grade_cpu, grade_wall = _self_and_children_cpu() - cpu0, time.perf_counter() - wall0
        grader_run = sum(r.duration_s or 0.0 for r in results)
        breakdown = dict(timer.seconds)
        breakdown["grader start-up (process + imports)"] = (
            breakdown.get("grader process", 0.0) - grader_run)
        breakdown["grader run (nbgrader autograde in the sandbox)"] = grader_run
        breakdown["rest of the batch (hashing, locks, scan)"] = grade_wall - sum(
            v for k, v in timer.seconds.items())
        from aeutils.instructor.sandbox import sandbox_tool

        tool = sandbox_tool()
        return {"assignment": assignment, "plain_cpu_s": plain_cpu, "plain_wall_s": plain_wall,
                # bwrap does not hand its kernels back as children: their CPU is not counted
                "sandbox": tool, "kernels_cpu_counted": tool != "bwrap",
                "grade_cpu_s": grade_cpu, "grade_wall_s": grade_wall,
                "ratio_cpu": grade_cpu / plain_cpu, "ratio_wall": grade_wall / plain_wall,
                "breakdown_wall_s": breakdown, "breakdown_cpu_s": dict(timer.cpu),
                "grader_import_cpu_s": boot_cpu - bare_cpu, "grader_import_wall_s": boot_wall - bare_wall,
                "statuses": [r.status for r in results], "log": log}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def grading_lines(g: dict) -> list[str]:
    cpu, wall, status = g["breakdown_cpu_s"], g["breakdown_wall_s"], ", ".join(g["statuses"])
    if g.get("kernels_cpu_counted", True):
        lines = [f"{'grading ae1':<14s} plain {g['plain_cpu_s']:6.2f} s, grading {g['grade_cpu_s']:6.2f} s, "
                 f"ratio {g['ratio_cpu']:.2f}x (CPU s; wall {g['plain_wall_s']:.1f} / "
                 f"{g['grade_wall_s']:.1f} s, ratio {g['ratio_wall']:.2f}x; goal <= "
                 f"{GOAL_GRADING_OVERHEAD}x; {status})"]
        per, unit = cpu.get("grader process", 0.0) / g["plain_cpu_s"], "CPU"
    else:  # the kernels' CPU is invisible here: wall seconds are the measure (keep the machine idle)
        lines = [f"{'grading ae1':<14s} plain {g['plain_wall_s']:6.2f} s, grading {g['grade_wall_s']:6.2f} s, "
                 f"ratio {g['ratio_wall']:.2f}x (WALL s: under {g['sandbox']} the kernels' CPU is not "
                 f"counted, grader-side CPU {g['grade_cpu_s']:.1f} s vs plain {g['plain_cpu_s']:.1f} s; "
                 f"goal <= {GOAL_GRADING_OVERHEAD}x; {status})"]
        per, unit = wall.get("grader process", 0.0) / g["plain_wall_s"], "wall"
    if "grader process" in cpu:  # what each further submission of a batch adds
        lines.append(f"    per submission (the grader process alone, without the once-per-batch template "
                     f"and preflight): {per:.2f}x plain, {unit}")
    lines += [f"    {phase:<48s} {seconds:6.1f} s wall"
              + (f", {cpu[phase]:6.1f} s CPU" if phase in cpu else "")
              for phase, seconds in wall.items()]
    lines.append(f"    (of the grader process's start-up: importing aeutils.instructor.grader "
                 f"{g['grader_import_cpu_s']:.1f} s CPU; the preflight kernel's CPU is not counted: "
                 "the sandbox does not hand it back as a child)")
    return lines


# -- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-course", action="store_true",
                   help="skip the slow part: executing every lecture and solution for its CPU time")
    p.add_argument("--out", default=str(REPO / "build" / "bench.json"))
    args = p.parse_args(argv)

    import aeutils

    device = aeutils.device()
    results: dict = {"device": str(device), "torch": torch.__version__,
                     "threads": torch.get_num_threads(), "machine": platform.node(),
                     "cpus": os.cpu_count(), "load_start": os.getloadavg()[0],
                     "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cases": []}
    print(f"bench on {device}, torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"load average {results['load_start']:.1f}; times are CPU seconds of this process",
          flush=True)
    warm_up()
    for make in training_cases():
        case = make()
        rec = run_case(case)
        results["cases"].append(rec)
        print(case_line(rec), flush=True)

    if args.skip_course:
        print("course CPU time: skipped (--skip-course)")
    else:
        print("course CPU time (every lecture and solution in a fresh kernel):", flush=True)
        results["course"] = course_cpu_time()
        c = results["course"]
        print(f"course total {c['cpu_s']:.0f} s CPU, {c['wall_s']:.0f} s wall", flush=True)

    results["grading"] = grading_overhead()
    print("\n".join(grading_lines(results["grading"])), flush=True)
    results["load_end"] = os.getloadavg()[0]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
