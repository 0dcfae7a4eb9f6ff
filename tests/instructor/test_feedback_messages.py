"""Feedback shows a failed hidden test's message (what was expected, what to check), never its source."""

from __future__ import annotations

from nbformat.v4 import new_output

from aeutils.instructor.feedback import StripHiddenTests

HIDDEN = ["grading.check_close(pca_error(_xd, _k), metrics.pca(_xd, _k).error, rtol=1e-4)"]


def _error(evalue: str):
    return new_output("error", ename="GradingError", evalue=evalue, traceback=[
        "Traceback (most recent call last):", f"----> 3 {HIDDEN[0]}", f"GradingError: {evalue}"])


def test_the_message_survives_and_the_traceback_goes():
    msg = "pca_error(digits, k=4) is not close enough: expected 0.0312, got 0.0290. Centre the data."
    out = StripHiddenTests._clean_error(_error(msg), HIDDEN)
    assert out["evalue"] == msg
    assert out["traceback"] == [f"GradingError: {msg}"]
    assert not any(HIDDEN[0] in line for line in out["traceback"])


def test_a_message_that_repeats_hidden_code_is_replaced():
    out = StripHiddenTests._clean_error(_error(f"failed at {HIDDEN[0]}"), HIDDEN)
    assert HIDDEN[0] not in out["evalue"] and "hidden test failed" in out["evalue"]
    assert HIDDEN[0] not in "".join(out["traceback"])


def test_a_hidden_line_of_keywords_only_is_no_secret():
    """ae2's hidden `finally:` also stands in any traceback through library code (torch's
    autograd): the feedback of two students whose code raised there was deleted as a leak."""
    from aeutils.instructor.hidden import HiddenTests

    hidden = HiddenTests(cells={"nb/test-a": ("", ("finally:", "return None", "_ref = reference(_x)"))},
                         visible=frozenset())
    assert hidden.secret() == ["_ref = reference(_x)"]
    assert hidden.secret(own={"y = reference(_x)"}) == ["_ref = reference(_x)"]
