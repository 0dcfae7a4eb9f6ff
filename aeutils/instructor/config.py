"""Find the course root and load its ``nbgrader_config.py`` the way nbgrader's apps would."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from traitlets import Integer
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

from .launcher import MAX_OUTPUT_CHARS, KernelLimits

CONFIG_NAME = "nbgrader_config.py"


class CourseError(Exception):
    """A problem an instructor can fix (missing folder, unknown assignment, ...)."""


class GradingLimits(Configurable):
    """Limits on the kernel that runs one student's submission (``c.GradingLimits`` in config)."""

    submission_timeout = Integer(900, help="Wall-clock seconds for one whole submission.").tag(
        config=True
    )
    memory_mb = Integer(
        KernelLimits.memory_mb, help="Address-space limit (RLIMIT_AS) of the kernel, MiB."
    ).tag(config=True)
    max_processes = Integer(
        KernelLimits.max_processes,
        help="Processes and threads the sandbox user may have (RLIMIT_NPROC).",
    ).tag(config=True)
    max_file_mb = Integer(
        KernelLimits.max_file_mb, help="Largest file the kernel may write (RLIMIT_FSIZE), MiB."
    ).tag(config=True)
    workdir_mb = Integer(
        KernelLimits.workdir_mb, help="Size of the kernel's in-memory working folder, MiB."
    ).tag(config=True)
    max_output_chars = Integer(
        MAX_OUTPUT_CHARS, help="Output kept per cell while executing; the rest is dropped with a note."
    ).tag(config=True)
    cpu_seconds = Integer(
        KernelLimits.cpu_seconds, help="CPU seconds of the kernel (RLIMIT_CPU)."
    ).tag(config=True)


def find_course_root(start: str | os.PathLike[str] | None = None) -> Path:
    """Return the nearest folder at or above ``start`` (default: cwd) holding nbgrader_config.py."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise CourseError(
        f"no {CONFIG_NAME} found in {here} or any folder above it: run aeutils from the course "
        f"repository (the folder with {CONFIG_NAME}), or pass --course PATH"
    )


def load_config(root: str | os.PathLike[str] | None = None) -> Config:
    """Load ``<root>/nbgrader_config.py`` and point nbgrader's course root at ``root``.

    ``NbGraderAPI`` does not read the file by itself, so every instructor command goes through here.
    """
    course = find_course_root(root)
    loader = PyFileConfigLoader(CONFIG_NAME, path=str(course))
    config = loader.load_config()
    config.CourseDirectory.root = str(course)
    return config


def course_root(config: Config) -> Path:
    """The course root a loaded config points at."""
    return Path(config.CourseDirectory.root)


def source_dir(config: Config) -> Path:
    """``solutions/`` (nbgrader's source directory) of the course."""
    return course_root(config) / config.CourseDirectory.get("source_directory", "source")


def release_dir(config: Config) -> Path:
    """``assignments/`` (nbgrader's release directory) of the course."""
    return course_root(config) / config.CourseDirectory.get("release_directory", "release")


def limits(config: Config) -> GradingLimits:
    """The grading limits configured under ``c.GradingLimits``."""
    return GradingLimits(config=config)


def sandbox_limits(grading_limits: GradingLimits) -> KernelLimits:
    """The kernel's limits as ``c.GradingLimits`` configures them."""
    return KernelLimits(**{f.name: getattr(grading_limits, f.name) for f in fields(KernelLimits)})


def assignment_ids(config: Config) -> list[str]:
    """Every assignment: each folder of ``solutions/`` holding at least one notebook, sorted."""
    src = source_dir(config)
    if not src.is_dir():
        return []
    return sorted(
        p.name for p in src.iterdir() if p.is_dir() and not p.name.startswith(".")
        and any(p.glob("*.ipynb"))
    )


def check_assignment(config: Config, assignment: str) -> None:
    """Raise :class:`CourseError` unless ``assignment`` is a folder of ``solutions/``."""
    known = assignment_ids(config)
    if assignment not in known:
        raise CourseError(
            f"unknown assignment {assignment!r}: expected one of {', '.join(known) or '(none)'} "
            f"(the folders of {source_dir(config)} that hold a notebook)"
        )


def make_api(config: Config) -> Any:
    """``NbGraderAPI(config=config)`` without its complaint about the (unused) exchange folder."""
    import logging

    from nbgrader.apps import NbGraderAPI

    quiet = [logging.getLogger(n) for n in ("traitlets", "NbGraderAPI")]
    before = [lg.disabled for lg in quiet]
    for lg in quiet:
        lg.disabled = True
    try:
        return NbGraderAPI(config=config)
    finally:
        for lg, was in zip(quiet, before):
            lg.disabled = was
