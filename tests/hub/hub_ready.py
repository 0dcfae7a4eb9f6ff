"""Whether this machine can run the real-JupyterHub test (tests/hub/test_hub_class.py)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
CHP = REPO / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


def why_no_hub() -> str | None:
    """None when the hub test can start, else what it lacks and how to get it."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        return "needs root and useradd: the test creates local users for the hub"
    if not CHP.exists():
        return f"{CHP} missing: run tools/install_hub.sh (npm install configurable-http-proxy)"
    if shutil.which("jupyterhub", path=str(BIN)) is None:
        return "jupyterhub is not installed in this environment (pip install -e '.[dev]')"
    return None
