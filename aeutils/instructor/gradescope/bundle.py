"""``aeutils gradescope ID``: the autograder zip that Gradescope builds its grading image from.

Gradescope's autograder specification: the zip holds ``setup.sh`` (run once, as root, when the
image is built) and ``run_autograder`` (run once per submission, with the student's files in
``/autograder/submission``; it must write ``/autograder/results/results.json``). The zip's content
lands in ``/autograder/source``. This zip holds::

    setup.sh            Python 3.11+, bubblewrap, the CPU build of torch and the course package
                        into /opt/aeutils/venv (readable by the sandbox's user)
    run_autograder      python -m aeutils.instructor.gradescope.runner (:mod:`.runner`)
    course/             nbgrader_config.py, solutions/<ID>/ (the hidden tests), assignments/<ID>/
                        (the release) and gradescope.json (:class:`Manifest`)
    package/            the aeutils package with its pyproject.toml, as setup.sh installs it

So a Gradescope submission is graded by the same code, with the same hidden tests and limits, as
``aeutils grade`` grades it on the course's machine.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from traitlets.config import Config

from ..config import (
    CONFIG_NAME,
    CourseError,
    check_assignment,
    course_root,
    release_dir,
    source_dir,
)

MANIFEST = "gradescope.json"
VENV = "/opt/aeutils/venv"
#: What of the package checkout goes into the zip (pyproject.toml names README.md and LICENSE).
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE")
_SKIP = ("__pycache__", ".ipynb_checkpoints")


@dataclass(frozen=True)
class Manifest:
    """What the zip grades: ``course/gradescope.json``."""

    assignment: str
    notebooks: list[str]  # file names of the assignment's notebooks, e.g. ["ae1_bottleneck.ipynb"]
    aeutils_version: str
    torch_version: str  # the CPU build setup.sh installs

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (docs/gradescope.md).
# Written by `aeutils gradescope {assignment}`.
set -euo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# bubblewrap: the grading sandbox (without it, util-linux's unshare, or no isolation at all)
apt-get install -y --no-install-recommends bubblewrap ca-certificates python3-venv
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    # the course needs Python 3.11+; Ubuntu 22.04 images have 3.10
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends python3.12 python3.12-venv
    PYTHON=python3.12
fi
umask 022  # the sandbox's user must be able to read the environment
"$PYTHON" -m venv {venv}
{venv}/bin/python -m pip install --upgrade pip
# the CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build
{venv}/bin/python -m pip install "torch=={torch}" --index-url https://download.pytorch.org/whl/cpu
{venv}/bin/python -m pip install "$SOURCE/package"
{venv}/bin/python -c "import aeutils, nbgrader; print('aeutils', aeutils.__version__)"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission (docs/gradescope.md): it grades the notebook in
# $ROOT/submission with the hidden tests of {assignment}, isolated as far as the container allows,
# and writes $ROOT/results/results.json. Written by `aeutils gradescope {assignment}`.
set -euo pipefail
ROOT="${{AEUTILS_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AEUTILS_AUTOGRADER_PYTHON:-{venv}/bin/python}}"
export PATH="$(dirname "$PYTHON"):$PATH"  # nbgrader runs alembic from there
exec "$PYTHON" -m aeutils.instructor.gradescope.runner --root "$ROOT"
"""


def package_root() -> Path:
    """The checkout of the ``aeutils`` package (the folder with its pyproject.toml)."""
    import aeutils

    root = Path(aeutils.__file__).resolve().parent.parent
    missing = [name for name in PACKAGE_FILES if not (root / name).is_file()]
    if missing:
        raise CourseError(
            f"aeutils gradescope packs the course package from its checkout, but {root} has no "
            f"{', '.join(missing)}: run it from the course repository's environment "
            "(`make setup` installs it editable)")
    return root


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not any(s in p.parts for s in _SKIP))


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def write_autograder(config: Config, assignment: str, out: Path | None = None) -> Path:
    """Write the Gradescope autograder zip of ``assignment``; return its path.

    Default path: ``<course>/gradescope/<ID>-autograder.zip``. The release
    (``assignments/<ID>/``, made by ``aeutils release``) must exist: results tell what is hidden
    from what the release shows.
    """
    import torch

    import aeutils

    check_assignment(config, assignment)
    root = course_root(config)
    solutions = source_dir(config) / assignment
    release = release_dir(config) / assignment
    notebooks = sorted(p.name for p in release.glob("*.ipynb")) if release.is_dir() else []
    if not notebooks:
        raise CourseError(f"no release of {assignment!r} in {release}: run `aeutils release "
                          f"{assignment}` first (the autograder needs the students' version)")
    package = package_root()
    out = Path(out or root / "gradescope" / f"{assignment}-autograder.zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(assignment=assignment, notebooks=notebooks,
                        aeutils_version=aeutils.__version__,
                        torch_version=torch.__version__.split("+")[0])
    fill = {"assignment": assignment, "venv": VENV, "torch": manifest.torch_version}
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.format(**fill).encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.format(**fill).encode(), executable=True)
        _add(zf, f"course/{MANIFEST}",
             (json.dumps(asdict(manifest), indent=1) + "\n").encode())
        _add(zf, f"course/{CONFIG_NAME}", (root / CONFIG_NAME).read_bytes())
        for folder, name in ((solutions, "solutions"), (release, "assignments")):
            for path in _files(folder):
                _add(zf, f"course/{name}/{assignment}/{path.relative_to(folder).as_posix()}",
                     path.read_bytes())
        for name in PACKAGE_FILES:
            _add(zf, f"package/{name}", (package / name).read_bytes())
        for path in _files(package / "aeutils"):
            if path.suffix != ".pyc":
                _add(zf, f"package/{path.relative_to(package).as_posix()}", path.read_bytes())
    os.replace(tmp, out)
    return out
