"""The instructor command line on the fixture course: release, validation, clear errors."""

from __future__ import annotations

import shutil

import grading_corpus as corpus
import nbformat
import pytest
from conftest import FIXTURE_COURSE, tree_digest

from aeutils.cli import build_parser, main
from aeutils.instructor.config import load_config

pytestmark = pytest.mark.grading


def _validate(config, path):
    from nbgrader.validator import Validator

    return Validator(config=config).validate(str(path))


def test_release_is_byte_identical_when_repeated(fixture_course, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(fixture_course, course)
    first = tree_digest(course / "assignments")
    assert main(["--course", str(course), "release", corpus.ASSIGNMENT]) == 0
    assert tree_digest(course / "assignments") == first
    # and it really regenerates: a changed source changes the release
    src = course / "solutions" / corpus.ASSIGNMENT / corpus.NB
    src.write_text(src.read_text().replace("Two small functions", "Two tiny functions"))
    assert main(["--course", str(course), "release"]) == 0
    assert tree_digest(course / "assignments") != first


def test_release_has_no_solution_or_hidden_test(fixture_course):
    text = (fixture_course / "assignments" / corpus.ASSIGNMENT / corpus.NB).read_text()
    for needle in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "return a + b", "sum(xs) / len(xs)",
                   *corpus.HIDDEN_MARKERS, "It cannot copy the input"):
        assert needle not in text
    assert "check_close(add(2, 3), 5" in text  # the visible test is there


def test_validator_passes_source_and_fails_release(fixture_course):
    config = load_config(fixture_course)
    good = _validate(config, fixture_course / "solutions" / corpus.ASSIGNMENT / corpus.NB)
    assert not good.get("failed") and not good.get("changed"), good
    bad = _validate(config, fixture_course / "assignments" / corpus.ASSIGNMENT / corpus.NB)
    assert bad.get("failed"), bad


def _run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_unknown_assignment_is_a_clear_error(fixture_course, capsys):
    code, err = _run(capsys, "--course", str(fixture_course), "release", "nope")
    assert code == 2
    assert "unknown assignment 'nope'" in err and corpus.ASSIGNMENT in err


def test_missing_submissions_folder_is_a_clear_error(fixture_course, tmp_path, capsys):
    code, err = _run(capsys, "--course", str(fixture_course), "grade", str(tmp_path / "none"))
    assert code == 2
    assert "does not exist" in err and "<student>/<assignment>" in err


def test_feedback_before_grading_is_a_clear_error(fixture_course, tmp_path, capsys):
    course = tmp_path / "c"
    shutil.copytree(fixture_course, course)
    code, err = _run(capsys, "--course", str(course), "feedback", corpus.ASSIGNMENT)
    assert code == 2 and "aeutils grade" in err


def test_no_course_found(tmp_path, capsys):
    code, err = _run(capsys, "--course", str(tmp_path), "release")
    assert code == 2 and "nbgrader_config.py" in err


def test_parser_knows_every_command():
    parser = build_parser()
    for argv in (["release"], ["grade", "x", "--jobs", "2", "--force"], ["feedback"],
                 ["course", "--out", "build"], ["doctor"]):
        args, _ = parser.parse_known_args(argv)
        assert args.command == argv[0]


def test_fixture_config_is_the_real_layout():
    config = load_config(FIXTURE_COURSE)
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "assignments"
    real = load_config(FIXTURE_COURSE.parents[3])
    assert real.CourseDirectory.source_directory == "solutions"
    assert real.OverwriteCells.add_missing_cells is True
    assert real.Execute.timeout >= 300
    nb = nbformat.read(str(FIXTURE_COURSE / "solutions" / corpus.ASSIGNMENT / corpus.NB), 4)
    assert not any(c.get("outputs") for c in nb.cells)
