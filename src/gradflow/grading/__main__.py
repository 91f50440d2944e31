"""Command line: ``python -m gradflow.grading generate`` and ``python -m gradflow.grading grade``.

python -m gradflow.grading generate                     # masters -> student notebooks + public tests
python -m gradflow.grading grade ch01 submissions/ -o grades/ch01
python -m gradflow.grading grade ch01 canvas/ -o grades/ch01 --id-pattern '_(?P<id>[0-9]+)_[0-9]+_'
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from gradflow.grading.limits import Limits
from gradflow.grading.sandbox import WARNING, SandboxError

PUBLIC_DIR = Path(__file__).resolve().parent / "public"
PACKAGE_MASTERS = Path(__file__).resolve().parents[3] / "exercises" / "masters"


def default_masters() -> Path:
    """``exercises/masters`` in the current folder, else next to the installed (editable) package's source."""
    here = Path("exercises/masters")
    return here if here.is_dir() else PACKAGE_MASTERS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gradflow.grading", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write the student notebooks and public tests from the masters")
    g.add_argument("--masters", type=Path, default=None, help="folder of chNN.md + chNN_tests.py")
    g.add_argument("--student", type=Path, default=Path("exercises/student"), help="where student notebooks go")
    g.add_argument("--public", type=Path, default=PUBLIC_DIR, help="where the public tests go (inside gradflow)")
    r = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    r.add_argument("chapter", help="e.g. ch01")
    r.add_argument("submissions", type=Path, help="folder of submitted notebooks (every file, sub-folders too)")
    r.add_argument("-o", "--out", type=Path, required=True, help="output: scores.csv/json, gradebook.csv, feedback/")
    r.add_argument("--masters", type=Path, default=None, help="folder holding chNN_tests.py (keep it private)")
    r.add_argument("--sandbox", choices=["bwrap", "none"], default="bwrap", help="bwrap (default) or none (unsafe)")
    r.add_argument(
        "--id-pattern",
        default=None,
        help="regular expression finding the student id in a file's path (group 'id'); default: the file name",
    )
    r.add_argument("-j", "--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    r.add_argument("--timeout", type=float, default=Limits.wall_s, help="wall-clock seconds per worker (hard limit)")
    r.add_argument("--cpu", type=float, default=Limits.cpu_s, help="CPU seconds per worker (hard limit)")
    r.add_argument("--cell-timeout", type=float, default=Limits.cell_s, help="CPU seconds per cell (soft limit)")
    r.add_argument("--memory", type=int, default=Limits.memory_mb, help="address-space limit in MiB (>= 3072)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _grade(args: argparse.Namespace) -> int:
    from gradflow.grading.runner import grade_folder

    masters = args.masters or default_masters()
    tests_file = masters / f"{args.chapter}_tests.py"
    if not tests_file.is_file():
        print(
            f"error: no tests file {tests_file}. Pass --masters with the folder holding {args.chapter}_tests.py "
            "(the course's is exercises/masters in its repository).",
            file=sys.stderr,
        )
        return 2
    try:
        limits = Limits(wall_s=args.timeout, cpu_s=args.cpu, cell_s=args.cell_timeout, memory_mb=args.memory)
        pattern = re.compile(args.id_pattern) if args.id_pattern else None
    except (ValueError, re.error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.sandbox == "none":
        print(WARNING, file=sys.stderr)
    try:
        found = grade_folder(
            args.submissions,
            tests_file,
            args.out,
            limits,
            jobs=args.jobs,
            progress=not args.quiet,
            sandbox_kind=args.sandbox,
            id_pattern=pattern,
        )
    except (SandboxError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = sum(r["score"] for r in found)
    top = found[0]["max"] if found else 0
    print(f"graded {len(found)} files (mean {total / max(1, len(found)):.2f} / {top:g}); see {args.out / 'scores.csv'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "generate":
        from gradflow.grading.generate import generate

        for path in generate(args.masters or default_masters(), args.student, args.public):
            print(f"wrote {path}")
        return 0
    return _grade(args)


if __name__ == "__main__":
    sys.exit(main())
