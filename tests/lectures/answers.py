"""Read the claims a lecture's "Try this" answer states, so tests check the text itself.

An answer is a markdown cell holding ``<!-- answer: KEY -->`` inside a ``<details>`` block; its
claims are the bold ``**...**`` spans, in order ('%' and thousands commas stripped). A claim is
either one number or a **range** written with an en dash or "to" (``**57–64**``, ``**−118 to
−114**``). A range is what a learner sees over seeds and CPUs, as ``tools/spread.py`` measured
it, and is checked as a range. A single number is exact to the digits it is written with: what
every learner sees when rounding to them (a count, a size, ``0.011`` for values 0.01098-0.01117),
so it is checked to within half a unit of its last digit, never against one run's digits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import spread

LECTURES = Path(__file__).resolve().parents[2] / "lectures"

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_NUM = r"[-+−]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?"
_CLAIM = re.compile(rf"({_NUM})(?:\s*(?:–|\bto\b)\s*({_NUM}))?")
#: "57-64" with a plain hyphen reads as 57 and -64: ranges take an en dash
_HYPHEN_RANGE = re.compile(r"\d-\d")


@dataclass(frozen=True)
class Claim:
    """One bold claim of an answer: a range ``low .. high``, or a number (``low == high``)
    written with ``decimals`` digits after its point."""

    low: float
    high: float
    is_range: bool
    decimals: int = 0

    def __str__(self) -> str:
        return f"{self.low:g}–{self.high:g}" if self.is_range else f"{self.low:.{self.decimals}f}"

    def holds(self, value: float) -> bool:
        """``value`` lies in the range, or rounds to the number at its written precision."""
        if self.is_range:
            return self.low <= value <= self.high
        return abs(value - self.low) <= 0.5 * 10.0 ** -self.decimals * (1 + 1e-9)


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
                decimals = len(low.split(".")[1]) if "." in low else 0
                claims.append(Claim(_number(low), _number(low), False, decimals))
    return claims


def answer_numbers(notebook_path: str | Path, key: str) -> list[float]:
    """Every number the bold spans of answer ``key`` state (both ends of a range)."""
    return [v for c in answer_claims(notebook_path, key)
            for v in ((c.low, c.high) if c.is_range else (c.low,))]


def check(lecture: str, key: str, measured: list[float]) -> None:
    """Assert that answer ``key`` of ``lecture`` states what was ``measured``: each value lies in
    its range claim, or rounds to its number claim (:meth:`Claim.holds`). What was measured is
    recorded first, for ``tools/spread.py``."""
    measured = [float(v) for v in measured]
    spread.record(f"{lecture}:{key}", measured)
    print(f"{lecture} {key}: measured {[round(v, 5) for v in measured]}")
    claims = answer_claims(LECTURES / f"{lecture}.ipynb", key)
    assert len(claims) == len(measured), (
        f"{key}: the answer states {[str(c) for c in claims]}, measured {measured}")
    for i, (claim, value) in enumerate(zip(claims, measured)):
        what = "a range over seeds and CPUs" if claim.is_range else "to its last digit"
        assert claim.holds(value), (
            f"{key}, claim {i + 1}: the answer says {claim} ({what}), measured {value:.5g}: "
            "measure its spread with tools/spread.py and state what every learner sees")
