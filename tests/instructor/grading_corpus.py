"""Submissions of the fixture assignment ``fx_basics``, good, broken and hostile.

Each case builds a student's folder from the *released* notebook (what a student starts from)
and says what ``aeutils grade`` must report for it. The fixture assignment has two autograded
test cells, ``test_add`` (2 points) and ``test_mean`` (3 points), each with a hidden test, and
one manually graded written answer.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

ASSIGNMENT = "fx_basics"
NB = f"{ASSIGNMENT}.ipynb"
ADD_OK = "def add(a, b):\n    return a + b"
ADD_WRONG = "def add(a, b):\n    return a - b"
MEAN_OK = "def mean_of(xs):\n    return sum(xs) / len(xs)"
MEAN_WRONG = "def mean_of(xs):\n    return 0.0"
HIDDEN_MARKERS = ("ZEBRA-ADD-7731", "QUOKKA-MEAN-5521")


@dataclass
class Case:
    """One student: how to build the submission and what grading must report."""

    student: str
    build: Callable[[Path, dict], None]  # (student folder, context) -> writes files
    status: str
    score: float | None
    reason: str | tuple[str, ...] = ""  # text the reason must contain (case-insensitive)
    needs_isolation: bool = False  # relies on the sandbox (root only): not even built without it


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _answers(add: str, mean: str, *, before_add: str = "", before_mean: str = "",
             extra_cells: tuple[str, ...] = ()) -> Callable[[nbformat.NotebookNode], None]:
    def edit(nb):
        _cell(nb, "add").source = (before_add + "\n" if before_add else "") + add
        _cell(nb, "mean_of").source = (before_mean + "\n" if before_mean else "") + mean
        for src in extra_cells:
            nb.cells.append(nbformat.v4.new_code_cell(src))
    return edit


def _write(folder: Path, ctx: dict, *edits: Callable[[nbformat.NotebookNode], None],
           name: str = NB) -> None:
    nb = copy.deepcopy(ctx["release_nb"])
    for e in edits:
        e(nb)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / name))


def nb_case(*edits, name: str = NB) -> Callable[[Path, dict], None]:
    return lambda folder, ctx: _write(folder, ctx, *edits, name=name)


def _hide(s: str) -> str:
    """An expression that rebuilds ``s`` at run time, invisible to a text scan."""
    return f"__import__('base64').b64decode({base64.b64encode(s.encode()).decode()!r}).decode()"


def _invalid_json(folder: Path, ctx: dict) -> None:
    _write(folder, ctx, _answers(ADD_OK, MEAN_OK))
    text = (folder / NB).read_text()
    (folder / NB).write_text(text[: len(text) // 2])


def _missing(folder: Path, ctx: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("I forgot to upload it\n")


def _delete_cell(gid: str):
    def edit(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != gid]
    return edit


def _duplicate_cell(gid: str):
    def edit(nb):
        i = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
        dup = copy.deepcopy(nb.cells[i])
        dup["id"] = "dup0001"
        nb.cells.insert(i + 1, dup)
    return edit


def _edit_test(gid: str, source: str, *, unlock: bool = False, points: float | None = None,
               new_id: str | None = None):
    def edit(nb):
        cell = _cell(nb, gid)
        if source is not None:
            cell.source = source
        meta = cell.metadata["nbgrader"]
        if unlock:
            meta["locked"] = False
        if points is not None:
            meta["points"] = points
        if new_id is not None:
            meta["grade_id"] = new_id
    return edit


def _write_outside(folder: Path, ctx: dict) -> None:
    targets = [str(ctx["submissions"] / "alice_solution" / ASSIGNMENT / NB),
               str(ctx["course"] / "gradebook.db"), str(ctx["course"] / "evil.txt")]
    code = "\n".join(
        ["for _p in [" + ", ".join(_hide(t) for t in targets) + "]:",
         "    try:",
         "        open(_p, 'w').write('overwritten by a student')",
         "    except OSError:",
         "        pass"])
    _write(folder, ctx, _answers(ADD_OK, MEAN_OK, before_add=code))


def _read_secret(path_key: str):
    def build(folder: Path, ctx: dict) -> None:
        secret = str(ctx[path_key])
        # add() only works if the student's code can read the secret file
        add = (f"_SECRET = {_hide(secret)}\n"
               "def add(a, b):\n"
               "    try:\n"
               "        open(_SECRET).read()\n"
               "        return a + b\n"
               "    except OSError:\n"
               "        return -999")
        _write(folder, ctx, _answers(add, MEAN_OK))
    return build


def _network(folder: Path, ctx: dict) -> None:
    add = ("def add(a, b):\n"
           "    try:\n"
           "        s = __import__('soc' + 'ket').create_connection(('127.0.0.1', "
           f"{ctx['port']}), timeout=2)\n"
           "        s.close()\n"
           "        return a + b\n"
           "    except OSError:\n"
           "        return -999")
    _write(folder, ctx, _answers(add, MEAN_OK))


CHEAT_EQ = """class Anything(float):
    def __eq__(self, other):
        return True
    def __sub__(self, other):
        return 0.0
    __rsub__ = __sub__
    def __abs__(self):
        return 0.0
def add(a, b):
    return Anything(0)"""

REBIND = """import aeutils.grading as _g
_g.check_close = lambda *args, **kwargs: None
def add(a, b):
    return 0"""

TRANSFORMER = """get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])
def add(a, b):
    return 0"""

TRANSFORMER_HIDDEN = """_ip = globals()['get_' + 'ipy' + 'thon']()
getattr(_ip, 'input_' + 'transformers_post').append(lambda lines: ['pass\\n'])
def add(a, b):
    return 0"""

LEAK_HOOK = """_seen = []
get_ipython().events.register('pre_run_cell', lambda info: _seen.append(info.raw_cell))
def add(a, b):
    return a + b"""
LEAK_PRINT = "print('\\n'.join(_seen))\n" + MEAN_OK

CASES: list[Case] = [
    # the basics: points are exactly those of the parts that work
    Case("alice_solution", nb_case(_answers(ADD_OK, MEAN_OK)), "graded", 5),
    Case("bob_untouched", nb_case(), "graded", 0),
    Case("carol_partial", nb_case(_answers(ADD_OK, MEAN_WRONG)), "graded", 2),
    Case("dave_raises", nb_case(_answers(ADD_OK, MEAN_OK, before_mean="raise ValueError('oops')")),
         "graded", 2),
    # break
    Case("erin_invalid_json", _invalid_json, "failed", None, "not valid notebook json"),
    Case("frank_missing", _missing, "failed", None, "missing"),
    Case("grace_renamed", nb_case(_answers(ADD_OK, MEAN_OK), name="my_homework.ipynb"),
         "failed", None, "renamed"),
    Case("heidi_deleted_test", nb_case(_answers(ADD_OK, MEAN_WRONG), _delete_cell("test_mean")),
         "needs review", 2, "deleted"),
    Case("ivan_duplicated", nb_case(_answers(ADD_OK, MEAN_OK), _duplicate_cell("test_add")),
         "needs review", 5, "appears 2 times"),
    Case("judy_kernel_dies", nb_case(_answers(ADD_OK, MEAN_OK, before_mean="import os\nos._exit(3)")),
         "failed", None, "kernel died"),
    # hang or hog
    Case("ken_infinite_loop", nb_case(_answers(ADD_OK, MEAN_OK, before_mean="while True:\n    pass")),
         "graded", 2, "time limit"),
    Case("leo_ignores_sigint", nb_case(_answers(
        ADD_OK, MEAN_OK,
        before_mean="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")),
        "failed", None, "time limit"),
    Case("mia_memory_hog", nb_case(_answers(
        ADD_OK, MEAN_OK, before_mean="_hog = []\nwhile True:\n    _hog.append(bytearray(50 * 2**20))")),
        "graded", 2),
    Case("nina_fork_bomb", nb_case(_answers(
        ADD_OK, MEAN_OK,
        extra_cells=("import os as _os\n_pids = []\ntry:\n    while True:\n"
                     "        _pid = _os.fork()\n        if _pid == 0:\n"
                     "            import time\n            time.sleep(120)\n"
                     "            _os._exit(0)\n        _pids.append(_pid)\n"
                     "except OSError as e:\n    print('fork refused after', len(_pids), e)",))),
        "needs review", 5, "starts programs", needs_isolation=True),  # NPROC needs its own uid
    Case("oscar_output_flood", nb_case(_answers(
        ADD_OK, MEAN_OK, extra_cells=("for _i in range(200000):\n    print('flood', _i)",
                                      "print('y' * 5_000_000)"))),
        "graded", 5),
    Case("peggy_huge_file", nb_case(_answers(
        ADD_OK, MEAN_OK, extra_cells=("with open('big.bin', 'wb') as _f:\n"
                                      "    for _ in range(1000):\n"
                                      "        _f.write(b'0' * 2**20)",))),
        "graded", 5),
    # tamper
    Case("quinn_edits_test", nb_case(_answers(ADD_WRONG, MEAN_OK), _edit_test("test_add", "pass")),
         "needs review", 3, "edited"),
    Case("rita_unlocks_and_points", nb_case(
        _answers(ADD_OK, MEAN_WRONG),
        _edit_test("test_mean", "print('all good')", unlock=True, points=100)),
        "needs review", 2, "points"),
    Case("sam_repoints", nb_case(_answers(ADD_WRONG, MEAN_OK),
                                 _edit_test("test_add", None, new_id="test_mean")),
         "needs review", 3, "test_add"),
    # cheat
    Case("tina_eq_cheat", nb_case(_answers(CHEAT_EQ, MEAN_OK)), "needs review", 3, "__eq__"),
    # these two fool the tests (full points with wrong answers) but cannot hide it: flagged
    # the source scan and the run-time probe both see it (the probe reads the grading package)
    Case("uma_rebinds_helper", nb_case(_answers(REBIND, MEAN_WRONG)), "needs review", 5,
         ("rebinds a grading helper", "aeutils.grading.check_close was replaced or modified")),
    Case("vic_input_transformer", nb_case(_answers(TRANSFORMER, MEAN_WRONG)), "needs review",
         5, "input transformer"),
    # the same, obfuscated past the source scan: the run-time probe flags it
    Case("walt_hidden_transformer", nb_case(_answers(TRANSFORMER_HIDDEN, MEAN_WRONG)),
         "needs review", 5, "input transformer was added"),
    Case("xena_reads_solutions", _read_secret("solution_nb"), "graded", 3,
         needs_isolation=True),
    Case("yuri_reads_classmate", _read_secret("classmate_nb"), "graded", 3,
         needs_isolation=True),
    Case("zoe_writes_outside", _write_outside, "graded", 5, needs_isolation=True),
    Case("zack_network", _network, "graded", 3, needs_isolation=True),
    # leak: captures the hidden test source at run time and prints it in a later cell
    Case("zara_leaks_hidden", nb_case(_answers(LEAK_HOOK, LEAK_PRINT)), "needs review", 5,
         "callback"),
]


def build_class(cases: list[Case], submissions: Path, ctx: dict) -> None:
    """Write every case's folder under ``submissions/<student>/fx_basics/``."""
    for case in cases:
        case.build(submissions / case.student / ASSIGNMENT, ctx)


def solution_notebook(release_nb, source_nb):
    """The release with each answer cell replaced by the source's solution (markers removed)."""
    nb = copy.deepcopy(release_nb)
    sol = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in source_nb.cells}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "",
                                 sol[meta["grade_id"]].source, flags=re.M)
    return nb


def read_report(path: Path) -> dict:
    return json.loads(path.read_text())
