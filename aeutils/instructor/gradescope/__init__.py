"""Gradescope: the course's autograder as a Gradescope autograder zip.

- :mod:`.bundle`  -- ``aeutils gradescope ID`` writes the zip (setup.sh, run_autograder, the
  hidden tests, the course package)
- :mod:`.runner`  -- what run_autograder runs: ONE submission through ``aeutils grade``'s batch
- :mod:`.results` -- Gradescope's results.json, one test per autograded part

Instructors' steps: docs/gradescope.md.
"""

from .bundle import Manifest, write_autograder
from .results import GradescopeResults, GradescopeTest

__all__ = ["Manifest", "write_autograder", "GradescopeResults", "GradescopeTest"]
