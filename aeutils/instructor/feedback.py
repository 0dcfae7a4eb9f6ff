"""``aeutils feedback``: nbgrader's generate_feedback, without hidden tests (nbgrader issue #917),
and with a list of every graded part that says why points were lost.

nbgrader builds feedback from the autograded notebook, in which the hidden tests were restored
from the gradebook. Two preprocessors run inside nbgrader's feedback conversion:

:class:`StripHiddenTests`
    puts each test cell back to its released text (hidden-test blocks removed); replaces
    tracebacks of test cells with the error line only (``GradingError: <message>``: what was
    expected and what to check; a traceback would quote the failing hidden line), and an error
    message that itself repeats secret test code with a short note; removes any output, in any
    cell, that repeats a *secret* hidden line (a student's code could capture test source at run
    time and print it later).
:class:`PartsSummary`
    puts a table at the top: every graded part (:mod:`.parts`) with its points and, where it lost
    points, the failed check's message; written answers with their grader's comment.

A secret line is a hidden line that neither the release nor the student's own cells show
(:mod:`.hidden`): a hidden ``with torch.no_grad():`` that every student can read in the release, or
the ``mlp_model.eval()`` a student wrote in their own answer, reveals nothing. After nbgrader wrote
the HTML, :func:`feedback` checks every file once more for every secret line (a grader's comment,
say, is shown as written) and deletes a file that still contains one, and says so: hidden tests
never reach students.
"""

from __future__ import annotations

import contextlib
import copy
import html
import io
import json
import re
from pathlib import Path
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets.config import Config

from .config import CourseError, assignment_ids, course_root, load_config, make_api, release_dir
from .hidden import (
    HiddenTests,
    contains_secret,
    found_secret,
    load_hidden,
    own_lines,
    split_hidden,
)
from .parts import WRITTEN, GradedPart, graded_parts

__all__ = ["StripHiddenTests", "PartsSummary", "feedback", "assignment_hidden", "student_secret",
           "leaks", "html_text", "split_hidden"]

_RESOURCE = "aeutils_hidden"  # where StripHiddenTests leaves the HiddenTests for PartsSummary


def assignment_hidden(config: Config, assignment: str) -> HiddenTests:
    """The hidden tests of ``assignment`` in the course of ``config`` (gradebook + release)."""
    return load_hidden(config.CourseDirectory.db_url, assignment,
                       release_dir(config) / assignment)


def student_secret(hidden: HiddenTests, autograded: Path) -> list[str]:
    """The secret lines for one student's notebook: hidden lines that neither the release nor
    the student's own cells in ``autograded`` (their graded notebook) show. Without that
    notebook, every hidden line the release does not show."""
    if not autograded.is_file():
        return hidden.secret()
    nb = json.loads(autograded.read_text(encoding="utf-8"))
    return hidden.secret(own=own_lines(nb, hidden.in_notebook(autograded.stem)))


class StripHiddenTests(NbGraderPreprocessor):
    """nbgrader feedback preprocessor: no secret test text in cells or outputs."""

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        info = resources["nbgrader"]
        hidden = load_hidden(info["db_url"], info["assignment"],
                             release_dir(self.config) / info["assignment"]
                             if self.config.CourseDirectory.get("root") else None)
        resources[_RESOURCE] = hidden
        cells = hidden.in_notebook(info["notebook"])
        own = own_lines(nb, cells)  # what this student wrote: theirs to see
        secret = hidden.secret(own=own)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in cells:
                visible, lines = cells[gid]
                cell.source = visible
                if cell.cell_type == "code":
                    cell.outputs = [self._clean_error(o, hidden.secret(lines, own))
                                    for o in cell.outputs]
            if cell.cell_type == "code":
                cell.outputs = [self._redact(o, secret) for o in cell.outputs]
            elif contains_secret(cell.source, secret) and gid not in cells:
                cell.source = "[removed: this cell repeated hidden test code]"
        return nb, resources

    @staticmethod
    def _clean_error(output: Any, lines: list[str]) -> Any:
        if output.get("output_type") != "error":
            return output
        # The traceback quotes the failing (maybe hidden) line: drop it, keep the message (what
        # was expected, what to check) unless the message itself repeats secret test code.
        if contains_secret(str(output.get("evalue", "")), lines):
            output["evalue"] = "a hidden test failed (its details are not shown)"
        output["traceback"] = [f"{output.get('ename', 'Error')}: {output['evalue']}"]
        return output

    @staticmethod
    def _redact(output: Any, lines: list[str]) -> Any:
        if contains_secret(str(dict(output)), lines):
            from nbformat.v4 import new_output

            return new_output("stream", name="stderr",
                              text="[output removed: it repeated hidden test code]\n")
        return output


class PartsSummary(NbGraderPreprocessor):
    """nbgrader feedback preprocessor: a table of every graded part at the top of the notebook.

    Runs after nbgrader's ``GetGrades`` (which puts each cell's score and comment in its
    metadata) and :class:`StripHiddenTests`.
    """

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        from nbformat.v4 import new_markdown_cell

        info = resources["nbgrader"]
        hidden = resources.get(_RESOURCE) or load_hidden(info["db_url"], info["assignment"], None)
        scores, comments = gradebook_scores(info["db_url"], info["assignment"], info["student"],
                                            info["notebook"])
        parts = graded_parts(nb, info["notebook"], hidden, scores, comments)
        if parts:
            cell = new_markdown_cell(parts_table(parts))
            cell.metadata["aeutils"] = {"role": "graded-parts"}
            nb.cells.insert(0, cell)
        return nb, resources


def gradebook_scores(db_url: str, assignment: str, student: str,
                     notebook: str) -> tuple[dict[str, float | None], dict[str, str]]:
    """(grade_id -> points, None while a person has still to grade it; grade_id -> comment) of
    one submitted notebook, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(notebook, assignment, student)
        scores = {g.name: None if g.needs_manual_grade else g.score for g in nb.grades}
        comments = {c.name: c.comment or "" for c in nb.comments}
    return scores, comments


def parts_table(parts: list[GradedPart]) -> str:
    """An HTML table (inside a markdown cell) of the parts: points, and what to look at."""
    rows = []
    for p in parts:
        if p.score is None:
            points = f"not graded yet / {p.max_score:g}"
        else:
            points = f"{p.score:g} / {p.max_score:g}"
        if p.kind == WRITTEN:
            what = "written answer, " + (p.comment or "graded by hand" if p.score is not None
                                         else "to be graded by hand")
        elif p.lost_points:
            what = p.message
        else:
            what = "all checks passed"
        rows.append(f'<tr class="aeutils-part" data-grade-id="{html.escape(p.grade_id)}">'
                    f"<td>{html.escape(p.grade_id)}</td><td>{html.escape(points)}</td>"
                    f"<td>{html.escape(what)}</td></tr>")
    total = sum(p.score or 0 for p in parts)
    possible = sum(p.max_score for p in parts)
    return ('<h2 id="graded-parts">Your graded parts</h2>\n'
            f"<p>{total:g} of {possible:g} points so far. Where a part lost points, the last "
            "column says what the check expected and what to look at.</p>\n"
            '<table class="aeutils-parts">\n<tr><th>part</th><th>points</th>'
            "<th>what to look at</th></tr>\n" + "\n".join(rows) + "\n</table>")


def html_text(path: Path) -> str:
    """Visible text of an HTML file: tags dropped, entities decoded (highlighting splits code)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def leaks(path: Path, secret: list[str]) -> list[str]:
    """Secret hidden lines found in a feedback file (empty when clean)."""
    text = html_text(path)
    raw = path.read_text(encoding="utf-8", errors="replace")
    return sorted(set(found_secret(text, secret)) | set(found_secret(raw, secret)))


def feedback_config(config: Config) -> Config:
    """The course config with this module's preprocessors in nbgrader's feedback conversion."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    cfg = copy.deepcopy(config)
    cfg.GenerateFeedback.preprocessors = [GetGrades, StripHiddenTests, PartsSummary,
                                          CSSHTMLHeaderPreprocessor]
    return cfg


def feedback(assignment: str | None = None, config: Config | None = None) -> list[Path]:
    """Write ``feedback/<student>/<id>/<notebook>.html`` for every graded submission."""
    from nbgrader.api import Gradebook, MissingEntry

    config = config or load_config()
    root = course_root(config)
    ids = [assignment] if assignment else assignment_ids(config)
    written: list[Path] = []
    problems: list[str] = []
    for aid in ids:
        try:
            with Gradebook(config.CourseDirectory.db_url) as gb:
                students = sorted(s.student.id for s in gb.find_assignment(aid).submissions)
        except MissingEntry:
            students = []
        if not students:
            if assignment:
                raise CourseError(
                    f"no graded submissions of {aid!r} in {root / 'gradebook.db'}: "
                    "run `aeutils grade SUBMISSIONS_DIR` first"
                )
            continue
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            api = make_api(feedback_config(config))
            for student in students:  # one by one: a stray folder cannot stop the others
                res = api.generate_feedback(aid, student, force=True)
                if not res.get("success"):
                    why = [ln.strip() for ln in str(res.get("log", "")).splitlines()
                           if "Error" in ln and "Traceback" not in ln]
                    problems.append(f"{aid}/{student}: nbgrader could not generate feedback: "
                                    f"{why[-1] if why else res.get('error')}")
        hidden = assignment_hidden(config, aid)
        for student in students:
            for path in sorted((root / "feedback" / student / aid).glob("*.html")):
                graded = root / "autograded" / student / aid / f"{path.stem}.ipynb"
                found = leaks(path, student_secret(hidden, graded))
                if found:
                    path.unlink()
                    problems.append(f"{path}: removed, it contained hidden test code {found[0]!r}")
                else:
                    written.append(path)
    if problems:
        raise CourseError("feedback incomplete:\n" + "\n".join(problems))
    return written
