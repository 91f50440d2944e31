"""Command line: ``python -m gradflow.grading generate`` and ``python -m gradflow.grading grade``.

python -m gradflow.grading generate                     # masters -> student notebooks + public tests
python -m gradflow.grading grade ch01 submissions/ -o grades/ch01
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradflow.grading.worker import Limits

PUBLIC_DIR = Path(__file__).resolve().parent / "public"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gradflow.grading", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write the student notebooks and public tests from the masters")
    g.add_argument("--masters", type=Path, default=Path("exercises/masters"), help="folder of chNN.md + chNN_tests.py")
    g.add_argument("--student", type=Path, default=Path("exercises/student"), help="where student notebooks go")
    g.add_argument("--public", type=Path, default=PUBLIC_DIR, help="where the public tests go (inside gradflow)")
    r = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    r.add_argument("chapter", help="e.g. ch01")
    r.add_argument("submissions", type=Path, help="folder of submitted .ipynb files (searched recursively)")
    r.add_argument(
        "-o", "--out", type=Path, required=True, help="output folder: scores.csv, scores.json, feedback/, results/"
    )
    r.add_argument(
        "--masters", type=Path, default=Path("exercises/masters"), help="folder holding chNN_tests.py (keep it private)"
    )
    r.add_argument("-j", "--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    r.add_argument(
        "--timeout",
        type=float,
        default=Limits.wall_s,
        help="wall-clock seconds per submission and attempt (hard limit)",
    )
    r.add_argument(
        "--cpu", type=float, default=Limits.cpu_s, help="CPU seconds per submission and attempt (hard limit)"
    )
    r.add_argument("--cell-timeout", type=float, default=Limits.cell_s, help="CPU seconds per cell (soft limit)")
    r.add_argument(
        "--memory", type=int, default=Limits.memory_mb, help="address-space limit in MiB (JAX needs >= 3072)"
    )
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "generate":
        from gradflow.grading.generate import generate

        for path in generate(args.masters, args.student, args.public):
            print(f"wrote {path}")
        return 0
    from gradflow.grading.runner import grade_folder

    tests_file = args.masters / f"{args.chapter}_tests.py"
    if not tests_file.is_file():
        print(f"error: no tests file {tests_file}", file=sys.stderr)
        return 2
    if args.memory < 3072:
        print("error: --memory below 3072 MiB: JAX aborts (std::bad_alloc) in less address space", file=sys.stderr)
        return 2
    limits = Limits(wall_s=args.timeout, cpu_s=args.cpu, cell_s=args.cell_timeout, memory_mb=args.memory)
    results = grade_folder(args.submissions, tests_file, args.out, limits, jobs=args.jobs, progress=not args.quiet)
    total = sum(r["score"] for r in results)
    print(
        f"graded {len(results)} submissions (mean {total / max(1, len(results)):.2f} / {results[0]['max'] if results else 0:g}); see {args.out / 'scores.csv'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
