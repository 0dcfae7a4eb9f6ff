"""nbgrader settings of the course's grading server, beside the course's own nbgrader_config.py
(``hub/jupyterhub_config.py`` puts this folder on the server's JUPYTER_CONFIG_PATH, where
formgrader reads it).

Formgrader's *Generate Feedback* button runs nbgrader's generate_feedback, which by itself copies
the hidden tests into every student's feedback (nbgrader issue #917). Here it runs the course's
preprocessors instead, as ``aeutils feedback`` does: test cells back to their released text,
tracebacks cut to the check's message, outputs that repeat hidden test code removed, and a table
of every graded part. ``aeutils feedback`` also checks every file once more; prefer it.
"""

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "aeutils.instructor.feedback.StripHiddenTests",
    "aeutils.instructor.feedback.PartsSummary",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
