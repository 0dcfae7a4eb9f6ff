"""Tests of the tests: plausible wrong answers ("mutants") graded by the real `aeutils grade`.

A :class:`Mutant` is the solution with ONE answer cell changed (a sign flipped, a mean for a sum,
a tensor made on the CPU, a hand-off to the library's reference, ...) and the set of autograded
parts that must lose points because of it. :func:`grade_class` builds one submissions folder per
assignment, the solution as student ``solution``, the untouched release as ``release`` and every
mutant as its own student, and grades it with ONE call of ``aeutils grade --jobs 2``.
:func:`check` then asserts, per mutant: each part in ``loses`` scored below its maximum and every
other autograded part kept full points.

A mutant that the hidden tests do not catch stays listed with ``survives="why"``: its test is an
``xfail(strict=True)``, so catching it later fails loudly until the entry is updated. At most 10%
of an assignment's mutants may survive (``assert_enough_caught``).

The mutants of every assignment are listed in ``assignment_mutants.py``; one parametrized module,
``test_real_assignments.py``, grades each assignment's batch once and checks them::

    MUTANTS = {"ae1_bottleneck": [Mutant("sign", "pca-error", (("x - mean", "x + mean"),),
                                         {"test-pca-error"}, kind="sign flipped"), ...], ...}
    @pytest.mark.parametrize("aid, mutant", ...)  # params(MUTANTS[aid]) for every aid
    def test_mutant_loses_only_its_part(batches, aid, mutant): check(batches(aid), mutant)
"""

from __future__ import annotations

import copy
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grading_corpus as corpus
import nbformat
import pytest
from conftest import REPO, aeutils_cli

#: the kinds of wrong answer issue 9 asks every assignment to cover (as far as its parts allow)
KINDS = ("sign flipped", "mean for sum", "missing factor", "wrong axis", "wrong constant",
         "wrong device", "training-set metric", "too few epochs", "hand-off")


@dataclass(frozen=True)
class Mutant:
    """One wrong answer: ``replace`` edits the solution of answer cell ``cell``."""

    name: str  # also the student's folder name: letters, digits, _ and -
    cell: str  # grade_id of the answer cell it changes
    replace: tuple[tuple[str, str], ...]  # (old, new): each old occurs exactly once in the cell
    loses: frozenset[str] | set[str]  # grade_ids of the test cells that must lose points
    kind: str = ""  # one of KINDS (or a short free text)
    survives: str | None = None  # why the hidden tests do not catch it (then it is an xfail)
    loses_any: frozenset[str] = field(default_factory=frozenset)  # may lose points, need not

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.name):
            raise ValueError(f"mutant name {self.name!r}: use letters, digits, _ and - only")


def _strip_markers(source: str) -> str:
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def mutate(solution_nb: Any, mutant: Mutant) -> Any:
    """A copy of the student's solution notebook with the mutant's replacements applied."""
    nb = copy.deepcopy(solution_nb)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == mutant.cell]
    if len(cells) != 1 or not cells[0].metadata["nbgrader"].get("solution"):
        raise ValueError(f"mutant {mutant.name}: {mutant.cell!r} is not one answer cell")
    src = cells[0].source
    for old, new in mutant.replace:
        if src.count(old) != 1:
            raise ValueError(f"mutant {mutant.name}: {old!r} occurs {src.count(old)} times in the "
                             f"solution of {mutant.cell} (expected exactly once)")
        src = src.replace(old, new)
    cells[0].source = src
    return nb


def _nb(folder: Path, aid: str) -> Any:
    return nbformat.read(str(folder / aid / f"{aid}.ipynb"), as_version=4)


def grade_class(aid: str, mutants: Iterable[Mutant], root: Path, device: str = "cpu",
                jobs: int = 2) -> dict[str, Any]:
    """Release ``aid`` into a scratch course under ``root`` and grade solution, release and every
    mutant in ONE batch. Returns ``{"results": {student: result}, "duration": s, "report": ...}``."""
    course = root / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "solutions" / aid, course / "solutions" / aid,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    aeutils_cli("--course", str(course), "release", aid)
    release = _nb(course / "assignments", aid)
    solution = corpus.solution_notebook(release, _nb(course / "solutions", aid))
    subs = root / "submitted"
    students = {"solution": solution, "release": release}
    for m in mutants:
        if m.name in students:
            raise ValueError(f"two mutants are called {m.name}")
        students[m.name] = mutate(solution, m)
    for student, nb in students.items():
        (subs / student / aid).mkdir(parents=True)
        nbformat.write(nb, str(subs / student / aid / f"{aid}.ipynb"))
    out = course / "grades.csv"
    t0 = time.monotonic()
    aeutils_cli("--course", str(course), "grade", str(subs), "--jobs", str(jobs), "--device",
                device, "--out", str(out), timeout=1500)
    duration = time.monotonic() - t0
    report = corpus.read_report(out.with_suffix(".json"))
    return {"results": {r["student"]: r for r in report["results"]}, "duration": duration,
            "report": report, "students": len(students), "course": course}


def part_scores(result: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """grade_id -> (auto score, max score) of every autograded test cell of a graded result."""
    out = {}
    for nb in result["cells"].values():
        for gid, g in nb["grades"].items():
            if g["cell_type"] == "code" and g["auto_score"] is not None:
                out[gid] = (float(g["auto_score"]), float(g["max_score"]))
    return out


def check(graded: dict[str, Any], mutant: Mutant) -> None:
    """The mutant lost points in each part of ``loses`` and kept full points everywhere else."""
    res = graded["results"][mutant.name]
    assert res["status"] == "graded", f"{mutant.name}: {res['status']} - {res['reason']}"
    scores = part_scores(res)
    unknown = set(mutant.loses) - set(scores)
    assert not unknown, f"{mutant.name}: no such autograded parts {sorted(unknown)}"
    kept = [g for g in mutant.loses if scores[g][0] >= scores[g][1]]
    assert not kept, f"{mutant.name} ({mutant.kind}) was not caught: {kept} kept full points"
    hit = [g for g, (s, m) in scores.items()
           if s < m and g not in mutant.loses and g not in mutant.loses_any]
    assert not hit, f"{mutant.name} also cost points in unrelated parts {hit}"


def check_solution_and_release(graded: dict[str, Any]) -> None:
    """The solution scores full points, the untouched release zero (both graded, not failed)."""
    sol, rel = graded["results"]["solution"], graded["results"]["release"]
    assert sol["status"] == "graded" and sol["score"] == sol["max_score"] > 0, (
        sol["reason"], part_scores(sol))
    assert rel["status"] == "graded" and rel["score"] == 0, (rel["reason"], part_scores(rel))


def params(mutants: Iterable[Mutant]) -> list[Any]:
    """pytest params, one per mutant; a known survivor is a strict xfail with its reason."""
    return [pytest.param(m, id=m.name, marks=[pytest.mark.xfail(reason=m.survives, strict=True)]
                         if m.survives else []) for m in mutants]


def assert_enough_caught(mutants: list[Mutant], answer_cells: Iterable[str],
                         min_count: int = 8) -> None:
    """Enough mutants, every answer cell targeted, at most 10% known survivors."""
    assert len(mutants) >= min_count, f"only {len(mutants)} mutants (want {min_count}+)"
    targeted = {m.cell for m in mutants}
    missing = sorted(set(answer_cells) - targeted)
    assert not missing, f"answer cells without a mutant: {missing}"
    survivors = [m.name for m in mutants if m.survives]
    assert len(survivors) <= 0.1 * len(mutants), f"too many survivors: {survivors}"


def answer_cells(aid: str) -> list[str]:
    """grade_ids of the autograded answer (solution, non-grade) code cells of a source notebook."""
    nb = _nb(REPO / "solutions", aid)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
            and not c.metadata["nbgrader"].get("grade")]
