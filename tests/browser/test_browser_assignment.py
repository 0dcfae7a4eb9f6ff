"""A released nbgrader assignment in JupyterLab: the Validate button is there and locked cells
cannot be deleted."""

from __future__ import annotations

import pytest
from jlab import FIXTURE_DIR_NAME, NOTEBOOK, PANEL, REPO


def _assignment() -> str:
    """The first released assignment; the fixture release until the course has one."""
    released = sorted((REPO / "assignments").glob("*/*.ipynb"))
    released = [p for p in released if ".ipynb_checkpoints" not in p.parts]
    if released:
        return released[0].relative_to(REPO).as_posix()
    return f"{FIXTURE_DIR_NAME}/assignments/fx_browser/fx_browser.ipynb"


ASSIGNMENT = _assignment()
CELLS = f"{NOTEBOOK} .jp-Cell"


def _cells(lab) -> list[dict]:
    summary = lab.model_summary(ASSIGNMENT)
    return [{"index": c["index"], "source": c["source"],
             "nbgrader": c["metadata"].get("nbgrader", {}),
             "deletable": c["metadata"].get("deletable", True)} for c in summary]


def _select(lab, index: int) -> None:
    """Select cell ``index`` in command mode, as a click on its prompt and Escape do."""
    cell = lab.page.locator(CELLS).nth(index)
    cell.locator(".jp-InputPrompt").click()
    lab.page.keyboard.press("Escape")
    lab.page.wait_for_function(
        "([sel, i]) => document.querySelectorAll(sel)[i].classList.contains('jp-mod-active')",
        arg=[CELLS, index], timeout=10_000)


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_released_assignment_in_jupyterlab(lab):
    lab.open_notebook(ASSIGNMENT)

    validate = lab.page.locator(f"{PANEL} .jp-NotebookPanel-toolbar .validate-button")
    validate.wait_for(state="visible", timeout=30_000)
    assert validate.inner_text().strip() == "Validate"

    cells = _cells(lab)
    locked = [c for c in cells if c["nbgrader"].get("locked") or c["nbgrader"].get("grade")]
    assert locked, f"{ASSIGNMENT} has no locked (nbgrader) cell"
    target = next((c for c in locked if c["nbgrader"].get("grade")), locked[0])
    assert lab.page.locator(CELLS).count() == len(cells)

    # Control: in this page `dd` does delete a deletable cell (a new one, inserted with `b`).
    _select(lab, target["index"])
    lab.page.keyboard.press("b")
    lab.page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length === n",
                               arg=[CELLS, len(cells) + 1], timeout=10_000)
    _select(lab, target["index"] + 1)
    lab.page.keyboard.press("d")
    lab.page.keyboard.press("d")
    lab.page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length === n",
                               arg=[CELLS, len(cells)], timeout=10_000)

    # The locked cell survives `dd`, `x` (cut) and Edit > Delete Cell.
    for keys in (["d", "d"], ["x"]):
        _select(lab, target["index"])
        for key in keys:
            lab.page.keyboard.press(key)
        lab.page.wait_for_timeout(500)
    _select(lab, target["index"])
    enabled = lab.menu("Edit", "Delete Cell")
    lab.page.wait_for_timeout(500)
    print(f"{ASSIGNMENT}: locked cell {target['index']} ({target['nbgrader'].get('grade_id')}); "
          f"Edit > Delete Cell {'enabled' if enabled else 'disabled'} for it")

    after = _cells(lab)
    assert len(after) == len(cells), f"cells {len(cells)} -> {len(after)}"
    assert after[target["index"]]["nbgrader"].get("grade_id") == target["nbgrader"].get("grade_id")
    assert after[target["index"]]["source"] == target["source"]
    assert lab.page.locator(CELLS).count() == len(cells)
