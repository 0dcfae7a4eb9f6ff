"""Which test code of an assignment is hidden from students, and which of it is *secret*.

A test cell of a source notebook may hold hidden tests between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``. nbgrader removes them from the release and puts them back (from the
gradebook) when it autogrades, so every autograded notebook holds them (nbgrader issue #917).

Some hidden lines also stand, visibly, in the release: ``with torch.no_grad():`` or
``_dev = aeutils.device()`` open hidden and visible tests alike, and a student's own answer may
well contain ``mlp_model.eval()`` like a hidden test does. Showing such a line gives nothing away.
A **secret** line is a hidden line, long enough to be specific (:data:`MIN_LINE`) and naming
something besides Python's keywords (``finally:`` also stands in every traceback through library
code), that neither the release nor (for one student) that student's own cells show. Feedback and
Gradescope results must hold no secret line; they may hold the others.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from pathlib import Path

BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"
MIN_LINE = 8  # shorter lines ("pass", "x = 1") are too common to be a test's secret
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_WORD = re.compile(r"[A-Za-z_]\w*")


def says_something(line: str) -> bool:
    """True when a line names something besides Python's keywords: ``finally:`` or ``else:``
    reveal nothing of a test."""
    return any(not keyword.iskeyword(w) and not keyword.issoftkeyword(w) for w in _WORD.findall(line))


def split_hidden(source: str) -> tuple[str, list[str]]:
    """Return (source without hidden blocks, the hidden lines, stripped) of one test cell."""
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


@dataclass(frozen=True)
class HiddenTests:
    """The hidden tests of one assignment.

    ``cells`` maps ``"<notebook>/<grade_id>"`` (notebook name without ``.ipynb``) to the test
    cell's released source and its hidden lines; ``visible`` holds every stripped line that the
    release shows (its notebooks and the visible part of each test cell).
    """

    cells: dict[str, tuple[str, tuple[str, ...]]]
    visible: frozenset[str]

    def in_notebook(self, notebook: str) -> dict[str, tuple[str, tuple[str, ...]]]:
        """grade_id -> (released source, hidden lines) of the test cells of one notebook."""
        prefix = f"{notebook}/"
        return {k[len(prefix):]: v for k, v in self.cells.items() if k.startswith(prefix)}

    def secret(self, lines: tuple[str, ...] | list[str] | None = None,
               own: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """The secret lines among ``lines`` (default: every hidden line of the assignment):
        neither in the release nor in ``own``, the lines a student wrote (:func:`own_lines`),
        nor inside one of their lines."""
        if lines is None:
            lines = [h for _, hidden in self.cells.values() for h in hidden]
        candidates = {h for h in lines if len(h) >= MIN_LINE and says_something(h)
                      and h not in self.visible and h not in own}
        # a hidden line that a shown line contains (a hidden `f(x, amp=True)` inside a student's
        # `f(x, amp=True).tolist()`) is shown already
        shown = "\n".join(sorted(self.visible | set(own)))
        return sorted(candidates - set(found_secret(shown, sorted(candidates))))


def own_lines(nb: dict, hidden_cells: dict[str, object]) -> set[str]:
    """The stripped lines a student can see in their own graded notebook: every cell except the
    test cells that hold hidden tests (``hidden_cells``, keyed by grade_id), whose source nbgrader
    restored from the gradebook."""
    lines: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in hidden_cells:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines.update(ln.strip() for ln in source.splitlines() if ln.strip())
    return lines


def found_secret(text: str, secret: list[str]) -> list[str]:
    """The ``secret`` lines that ``text`` contains, but not as part of a longer name (a hidden
    ``model.eval()`` is not in a student's ``mlp_model.eval()``). Terminal colours are removed
    and escaped line breaks count as line breaks (a printed ``repr`` of captured source)."""
    flat = ANSI.sub("", text)
    texts = (flat, flat.replace("\\n", "\n").replace("\\t", "\t"))
    return [h for h in secret if any(
        h in t and re.search(r"(?<!\w)" + re.escape(h) + r"(?!\w)", t) for t in texts)]


def contains_secret(text: str, secret: list[str]) -> bool:
    """True when ``text`` contains one of the ``secret`` lines (:func:`found_secret`)."""
    return bool(found_secret(text, secret))


def notebook_lines(path: Path) -> set[str]:
    """Every stripped, non-empty line of every cell's source in a notebook file."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    lines: set[str] = set()
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines.update(ln.strip() for ln in source.splitlines() if ln.strip())
    return lines


def load_hidden(db_url: str, assignment: str, release: Path | None) -> HiddenTests:
    """The hidden tests of ``assignment`` from its gradebook, and what its ``release`` folder
    (``assignments/<id>/``; None or missing: only the test cells' visible parts count) shows."""
    from nbgrader.api import Gradebook

    cells: dict[str, tuple[str, tuple[str, ...]]] = {}
    visible: set[str] = set()
    with Gradebook(db_url) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            for cell in nb.source_cells:
                if BEGIN in (cell.source or ""):
                    shown, hidden = split_hidden(cell.source)
                    cells[f"{nb.name}/{cell.name}"] = (shown, tuple(hidden))
                    visible.update(ln.strip() for ln in shown.splitlines() if ln.strip())
    if release is not None and release.is_dir():
        for path in sorted(release.glob("*.ipynb")):
            visible |= notebook_lines(path)
    return HiddenTests(cells=cells, visible=frozenset(visible))
