"""Static properties of the graded assignments (no notebook is executed here; fast).

The executed checks (solutions pass, releases score 0, partial credit) live in the grading
pipeline's own tests; these catch the mistakes that are cheap to catch by reading the JSON: points
that do not add up to the stated total, a test cell without points or without hidden tests, a
solution or hidden test leaking into the student release, a training cell that ignores
``aeutils.device()``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IDS = ["ae1_bottleneck", "ae2_sparse", "ae3_denoising", "ae4_vae"]
TOTAL = re.compile(r"This assignment is worth \*\*(\d+) points: (\d+) autograded, (\d+) written\*\*")
LEAKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "Model answer")
TRAINING = re.compile(r"train\.fit\(|fit_autoencoder\(|\.backward\(\)")
# Assignments reworked for issue 9 (a build-it part, no hand-offs, a GPU-ready exercise graded
# with grading.run_on_device, a stated time), one line each, with the aeutils modules holding
# what the student writes: their setup cell must not import them.
REWORKED = {
    "ae1_bottleneck": ("metrics", "train"),
    "ae3_denoising": ("noise", "losses", "train"),
}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(aid: str) -> dict:
    return _load(ROOT / "solutions" / aid / f"{aid}.ipynb")


def _release(aid: str) -> dict:
    return _load(ROOT / "assignments" / aid / f"{aid}.ipynb")


def _tests(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if _meta(c).get("grade") and not _meta(c).get("solution")]


def _written(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if _meta(c).get("grade") and _meta(c).get("solution")]


def _answers(nb: dict) -> list[dict]:
    return [c for c in nb["cells"]
            if _meta(c).get("solution") and not _meta(c).get("grade") and c["cell_type"] == "code"]


def test_every_assignment_is_there():
    found = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    assert set(IDS) <= set(found), f"missing assignments: {sorted(set(IDS) - set(found))}"
    for aid in IDS:
        assert (ROOT / "assignments" / aid / f"{aid}.ipynb").is_file(), f"{aid} was not released"


@pytest.mark.parametrize("aid", IDS)
def test_points_add_up_to_the_stated_total(aid):
    nb = _source(aid)
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    match = TOTAL.search(_src(first))
    assert match, f"{aid}: the first cell must say 'This assignment is worth **N points: X autograded, Y written**'"
    total, auto, written = map(int, match.groups())
    got_auto = sum(_meta(c)["points"] for c in _tests(nb))
    got_written = sum(_meta(c)["points"] for c in _written(nb))
    assert (got_auto, got_written) == (auto, written), f"{aid}: cells give {got_auto} + {got_written}"
    assert total == auto + written


@pytest.mark.parametrize("aid", IDS)
def test_test_cells_have_points_hidden_tests_and_use_the_grading_helpers(aid):
    nb = _source(aid)
    tests = _tests(nb)
    assert len(tests) >= 4, f"{aid}: too few autograded test cells for partial credit"
    for cell in tests:
        meta, src = _meta(cell), _src(cell)
        assert cell["cell_type"] == "code"
        assert meta.get("points", 0) > 0, f"{aid}: test cell {meta['grade_id']} has no points"
        assert meta.get("locked"), f"{aid}: test cell {meta['grade_id']} is not locked"
        assert "from aeutils import grading" in src, meta["grade_id"]
        assert "### BEGIN HIDDEN TESTS" in src and "### END HIDDEN TESTS" in src, (
            f"{aid}: test cell {meta['grade_id']} has no hidden tests")
        # Checks go through the grading helpers (by value), never a bare assert on student objects.
        assert not re.search(r"^\s*assert\b", src, flags=re.MULTILINE), meta["grade_id"]
    ids = [_meta(c)["grade_id"] for c in nb["cells"] if _meta(c)]
    assert len(ids) == len(set(ids)), f"{aid}: duplicate grade ids"


@pytest.mark.parametrize("aid", IDS)
def test_written_answers_and_answer_cells(aid):
    nb = _source(aid)
    written = _written(nb)
    assert written, f"{aid}: no manually graded written answer"
    for cell in written:
        assert cell["cell_type"] == "markdown" and _meta(cell)["points"] > 0
    answers = _answers(nb)
    assert answers, f"{aid}: no autograded answer cell"
    for cell in answers:
        assert "### BEGIN SOLUTION" in _src(cell), _meta(cell)["grade_id"]


@pytest.mark.parametrize("aid", IDS)
def test_device_awareness(aid):
    nb = _source(aid)
    training = [c for c in nb["cells"] if c["cell_type"] == "code" and not _meta(c).get("grade")
                and TRAINING.search(_src(c))]
    assert training, f"{aid}: no training cell"
    for cell in training:
        src = _src(cell)
        if "train.fit(" in src:
            assert "device = aeutils.device()" in src and "device=device" in src, (
                f"{aid}: a training cell does not train on aeutils.device()")
        else:  # the student's own loop: the model goes to the device, the loop follows it
            assert ".to(device)" in src or "device = next(model.parameters()).device" in src, (
                f"{aid}: a training cell does not train on aeutils.device()")
    # At least one test checks where results or parameters live.
    assert any("aeutils.device()" in _src(c) and ".device" in _src(c) for c in _tests(nb)), (
        f"{aid}: no test checks device placement")


@pytest.mark.parametrize("aid", sorted(REWORKED))
def test_reworked_assignment_has_no_hand_offs_and_grades_devices(aid):
    nb = _source(aid)
    setup = next(c for c in nb["cells"] if _meta(c).get("grade_id") == "setup")
    imported = set(re.findall(r"from aeutils import ([\w, ]+)", _src(setup))[0].replace(" ", "").split(","))
    banned = imported & set(REWORKED[aid])
    assert not banned, f"{aid}: the setup cell imports {sorted(banned)}, which students must write"
    tests = [_src(c) for c in _tests(nb)]
    assert any("grading.without(" in t for t in tests), f"{aid}: no hidden test blocks a hand-off"
    assert any("grading.run_on_device(" in t for t in tests), f"{aid}: no strict device check"
    assert re.search(r"Expected time for a student:", _src(nb["cells"][0])), f"{aid}: no stated time"


@pytest.mark.parametrize("aid", IDS)
def test_release_has_no_solutions_or_hidden_tests(aid):
    source, release = _source(aid), _release(aid)
    for cell in release["cells"]:
        text = _src(cell)
        for leak in LEAKS:
            assert leak not in text, f"{aid} release leaks {leak!r}"
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None
    for cell in _answers(release):
        assert "raise NotImplementedError()" in _src(cell), _meta(cell)["grade_id"]
    # Same graded cells, same points, in the same order.
    graded = [(_meta(c)["grade_id"], _meta(c).get("points")) for c in source["cells"]
              if _meta(c).get("grade") or _meta(c).get("solution")]
    released = [(_meta(c)["grade_id"], _meta(c).get("points")) for c in release["cells"]
                if _meta(c).get("grade") or _meta(c).get("solution")]
    assert graded == released, f"{aid}: the release is out of date; run `aeutils release {aid}`"


@pytest.mark.parametrize("aid", IDS)
def test_sources_are_committed_without_outputs(aid):
    for cell in _source(aid)["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None


#: a draw on the input's device with the notebook's (CPU) generator: raises on a GPU (issue 20)
RANDOM_CALL = re.compile(r"torch\.(randperm|randn|rand|randint|normal|bernoulli)\(")


def _device_unsafe_draws(text: str) -> list[tuple[str, str]]:
    """(the call, the 40 characters after it) of every torch draw with both generator= and
    device=<tensor>.device among its arguments."""
    found = []
    for match in RANDOM_CALL.finditer(text):
        depth, i = 1, match.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        call = text[match.start():i]
        if "generator=" in call and re.search(r"device=\w+\.device", call):
            found.append((call, text[i:i + 40]))
    return found


@pytest.mark.parametrize("aid", IDS)
def test_no_text_or_solution_draws_on_the_device_with_a_cpu_generator(aid):
    for nb in (_source(aid), _release(aid)):
        for cell in nb["cells"]:
            for call, after in _device_unsafe_draws(_src(cell)):
                assert cell["cell_type"] == "markdown" and "fails" in after, (
                    f"{aid} ({_meta(cell).get('grade_id')}) draws on the device with the notebook's CPU "
                    f"generator: {call} (draw where the generator is, then .to(device))")


def test_the_device_unsafe_draw_check_sees_what_main_had():
    old = "order = torch.randperm(len(x), device=x.device, generator=generator)"
    assert _device_unsafe_draws(old) and not _device_unsafe_draws(
        "torch.randperm(len(x), generator=generator).to(x.device)")
