"""``aeutils release``: nbgrader's generate_assignment, made byte-reproducible.

The committed ``assignments/`` must be exactly what this produces from ``solutions/``, so a
re-release of unchanged sources leaves git with nothing to show. A release also leaves each
assignment's grading template in ``.grading/templates/`` (:mod:`.template`), never committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import nbformat
from traitlets.config import Config

from .config import CourseError, assignment_ids, check_assignment, load_config
from .nbgrader_calls import generate
from .template import prepare_template

log = logging.getLogger("aeutils.instructor")


def normalize_notebook(path: Path) -> None:
    """Rewrite a released notebook in one canonical form (nbformat's writer, sorted keys).

    Outputs and execution counts are dropped: the release is committed without outputs.
    """
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    text = nbformat.writes(nb) + "\n"
    if path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def release(ids: Iterable[str] | None = None, config: Config | None = None) -> list[Path]:
    """Release the given assignments (default: every folder of ``solutions/``) into assignments/."""
    config = config or load_config()
    wanted = list(ids or []) or assignment_ids(config)
    if not wanted:
        raise CourseError(
            "nothing to release: solutions/ has no assignment folders "
            "(expected solutions/<id>/<id>.ipynb)"
        )
    for aid in wanted:
        check_assignment(config, aid)
    out = []
    for aid in wanted:
        folder = generate(config, aid)
        for nb in sorted(folder.glob("*.ipynb")):
            normalize_notebook(nb)
        out.append(folder)
        log.info("released %s -> %s", aid, folder)
    for aid in wanted:  # the first grading batch copies it instead of generating it again
        prepare_template(config, aid)
    return out
