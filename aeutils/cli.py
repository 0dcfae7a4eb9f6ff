"""The ``aeutils`` command line. It only parses arguments; the work is in the modules it calls.

    aeutils release [ID ...]                 nbgrader generate_assignment: solutions/ -> assignments/
    aeutils grade SUBMISSIONS [--assignment ID] [--jobs N] [--out grades.csv] [--force]
                  [--device auto|cpu|cuda]
                  [--scheduler tcp://HOST:8786]    (on a Dask cluster, docs/cluster.md)
    aeutils feedback [ID]                    feedback/ HTML without hidden tests, every part's points
    aeutils gradescope ID [--out ZIP]        the Gradescope autograder zip (docs/gradescope.md)
    aeutils roster students.csv              class list into the gradebook (aeutils.instructor.roster)
    aeutils export [--out DIR]               nbgrader export + LMS CSV (aeutils.instructor.lms)
    aeutils release-feedback ID              feedback to students via the exchange
    aeutils course --out build               (aeutils.course)
    aeutils doctor                           (aeutils.doctor)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def _venv_on_path() -> None:
    # nbgrader shells out to `alembic` when it creates a gradebook; it lives beside python.
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _cmd_release(args: argparse.Namespace) -> int:
    from aeutils.instructor.config import load_config
    from aeutils.instructor.release import release

    for folder in release(args.ids, config=load_config(args.course)):
        print(f"released {folder}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from aeutils.instructor.config import load_config
    from aeutils.instructor.grade import Batch
    from aeutils.instructor.report import summary
    from aeutils.instructor.sandbox import isolation_summary

    batch = Batch(args.submissions, assignment=args.assignment, jobs=args.jobs, out=args.out,
                  force=args.force, config=load_config(args.course), device=args.device,
                  scheduler=args.scheduler)
    try:
        results = batch.run()
    except KeyboardInterrupt:
        print("interrupted: graded submissions are kept; run the same command again to resume",
              file=sys.stderr)
        return 130
    counts = summary(results)
    print(f"{len(results)} submission(s): " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f"; wrote {batch.out} and {batch.out.with_suffix('.json')}")
    print("kernels " + isolation_summary(batch.isolate, batch.tool))
    return 0


def _cmd_feedback(args: argparse.Namespace) -> int:
    from aeutils.instructor.config import load_config
    from aeutils.instructor.feedback import feedback

    files = feedback(args.assignment, config=load_config(args.course))
    print(f"wrote {len(files)} feedback file(s)")
    return 0


def _cmd_gradescope(args: argparse.Namespace) -> int:
    from aeutils.instructor.config import load_config
    from aeutils.instructor.gradescope import write_autograder

    path = write_autograder(load_config(args.course), args.assignment, args.out)
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment "
          "(docs/gradescope.md)")
    return 0


def _cmd_roster(args: argparse.Namespace) -> int:
    from aeutils.instructor.config import load_config
    from aeutils.instructor.roster import import_roster

    ids = import_roster(args.csv, load_config(args.course))
    print(f"{len(ids)} student(s) in the gradebook: {', '.join(ids)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from aeutils.instructor.config import load_config
    from aeutils.instructor.lms import export

    full, lms = export(load_config(args.course), args.out)
    print(f"wrote {full} (nbgrader export) and {lms} (LMS import)")
    return 0


def _cmd_release_feedback(args: argparse.Namespace) -> int:
    from aeutils.instructor.config import load_config
    from aeutils.instructor.exchange import release_feedback

    students = release_feedback(load_config(args.course), args.assignment)
    print(f"feedback released to {len(students)} student(s): {', '.join(students)}")
    return 0


def _cmd_course(args: argparse.Namespace, rest: list[str]) -> int:
    from aeutils import course  # written by the lectures' maintainers

    return int(course.main(rest) or 0)


def _cmd_doctor(args: argparse.Namespace, rest: list[str]) -> int:
    from aeutils import doctor

    return int(doctor.main(rest) or 0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    p = argparse.ArgumentParser(prog="aeutils", description="Autoencoders course tools.")
    p.add_argument("--course", default=None,
                   help="course root (the folder with nbgrader_config.py); default: found "
                        "from the current folder upwards")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("release", help="generate the student release of assignments")
    r.add_argument("ids", nargs="*", metavar="ID", help="assignment ids (default: all)")
    r.set_defaults(func=_cmd_release)

    g = sub.add_parser("grade", help="autograde a folder of submissions into a CSV")
    g.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                   help="folder with <student>/<assignment>/<notebook>.ipynb")
    g.add_argument("--assignment", metavar="ID", help="grade only this assignment")
    g.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="submissions graded at the same time (default 1)")
    g.add_argument("--out", default=None, metavar="CSV",
                   help="grades CSV (default grades.csv in the course; a .json report beside it)")
    g.add_argument("--force", action="store_true",
                   help="regrade submissions that were already graded")
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="device of the students' kernels (default auto: cuda when this machine "
                        "has a GPU, else cpu); the report records it")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS, e.g. "
                        "tcp://10.0.0.5:8786 (needs pip install '.[cluster]'; docs/cluster.md)")
    g.set_defaults(func=_cmd_grade)

    f = sub.add_parser("feedback", help="write HTML feedback (hidden tests removed, every graded "
                                        "part with its points and what to look at)")
    f.add_argument("assignment", nargs="?", metavar="ID", help="assignment id (default: all)")
    f.set_defaults(func=_cmd_feedback)

    gs = sub.add_parser("gradescope", help="write the Gradescope autograder zip of an assignment")
    gs.add_argument("assignment", metavar="ID", help="assignment id")
    gs.add_argument("--out", type=Path, default=None, metavar="ZIP",
                    help="where to write it (default gradescope/<ID>-autograder.zip in the course)")
    gs.set_defaults(func=_cmd_gradescope)

    ro = sub.add_parser("roster", help="import the class list (CSV with an id column)")
    ro.add_argument("csv", type=Path, metavar="STUDENTS_CSV",
                    help="header id,first_name,last_name,email (only id is required)")
    ro.set_defaults(func=_cmd_roster)
    ex = sub.add_parser("export", help="nbgrader export + an LMS CSV (missing work as 'missing')")
    ex.add_argument("--out", type=Path, default=None, metavar="DIR",
                    help="folder for grades-nbgrader.csv and grades-lms.csv (default: course)")
    ex.set_defaults(func=_cmd_export)
    rf = sub.add_parser("release-feedback", help="release feedback to students via the exchange")
    rf.add_argument("assignment", metavar="ID")
    rf.set_defaults(func=_cmd_release_feedback)

    c = sub.add_parser("course", help="build the course (lectures) into a folder",
                       add_help=False)
    c.set_defaults(func=_cmd_course, passthrough=True)
    d = sub.add_parser("doctor", help="check versions, device and data", add_help=False)
    d.set_defaults(func=_cmd_doctor, passthrough=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(args_list)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    _venv_on_path()
    if getattr(args, "passthrough", False):
        return args.func(args, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    from aeutils.instructor.config import CourseError

    try:
        return args.func(args)
    except CourseError as err:
        print(f"aeutils {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
