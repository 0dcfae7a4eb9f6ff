"""Gradescope's ``results.json`` for one graded submission, built from its graded parts.

The format is Gradescope's autograder specification (gradescope-autograders.readthedocs.io,
"Autograder Specifications"): a list of ``tests``, each with ``score``, ``max_score``, ``name``,
``output`` and ``visibility``; the submission's ``output`` is shown to the student, whatever the
autograder prints (``stdout``) only to instructors.

One test per autograded part (:class:`~aeutils.instructor.parts.GradedPart`): a part whose cell
holds hidden tests is ``after_published`` (students see it once the instructor publishes the
grades), the others ``visible``. A part that lost points says why in ``output``: the failed
check's message, never a test's source. Written answers are not tests here: Gradescope's own
manual grading takes them (a rubric question per answer, docs/gradescope.md); the submission's
``output`` and ``extra_data`` list them with their points.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..parts import AUTOGRADED, WRITTEN, GradedPart

VISIBLE, AFTER_PUBLISHED = "visible", "after_published"


@dataclass(frozen=True)
class GradescopeTest:
    """One entry of ``tests`` in results.json: one autograded part."""

    name: str
    number: str
    score: float
    max_score: float
    output: str
    visibility: str  # VISIBLE or AFTER_PUBLISHED
    extra_data: dict[str, Any] = field(default_factory=dict)  # grade_id, notebook, status


@dataclass(frozen=True)
class GradescopeResults:
    """The whole results.json of one submission."""

    score: float
    output: str
    tests: list[GradescopeTest]
    execution_time: float = 0.0
    stdout_visibility: str = "hidden"  # what the autograder prints is for instructors only
    extra_data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["execution_time"] = round(self.execution_time)
        return data

    def write(self, path: Path) -> None:
        """Write results.json (atomically: Gradescope never reads half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1), encoding="utf-8")
        tmp.replace(path)


def written_note(written: list[GradedPart]) -> str:
    """The line that tells a student which answers a person grades (and how many points)."""
    if not written:
        return ""
    listed = ", ".join(f"{p.grade_id} ({p.max_score:g} points)" for p in written)
    return (f"Written answers, graded by hand by the course staff (not part of this "
            f"autograder score): {listed}.")


def graded_results(parts: list[GradedPart], *, review: bool, execution_time: float,
                   extra: dict[str, Any]) -> GradescopeResults:
    """results.json of a submission that was graded (``review``: flagged for a person to check)."""
    tests = []
    for part in (p for p in parts if p.kind == AUTOGRADED):
        score = part.score or 0.0
        if part.lost_points:
            output = part.message
        else:
            output = "All checks passed."
        tests.append(GradescopeTest(
            name=part.grade_id, number=str(len(tests) + 1), score=score,
            max_score=part.max_score, output=output,
            visibility=AFTER_PUBLISHED if part.hidden else VISIBLE,
            extra_data={"grade_id": part.grade_id, "notebook": part.notebook,
                        "hidden_tests": part.hidden}))
    written = [p for p in parts if p.kind == WRITTEN]
    total = sum(t.score for t in tests)
    lines = [f"Autograded: {total:g} of {sum(t.max_score for t in tests):g} points."]
    if review:
        lines.append("The course staff will look at this submission before grades are "
                     "published.")
    if note := written_note(written):
        lines.append(note)
    return GradescopeResults(
        score=total, output="\n".join(lines), tests=tests, execution_time=execution_time,
        extra_data={**extra, "written": [{"grade_id": p.grade_id, "max_score": p.max_score}
                                         for p in written]})


def failed_results(parts: list[GradedPart], reason: str, *, execution_time: float,
                   extra: dict[str, Any]) -> GradescopeResults:
    """results.json of a submission that could not be graded: every part says so, with the reason.

    Gradescope needs a score; it is 0, but no part reads like a real 0: each says "not graded"
    and why, and ``extra_data`` has ``status: failed``.
    """
    why = f"Not graded: {reason}"
    tests = [GradescopeTest(name=p.grade_id, number=str(i + 1), score=0.0,
                            max_score=p.max_score, output=why, visibility=VISIBLE,
                            extra_data={"grade_id": p.grade_id, "notebook": p.notebook,
                                        "status": "not graded"})
             for i, p in enumerate(p for p in parts if p.kind == AUTOGRADED)]
    output = (f"Your submission could NOT be graded: {reason}. Fix this and submit again; if "
              "you cannot, ask the course staff (this is not a score of 0 for your work).")
    return GradescopeResults(score=0.0, output=output, tests=tests, execution_time=execution_time,
                             extra_data={**extra, "status": "failed", "reason": reason})
