"""Which tests must share a pytest-xdist worker (`make test` runs `-n 2 --dist loadgroup`)."""

from __future__ import annotations

#: Tests that run in one xdist group, i.e. one after the other on one worker: every grading batch
#: and the hub (it grades too), because a batch grades with two jobs and two batches at once only
#: oversubscribe the two cores (measured: the suite is CPU-bound, 95% of both cores busy; with
#: one group per grading file it took 26 min instead of 24.5). Batches *could* share the machine:
#: each claims its own sandbox slots, and the checks for processes left behind look only at their
#: own course (tests/instructor/conftest.py `sandbox_processes(course)`). The browser suite: one
#: JupyterLab server and one Chromium per worker session.
XDIST_GROUPS = (("tests/instructor/", "grading"), ("tests/hub/", "grading"), ("tests/browser/", "browser"))


def xdist_group(nodeid: str) -> str | None:
    return next((group for prefix, group in XDIST_GROUPS if nodeid.startswith(prefix)), None)
