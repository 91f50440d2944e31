"""Batch grading speed: 100 submissions of one chapter in at most 5 minutes on 2 cores, sandbox on.

Makes N submissions (masters, blanks and wrong answers, in turn) of a chapter in a temporary folder, grades them
with ``gradflow.grading.runner.grade_folder`` (2 jobs, each submission in its own bubblewrap sandbox with a private
copy of the JAX cache that the master notebook warmed), then grades a sample of 5 one by one, each by a fresh
``python -m gradflow.grading grade`` process (what a plain per-submission run costs), and prints a table.

    python benchmarks/grading.py [--chapter ch01] [-n 100] [--sample 5] [--sandbox bwrap|none]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
TARGET_S = 300.0


def make_submissions(chapter: str, n: int, folder: Path) -> None:
    """``n`` notebooks: the master, the blank student notebook, and the master with one answer changed, in turn."""
    import jupytext

    master = json.loads(jupytext.writes(jupytext.read(MASTERS / f"{chapter}.md"), fmt="ipynb"))
    blank = json.loads((ROOT / "exercises" / "student" / f"{chapter}.ipynb").read_text())
    wrong = json.loads(json.dumps(master))
    for cell in wrong["cells"]:
        if cell["cell_type"] == "code" and "# SOLUTION" in "".join(cell["source"]):
            cell["source"] = "".join(cell["source"]).replace("# SOLUTION", "* 2  # wrong")
            break
    kinds = [master, blank, wrong]
    for i in range(n):
        (folder / f"student_{i:03d}.ipynb").write_text(json.dumps(kinds[i % 3]))


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process (the grader) and its reaped children (workers report their own)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", default="ch01")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--sample", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sandbox", choices=["bwrap", "none"], default="bwrap")
    args = parser.parse_args()
    from gradflow.grading.runner import grade_folder

    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        make_submissions(args.chapter, args.n, subs)
        t0, cpu0 = time.perf_counter(), _cpu_seconds()
        tests = MASTERS / f"{args.chapter}_tests.py"
        res = grade_folder(subs, tests, out, jobs=args.jobs, progress=True, sandbox_kind=args.sandbox)
        batch = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0 + sum(r.get("worker_cpu_s", 0.0) for r in res)
        failed = sum(r["status"] != "graded" for r in res)
        sample = Path(tmp) / "sample"
        sample.mkdir()
        cold = []
        for i in range(args.sample):
            one = sample / str(i)
            one.mkdir()
            (one / "s.ipynb").write_bytes((subs / f"student_{i:03d}.ipynb").read_bytes())
            t1 = time.perf_counter()
            cmd = [
                sys.executable,
                "-m",
                "gradflow.grading",
                "grade",
                args.chapter,
                str(one),
                "-o",
                str(one / "out"),
                "-j",
                "1",
                "--quiet",
                "--sandbox",
                args.sandbox,
            ]
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            cold.append(time.perf_counter() - t1)
    per_cold = sum(cold) / len(cold)
    per_batch = batch / args.n
    rows = [
        ("chapter", args.chapter),
        ("sandbox", args.sandbox),
        ("submissions", str(args.n)),
        ("batch wall time (2 jobs, warm)", f"{batch:.1f} s"),
        ("per submission, batch", f"{per_batch:.2f} s"),
        ("CPU time per submission (workers + grader)", f"{cpu / args.n:.2f} s"),
        (f"projected for 100 on {args.jobs} idle cores (CPU time / cores)", f"{cpu * 100 / args.n / args.jobs:.0f} s"),
        (f"per submission, one by one cold (sample of {args.sample})", f"{per_cold:.2f} s"),
        ("speed-up of the batch", f"{per_cold / per_batch:.1f}x"),
        (f"projected one by one for {args.n}", f"{per_cold * args.n / 60:.1f} min"),
        ("submissions not fully graded", str(failed)),
        ("target", f"<= {TARGET_S:.0f} s for 100: {'MET' if batch * 100 / args.n <= TARGET_S else 'MISSED'}"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    sys.path.insert(0, str(Path(__file__).parent))
    from common import Result, save

    save(
        "grading",
        [
            Result(
                f"grade 100 submissions of {args.chapter} (batch of {args.n}, {args.jobs} jobs, sandbox {args.sandbox})",
                batch * 100 / args.n,
                "s",
                target=TARGET_S,
            ),
            Result("CPU time per submission (workers + grader)", cpu / args.n, "s"),
            Result(f"one by one, cold process each (sample of {args.sample}), per submission", per_cold, "s"),
            Result("batch speed-up over one by one", per_cold / per_batch, "x"),
            Result("submissions not fully graded", failed, "", target=0),
        ],
    )


if __name__ == "__main__":
    main()
