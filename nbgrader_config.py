"""nbgrader configuration of the course (read by `nbgrader`, JupyterLab's formgrader and `aeutils`).

Layout: instructor source notebooks live in ``solutions/<id>/<id>.ipynb`` and the student release
that nbgrader generates from them in ``assignments/<id>/<id>.ipynb``. The course root is the folder
of this file, so every command works the same from any working directory.

Grading limits that nbgrader does not know about (memory, processes, file sizes, the time limit of
one whole submission) are under ``c.GradingLimits``; see README, "For instructors".
"""

import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# Executing a notebook while autograding or validating: one cell may run for at most 300 s (the
# longest training cell of an assignment takes about a minute on a 2-core CPU). After a timeout the
# kernel is interrupted and the remaining cells still run.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
c.Execute.iopub_timeout = 30  # wait for a cell's last outputs (a loaded machine is slow)

# Outputs kept in autograded notebooks and feedback: a flood of prints is cut.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 100

# Locked cells that a student deleted are put back (nbgrader's default only restores edited ones).
c.OverwriteCells.add_missing_cells = True

# ClearSolutions keeps nbgrader's defaults (the "YOUR CODE HERE" stub, BEGIN/END SOLUTION markers).

# Limits on one submission's grading kernel (aeutils.instructor.config.GradingLimits).
c.GradingLimits.submission_timeout = 900  # seconds for a whole submission, all notebooks
c.GradingLimits.memory_mb = 4096  # address space of the kernel and each of its children
c.GradingLimits.max_processes = 256  # processes + threads of the kernel's sandbox user
c.GradingLimits.max_file_mb = 64  # largest single file the kernel may write
c.GradingLimits.workdir_mb = 256  # total size of the kernel's (in-memory) working folder
c.GradingLimits.cpu_seconds = 1200  # CPU time of the kernel process
c.GradingLimits.max_output_chars = 100000  # output kept per cell while grading

# The class on a JupyterHub (docs/hub.md): nbgrader's exchange carries releases, submissions and
# feedback. AEUTILS_EXCHANGE_ROOT moves it (tests use a temporary folder).
c.CourseDirectory.course_id = os.environ.get("AEUTILS_COURSE_ID", "autoencoders")
c.Exchange.root = os.environ.get("AEUTILS_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
# Late work: 10% of the autograded points per started day after the due date, which is set with
# `nbgrader db assignment add ID --duedate "YYYY-MM-DD HH:MM:SS UTC"` (aeutils.instructor.late).
c.AssignLatePenalties.plugin_class = "aeutils.instructor.late.PercentPerDayLate"
c.PercentPerDayLate.percent_per_day = 10.0
# Grading on a Dask cluster (aeutils grade --scheduler, docs/cluster.md): submissions of these
# assignments go to workers started with --resources GPU=1 when any exist.
c.ClusterGrading.gpu_assignments = []
