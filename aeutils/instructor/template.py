"""The grading *template* of a batch, and its cache.

A template is a private course with a fresh gradebook and nbgrader's release of each assignment
(``gradebook.db``, ``release/<id>/``, ``extras/<id>/``: the release's data files), generated from
``solutions/``; the workers grade every submission against it. Generating it costs 3-4 CPU
seconds per batch (nbgrader's imports, its database, its preprocessors), as much as a small
notebook's run, so it is kept in the course's ``.grading/templates/`` under a key of everything it
depends on (nbgrader's and aeutils's versions, the course's configuration, the bytes of
each ``solutions/<id>/``): a later batch with the same sources copies it instead, and
``aeutils release`` leaves one ready for the first batch. Due dates are not part of it: they are
copied from the course's gradebook into every batch's copy (an instructor may change them).
"""

from __future__ import annotations

import copy
import hashlib
import os
import pprint
import shutil
import tempfile
from pathlib import Path

from traitlets.config import Config

from .config import CONFIG_NAME, course_root, source_dir
from .nbgrader_calls import generate

#: The course folder that holds the cached templates (inside the grader-only ``.grading``).
CACHE_DIR = Path(".grading") / "templates"
#: Templates kept per course (the most recently used); older ones are deleted.
KEEP = 8
#: What a template holds, relative to its folder (``{aid}`` for each assignment).
_PARTS = ("gradebook.db", "release/{aid}", "extras/{aid}")


def folder_hash(folder: Path) -> str:
    """SHA-256 over the relative paths and bytes of every file in ``folder`` (sorted)."""
    h = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                h.update(str(path.relative_to(folder)).encode() + b"\0")
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def template_key(config: Config, assignments: list[str]) -> str:
    """What a template depends on, hashed: tools' versions, the course's config (file and loaded
    settings), the solutions' bytes."""
    import nbgrader

    import aeutils

    h = hashlib.sha256(f"nbgrader {nbgrader.__version__}\0aeutils {aeutils.__version__}\0".encode())
    config_file = course_root(config) / CONFIG_NAME
    h.update(config_file.read_bytes() if config_file.is_file() else b"")
    # and the settings as loaded (a command-line or user-level setting changes nothing on disk);
    # not where the exchange is, which differs between the instructor's and the grader's shells
    settings = {k: dict(v) for k, v in config.items() if not k.startswith("Exchange")}
    h.update(pprint.pformat(settings, width=10_000).encode())
    for aid in sorted(assignments):
        h.update(f"\0{aid}\0{folder_hash(source_dir(config) / aid)}".encode())
    return h.hexdigest()[:32]


def cache_entry(config: Config, assignments: list[str]) -> Path:
    """Where the template of ``assignments`` is kept: ``<course>/.grading/templates/<key>``."""
    return course_root(config) / CACHE_DIR / template_key(config, assignments)


def build_template(config: Config, assignments: list[str], base: Path) -> Path:
    """``base/template``: the template of ``assignments``, from the cache when it has it."""
    from .late import copy_due_dates

    tpl = base / "template"
    cached = cache_entry(config, assignments)
    if not _copy_cached(cached, tpl):
        _generate(config, assignments, tpl)
        _store(tpl, cached, assignments)
    copy_due_dates(config.CourseDirectory.db_url, "sqlite:///" + str(tpl / "gradebook.db"),
                   assignments)
    return tpl


def _copy_cached(cached: Path, tpl: Path) -> bool:
    """Copy the cached template to ``tpl``; False when there is none or it cannot be read (e.g.
    another user released the course), and then nothing is left at ``tpl``."""
    if not cached.is_dir():
        return False
    try:
        shutil.copytree(cached, tpl)
        os.utime(cached)  # recently used: kept by _prune
        return True
    except OSError:
        shutil.rmtree(tpl, ignore_errors=True)
        return False


def prepare_template(config: Config, assignment: str) -> None:
    """Cache the one-assignment template now (``aeutils release`` calls it for each assignment)."""
    cached = cache_entry(config, [assignment])
    if cached.is_dir():
        return
    with tempfile.TemporaryDirectory(prefix="aeutils-template-") as scratch:
        tpl = Path(scratch) / "template"
        _generate(config, [assignment], tpl)
        _store(tpl, cached, [assignment])


def _generate(config: Config, assignments: list[str], tpl: Path) -> None:
    for aid in assignments:
        shutil.copytree(source_dir(config) / aid, tpl / "solutions" / aid,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    cfg = copy.deepcopy(config)
    cfg.CourseDirectory.root = str(tpl)
    cfg.CourseDirectory.source_directory = "solutions"
    cfg.CourseDirectory.release_directory = "release"
    cfg.CourseDirectory.db_url = "sqlite:///" + str(tpl / "gradebook.db")
    for aid in assignments:
        generate(cfg, aid)
        shutil.copytree(tpl / "release" / aid, tpl / "extras" / aid,
                        ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))


def _store(tpl: Path, cached: Path, assignments: list[str]) -> None:
    """Copy the template's parts into the cache, atomically (a half-written one never counts)."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{cached.name}-", dir=cached.parent))
    except OSError:  # a read-only course: grade without a cache
        return
    try:
        for aid in assignments:
            for part in _PARTS:
                src, dst = tpl / part.format(aid=aid), staging / part.format(aid=aid)
                if src.is_dir():
                    shutil.copytree(src, dst, dirs_exist_ok=True)
                elif not dst.exists():
                    shutil.copyfile(src, dst)
        os.chmod(staging, 0o700)
        os.rename(staging, cached)
    except OSError:  # another batch stored the same one first, or the course is read-only
        shutil.rmtree(staging, ignore_errors=True)
    _prune(cached.parent)


def _prune(cache: Path) -> None:
    """Delete all but the :data:`KEEP` most recently used templates."""
    kept = sorted((p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
