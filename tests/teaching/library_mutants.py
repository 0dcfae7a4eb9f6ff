"""Planted bugs in the library's core that the fast unit tests must catch: a small mutation check.

Each :class:`Mutant` replaces one piece of code in a copy of the ``aeutils`` package (never the
working tree) and names the test that must fail on it. ``python tests/teaching/library_mutants.py`` plants
them one at a time: the heavy imports (torch, scikit-learn, matplotlib, pytest) happen once, then
each mutant runs its test with pytest in a forked child that finds the mutated copy first on
``sys.path``. A mutant counts as caught only when its test *fails* (not when it errors, e.g. on an
import); a mutant whose code is no longer in the library is reported as stale, so the list cannot
rot silently. ``tests/teaching/test_library_mutants.py`` runs this in the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests" / "teaching"


@dataclass(frozen=True)
class Mutant:
    """One planted bug: in ``aeutils/<path>``, ``find`` (present exactly once) becomes ``plant``."""

    name: str  # what the bug does, as a reviewer would say it
    path: str
    find: str
    plant: str
    caught_by: str  # the node id (below tests/teaching/) of the test that must fail


MUTANTS = (
    # fit
    Mutant("fit shuffles with seed 0 whatever seed it is given", "train.py",
           "shuffle = rng.generator(seed)", "shuffle = rng.generator(0)",
           "test_train.py::test_fit_is_repeatable_with_a_seed_and_the_seed_matters"),
    Mutant("fit's epoch loss weighs the last, smaller batch as a full one", "train.py",
           "total += value.detach() * len(xb)", "total += value.detach() * batch",
           "test_train.py::test_custom_loss_fn_is_used"),
    Mutant("fit leaves the model in training mode", "train.py",
           "    model.eval()\n    history.seconds", "    history.seconds",
           "test_train.py::test_fit_lowers_the_loss_and_returns_a_history"),
    Mutant("fit logs the training set's loss as the held-out loss", "train.py",
           "evaluate(model, x_val, loss_fn=loss_fn)", "evaluate(model, x, loss_fn=loss_fn)",
           "test_train.py::test_fit_lowers_the_loss_and_returns_a_history"),
    Mutant("a batch's known range is ignored: each step reads the device", "validate.py",
           "        return x.bounds", "        return read_range(x)",
           "test_validate.py::test_fit_reads_the_device_per_epoch_not_per_step[denoising]"),
    Mutant("a known range is inherited by what is computed from the batch", "validate.py",
           "    __torch_function__ = torch._C._disabled_torch_function_impl\n", "",
           "test_validate.py::test_a_known_range_is_not_inherited_by_what_is_computed_from_it"),
    # losses
    Mutant("KL sparsity drops its (1 - rho) term", "losses.py",
           "rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))",
           "rho * torch.log(rho / rho_hat)",
           "test_losses.py::test_kl_sparsity_is_zero_at_target_and_positive_elsewhere"),
    Mutant("the masked-token loss scores every position", "losses.py",
           "F.cross_entropy(logits[mask], targets[mask])",
           "F.cross_entropy(logits.flatten(0, 1), targets.flatten())",
           "test_losses.py::test_masked_token_loss_counts_only_masked_positions"),
    Mutant("top-k keeps the smallest activations", "losses.py",
           "values, index = h.topk(k, dim=1)", "values, index = h.topk(k, dim=1, largest=False)",
           "test_losses.py::test_topk_keeps_exactly_k_largest"),
    Mutant("the Gaussian KL adds log-variance instead of subtracting it", "losses.py",
           "logvar.exp() - 1.0 - logvar", "logvar.exp() - 1.0 + logvar",
           "test_losses.py::test_gaussian_kl_matches_torch_and_a_monte_carlo_estimate"),
    Mutant("the L1 penalty squares the code", "losses.py",
           "abs().sum(dim=1).mean()", "pow(2).sum(dim=1).mean()",
           "test_losses.py::test_l1_value_and_its_sign_gradient"),
    # noise
    Mutant("Gaussian noise uses the variance as its standard deviation", "noise.py",
           "noisy = x + std * rng.randn", "noisy = x + std**2 * rng.randn",
           "test_noise.py::test_gaussian_noise_level_clipping_and_repeatability"),
    Mutant("salt and pepper corrupts twice the requested amount", "noise.py",
           "(u >= amount / 2) & (u < amount)", "(u >= amount / 2) & (u < 2 * amount)",
           "test_noise.py::test_salt_and_pepper_hits_the_requested_fraction"),
    Mutant("BERT masking selects special tokens", "noise.py",
           "mask = (u_select < rate) & (tokens >= num_special)", "mask = u_select < rate",
           "test_noise.py::test_bert_mask_never_selects_special_tokens_and_checks_arguments"),
    Mutant("BERT masking replaces the unchanged 10% with random tokens", "noise.py",
           "to_random = mask & (u_action >= mask_prob) & (u_action < mask_prob + random_prob)",
           "to_random = mask & (u_action >= mask_prob)",
           "test_noise.py::test_bert_mask_selects_15_percent_split_80_10_10"),
    # the train/test split
    Mutant("five training images moved into the test split", "data.py",
           "    train_idx, test_idx = torch.as_tensor(train_idx), torch.as_tensor(test_idx)\n",
           "    test_idx[:5] = train_idx[:5]\n"
           "    train_idx, test_idx = torch.as_tensor(train_idx), torch.as_tensor(test_idx)\n",
           "test_data.py::test_train_test_split_is_stratified_and_disjoint"),
    # metrics
    Mutant("PSNR takes 20 log10 of the squared error's ratio", "metrics.py",
           "(10 * torch.log10(data_range**2", "(20 * torch.log10(data_range**2",
           "test_metrics.py::test_psnr_known_values"),
    Mutant("principal angles come out in radians", "metrics.py",
           "np.sort(np.degrees(subspace_angles(a_np, b_np)))", "np.sort(subspace_angles(a_np, b_np))",
           "test_metrics.py::test_principal_angles_of_known_subspaces"),
    Mutant("a unit active on half the data counts as dead", "metrics.py",
           "dead_units=int((lifetime == 0).sum())", "dead_units=int((lifetime <= 0.5).sum())",
           "test_metrics.py::test_sparsity_stats_counts"),
    # the explorers' read-outs
    Mutant("the noise explorer measures PSNR against the noisy input", "widgets.py",
           "metrics.psnr(denoised, clean)", "metrics.psnr(denoised, noisy)",
           "test_widgets.py::test_noise_explorer_measures_both_psnrs_against_the_clean_images"
           "[gaussian]"),
    Mutant("the masking explorer counts hits on every token", "widgets.py",
           "hits = (guess == masked.targets)[masked.mask]", "hits = (guess == masked.targets)",
           "test_widgets.py::test_masking_explorer_counts_only_the_masked_tokens"),
)


class StaleMutant(Exception):
    """The code a mutant replaces is not (exactly once) in the library any more."""


def copy_package(dest: Path) -> Path:
    """A copy of the working tree's ``aeutils`` under ``dest``; returns ``dest``."""
    shutil.copytree(REPO / "aeutils", dest / "aeutils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def plant(root: Path, mutant: Mutant) -> None:
    """Apply ``mutant`` to the copy of the package under ``root``."""
    path = root / "aeutils" / mutant.path
    text = path.read_text()
    if text.count(mutant.find) != 1:
        raise StaleMutant(f"{mutant.path} holds {text.count(mutant.find)} copies of "
                          f"{mutant.find!r}, not 1: update the mutant {mutant.name!r}")
    path.write_text(text.replace(mutant.find, mutant.plant))


def outcome_of(root: Path, nodeid: str, log: Path) -> str:
    """Run one test against the package under ``root`` in a forked child: ``"passed"``,
    ``"failed"`` (its assertions failed), ``"error"`` (its setup or teardown failed, or it was not
    collected), ``"missing"`` (no such test) or ``"crashed"`` (pytest itself raised, or the child
    died: the traceback or the signal ends the log). pytest's output goes to ``log``."""
    result = log.with_suffix(".json")
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 3
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.path.insert(0, str(root))
            result.write_text(json.dumps(_child_outcome(nodeid)))
            code = 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if result.is_file():
        return json.loads(result.read_text())
    with log.open("a") as out:
        died = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                else f"exit status {os.waitstatus_to_exitcode(status)}")
        out.write(f"\n[library_mutants] the child running pytest ended without an outcome: {died}\n")
    return "crashed"


def _child_outcome(nodeid: str) -> str:
    """In the forked child: run the test, and say how it went (see :func:`outcome_of`)."""
    import traceback

    import pytest

    outcomes: dict[str, str] = {}

    class Recorder:
        def pytest_runtest_logreport(self, report):
            if report.failed and report.when == "call":
                outcomes[report.nodeid] = "failed"
            elif report.failed and outcomes.get(report.nodeid) != "failed":
                outcomes[report.nodeid] = "error"  # setup, or teardown after a passed call
            elif report.when == "call":
                outcomes.setdefault(report.nodeid, "passed")

    try:
        status = pytest.main([str(TESTS / nodeid), "-q", "-p", "no:cacheprovider",
                              "--rootdir", str(REPO)], plugins=[Recorder()])
    except BaseException:  # a plugin's bug, not the mutant's: say so, whatever the test did
        traceback.print_exc()
        return "crashed"
    nothing_ran = status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)
    return outcomes.get(f"tests/teaching/{nodeid}", "missing" if nothing_ran else "error")


def run(mutants: tuple[Mutant, ...] = MUTANTS) -> list[dict]:
    """Plant each mutant in a fresh copy and run its test; one record per mutant."""
    assert not any(m == "aeutils" or m.startswith("aeutils.") for m in sys.modules), \
        "the runner must not import aeutils itself: the children import the mutated copies"
    records = []
    with tempfile.TemporaryDirectory(prefix="aeutils-mutants-") as tmp:
        for n, mutant in enumerate(mutants):
            root = copy_package(Path(tmp) / f"m{n:02d}")
            log = Path(tmp) / f"m{n:02d}.log"
            try:
                plant(root, mutant)
            except StaleMutant as err:
                records.append({**asdict(mutant), "outcome": "stale", "detail": str(err)})
                continue
            outcome = outcome_of(root, mutant.caught_by, log)
            detail = log.read_text()[-3000:] if outcome != "failed" else ""
            records.append({**asdict(mutant), "outcome": outcome, "detail": detail})
    return records


def _preload() -> None:
    """Import once, before forking, what every child would import again (but not aeutils)."""
    import matplotlib

    matplotlib.use("Agg")
    import ipywidgets  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import scipy.linalg  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import torch  # noqa: F401
    import tqdm.auto  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the records here")
    parser.add_argument("-k", default="", help="only mutants whose name contains this")
    args = parser.parse_args(argv)
    _preload()
    records = run(tuple(m for m in MUTANTS if args.k in m.name))
    for r in records:
        print(f"{'caught' if r['outcome'] == 'failed' else 'MISSED (' + r['outcome'] + ')':>18}  "
              f"{r['name']}  [{r['caught_by']}]")
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))
    return 0 if all(r["outcome"] == "failed" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
