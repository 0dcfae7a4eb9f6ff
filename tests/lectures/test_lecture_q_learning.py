"""Lecture 02 writes its Q-learning loop out in the notebook (epsilon, alpha, gamma and the update
rule in plain sight); ``control.q_learning`` is the same learner with those settings as arguments,
and the "Try this" answers' tests use it. The two must agree draw for draw, or the answers would
measure another agent than the one the lecture shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from aeutils import control

LECTURE = Path(__file__).resolve().parents[2] / "lectures" / "02_control.ipynb"
CELLS = 12
TRACK = control.SlotCarTrack()  # only its geometry: lap_fraction


def _loop_source() -> str:
    cells = json.loads(LECTURE.read_text(encoding="utf-8"))["cells"]
    found = ["".join(c["source"]) for c in cells
             if c["cell_type"] == "code" and "def q_learning(" in "".join(c["source"])]
    assert len(found) == 1, f"lecture 02 should define q_learning in one cell, found {len(found)}"
    return found[0]


def _cells_of(states: torch.Tensor) -> torch.Tensor:
    """A cheap stand-in for render -> encode -> cell: the true lap position in CELLS bins."""
    return (TRACK.lap_fraction(states) * CELLS).long().clamp_max(CELLS - 1)


def _run_lecture_loop(source: str, episodes: int, seed: int) -> tuple[dict, torch.Tensor, list]:
    namespace: dict = {"torch": torch}
    exec(compile(source, "02_control q_learning cell", "exec"), namespace)
    lecture_settings = {k: namespace[k] for k in ("alpha", "gamma", "episodes", "explore_until")}
    namespace.update(env=control.SlotCarTrack(n_envs=8, seed=3), episodes=episodes,
                     explore_until=episodes / 2)
    q, returns = namespace["q_learning"](_cells_of, CELLS, seed=seed)
    return lecture_settings, q, returns


def _library_run(settings: dict, episodes: int, seed: int) -> control.QResult:
    return control.q_learning(control.SlotCarTrack(n_envs=8, seed=3), _cells_of, CELLS,
                              episodes=episodes, alpha=settings["alpha"], gamma=settings["gamma"],
                              epsilon=(1.0, 0.0), explore_fraction=0.5, seed=seed)


def test_the_lectures_loop_is_control_q_learning_draw_for_draw():
    settings, q, returns = _run_lecture_loop(_loop_source(), episodes=120, seed=5)
    # what the lecture's prose says: exploration ends halfway through 600 episodes
    assert settings["episodes"] == 600 and settings["explore_until"] == 300
    reference = _library_run(settings, episodes=120, seed=5)
    assert torch.equal(q, reference.q)
    assert returns == reference.returns
    assert q.abs().sum() > 0 and len(returns) == 120


@pytest.mark.parametrize("mutation", [
    ("gamma * (~env.crashed) *", "gamma *"),            # bootstraps past a crash
    ("count.clamp_min(1)", "1"),                        # sums the cars' updates instead of averaging
    ("q[next_cell].max(1).values", "q[next_cell].mean(1)"),   # expected, not best, next value
])
def test_a_changed_loop_is_caught(mutation):
    """The comparison can fail: plausible wrong versions of the loop differ from the library's."""
    old, new = mutation
    source = _loop_source()
    assert old in source, f"the lecture's loop no longer contains {old!r}: update this test"
    settings, q, returns = _run_lecture_loop(source.replace(old, new), episodes=120, seed=5)
    reference = _library_run(settings, episodes=120, seed=5)
    assert not torch.equal(q, reference.q)
