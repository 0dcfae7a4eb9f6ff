"""tools/spread.py reads what an executed lecture printed: one numbering of a cell's lines,
however the kernel split its prints into stream outputs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from nbformat.v4 import new_code_cell, new_output

_PATH = Path(__file__).resolve().parents[2] / "tools" / "spread.py"
_SPEC = importlib.util.spec_from_file_location("spread_tool", _PATH)
spread_tool = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("spread_tool", spread_tool)   # its dataclasses look their module up
_SPEC.loader.exec_module(spread_tool)


def test_a_cells_lines_are_numbered_the_same_however_its_prints_were_split():
    whole = new_code_cell("", outputs=[new_output("stream", name="stdout", text="a 1\nb 2.5\nc 3\n")])
    split = new_code_cell("", outputs=[new_output("stream", name="stdout", text="a 1\n"),
                                       new_output("stream", name="stdout", text="b 2.5\nc 3\n")])
    failed = new_code_cell("", outputs=[new_output("error", ename="AssertionError", evalue="x",
                                                   traceback=[])])
    first, _ = spread_tool.printed_numbers("lec", [whole])
    second, errors = spread_tool.printed_numbers("lec", [split, failed])
    assert first == second == {"lec[0] line 1: a 1": [1.0], "lec[0] line 2: b 2.5": [2.5],
                               "lec[0] line 3: c 3": [3.0]}
    assert errors == ["cell 1: AssertionError: x"]
