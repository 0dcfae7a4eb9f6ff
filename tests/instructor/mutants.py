"""Tests of the tests: answers, right and wrong, graded by the real `aeutils grade`.

Two sources of answers, both reduced to :class:`Case` (one answer cell's whole source and what its
grade must show):

- a :class:`Mutant` is the solution with ONE answer cell edited (a sign flipped, a tensor made on
  the CPU, a hand-off to the library, ...) and the autograded parts that must ALL lose points;
  they were written beside the tests (``assignment_mutants.py``);
- an independent student answer (``independent_answers.py``, ``StudentAnswer``) was written from
  the student release alone, without the solution or the hidden tests: a correct one must keep full
  points everywhere, a wrong one must lose points in at least one test of its own part (the test
  cells that follow its answer cell).

Grading one submission per case would cost about 15 CPU seconds each; :func:`pack` puts several
cases into one submission instead: all correct answers of different cells together (they must all
keep full points), and wrong answers of INDEPENDENT parts together: a case may only share a
submission with cases whose verdict tests it cannot touch (:data:`DOWNSTREAM` declares which later
parts train with an earlier part's code). :func:`grade_class` grades the solution, the untouched
release and every packed submission of one assignment in ONE call of ``aeutils grade --jobs 2``;
:func:`check` then asserts, per case, its verdict: lost points where it must, full points in every
test no case of its submission may touch, and for a wrong case a :class:`GradingError` message in
the test it lost (a test cell that dies of another error says nothing useful to a student).

A wrong case that the hidden tests do not catch stays listed with ``survives="why"``: its test is an
``xfail(strict=True)``, so catching it later fails loudly until the entry is updated.
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

#: answer cell -> the tests of LATER parts that run its code (they may lose points when it is
#: wrong, so a wrong answer there never shares a submission with a case judged by those tests)
DOWNSTREAM: dict[str, dict[str, frozenset[str]]] = {
    "ae1_bottleneck": {
        "linear-ae": frozenset({"test-train-linear"}),
        "principal-angles": frozenset({"test-train-linear"}),
        "fit-loop": frozenset({"test-train-linear", "test-mlp-ae"}),
    },
    "ae2_sparse": {
        "l1-penalty": frozenset({"test-train-sparse"}),
        "topk": frozenset({"test-sae-model", "test-dead-units", "test-train-sae"}),
        "sae-model": frozenset({"test-dead-units", "test-train-sae"}),
        "dead-units": frozenset({"test-train-sae"}),
    },
    "ae3_denoising": {
        "gaussian": frozenset({"test-train-denoiser", "test-train-denoising"}),
        # Part 8's visible test trains a ConvDAE(4): a wrong ConvDAE can break it too
        "conv-dae": frozenset({"test-train-denoiser", "test-train-denoising"}),
        "train-denoiser": frozenset({"test-train-denoising"}),
    },
    "ae4_vae": {
        # the visible checks of Parts 3 and 5a run the student's Parts 2 and 1 (the hidden ones swap
        # in correct versions)
        "reparameterize": frozenset({"test-vae-model", "test-train-vae"}),
        "gaussian-kl": frozenset({"test-elbo", "test-train-vae"}),
        "elbo": frozenset({"test-train-vae"}),
        "baseline": frozenset({"test-train-vae"}),
        "vae-model": frozenset({"test-iw-bound", "test-train-vae"}),
        "iw-bound": frozenset({"test-train-vae"}),
    },
}


@dataclass(frozen=True)
class Mutant:
    """One wrong answer: ``replace`` edits the solution of answer cell ``cell``."""

    name: str  # letters, digits, _ and -
    cell: str  # grade_id of the answer cell it changes
    replace: tuple[tuple[str, str], ...]  # (old, new): each old occurs exactly once in the cell
    loses: frozenset[str] | set[str]  # grade_ids of the test cells that must lose points
    kind: str = ""  # one of KINDS (or a short free text)
    survives: str | None = None  # why the hidden tests do not catch it (then it is an xfail)
    loses_any: frozenset[str] = field(default_factory=frozenset)  # may lose points, need not

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.name):
            raise ValueError(f"mutant name {self.name!r}: use letters, digits, _ and - only")


@dataclass(frozen=True)
class Case:
    """One answer cell's source in a graded submission, and what its grade must show."""

    name: str
    cell: str
    source: str  # the answer cell's whole source
    correct: bool
    loses: frozenset[str]  # tests that must all lose points (a mutant's)
    loses_one_of: frozenset[str]  # at least one of them must lose points (a wrong answer's part)
    may_touch: frozenset[str]  # tests it may change besides those (declared, or later parts)
    kind: str
    origin: str  # "mutant" or "independent"
    survives: str | None = None

    @property
    def verdict(self) -> frozenset[str]:
        """The tests whose scores decide this case."""
        return self.loses | self.loses_one_of

    @property
    def touches(self) -> frozenset[str]:
        """Every test whose score this case may change (nothing, for a correct answer)."""
        return frozenset() if self.correct else self.verdict | self.may_touch


@dataclass
class Submission:
    """One student folder of a batch: some answer cells replaced, the others the solution's."""

    name: str
    cases: list[Case]


def _strip_markers(source: str) -> str:
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def _nb(folder: Path, aid: str) -> Any:
    return nbformat.read(str(folder / aid / f"{aid}.ipynb"), as_version=4)


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


def own_tests(aid: str) -> dict[str, frozenset[str]]:
    """answer cell -> the autograded test cells of its part (those between it and the next answer)."""
    out: dict[str, set[str]] = {}
    current = None
    for cell in _nb(REPO / "solutions", aid).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            current = meta["grade_id"]
            out[current] = set()
        elif meta.get("grade") and not meta.get("solution") and current is not None:
            out[current].add(meta["grade_id"])
    return {k: frozenset(v) for k, v in out.items()}


def cases_of(aid: str, mutants: Iterable[Mutant], answers: Iterable[Any]) -> list[Case]:
    """Every mutant and independent answer of ``aid`` as a :class:`Case`."""
    solution = corpus.solution_notebook(_nb(REPO / "assignments", aid), _nb(REPO / "solutions", aid))
    down, own = DOWNSTREAM.get(aid, {}), own_tests(aid)
    cases = []
    for m in mutants:
        cell = next(c for c in mutate(solution, m).cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == m.cell)
        cases.append(Case(m.name, m.cell, cell.source, False, frozenset(m.loses), frozenset(),
                          frozenset(m.loses_any) | down.get(m.cell, frozenset()), m.kind, "mutant",
                          m.survives))
    for a in answers:
        if a.assignment != aid:
            continue
        if a.cell not in own:
            raise ValueError(f"answer {a.name}: {a.cell!r} is not an answer cell of {aid}")
        survives = getattr(a, "survives", None)
        cases.append(Case(a.name, a.cell, a.source, a.correct, frozenset(),
                          frozenset() if a.correct else own[a.cell],
                          down.get(a.cell, frozenset()), a.what, "independent", survives))
    names = [c.name for c in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{aid}: two cases share the names {duplicates}")
    return cases


def pack(cases: list[Case]) -> list[Submission]:
    """Cases into few submissions (first fit, the cells with the most cases first).

    One case per answer cell in a submission; correct answers only with correct answers (the whole
    submission must keep full points); a wrong case only beside cases whose verdict tests it cannot
    touch, and whose own reach does not include its verdict tests.
    """
    subs: list[Submission] = []
    per_cell = {c.cell: sum(o.cell == c.cell for o in cases) for c in cases}
    for case in sorted(cases, key=lambda c: -per_cell[c.cell]):  # the crowded cells open submissions
        for sub in subs:
            if any(o.cell == case.cell or o.correct != case.correct for o in sub.cases):
                continue
            if not case.correct and any(case.touches & o.verdict or o.touches & case.verdict
                                        for o in sub.cases):
                continue
            sub.cases.append(case)
            break
        else:
            prefix = "right" if case.correct else "wrong"
            subs.append(Submission(f"{prefix}-{sum(s.name.startswith(prefix) for s in subs) + 1:02d}",
                                   [case]))
    return subs


def grade_class(aid: str, submissions: Iterable[Submission], root: Path, device: str = "cpu",
                jobs: int = 2) -> dict[str, Any]:
    """Release ``aid`` into a scratch course under ``root`` and grade the solution, the release and
    every submission in ONE batch. Returns ``{"results": {student: result}, "duration": s, ...}``."""
    course = root / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "solutions" / aid, course / "solutions" / aid,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    aeutils_cli("--course", str(course), "release", aid)
    release = _nb(course / "assignments", aid)
    solution = corpus.solution_notebook(release, _nb(course / "solutions", aid))
    students = {"solution": solution, "release": release}
    where: dict[str, str] = {}
    for sub in submissions:
        nb = copy.deepcopy(solution)
        for case in sub.cases:
            cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == case.cell)
            cell.source = case.source
            where[case.name] = sub.name
        students[sub.name] = nb
    subs = root / "submitted"
    for student, nb in students.items():
        (subs / student / aid).mkdir(parents=True)
        nbformat.write(nb, str(subs / student / aid / f"{aid}.ipynb"))
    out = course / "grades.csv"
    t0 = time.monotonic()
    aeutils_cli("--course", str(course), "grade", str(subs), "--jobs", str(jobs), "--device",
                device, "--out", str(out), timeout=3000)
    duration = time.monotonic() - t0
    report = corpus.read_report(out.with_suffix(".json"))
    return {"aid": aid, "results": {r["student"]: r for r in report["results"]},
            "duration": duration, "report": report, "students": len(students), "course": course,
            "where": where, "submissions": {s.name: s for s in submissions}}


def part_scores(result: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """grade_id -> (auto score, max score) of every autograded test cell of a graded result."""
    out = {}
    for nb in result["cells"].values():
        for gid, g in nb["grades"].items():
            if g["cell_type"] == "code" and g["auto_score"] is not None:
                out[gid] = (float(g["auto_score"]), float(g["max_score"]))
    return out


def errors_of(graded: dict[str, Any], student: str) -> dict[str, str]:
    """grade_id -> "ErrorName: message" of each test cell that raised, in the autograded notebook."""
    aid = graded["aid"]
    path = graded["course"] / "autograded" / student / aid / f"{aid}.ipynb"
    if not path.exists():
        return {}
    out = {}
    for cell in nbformat.read(str(path), as_version=4).cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out[gid] = f"{o['ename']}: {o['evalue']}"
    return out


def check(graded: dict[str, Any], case: Case | Mutant) -> None:
    """The case's verdict in its submission: see the module's docstring."""
    if isinstance(case, Mutant):  # a mutant graded alone (the framework's own tests)
        case = Case(case.name, case.cell, "", False, frozenset(case.loses), frozenset(),
                    frozenset(case.loses_any), case.kind, "mutant", case.survives)
    student = graded.get("where", {}).get(case.name, case.name)
    res = graded["results"][student]
    assert res["status"] == "graded", f"{case.name}: {res['status']} - {res['reason']}"
    scores = part_scores(res)
    unknown = case.verdict - set(scores)
    assert not unknown, f"{case.name}: no such autograded parts {sorted(unknown)}"
    lost = {g for g, (s, m) in scores.items() if s < m}
    sub = graded.get("submissions", {}).get(student)
    others = [o for o in (sub.cases if sub else [case]) if o.name != case.name]
    if case.correct:
        assert not lost, f"{case.name} (correct: {case.kind}) lost points in {sorted(lost)}: " \
                         f"{ {g: errors_of(graded, student).get(g, '')[:300] for g in lost} }"
        return
    kept = sorted(case.loses - lost)
    assert not kept, f"{case.name} ({case.kind}) was not caught: {kept} kept full points"
    if case.loses_one_of:
        assert case.loses_one_of & lost, (
            f"{case.name} ({case.kind}) was not caught: {sorted(case.loses_one_of)} all kept full points")
    reach = case.touches.union(*(o.touches for o in others))
    hit = sorted(lost - reach)
    assert not hit, f"{student} ({[o.name for o in [case, *others]]}) also cost points in {hit}"
    errors = errors_of(graded, student)
    mine = (case.loses | case.loses_one_of) & lost
    silent = {g: errors.get(g, "no error shown") for g in mine
              if not errors.get(g, "").startswith("GradingError")}
    if mine and len(silent) == len(mine):
        raise AssertionError(f"{case.name} ({case.kind}) lost points without a message that says what "
                             f"to check: {silent}")


def check_solution_and_release(graded: dict[str, Any]) -> None:
    """The solution scores full points, the untouched release zero (both graded, not failed)."""
    sol, rel = graded["results"]["solution"], graded["results"]["release"]
    assert sol["status"] == "graded" and sol["score"] == sol["max_score"] > 0, (
        sol["reason"], part_scores(sol))
    assert rel["status"] == "graded" and rel["score"] == 0, (rel["reason"], part_scores(rel))


def params(cases: Iterable[Case | Mutant]) -> list[Any]:
    """pytest params, one per case; a known survivor is a strict xfail with its reason."""
    return [pytest.param(c, id=c.name, marks=[pytest.mark.xfail(reason=c.survives, strict=True)]
                         if c.survives else []) for c in cases]


def assert_enough_caught(cases: list[Case], answer_cells: Iterable[str], min_count: int = 8) -> None:
    """Enough wrong cases (mutants and independent answers), every answer cell targeted, at most
    10% known survivors."""
    wrong = [c for c in cases if not c.correct]
    assert len(wrong) >= min_count, f"only {len(wrong)} wrong answers (want {min_count}+)"
    missing = sorted(set(answer_cells) - {c.cell for c in wrong})
    assert not missing, f"answer cells without a wrong answer: {missing}"
    survivors = [c.name for c in wrong if c.survives]
    assert len(survivors) <= 0.1 * len(wrong), f"too many survivors: {survivors}"


def answer_cells(aid: str) -> list[str]:
    """grade_ids of the autograded answer (solution, non-grade) code cells of a source notebook."""
    nb = _nb(REPO / "solutions", aid)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
            and not c.metadata["nbgrader"].get("grade")]
