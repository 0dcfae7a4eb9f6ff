"""Shared fixtures: small data sets loaded once per test session, a deterministic seed per test.

Also how the suite shares a machine between pytest-xdist workers (`make test` runs `-n 2 --dist
loadgroup`), how each lecture is executed once (see `_run_each_lecture_once`) and the class loop
once (see `_run_the_class_loop_once`).
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

import pytest
import torch
from cpu_time import CpuTimePlugin
from lecture_times import LectureTimesPlugin
from spread import SEED
from xdist_groups import xdist_group

import aeutils
from aeutils import data, english, train

if SEED:  # tools/spread.py: every default training seed moves with the tests' own seeds
    train.fit.__kwdefaults__["seed"] = SEED

BROWSER_LECTURE_TEST = "test_notebook_runs_in_jupyterlab"
HEADLESS_LECTURE_TEST = "test_lecture_runs_headless_with_figures_and_widgets"
HUB_CLASS_TEST = "test_a_class_on_a_real_jupyterhub"
EXCHANGE_CLASS_TEST = "test_class_loop_through_the_exchange"


def pytest_configure(config):
    config.pluginmanager.register(CpuTimePlugin(), "aeutils-cpu-time")  # CPU seconds per part
    config.pluginmanager.register(LectureTimesPlugin(), "aeutils-lecture-times")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the node ids
def pytest_collection_modifyitems(config, items):
    for item in items:
        if group := xdist_group(item.nodeid):
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=_grading_worker_order)


#: The real assignments' graded classes (tests/instructor/real_class.py), in the order their tests run
#: on the grading worker: all four classes graded first (the feedback of one class converts while
#: the next one grades), then the Gradescope runs (two at a time), then the feedback checks.
REAL_CLASS_ORDER = ("test_real_assignments.py", "test_gradescope_real.py", "test_feedback_real.py")


def _grading_worker_order(item) -> int:
    """The grading group's order on its worker: first the tests that grade one notebook at a
    time or wait on a Dask cluster (they fill the core the other worker leaves free; run last,
    they left a core idle for a third of the suite's last 15 minutes), then the real JupyterHub
    (its browser steps time out at the suite's busiest start, when the browser suite starts
    JupyterLab and Chromium beside it), then the real assignments' classes (`--jobs 2`, both
    cores busy). A stable sort: nothing else moves."""
    if "real_class" in getattr(item, "fixturenames", ()):
        name = item.path.name
        return 2 + (REAL_CLASS_ORDER.index(name) if name in REAL_CLASS_ORDER else len(REAL_CLASS_ORDER))
    return 1 if item.path.parent.name == "hub" else 0


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup`, with the groups read from the node ids' paths. xdist 3.8 marks a
    group by renaming the node id (`item._nodeid`), which pytest 9.2 ignores (a node id is now
    `item._id`): under it every test was its own unit, and the grading batches and two
    JupyterLab servers ran on both workers at once."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PathGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid) or super()._split_scope(nodeid)

    return PathGroupScheduling(config, log)


def pytest_collection_finish(session):
    _run_each_lecture_once(session.items)
    _run_the_class_loop_once(session.items)


def _run_each_lecture_once(items) -> None:
    """Skip the headless run of a lecture that the browser suite executes in this same run
    (after -m/-k/--deselect: those are applied by now)."""
    if os.environ.get("AEUTILS_SKIP_BROWSER") == "1":
        return
    in_browser = {item.callspec.id for item in items
                  if item.originalname == BROWSER_LECTURE_TEST and hasattr(item, "callspec")}
    skip = pytest.mark.skip(reason="executed once, through JupyterLab, by tests/browser/"
                                   "test_browser_lectures.py, which makes the same checks")
    for item in items:
        if item.originalname == HEADLESS_LECTURE_TEST and item.callspec.id in in_browser:
            item.add_marker(skip)


def _run_the_class_loop_once(items) -> None:
    """Skip the class loop through the exchange alone (tests/instructor/test_class_loop.py) when the
    real-JupyterHub test runs in this same run and can start here: it runs the same loop, with
    the same checks, through the hub."""
    if not any(item.originalname == HUB_CLASS_TEST for item in items):
        return
    sys.path.insert(0, str(Path(__file__).parent / "hub"))
    from hub_ready import why_no_hub

    if why_no_hub() is not None:
        return
    skip = pytest.mark.skip(reason="run once, through a real JupyterHub, by tests/hub/"
                                   "test_hub_class.py, which makes the same checks")
    for item in items:
        if item.originalname == EXCHANGE_CLASS_TEST:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seeded():
    aeutils.seed_everything(SEED)


@pytest.fixture(scope="session")
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    return data.load_digits()


@pytest.fixture(scope="session")
def mnist_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    x, y = data.load_mnist()
    return data.train_test_split(x, y, test_fraction=0.2, seed=0)


@pytest.fixture(scope="session")
def lecture05_model(tmp_path_factory, worker_id) -> aeutils.models.MaskedTokenDenoiser:
    """Lecture 05's masked-token model at the tests' seed, trained from scratch (no cache: the
    training is part of the check) ONCE per run: the science checks and the answers of lectures
    05, 08 and 09 read it. The pytest-xdist workers of one run share the run's folder, so the
    first one trains and saves the weights (under a lock) and the others load them."""
    prose = english.prose_data()
    seed = english.SEED + SEED
    if worker_id == "master":  # not under xdist: the base folder's parent outlives this run
        return english.trained_masked_model(prose, device="cpu", cache=False, seed=seed)
    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, one per xdist run
    weights = shared / f"lecture05_model_seed{seed}.pt"
    with open(shared / "lecture05_model.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not weights.exists():
            model = english.trained_masked_model(prose, device="cpu", cache=False, seed=seed)
            torch.save(model.state_dict(), weights.with_suffix(".tmp"))
            weights.with_suffix(".tmp").replace(weights)
            return model
    aeutils.seed_everything(seed)
    model = english.masked_model(prose, seed=seed)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()


def pytest_report_header(config) -> str:
    """Which sandbox the grading tests run under (AEUTILS_SANDBOX=unshare: the fallback). Here,
    not in tests/instructor/conftest.py: pytest reads that file too late for a plain `pytest`."""
    from aeutils.instructor.sandbox import isolation_summary, sandbox_tool

    tool = sandbox_tool()
    return "grading kernels: " + isolation_summary(tool is not None, tool)
