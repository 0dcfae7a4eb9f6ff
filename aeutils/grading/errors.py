"""The one exception every grading check raises (kept apart so that its helpers can share it)."""

from __future__ import annotations


class GradingError(AssertionError):
    """A check failed; the message says what was expected and what to do."""
