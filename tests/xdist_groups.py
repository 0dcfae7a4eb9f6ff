"""Which tests must share a pytest-xdist worker (`make test` runs `-n 2 --dist loadgroup`)."""

from __future__ import annotations

#: Tests that share machine-wide state run in one xdist group, i.e. one after the other on one
#: worker: every grading batch (sandbox uids 61000+slot, the `claim_slots` lock, and tests that
#: assert no sandbox process is left anywhere) and the hub (it grades too); the browser suite (one
#: JupyterLab server and one Chromium per worker session).
XDIST_GROUPS = (("tests/grading/", "grading"), ("tests/hub/", "grading"), ("tests/browser/", "browser"))


def xdist_group(nodeid: str) -> str | None:
    return next((group for prefix, group in XDIST_GROUPS if nodeid.startswith(prefix)), None)
