"""How `make test` shares the machine between its pytest-xdist workers (tests/xdist_groups.py)."""

from __future__ import annotations

from pathlib import Path

from xdist_groups import SECONDS, expected_seconds, xdist_group

REPO_ROOT = Path(__file__).resolve().parent.parent

REAL = "tests/grading/test_real_assignments.py::"


def test_tests_sharing_fixtures_or_a_server_share_a_worker():
    group = xdist_group
    assert group("tests/grading/test_grading_corpus.py::test_case_outcome[x]") \
        == group("tests/grading/test_grading_corpus.py::test_no_process_survives_the_batch") \
        == "grading:test_grading_corpus.py"
    assert group("tests/hub/test_hub_class.py::test_a_class_on_a_real_jupyterhub") \
        == "grading:test_hub_class.py"
    assert group("tests/browser/test_browser_lectures.py::test_notebook_runs_in_jupyterlab[00]") \
        == group("tests/browser/test_browser_assignment.py::test_x") == "browser"
    assert group("tests/test_data.py::test_load_digits") is None


def test_each_real_assignment_is_one_group_of_its_own():
    mutant = group_of = xdist_group
    assert mutant(REAL + "test_mutant_loses_only_its_part[ae1_bottleneck-pca_handoff]") \
        == group_of(REAL + "test_solution_full_points_and_release_zero[ae1_bottleneck]") \
        == "grading:real:ae1_bottleneck"
    assert group_of(REAL + "test_enough_mutants_are_caught[ae4_vae]") == "grading:real:ae4_vae"
    assert group_of(REAL + "test_every_assignment_has_mutants") == "grading:real"


def test_the_order_names_real_units_and_starts_the_longest():
    assert expected_seconds("tests/browser/test_browser_lectures.py::x[01]") == SECONDS["browser"]
    assert expected_seconds("tests/test_data.py::test_load_digits") == 1.0
    assert max(SECONDS, key=SECONDS.get) == "browser"
    for unit in SECONDS:  # every name is a group or a test that exists
        if unit.startswith("grading:real:"):
            assert (REPO_ROOT / "solutions" / unit.split(":")[-1]).is_dir(), unit
        elif unit.startswith("grading:"):
            assert any((REPO_ROOT / "tests" / d / unit.split(":")[1]).is_file()
                       for d in ("grading", "hub")), unit
        elif unit != "browser":
            path, name = unit.split("::")
            assert f"def {name}(" in (REPO_ROOT / path).read_text(), unit
