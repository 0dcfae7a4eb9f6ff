"""Load a repository script that is not a package module (tools/*.py, book/build.py) by its path,
for the tests of that script."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


def load(relative_path: str, name: str) -> ModuleType:
    """The module at ``REPO / relative_path``, registered as ``name`` (dataclasses look their
    module up in sys.modules)."""
    spec = importlib.util.spec_from_file_location(name, REPO / relative_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
