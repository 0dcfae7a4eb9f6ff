"""The grading template's cache (aeutils.instructor.template): reused only for the same sources."""

from __future__ import annotations

import datetime

import grading_corpus as corpus
import nbformat
import pytest
from conftest import released_course

from aeutils.instructor import template
from aeutils.instructor.config import load_config

AID, NB = corpus.ASSIGNMENT, corpus.NB


@pytest.fixture
def course(tmp_path):
    return released_course(tmp_path / "course")


def _cached(course) -> list[str]:
    folder = course / template.CACHE_DIR
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _no_generation(*args, **kwargs):
    raise AssertionError("the template was generated again although the cache had it")


def test_release_leaves_the_template_and_a_batch_copies_it(course, tmp_path, monkeypatch):
    config = load_config(str(course))
    assert _cached(course) == [template.template_key(config, [AID])]
    monkeypatch.setattr(template, "_generate", _no_generation)
    tpl = template.build_template(config, [AID], tmp_path / "batch")
    released = nbformat.read(str(course / "assignments" / AID / NB), as_version=4)
    copied = nbformat.read(str(tpl / "release" / AID / NB), as_version=4)
    assert [c.source for c in copied.cells] == [c.source for c in released.cells]
    assert (tpl / "gradebook.db").is_file() and (tpl / "extras" / AID).is_dir()


def test_a_changed_solution_is_generated_again(course, tmp_path):
    config = load_config(str(course))
    solution = course / "solutions" / AID / NB
    nb = nbformat.read(str(solution), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A note added after the release."))
    nbformat.write(nb, str(solution))
    tpl = template.build_template(config, [AID], tmp_path / "batch")
    assert len(_cached(course)) == 2
    assert "A note added after the release." in (tpl / "release" / AID / NB).read_text()


def test_due_dates_come_from_the_course_not_from_the_cache(course, tmp_path):
    from nbgrader.api import Gradebook

    config = load_config(str(course))
    for n, due in enumerate([datetime.datetime(2026, 12, 8, 17), datetime.datetime(2026, 12, 15, 9)]):
        with Gradebook(config.CourseDirectory.db_url) as gb:
            gb.update_or_create_assignment(AID, duedate=due)
        tpl = template.build_template(config, [AID], tmp_path / f"batch{n}")
        with Gradebook("sqlite:///" + str(tpl / "gradebook.db")) as gb:
            assert gb.find_assignment(AID).duedate == due
    assert len(_cached(course)) == 1  # both batches copied the one the release left


def test_an_unreadable_cache_entry_is_generated_again(course, tmp_path):
    config = load_config(str(course))
    cached = course / template.CACHE_DIR / template.template_key(config, [AID])
    (cached / "dangling").symlink_to(tmp_path / "nowhere")  # copytree cannot follow it
    tpl = template.build_template(config, [AID], tmp_path / "batch")
    assert (tpl / "release" / AID / NB).is_file() and not (tpl / "dangling").exists()
