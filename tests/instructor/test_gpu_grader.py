"""Every solution and every hidden test holds on a GPU grader, simulated on this CPU.

Each assignment's source notebook (the solution and its visible and hidden tests: the nbgrader
markers are comments) runs in a kernel whose first cell turns on the simulated GPU of
``aeutils.grading.trials.on_gpu`` for the whole session: ``aeutils.device()`` is then ``cuda``,
the notebook's models and data live there, training runs in float16 with a GradScaler where a
part asks for mixed precision, and every operation follows CUDA's device rules (a CUDA output
compared with CPU images in a metric raises, as ae3's PSNR part did). No cell may raise.

On a machine with a real GPU the same notebooks run there with `aeutils grade --device cuda`;
this test is the check every CI machine can make.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import REPO
from nbclient import NotebookClient

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1800)]

IDS = sorted(p.name for p in (REPO / "solutions").glob("*")
             if p.is_dir() and (p / f"{p.name}.ipynb").is_file())
# the context manager is kept in a name: dropped, it would be collected and end the block at once
SIMULATE = ("import aeutils.grading.trials as _gd\n"
            "_gpu_block = _gd.on_gpu(simulate=True)\n"
            "_gpu = _gpu_block.__enter__()  # for the whole session\n"
            "import aeutils\n"
            "assert str(aeutils.device()) == 'cuda', aeutils.device()")


@pytest.mark.parametrize("aid", IDS)
def test_solution_and_hidden_tests_hold_on_a_simulated_gpu(aid, tmp_path, monkeypatch):
    monkeypatch.delenv("AEUTILS_DEVICE", raising=False)
    nb = nbformat.read(str(REPO / "solutions" / aid / f"{aid}.ipynb"), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SIMULATE))
    NotebookClient(nb, timeout=900, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    failed = {c.metadata.get("nbgrader", {}).get("grade_id", f"cell {i}"): f"{o['ename']}: {o['evalue'][:300]}"
              for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
              if o.get("output_type") == "error"}
    assert not failed, f"{aid} on a (simulated) GPU grader: {failed}"
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "will train on: cuda" in printed, printed[:2000]
