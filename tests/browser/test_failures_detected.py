"""The suite can fail: a notebook with an exception in it must be reported as broken."""

from __future__ import annotations

import nbformat
import pytest
from jlab import FIXTURE_DIR_NAME, run_notebook

INJECTED = 'raise RuntimeError("injected")'


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_injected_error_is_reported(lab, lab_server):
    source = lab_server["root"] / FIXTURE_DIR_NAME / "widgets_demo.ipynb"
    nb = nbformat.read(source, as_version=4)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(first_code + 2, nbformat.v4.new_code_cell(INJECTED))
    broken = source.with_name("injected_error.ipynb")
    nbformat.write(nb, broken)

    report = run_notebook(lab, f"{FIXTURE_DIR_NAME}/{broken.name}")

    assert report.errors == [f"cell {first_code + 2}: RuntimeError: injected"], report
    assert any("RuntimeError: injected" in p for p in report.problems), report.problems
    # Run All stops at the error: the cells after it never ran, and that is reported too.
    assert any("without an execution count" in p for p in report.problems), report.problems
    # What the student sees: the traceback is in the page.
    traceback = lab.page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
        has_text="RuntimeError")
    assert traceback.count() == 1
    assert "injected" in traceback.inner_text()
