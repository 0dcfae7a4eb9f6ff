"""How `make test` shares the machine between its pytest-xdist workers (`-n 2 --dist loadgroup`).

Two rules, both read from the node ids (tests/conftest.py applies them):

* **Groups**: tests that must run on one worker, one after the other. The browser suite (one
  JupyterLab server and one Chromium per worker session); each file of tests/grading/ and
  tests/hub/ (their module and session fixtures grade whole batches: built twice they would cost
  twice); the real assignments' tests per assignment (one batch each: solution, release and every
  mutant). Grading batches of different groups may run at once: each claims its own sandbox
  slots (`aeutils.instructor.lock.claim_slots`), and the checks for processes left behind look
  only at their own course's batch (tests/grading/conftest.py `sandbox_processes(course)`).
* **Order**: the longest units start first (longest-processing-time-first scheduling), so that
  no long unit starts last while the other worker idles. `SECONDS` holds the units that took
  20 s or more in a two-worker CI run (measured; only the order depends on it, a stale number
  makes the run slower, never wrong); every other unit counts as one second.
"""

from __future__ import annotations

import re

#: node-id prefix -> group; a prefix ending in "/" groups each file below it on its own
XDIST_GROUPS = (("tests/browser/", "browser"), ("tests/grading/", None), ("tests/hub/", None))
_REAL = "tests/grading/test_real_assignments.py::"

#: measured seconds of the long units (group name, or node id for a test in no group)
SECONDS = {
    "browser": 540,
    "grading:real:ae2_sparse": 260,
    "grading:real:ae1_bottleneck": 200,
    "grading:real:ae3_denoising": 196,
    "grading:test_grading_dask.py": 164,
    "grading:test_grading_corpus.py": 152,
    "grading:real:ae4_vae": 111,
    "tests/test_try_this_02_07.py::test_07_wider_codes": 106,
    "grading:test_grading_parallel.py": 95,
    "grading:test_class_loop.py": 79,
    "grading:test_hub_class.py": 69,
    "grading:test_batches.py": 57,
    "grading:test_regrade_manual.py": 47,
    "tests/test_science.py::test_masked_model_beats_the_best_fixed_guess_on_held_out_words_twice": 30,
    "tests/test_try_this_05_08.py::test_05_no_neighbours": 30,
    "tests/test_try_this_05_08.py::test_05_test_rate": 30,
    "tests/test_try_this.py::test_03_mnist": 28,
    "grading:test_preflight.py": 23,
}


def xdist_group(nodeid: str) -> str | None:
    """The group of a test (None: a unit of its own, on whichever worker is free)."""
    if nodeid.startswith(_REAL):
        aid = re.match(r"[^\[]*\[([^\]-]+)", nodeid)
        return f"grading:real:{aid.group(1)}" if aid else "grading:real"
    for prefix, group in XDIST_GROUPS:
        if nodeid.startswith(prefix):
            return group or "grading:" + nodeid[len(prefix):].split("::")[0]
    return None


def expected_seconds(nodeid: str) -> float:
    """How long the test's unit (its group, or itself) is expected to take: the order of the run."""
    return SECONDS.get(xdist_group(nodeid) or nodeid, 1.0)
