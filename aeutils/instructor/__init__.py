"""Instructor tools: release assignments, grade a class's submissions safely, write feedback.

The command line (``aeutils release|grade|feedback``) is a thin layer over these modules:

- :mod:`.config`   -- find the course and load ``nbgrader_config.py``
- :mod:`.release`  -- ``nbgrader generate_assignment``, normalized to be byte-reproducible
- :mod:`.grade`    -- the batch: one grader process per submission, results merged by one process
- :mod:`.job`      -- the contract for grading one submission: a Job in, a Result out
- :mod:`.grader`   -- the grader process: grades one submission (a Job) in a throw-away course copy
- :mod:`.cluster`  -- the same grader processes, run by Dask workers on a cluster (``grade --scheduler``)
- :mod:`.sandbox`  -- the kernel manager and launcher that isolate a student's code
- :mod:`.integrity` -- static checks of a submission before it runs (unreadable, renamed,
  locked cells tampered with, suspicious code)
- :mod:`.feedback` -- ``nbgrader generate_feedback`` without hidden tests, with every graded part
- :mod:`.hidden`   -- which hidden test lines are secret (not also shown by the release)
- :mod:`.parts`    -- a graded notebook's parts: points, and the failed check's message
- :mod:`.gradescope` -- the Gradescope autograder zip and its one-submission runner
- :mod:`.report`   -- CSV and JSON grade reports
"""

import sys

# nbformat validates with jsonschema, which imports ``rfc3987_syntax`` when it is installed
# (jupyter-events asks for jsonschema[format-nongpl]); that module compiles a Lark grammar on
# import: about 0.9 CPU s in every grading process (jsonschema issue #1392). Notebook schemas
# check no "iri" format, so the instructor's processes (the CLI, each grader process) go without it.
sys.modules.setdefault("rfc3987_syntax", None)
