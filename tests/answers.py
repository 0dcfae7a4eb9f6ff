"""Read the claims a lecture's "Try this" answer states, so tests check the text itself.

An answer is a markdown cell holding ``<!-- answer: KEY -->`` inside a ``<details>`` block; its
claims are the bold ``**...**`` spans, in order ('%' and thousands commas stripped). A claim is
either one number (a count, a size, a value that does not vary between machines) or a **range**
written with an en dash or "to" (``**57–64**``, ``**−118 to −114**``): what a learner sees over
seeds and CPUs, as ``tools/spread.py`` measured it. A range is checked as a range, never against
one run's digits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import spread

LECTURES = Path(__file__).resolve().parent.parent / "lectures"

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_NUM = r"[-+−]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?"
_CLAIM = re.compile(rf"({_NUM})(?:\s*(?:–|\bto\b)\s*({_NUM}))?")
#: "57-64" with a plain hyphen reads as 57 and -64: ranges take an en dash
_HYPHEN_RANGE = re.compile(r"\d-\d")


@dataclass(frozen=True)
class Claim:
    """One bold claim of an answer: a number (``low == high``) or a range ``low .. high``."""

    low: float
    high: float
    is_range: bool

    def __str__(self) -> str:
        return f"{self.low:g}–{self.high:g}" if self.is_range else f"{self.low:g}"


def _number(token: str) -> float:
    return float(token.replace(",", "").replace("−", "-"))


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


def answer_claims(notebook_path: str | Path, key: str) -> list[Claim]:
    """The claims in the bold spans of answer ``key`` of the notebook, in order."""
    claims = []
    for span in _BOLD.findall(answer_cell(notebook_path, key)):
        if _HYPHEN_RANGE.search(span):
            raise ValueError(f"{notebook_path} {key}: **{span}** has a hyphen between numbers: "
                             "write a range with an en dash (57–64) or 'to'")
        for low, high in _CLAIM.findall(span.replace("%", "")):
            if high:
                a, b = sorted((_number(low), _number(high)))
                claims.append(Claim(a, b, True))
            else:
                claims.append(Claim(_number(low), _number(low), False))
    return claims


def answer_numbers(notebook_path: str | Path, key: str) -> list[float]:
    """Every number the bold spans of answer ``key`` state (both ends of a range)."""
    return [v for c in answer_claims(notebook_path, key)
            for v in ((c.low, c.high) if c.is_range else (c.low,))]


def check(lecture: str, key: str, measured: list[float], rel: float = 0.0,
          abs_: float | list[float] = 0.0) -> None:
    """Assert that answer ``key`` of ``lecture`` states what was ``measured``.

    A range claim must contain its measured value. A single number must equal it within
    ``rel`` / ``abs_`` (one absolute tolerance per number, or one for all): for numbers that do
    not vary with the seed or the CPU (sizes, counts, exact quantities), so the tolerances stay
    tight. Everything measured is also recorded for ``tools/spread.py``.
    """
    measured = [float(v) for v in measured]
    spread.record(f"{lecture}:{key}", measured)
    print(f"{lecture} {key}: measured {[round(v, 5) for v in measured]}")
    claims = answer_claims(LECTURES / f"{lecture}.ipynb", key)
    assert len(claims) == len(measured), (
        f"{key}: the answer states {[str(c) for c in claims]}, measured {measured}")
    tolerances = abs_ if isinstance(abs_, list) else [abs_] * len(measured)
    assert len(tolerances) == len(measured), f"{key}: {len(tolerances)} tolerances"
    for i, (claim, value, tol) in enumerate(zip(claims, measured, tolerances)):
        if claim.is_range:
            assert claim.low <= value <= claim.high, (
                f"{key}, claim {i + 1}: the answer says {claim} (a range measured over seeds "
                f"and CPUs), measured {value:.5g}: re-measure it with tools/spread.py")
        else:
            assert value == pytest.approx(claim.low, rel=rel, abs=tol), (
                f"{key}, claim {i + 1}: the answer says {claim}, measured {value:.5g}")
