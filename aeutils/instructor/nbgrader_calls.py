"""nbgrader's own commands, called in one place each (a bottom module: it imports only .config).

``release``, the grading template and the grading batch all generate an assignment through
:func:`generate`, so none of them needs another's module for it.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

from traitlets.config import Config

from .config import CourseError, make_api


def generate(config: Config, assignment: str) -> Path:
    """Run nbgrader generate_assignment for one assignment with ``config``; return its folder."""

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        api = make_api(config)
        api.log.setLevel(logging.ERROR)
        api.log.propagate = False
        result = api.generate_assignment(assignment, force=True)
    if not result.get("success"):
        reasons = [ln.strip() for ln in str(result.get("log", "")).splitlines() if "Error:" in ln]
        raise CourseError(
            f"nbgrader could not generate {assignment!r} from {config.CourseDirectory.root}: "
            f"{reasons[-1] if reasons else 'see the log below'}\n"
            "Fix the source notebook (open it in JupyterLab and use Validate), then release again."
            + ("" if reasons else "\n" + str(result.get("log", "")))
        )
    return Path(config.CourseDirectory.root) / config.CourseDirectory.release_directory / assignment
