"""The answer framework's own verdicts and packing, on made-up grade results (fast: nothing is
graded here)."""

from __future__ import annotations

import nbformat
import pytest
from mutants import Case, Mutant, Submission, check, mutate, own_tests, pack
from nbformat.v4 import new_code_cell, new_notebook


def _result(scores):
    grades = {g: {"auto_score": s, "max_score": m, "cell_type": "code", "needs_manual_grade": False}
              for g, (s, m) in scores.items()}
    return {"status": "graded", "reason": "", "cells": {"nb": {"grades": grades}}}


M = Mutant("sign", "answer", (("a + b", "a - b"),), {"test-a"}, kind="sign flipped")


def _case(name, cell, correct=False, loses=(), one_of=(), may=()):
    return Case(name, cell, "", correct, frozenset(loses), frozenset(one_of), frozenset(may), "", "t")


def _graded(sub, scores, errors=None, tmp_path=None):
    """A made-up batch: ``sub`` graded with ``scores``; ``errors`` the test cells' error outputs."""
    graded = {"aid": "fx", "results": {sub.name: _result(scores)}, "where": {c.name: sub.name for c in sub.cases},
              "submissions": {sub.name: sub}, "course": tmp_path}
    if tmp_path is not None:
        cells = [new_code_cell("", metadata={"nbgrader": {"grade_id": g}},
                               outputs=[nbformat.v4.new_output("error", ename=e.split(":")[0],
                                                               evalue=e.split(": ", 1)[1], traceback=[])])
                 for g, e in (errors or {}).items()]
        folder = tmp_path / "autograded" / sub.name / "fx"
        folder.mkdir(parents=True)
        nbformat.write(new_notebook(cells=cells), str(folder / "fx.ipynb"))
    return graded


def test_a_caught_mutant_passes(tmp_path):
    sub = Submission("wrong-01", [_case("sign", "answer", loses={"test-a"})])
    check(_graded(sub, {"test-a": (0, 2), "test-b": (3, 3)}, {"test-a": "GradingError: a - b"}, tmp_path),
          sub.cases[0])


@pytest.mark.parametrize("scores, why", [
    ({"test-a": (2, 2), "test-b": (3, 3)}, "was not caught"),
    ({"test-a": (0, 2), "test-b": (1, 3)}, "also cost points in"),
])
def test_a_survivor_or_collateral_damage_fails(scores, why, tmp_path):
    sub = Submission("wrong-01", [_case("sign", "answer", loses={"test-a"})])
    with pytest.raises(AssertionError, match=why):
        check(_graded(sub, scores, {"test-a": "GradingError: a - b"}, tmp_path), sub.cases[0])


def test_a_wrong_answer_must_lose_with_a_message_and_a_right_one_keep_everything(tmp_path):
    wrong = Submission("wrong-01", [_case("w", "loop", one_of={"test-loop", "test-amp"})])
    check(_graded(wrong, {"test-loop": (2, 2), "test-amp": (0, 1), "test-x": (3, 3)},
                  {"test-amp": "GradingError: use a GradScaler"}, tmp_path / "a"), wrong.cases[0])
    with pytest.raises(AssertionError, match="without a message"):
        check(_graded(wrong, {"test-loop": (0, 2), "test-amp": (1, 1)},
                      {"test-loop": "NameError: name 'x' is not defined"}, tmp_path / "b"), wrong.cases[0])
    right = Submission("right-01", [_case("r1", "loop", correct=True), _case("r2", "fit", correct=True)])
    check(_graded(right, {"test-loop": (2, 2), "test-fit": (3, 3)}, {}, tmp_path / "c"), right.cases[1])
    with pytest.raises(AssertionError, match="lost points"):
        check(_graded(right, {"test-loop": (1, 2), "test-fit": (3, 3)}, {}, tmp_path / "d"), right.cases[1])


def test_packing_keeps_dependent_parts_apart():
    loop = [_case(f"loop{i}", "loop", one_of={"test-loop"}, may={"test-outcome"}) for i in range(3)]
    outcome = [_case(f"out{i}", "outcome", one_of={"test-outcome"}) for i in range(2)]
    other = [_case("pca", "pca", one_of={"test-pca"})]
    right = [_case("r-loop", "loop", correct=True), _case("r-pca", "pca", correct=True),
             _case("r-loop2", "loop", correct=True)]
    subs = pack(loop + outcome + other + right)
    for sub in subs:
        cells = [c.cell for c in sub.cases]
        assert len(cells) == len(set(cells)), "one case per answer cell"
        assert len({c.correct for c in sub.cases}) == 1, "right and wrong answers apart"
        assert not ({"loop", "outcome"} <= set(cells)), "a loop that may spoil the outcome part"
    assert sum(len(s.cases) for s in subs) == 9
    assert len([s for s in subs if s.name.startswith("right")]) == 2
    # three loop answers open three submissions (one holds pca too); the outcome answers pair up
    # apart from them: 3 + 2 wrong submissions, and 2 right ones (two loop variants)
    assert len(subs) == 7, [[c.name for c in s.cases] for s in subs]


def test_a_replacement_must_match_exactly_once():
    nb = new_notebook(cells=[new_code_cell("return a + b", metadata={"nbgrader": {
        "grade_id": "answer", "solution": True, "grade": False}})])
    assert mutate(nb, M).cells[0].source == "return a - b"
    bad = Mutant("typo", "answer", (("a * b", "a / b"),), {"test-a"})
    with pytest.raises(ValueError, match="occurs 0 times"):
        mutate(nb, bad)
    assert isinstance(nb, nbformat.NotebookNode)


def test_each_answer_cell_owns_the_tests_that_follow_it():
    own = own_tests("ae1_bottleneck")
    assert own["fit-loop"] == {"test-fit-loop", "test-fit-amp"}
    assert own["linear-ae"] == {"test-linear-ae"}
