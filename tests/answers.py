"""Read the numbers a lecture's "Try this" answer states, so tests check the text itself.

An answer is a markdown cell holding ``<!-- answer: KEY -->`` inside a ``<details>`` block;
its numbers are the bold ``**...**`` spans, in order ('%' and thousands commas stripped).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_NUMBER = re.compile(r"[-+−]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")


def answer_cell(notebook_path: str | Path, key: str) -> str:
    """The markdown source of the answer cell tagged ``<!-- answer: key -->`` (exactly one)."""
    cells = json.loads(Path(notebook_path).read_text(encoding="utf-8"))["cells"]
    tag = re.compile(rf"<!--\s*answer:\s*{re.escape(key)}\s*-->")
    found = ["".join(c["source"]) for c in cells
             if c["cell_type"] == "markdown" and tag.search("".join(c["source"]))]
    if len(found) != 1:
        raise KeyError(f"{notebook_path}: expected one answer cell tagged {key!r}, "
                       f"found {len(found)}")
    return found[0]


def answer_numbers(notebook_path: str | Path, key: str) -> list[float]:
    """All numbers in the bold spans of answer ``key`` of the notebook, in order ('%' stripped)."""
    numbers = []
    for span in _BOLD.findall(answer_cell(notebook_path, key)):
        for token in _NUMBER.findall(span.replace("%", "")):
            numbers.append(float(token.replace(",", "").replace("−", "-")))
    return numbers
