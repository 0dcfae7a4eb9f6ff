"""``aeutils feedback``: nbgrader's generate_feedback, without hidden tests (nbgrader issue #917).

nbgrader builds feedback from the autograded notebook, in which the hidden tests were restored
from the gradebook. :class:`StripHiddenTests` runs inside nbgrader's feedback conversion and

- puts each test cell back to its released text (hidden-test blocks removed),
- replaces tracebacks of test cells with the error line only (``GradingError: <message>``: what
  was expected and what to check; a traceback would quote the failing hidden line), and an error
  message that itself repeats hidden test code with a short note,
- removes any output, in any cell, that repeats a line of hidden test code (a student's code
  could capture test source at run time and print it later).

After nbgrader wrote the HTML, :func:`feedback` checks every file once more for every hidden line
and deletes a file that still contains one (and says so): hidden tests never reach students.
"""

from __future__ import annotations

import contextlib
import copy
import html
import io
import re
from pathlib import Path
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets.config import Config

from .config import CourseError, assignment_ids, course_root, load_config, make_api

BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"
MIN_LINE = 8  # shorter hidden lines ("pass", "x = 1") are too common to police in outputs
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def split_hidden(source: str) -> tuple[str, list[str]]:
    """Return (source without hidden blocks, the hidden lines) of one test cell."""
    kept, hidden, inside = [], [], False
    for line in source.splitlines():
        if BEGIN in line:
            inside = True
            continue
        if END in line:
            inside = False
            continue
        (hidden if inside else kept).append(line)
    return "\n".join(kept), [h.strip() for h in hidden if h.strip()]


def hidden_lines(db_url: str, assignment: str, notebook: str | None = None) -> dict[str, Any]:
    """grade_id -> (released source, hidden lines) for every test cell with hidden tests."""
    from nbgrader.api import Gradebook

    out: dict[str, Any] = {}
    with Gradebook(db_url) as gb:
        nbs = gb.find_assignment(assignment).notebooks
        for nb in nbs:
            if notebook and nb.name != notebook:
                continue
            for cell in nb.source_cells:
                if BEGIN in (cell.source or ""):
                    out[f"{nb.name}/{cell.name}"] = split_hidden(cell.source)
    return out


def _contains(text: str, lines: list[str]) -> bool:
    flat = ANSI.sub("", text)
    return any(len(h) >= MIN_LINE and h in flat for h in lines)


class StripHiddenTests(NbGraderPreprocessor):
    """nbgrader feedback preprocessor: no hidden test text in cells or outputs."""

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        info = resources["nbgrader"]
        table = hidden_lines(info["db_url"], info["assignment"], info["notebook"])
        prefix = f"{info['notebook']}/"
        cells = {k[len(prefix):]: v for k, v in table.items() if k.startswith(prefix)}
        every = [h for _, lines in cells.values() for h in lines]
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in cells:
                visible, lines = cells[gid]
                cell.source = visible
                if cell.cell_type == "code":
                    cell.outputs = [self._clean_error(o, lines) for o in cell.outputs]
            if cell.cell_type == "code":
                cell.outputs = [self._redact(o, every) for o in cell.outputs]
            elif _contains(cell.source, every) and gid not in cells:
                cell.source = "[removed: this cell repeated hidden test code]"
        return nb, resources

    @staticmethod
    def _clean_error(output: Any, lines: list[str]) -> Any:
        if output.get("output_type") != "error":
            return output
        # The traceback quotes the failing (maybe hidden) line: drop it, keep the message (what
        # was expected, what to check) unless the message itself repeats hidden test code.
        if _contains(str(output.get("evalue", "")), lines):
            output["evalue"] = "a hidden test failed (its details are not shown)"
        output["traceback"] = [f"{output.get('ename', 'Error')}: {output['evalue']}"]
        return output

    @staticmethod
    def _redact(output: Any, lines: list[str]) -> Any:
        if _contains(str(dict(output)), lines):
            from nbformat.v4 import new_output

            return new_output("stream", name="stderr",
                              text="[output removed: it repeated hidden test code]\n")
        return output


def html_text(path: Path) -> str:
    """Visible text of an HTML file: tags dropped, entities decoded (highlighting splits code)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def leaks(path: Path, lines: list[str]) -> list[str]:
    """Hidden lines found in a feedback file (empty when clean)."""
    text = html_text(path)
    raw = path.read_text(encoding="utf-8", errors="replace")
    return [h for h in lines if len(h) >= MIN_LINE and (h in text or h in raw)]


def feedback_config(config: Config) -> Config:
    """The course config with :class:`StripHiddenTests` in nbgrader's feedback preprocessors."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    cfg = copy.deepcopy(config)
    cfg.GenerateFeedback.preprocessors = [GetGrades, StripHiddenTests, CSSHTMLHeaderPreprocessor]
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
        every = [h for _, lines in hidden_lines(config.CourseDirectory.db_url, aid).values()
                 for h in lines]
        for student in students:
            for path in sorted((root / "feedback" / student / aid).glob("*.html")):
                found = leaks(path, every)
                if found:
                    path.unlink()
                    problems.append(f"{path}: removed, it contained hidden test code {found[0]!r}")
                else:
                    written.append(path)
    if problems:
        raise CourseError("feedback incomplete:\n" + "\n".join(problems))
    return written
