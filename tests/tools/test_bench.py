"""Smoke test of the benchmark's own code (``tools/bench.py``, run by ``make bench``): one tiny
case through the same functions, so the tool cannot rot. Not a fast mode of the benchmark."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
from pathlib import Path

import torch

from aeutils import metrics, models

BENCH = Path(__file__).resolve().parents[2] / "tools" / "bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("aeutils_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _tiny_case(bench, target_factor: float, max_textbook_epochs: int):
    g = torch.Generator().manual_seed(0)
    x_train, x_test = torch.rand(96, 1, 4, 4, generator=g), torch.rand(32, 1, 4, 4, generator=g)
    return bench.Case(
        "tiny", "held-out MSE", False,
        bench._seeded(lambda: models.MLPAutoencoder((1, 4, 4), 3, hidden=(8,))), x_train,
        dict(epochs=3, batch_size=32, lr=1e-2),
        lambda m: metrics.reconstruction_error(m, x_test), bench._mse_loss,
        lambda final: target_factor * final, "test", max_textbook_epochs=max_textbook_epochs)


def test_one_case_gives_a_record_with_ratios_and_a_printed_line(tmp_path):
    bench = _bench()
    rec = bench.run_case(_tiny_case(bench, target_factor=1.5, max_textbook_epochs=200))
    course, textbook = rec["course"], rec["textbook"]
    assert course["reached"] and 1 <= course["epochs"] <= 3
    assert len(course["curve"]) == 3  # the metric after every epoch of the recipe
    assert course["metric"] <= rec["target"]
    assert textbook["epochs"] == len(textbook["curve"]) >= 1
    for side in (course, textbook):
        assert side["cpu_s"] > 0 and side["wall_s"] > 0
    assert math.isclose(rec["ratio_cpu"], textbook["cpu_s"] / course["cpu_s"])
    if textbook["reached"]:
        assert textbook["metric"] <= rec["target"] and rec["ratio"] == f"{rec['ratio_cpu']:.1f}x"
    else:
        assert rec["ratio"] == f">{rec['ratio_cpu']:.1f}x"
    line = bench.case_line(rec)
    assert re.match(r"tiny +course +[\d.]+ s, textbook +[\d.]+ s, ratio +>?[\d.]+x", line), line
    (tmp_path / "bench.json").write_text(json.dumps({"cases": [rec]}))  # JSON-serializable


def test_a_textbook_loop_that_never_reaches_the_target_reads_more_than():
    bench = _bench()
    # a target below anything reachable: the textbook loop stops at its epoch limit
    rec = bench.run_case(_tiny_case(bench, target_factor=1.0, max_textbook_epochs=2))
    assert rec["course"]["reached"]
    assert not rec["textbook"]["reached"] and rec["textbook"]["epochs"] == 2
    assert rec["ratio"].startswith(">")
    assert "BELOW" in bench.case_line(rec) or rec["meets_goal"]


def test_the_clock_leaves_out_what_runs_between_start_and_stop():
    bench = _bench()
    clock = bench.Clock()
    clock.start()
    sum(range(10_000))
    clock.stop()
    cpu = clock.cpu
    sum(range(2_000_000))  # not timed
    assert clock.cpu == cpu > 0
