"""The mutant framework's own verdicts, on made-up grade results (fast: nothing is graded here)."""

from __future__ import annotations

import nbformat
import pytest
from mutants import Mutant, check, mutate
from nbformat.v4 import new_code_cell, new_notebook


def _result(scores):
    grades = {g: {"auto_score": s, "max_score": m, "cell_type": "code", "needs_manual_grade": False}
              for g, (s, m) in scores.items()}
    return {"status": "graded", "reason": "", "cells": {"nb": {"grades": grades}}}


M = Mutant("sign", "answer", (("a + b", "a - b"),), {"test-a"}, kind="sign flipped")


def test_a_caught_mutant_passes():
    check({"results": {"sign": _result({"test-a": (0, 2), "test-b": (3, 3)})}}, M)


@pytest.mark.parametrize("scores, why", [
    ({"test-a": (2, 2), "test-b": (3, 3)}, "was not caught"),
    ({"test-a": (0, 2), "test-b": (1, 3)}, "unrelated parts"),
])
def test_a_survivor_or_collateral_damage_fails(scores, why):
    with pytest.raises(AssertionError, match=why):
        check({"results": {"sign": _result(scores)}}, M)


def test_a_replacement_must_match_exactly_once():
    nb = new_notebook(cells=[new_code_cell("return a + b", metadata={"nbgrader": {
        "grade_id": "answer", "solution": True, "grade": False}})])
    assert mutate(nb, M).cells[0].source == "return a - b"
    bad = Mutant("typo", "answer", (("a * b", "a / b"),), {"test-a"})
    with pytest.raises(ValueError, match="occurs 0 times"):
        mutate(nb, bad)
    assert isinstance(nb, nbformat.NotebookNode)
