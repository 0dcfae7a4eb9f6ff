"""Measure how the assignments' graded outcomes spread over seeds and CPU kernels.

Every outcome threshold of a hidden test (a held-out error ratio, a PSNR, an ELBO margin, ...)
must keep a margin of at least 3 standard deviations from what the reference solution reaches,
measured over the seeds a student could pick and both CPU-kernel settings of ``tests/spread.py``.
This executes each assignment's source notebook (solution and hidden tests) once per seed and
kernel setting, with every seed the solution's answer cells set moved by the run's seed (as a
student with another seed would: ``seed_everything(N)``, ``manual_seed(N)``, the library ``fit``'s
shuffling seed, and the fresh model the Part 5 test of ae1 trains), records the value behind each
threshold right after its test cell ran, and writes ``tests/instructor/threshold_spread.json`` (read
by ``tests/instructor/test_thresholds.py``) with each value's runs, mean and standard deviation.

    python tools/threshold_spread.py                  # 4 assignments x seeds 0-4 x 2 kernel settings
    python tools/threshold_spread.py --assignments ae3_denoising --seeds 0 1
    python tools/threshold_spread.py --summarize      # only re-read the logs in build/thresholds/

About 1-3 minutes per execution on 2 cores (40 executions). Logs stay in ``build/thresholds/``.

It also measures the checks that compare random draws (``draws()``, a minute): a correct loop or
bound draws its random numbers in its own order, so those checks must hold over many generator
seeds and more than one correct way of drawing (400 seeds x 2-3 correct implementations).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from spread import PORTABLE_KERNELS  # noqa: E402

KERNELS = {"native": {}, "portable": PORTABLE_KERNELS}
OUT = REPO / "tests" / "instructor" / "threshold_spread.json"

#: after which test cell, which expressions to record (the hidden tests' own variables)
PROBES: dict[str, dict[str, dict[str, str]]] = {
    "ae1_bottleneck": {
        "test-train-linear": {"ae1 Part 5 held-out error ratio": "_true_ratio",
                              "ae1 Part 5 largest angle (degrees)": "_angle",
                              "ae1 Part 5 fresh model's ratio": "_fr",
                              "ae1 Part 5 fresh model's largest angle (degrees)": "_fa"},
        "test-mlp-ae": {"ae1 Part 6 MLP error / PCA error": "_err / _pca_err"},
    },
    "ae2_sparse": {
        "test-train-sparse": {"ae2 Part 5 fraction of zero activations": "_stats.fraction_zero",
                              "ae2 Part 5 reconstruction error": "_err"},
        "test-train-sae": {"ae2 Part 6c dead fraction (held out)": "_dead",
                           "ae2 Part 6c localization above PCA's": "_loc - _pca_loc",
                           "ae2 Part 6c fraction of variance unexplained": "_fvu"},
    },
    "ae3_denoising": {
        "test-train-denoising": {"ae3 Part 8 denoised PSNR (dB)": "_psnr_den"},
    },
    "ae4_vae": {
        "test-train-vae": {"ae4 Part 5c ELBO above the baseline (nats)": "_true - _base",
                           "ae4 Part 5c vae_elbo minus the grader's ELBO": "_e - _true",
                           "ae4 Part 5c iw50 minus the student's iw_bound again": "grading.as_number(iw50) - _iw_yours"},
    },
}
_SEEDS = re.compile(r"(seed_everything\(|manual_seed\()(\d+)")


def _shift(source: str, by: int) -> str:
    return _SEEDS.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + by}", source)


def execute(aid: str, seed: int, out: Path) -> None:
    """Run in the child process (its kernel inherits the kernel settings from our environment)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "solutions" / aid / f"{aid}.ipynb", as_version=4)
    cells = []
    if seed:
        cells.append(nbformat.v4.new_code_cell(
            f"import aeutils.train\naeutils.train.fit.__kwdefaults__['seed'] = {seed}"))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            cell.source = _shift(cell.source, seed)  # the student's seeds
        if meta.get("grade_id") == "test-train-linear":  # the fresh model this test trains
            cell.source = cell.source.replace("manual_seed(12345)", f"manual_seed({12345 + seed})")
            cell.source = cell.source.replace("manual_seed(777)", f"manual_seed({777 + seed})")
        cells.append(cell)
        probe = PROBES[aid].get(meta.get("grade_id"))
        if probe:
            body = ", ".join(f"{name!r}: float({expr})" for name, expr in probe.items())
            cells.append(nbformat.v4.new_code_cell(
                f"import json as _json\nwith open({str(out)!r}, 'a') as _f:\n"
                f"    _f.write(_json.dumps({{{body}}}) + '\\n')"))
    nb.cells = cells
    NotebookClient(nb, timeout=1200, allow_errors=True,
                   resources={"metadata": {"path": str(REPO / "solutions" / aid)}}).execute()
    failed = [f"{c.metadata.get('nbgrader', {}).get('grade_id')}: {o['ename']}: {o['evalue'][:200]}"
              for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    with open(out.with_suffix(".errors"), "w") as fh:
        json.dump(failed, fh)


def _draws_ae3() -> list[float]:
    """ae3 Part 8: the noise power an identity model sees (std 0.1), per epoch, for three correct
    loops that draw the order and the noise in different orders, 400 generator seeds each."""
    import torch

    def gaussian_noise(x, std, g):
        return (x + std * torch.randn(x.shape, generator=g)).clamp(0.0, 1.0)

    def seen_by(loop: str, seed: int) -> list[float]:
        g, x, seen = torch.Generator().manual_seed(seed), torch.full((30, 1, 4, 4), 0.5), []
        for _ in range(2):
            if loop == "noise first":
                noisy_all = gaussian_noise(x, 0.1, g)
                order = torch.randperm(30, generator=g)
                batches = [noisy_all[order[s:s + 7]] for s in range(0, 30, 7)]
            else:
                order = torch.randperm(30, generator=g)
                batches = [gaussian_noise(x[order[s:s + 7]], 0.1, g) for s in range(0, 30, 7)]
            seen.append(float(sum(((b.double() - 0.5) ** 2).sum() for b in batches) / 480))
        return seen

    return [v for loop in ("solution", "noise first") for seed in range(400) for v in seen_by(loop, seed)]


def _draws_ae4() -> dict[str, list[float]]:
    """ae4 Part 5b: the Monte-Carlo checks of test-iw-bound (its own model and references), for a
    correct iw_bound drawing eps in one tensor and one drawing K separate samples, 400 seeds each."""
    import math

    import nbformat
    import torch
    import torch.nn.functional as F
    from torch import nn

    from aeutils import data

    def normal_like(x, generator=None):
        where = generator.device if generator is not None else x.device
        return torch.randn(x.shape, generator=generator, device=where).to(x.device, x.dtype)

    class MyVAE(nn.Module):
        def __init__(self, input_size=64, latent_size=8, hidden=128):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
            self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, input_size))

        def posterior(self, x):
            return self.encoder(x).chunk(2, dim=1)

    def one_tensor(model, x, K, g):
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), g)
        z = mu + torch.exp(0.5 * logvar) * eps
        ll = -F.binary_cross_entropy_with_logits(model.decoder(z), x.expand(K, *x.shape), reduction="none").sum(-1)
        return torch.logsumexp(ll + (-0.5 * z**2).sum(-1) - (-0.5 * eps**2 - 0.5 * logvar).sum(-1), 0) - math.log(K)

    def one_by_one(model, x, K, g):
        mu, logvar = model.posterior(x)
        lws = []
        for _ in range(K):
            eps = normal_like(mu, g)
            z = mu + torch.exp(0.5 * logvar) * eps
            ll = -F.binary_cross_entropy_with_logits(model.decoder(z), x, reduction="none").sum(-1)
            lws.append(ll + (-0.5 * z**2).sum(-1) - (-0.5 * eps**2 - 0.5 * logvar).sum(-1))
        return torch.logsumexp(torch.stack(lws), 0) - math.log(K)

    nb = nbformat.read(REPO / "solutions" / "ae4_vae" / "ae4_vae.ipynb", as_version=4)
    test = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test-iw-bound")
    setup = test[test.index("def _reference_iw"):test.index("_got50 = grading")]
    images, labels = data.load_digits()
    x_train, x_test, _, _ = data.train_test_split((images > 0.5).float(), labels, 0.2, seed=0)
    ns = {"torch": torch, "F": F, "math": math, "MyVAE": MyVAE, "x_train": x_train, "x_test": x_test}
    exec(setup, ns)  # noqa: S102 - the hidden test's own set-up: its model, ELBO and reference
    m, xt, elbo, want50 = ns["_m"], ns["_xt"], ns["_elbo"], ns["_want50"]
    out: dict[str, list[float]] = {"k1": [], "k50": [], "gap": []}
    with torch.no_grad():
        for iw in (one_tensor, one_by_one):
            for seed in range(400):
                g50 = float(iw(m, xt, 50, torch.Generator().manual_seed(2 * seed + 1)).double().mean())
                g1 = float(iw(m, xt.repeat(20, 1), 1, torch.Generator().manual_seed(2 * seed + 2)).double().mean())
                out["k1"].append(g1 - elbo)
                out["k50"].append(g50 - want50)
                out["gap"].append(g50 - elbo)
    return out


def draws() -> dict[str, list[float]]:
    ae4 = _draws_ae4()
    return {"ae3 Part 8 loop: noise mean square an identity model sees (per epoch)": _draws_ae3(),
            "ae4 Part 5b iw_bound(K=1) mean minus the ELBO": ae4["k1"],
            "ae4 Part 5b iw_bound(K=50) mean minus the reference": ae4["k50"],
            "ae4 Part 5b iw_bound(K=50) mean minus the ELBO": ae4["gap"]}


def _row(v: list[float]) -> dict:
    return {"runs": len(v), "min": min(v), "max": max(v), "mean": statistics.fmean(v),
            "sd": statistics.stdev(v) if len(v) > 1 else 0.0, "values": v}


def summarize(folder: Path) -> dict:
    values: dict[str, list[float]] = {}
    runs, failures = [], {}
    for log in sorted(folder.glob("*.jsonl")):
        runs.append(log.stem)
        for line in log.read_text().splitlines():
            for name, v in json.loads(line).items():
                values.setdefault(name, []).append(v)
        errors = log.with_suffix(".errors")
        if errors.exists() and json.loads(errors.read_text()):
            failures[log.stem] = json.loads(errors.read_text())
    return {"measured": {name: _row(v) for name, v in sorted(values.items())}, "runs": runs,
            "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", nargs="+", default=sorted(PROBES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--kernels", nargs="+", choices=sorted(KERNELS), default=["native", "portable"])
    parser.add_argument("--logs", type=Path, default=REPO / "build" / "thresholds")
    parser.add_argument("--summarize", action="store_true")
    parser.add_argument("--execute", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute:
        aid, seed, out = args.execute
        execute(aid, int(seed), Path(out))
        return 0
    args.logs.mkdir(parents=True, exist_ok=True)
    if not args.summarize:
        for kernels in args.kernels:
            for aid in args.assignments:
                for seed in args.seeds:
                    log = args.logs / f"{aid}-{kernels}-seed{seed}.jsonl"
                    log.unlink(missing_ok=True)
                    env = {**os.environ, **KERNELS[kernels],
                           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
                    t0 = time.monotonic()
                    subprocess.run([sys.executable, __file__, "--execute", aid, str(seed), str(log)],
                                   cwd=REPO, env=env, check=True)
                    print(f"threshold spread: {log.stem} in {time.monotonic() - t0:.0f} s", flush=True)
    summary = summarize(args.logs)
    drawn = {name: _row(v) for name, v in draws().items()}
    OUT.write_text(json.dumps({**summary, "draws": drawn, "kernels": args.kernels,
                               "how": "tools/threshold_spread.py: solution seeds moved by 0-4, native "
                                      "and portable CPU kernels; draws: 400 generator seeds x correct "
                                      "ways of drawing"}, indent=1) + "\n")
    for name, row in {**summary["measured"], **drawn}.items():
        print(f"{name:55s} runs {row['runs']:2d}  min {row['min']:.4g}  max {row['max']:.4g}  "
              f"mean {row['mean']:.4g}  sd {row['sd']:.3g}")
    for run, errors in summary["failures"].items():
        print(f"cells that raised in {run}: {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
