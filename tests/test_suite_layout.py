"""How `make test` shares the machine between its two pytest-xdist workers (tests/conftest.py)."""

from __future__ import annotations

from xdist_groups import xdist_group


def test_tests_sharing_machine_wide_state_share_a_worker():
    group = xdist_group
    assert group("tests/grading/test_grading_corpus.py::test_case_outcome[x]") == "grading"
    assert group("tests/grading/test_real_assignments.py::test_mutant_loses_only_its_part[a-b]") \
        == "grading"
    assert group("tests/hub/test_hub_class.py::test_a_class_on_a_real_jupyterhub") == "grading"
    assert group("tests/browser/test_browser_lectures.py::test_notebook_runs_in_jupyterlab[00]") \
        == "browser"
    assert group("tests/test_data.py::test_load_digits") is None
